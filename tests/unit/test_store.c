/*
 * test_store.c - unit tests of the mail store (store.h) on the real SQLite
 * backend, each test in a fresh temporary directory under /tmp.
 *
 * Covers domains, accounts and their default mailboxes, mailbox create /
 * delete / rename (children, INBOX), subscriptions, single-instance message
 * storage, UIDs and MODSEQ, flags and keywords, UNCHANGEDSINCE, expunge and
 * its log, changes_since, copy and move, status and \Recent, the change hook
 * (on commit only), the POP3 calls (sizes by UID, removal whatever the
 * flags, logged like an expunge, shared messages kept), UIDVALIDITY after delete + create, two
 * connections, and reopening; aliases (catch-all, hosted domain, account conflicts, cascades), the
 * outbound queue (one transaction with local delivery, list, get, delete, input limits) and the
 * upgrade of a schema-1 database. A second raw sqlite3 connection inspects (and for some tests
 * alters) the database file.
 */
#include "store/store.h"

#include "base/mem.h"
#include "base/str.h"

#include <ftw.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

struct fx {
	char dir[64];
	struct store *s;
	uint64_t user;
	uint64_t inbox;
};

/* --- helpers --- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static struct store *fx_open(struct fx *f)
{
	const char *error = NULL;
	struct store *s = store_open(f->dir, &error);

	if (s == NULL)
		fail_msg("store_open: %s", error);
	return s;
}

static uint64_t box_id(struct store *s, uint64_t user, const char *name)
{
	struct store_mailbox box;
	uint64_t id;

	assert_int_equal(store_mailbox_get(s, user, name, &box), STORE_OK);
	id = box.id;
	store_mailbox_deinit(&box);
	return id;
}

static int setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof(*f));
	struct store_user u;

	snprintf(f->dir, sizeof(f->dir), "/tmp/tresor-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	/* A subdirectory that store_open must create itself. */
	strcat(f->dir, "/data");
	f->s = fx_open(f);
	assert_int_equal(store_domain_add(f->s, "example.org"), STORE_OK);
	assert_int_equal(store_user_add(f->s, "alice@example.org", "$argon2id$x"), STORE_OK);
	assert_int_equal(store_user_lookup(f->s, "alice@example.org", &u), STORE_OK);
	f->user = u.id;
	store_user_deinit(&u);
	f->inbox = box_id(f->s, f->user, "INBOX");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(&f->s);
	*strrchr(f->dir, '/') = '\0';
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Runs a one-number query on the database file through a separate connection. */
static int64_t sql_count(struct fx *f, const char *sql)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	snprintf(path, sizeof(path), "%s/tresor.db", f->dir);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* Runs SQL on the database file through a separate read-write connection. */
static void sql_exec(struct fx *f, const char *sql)
{
	char path[128], *err = NULL;
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/tresor.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("%s: %s", sql, err);
	sqlite3_close(db);
}

static const char test_body[] = "From: bob@example.net\r\nSubject: hi\r\n\r\nHello\r\n";

static struct store_new_message test_msg(void)
{
	return (struct store_new_message){
	        .data = test_body,
	        .size = sizeof(test_body) - 1,
	        .internaldate = 1700000000,
	        .internaldate_tz = 60,
	        .envelope = "(NIL \"hi\" NIL NIL NIL NIL NIL NIL NIL NIL)",
	        .bodystructure = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 7 1 NIL NIL NIL NIL)",
	        .body = "(\"text\" \"plain\" NIL NIL NIL \"7bit\" 7 1)",
	        .sent_date = 1699999999,
	};
}

static uint32_t deliver(struct store *s, uint64_t box, unsigned flags, const char *kw)
{
	struct store_new_message m = test_msg();
	struct store_new_entry t = {.mailbox_id = box, .flags = flags, .keywords = kw};
	uint32_t uid = 0;

	assert_int_equal(store_deliver(s, &m, &t, 1, &uid), STORE_OK);
	return uid;
}

static struct store_status status(struct store *s, uint64_t box)
{
	struct store_status st;

	assert_int_equal(store_mailbox_status(s, box, &st), STORE_OK);
	return st;
}

static int set_flags(struct store *s, uint64_t box, uint32_t lo, uint32_t hi,
                     enum store_flags_mode mode, unsigned flags, const char *kw,
                     uint64_t unchangedsince, size_t *n_changes_r, size_t *n_failed_r)
{
	struct store_uid_range r = {lo, hi};
	struct store_change *c;
	uint32_t *failed;
	size_t nc, nf;
	int ret;

	ret = store_flags(s, box, &r, 1, mode, flags, kw, unchangedsince, &c, &nc, &failed, &nf);
	store_changes_array_free(&c, nc);
	free(failed);
	if (n_changes_r != NULL)
		*n_changes_r = nc;
	if (n_failed_r != NULL)
		*n_failed_r = nf;
	return ret;
}

/* The entry with uid (must exist); keywords copied into kw. */
static struct store_entry entry(struct store *s, uint64_t box, uint32_t uid, char *kw,
                                size_t kw_size)
{
	struct store_entry *e, found = {0};
	size_t n;

	assert_int_equal(store_entries(s, box, &e, &n), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		if (e[i].uid == uid) {
			found = e[i];
			snprintf(kw, kw_size, "%s", e[i].keywords != NULL ? e[i].keywords : "");
		}
	}
	store_entries_free(&e, n);
	assert_int_equal(found.uid, uid);
	found.keywords = NULL;
	return found;
}

/* --- domains and accounts --- */

static void test_domains(void **state)
{
	struct fx *f = *state;
	char **names;
	size_t n;

	assert_int_equal(store_domain_exists(f->s, "EXAMPLE.org"), 1);
	assert_int_equal(store_domain_exists(f->s, "example.com"), 0);
	assert_int_equal(store_domain_add(f->s, "Example.ORG"), STORE_ERR_EXISTS);
	assert_int_equal(store_domain_add(f->s, "b.example"), STORE_OK);
	assert_int_equal(store_domain_add(f->s, "bad domain"), STORE_ERR_INVALID);
	assert_int_equal(store_domain_add(f->s, ""), STORE_ERR_INVALID);
	assert_int_equal(store_domain_list(f->s, &names, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "b.example");
	assert_string_equal(names[1], "example.org");
	str_list_free(&names, n);

	/* Refused while it has accounts. */
	assert_int_equal(store_domain_del(f->s, "example.org"), STORE_ERR_INVALID);
	assert_int_equal(store_domain_del(f->s, "nowhere.example"), STORE_ERR_NOTFOUND);
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_OK);
	assert_int_equal(store_domain_del(f->s, "example.org"), STORE_OK);
	assert_int_equal(store_domain_exists(f->s, "example.org"), 0);
}

static void test_users(void **state)
{
	static const struct {
		const char *name;
		unsigned use;
	} want[] = {{"Archive", STORE_USE_ARCHIVE},
	            {"Drafts", STORE_USE_DRAFTS},
	            {"INBOX", 0},
	            {"Junk", STORE_USE_JUNK},
	            {"Sent", STORE_USE_SENT},
	            {"Trash", STORE_USE_TRASH}};
	struct fx *f = *state;
	struct store_mailbox *boxes;
	struct store_user u;
	char **names;
	size_t n;

	assert_int_equal(store_user_add(f->s, "bob@nowhere.example", "h"), STORE_ERR_NOTFOUND);
	assert_int_equal(store_user_add(f->s, "ALICE@example.org", "h"), STORE_ERR_EXISTS);
	assert_int_equal(store_user_add(f->s, "no-at-sign", "h"), STORE_ERR_INVALID);
	assert_int_equal(store_user_add(f->s, "Bob@Example.ORG", "hash-b"), STORE_OK);
	assert_int_equal(store_user_lookup(f->s, "bob@example.org", &u), STORE_OK);
	assert_string_equal(u.address, "bob@example.org");
	assert_string_equal(u.password_hash, "hash-b");
	store_user_deinit(&u);

	assert_int_equal(store_user_set_password(f->s, "BOB@example.org", "hash-c"), STORE_OK);
	assert_int_equal(store_user_lookup(f->s, "bob@example.org", &u), STORE_OK);
	assert_string_equal(u.password_hash, "hash-c");
	store_user_deinit(&u);
	assert_int_equal(store_user_set_password(f->s, "eve@example.org", "x"), STORE_ERR_NOTFOUND);

	assert_int_equal(store_user_list(f->s, &names, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "alice@example.org");
	assert_string_equal(names[1], "bob@example.org");
	str_list_free(&names, n);

	assert_int_equal(store_mailbox_list(f->s, f->user, &boxes, &n), STORE_OK);
	assert_int_equal(n, N_ELEMENTS(want));
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(boxes[i].name, want[i].name);
		assert_int_equal(boxes[i].special_use, want[i].use);
		assert_true(boxes[i].subscribed);
		assert_int_equal(boxes[i].uidnext, 1);
		assert_true(boxes[i].uidvalidity > 0);
	}
	store_mailbox_free_array(&boxes, n);
	assert_null(boxes);
	assert_int_equal(store_subscriptions(f->s, f->user, &names, &n), STORE_OK);
	assert_int_equal(n, 6);
	str_list_free(&names, n);

	/* Deleting an account removes its mailboxes, entries and messages. */
	deliver(f->s, f->inbox, 0, NULL);
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_OK);
	assert_int_equal(store_user_lookup(f->s, "alice@example.org", &u), STORE_ERR_NOTFOUND);
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_ERR_NOTFOUND);
	assert_int_equal(store_mailbox_list(f->s, f->user, &boxes, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM entries"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM subscriptions"), 6); /* bob's */
}

/* --- mailboxes --- */

static void test_mailbox_create_delete(void **state)
{
	static const char *const bad[] = {"",    "/a",   "a/",       "a//b",    "a*",
	                                  "a%b", "a\tb", "\xff\xfe", "\xc0\xaf"};
	struct fx *f = *state;
	struct store_mailbox box;
	char longname[STORE_MAILBOX_NAME_MAX + 2];

	assert_int_equal(store_mailbox_create(f->s, f->user, "a", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "a/b", STORE_USE_FLAGGED), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "a", 0), STORE_ERR_EXISTS);
	assert_int_equal(store_mailbox_create(f->s, f->user, "inbox", 0), STORE_ERR_EXISTS);
	assert_int_equal(store_mailbox_create(f->s, f->user, "Ünïcødé/ß", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, 999999, "x", 0), STORE_ERR_NOTFOUND);
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		assert_int_equal(store_mailbox_create(f->s, f->user, bad[i], 0), STORE_ERR_INVALID);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(store_mailbox_create(f->s, f->user, longname, 0), STORE_ERR_INVALID);

	/* INBOX is case-insensitive; other names are not. */
	assert_int_equal(store_mailbox_get(f->s, f->user, "iNbOx", &box), STORE_OK);
	assert_string_equal(box.name, "INBOX");
	assert_int_equal(box.id, f->inbox);
	store_mailbox_deinit(&box);
	assert_int_equal(store_mailbox_get(f->s, f->user, "A", &box), STORE_ERR_NOTFOUND);
	assert_int_equal(store_mailbox_get(f->s, f->user, "a/b", &box), STORE_OK);
	assert_int_equal(box.special_use, STORE_USE_FLAGGED);
	assert_false(box.subscribed);
	store_mailbox_deinit(&box);

	assert_int_equal(store_mailbox_delete(f->s, f->user, "inbox"), STORE_ERR_INVALID);
	assert_int_equal(store_mailbox_delete(f->s, f->user, "a"), STORE_ERR_HASCHILD);
	assert_int_equal(store_mailbox_delete(f->s, f->user, "nope"), STORE_ERR_NOTFOUND);

	/* Deleting a mailbox drops its entries and their messages. */
	deliver(f->s, box_id(f->s, f->user, "a/b"), 0, NULL);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(store_mailbox_delete(f->s, f->user, "a/b"), STORE_OK);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(store_mailbox_delete(f->s, f->user, "a"), STORE_OK);
	assert_int_equal(store_mailbox_get(f->s, f->user, "a", &box), STORE_ERR_NOTFOUND);
}

static void test_mailbox_rename(void **state)
{
	struct fx *f = *state;
	struct store_mailbox a, b;
	char **names;
	size_t n;

	assert_int_equal(store_mailbox_create(f->s, f->user, "a", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "a/x", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "a/x/y", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "ab", 0), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->s, f->user, "a/x", true), STORE_OK);
	deliver(f->s, box_id(f->s, f->user, "a/x"), 0, NULL);
	assert_int_equal(store_mailbox_get(f->s, f->user, "a/x", &a), STORE_OK);

	assert_int_equal(store_mailbox_rename(f->s, f->user, "a", "b"), STORE_OK);
	assert_int_equal(store_mailbox_get(f->s, f->user, "b/x", &b), STORE_OK);
	assert_int_equal(b.id, a.id);
	assert_int_equal(b.uidvalidity, a.uidvalidity); /* kept, as Dovecot does */
	assert_int_equal(b.uidnext, 2);
	assert_true(b.subscribed); /* the subscription followed */
	store_mailbox_deinit(&a);
	store_mailbox_deinit(&b);
	box_id(f->s, f->user, "b");
	box_id(f->s, f->user, "b/x/y");
	box_id(f->s, f->user, "ab"); /* a sibling with the same prefix did not move */
	assert_int_equal(store_mailbox_get(f->s, f->user, "a", &a), STORE_ERR_NOTFOUND);
	assert_int_equal(store_mailbox_get(f->s, f->user, "a/x", &a), STORE_ERR_NOTFOUND);
	assert_int_equal(store_subscriptions(f->s, f->user, &names, &n), STORE_OK);
	assert_int_equal(n, 7);
	assert_string_equal(names[6], "b/x");
	str_list_free(&names, n);

	assert_int_equal(store_mailbox_rename(f->s, f->user, "b", "ab"), STORE_ERR_EXISTS);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "b", "INBOX"), STORE_ERR_INVALID);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "b", "b/z"), STORE_ERR_INVALID);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "zz", "c"), STORE_ERR_NOTFOUND);

	/* A child collision rolls the whole rename back. */
	assert_int_equal(store_mailbox_create(f->s, f->user, "c/x", 0), STORE_OK);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "b", "c"), STORE_ERR_EXISTS);
	box_id(f->s, f->user, "b");
	box_id(f->s, f->user, "b/x");
	assert_int_equal(store_mailbox_get(f->s, f->user, "c", &a), STORE_ERR_NOTFOUND);

	/* Moving up a level where a new name equals an old one renamed later. */
	assert_int_equal(store_mailbox_create(f->s, f->user, "p/q", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "p/q/x", 0), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "p/q/q/x", 0), STORE_OK);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "p/q", "p"), STORE_OK);
	box_id(f->s, f->user, "p");
	box_id(f->s, f->user, "p/x");
	box_id(f->s, f->user, "p/q/x");
}

static void test_rename_inbox(void **state)
{
	struct fx *f = *state;
	struct store_mailbox inbox, old;
	struct store_changes ch;
	struct store_status st;
	char kw[64];

	deliver(f->s, f->inbox, STORE_FLAG_SEEN, "$Work");
	deliver(f->s, f->inbox, 0, NULL);
	assert_int_equal(store_mailbox_get(f->s, f->user, "INBOX", &inbox), STORE_OK);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "inbox", "Old"), STORE_OK);
	assert_int_equal(store_mailbox_get(f->s, f->user, "Old", &old), STORE_OK);
	assert_true(old.uidvalidity > inbox.uidvalidity);
	st = status(f->s, old.id);
	assert_int_equal(st.messages, 2);
	assert_int_equal(entry(f->s, old.id, 1, kw, sizeof(kw)).flags, STORE_FLAG_SEEN);
	assert_string_equal(kw, "$Work");

	/* INBOX is still there, empty, same UIDVALIDITY, UIDNEXT not reset. */
	st = status(f->s, f->inbox);
	assert_int_equal(st.messages, 0);
	assert_int_equal(st.uidnext, 3);
	assert_int_equal(st.uidvalidity, inbox.uidvalidity);
	assert_int_equal(store_changes_since(f->s, f->inbox, inbox.highestmodseq, &ch), STORE_OK);
	assert_int_equal(ch.n_expunged, 2);
	store_changes_deinit(&ch);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(store_mailbox_rename(f->s, f->user, "INBOX", "Old"), STORE_ERR_EXISTS);
	store_mailbox_deinit(&inbox);
	store_mailbox_deinit(&old);
}

static void test_subscriptions(void **state)
{
	struct fx *f = *state;
	struct store_mailbox box;
	char **names;
	size_t n;

	/* RFC 3501 6.3.6: a name need not exist to be subscribed. */
	assert_int_equal(store_mailbox_subscribe(f->s, f->user, "ghost/one", true), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->s, f->user, "ghost/one", true), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->s, f->user, "Sent", false), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->s, f->user, "a//b", true), STORE_ERR_INVALID);
	assert_int_equal(store_mailbox_get(f->s, f->user, "Sent", &box), STORE_OK);
	assert_false(box.subscribed);
	store_mailbox_deinit(&box);

	assert_int_equal(store_mailbox_create(f->s, f->user, "kept", 0), STORE_OK);
	assert_int_equal(store_mailbox_subscribe(f->s, f->user, "kept", true), STORE_OK);
	assert_int_equal(store_mailbox_delete(f->s, f->user, "kept"), STORE_OK);

	assert_int_equal(store_subscriptions(f->s, f->user, &names, &n), STORE_OK);
	assert_int_equal(n, 7);
	assert_string_equal(names[0], "Archive");
	assert_string_equal(names[4], "Trash");
	assert_string_equal(names[5], "ghost/one");
	assert_string_equal(names[6], "kept"); /* survives the mailbox's deletion */
	str_list_free(&names, n);
}

/* --- messages --- */

static void test_deliver_stored_once(void **state)
{
	struct fx *f = *state;
	uint64_t archive = box_id(f->s, f->user, "Archive");
	struct store_new_message m = test_msg();
	struct store_new_entry t[2] = {
	        {.mailbox_id = f->inbox, .keywords = "$Junk $junk NonJunk"},
	        {.mailbox_id = archive, .flags = STORE_FLAG_SEEN},
	};
	struct store_message_meta m1, m2;
	uint32_t uids[2];
	struct store_uid_range all = {1, UINT32_MAX};
	char *data, kw[64];
	uint32_t *exp;
	size_t size, n;

	assert_int_equal(store_deliver(f->s, &m, t, 2, uids), STORE_OK);
	assert_int_equal(uids[0], 1);
	assert_int_equal(uids[1], 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM entries"), 2);
	entry(f->s, f->inbox, 1, kw, sizeof(kw));
	assert_string_equal(kw, "$Junk NonJunk"); /* deduplicated ignoring case */

	assert_int_equal(store_message_meta(f->s, f->inbox, 1, &m1), STORE_OK);
	assert_int_equal(store_message_meta(f->s, archive, 1, &m2), STORE_OK);
	assert_int_equal(m1.message_id, m2.message_id);
	assert_int_equal(m1.size, sizeof(test_body) - 1);
	assert_int_equal(m1.internaldate, 1700000000);
	assert_int_equal(m1.internaldate_tz, 60);
	assert_int_equal(m1.sent_date, 1699999999);
	assert_false(m1.sealed);
	assert_string_equal(m1.envelope, m.envelope);
	assert_string_equal(m1.bodystructure, m.bodystructure);
	assert_string_equal(m1.body, m.body);
	assert_int_equal(store_message_data(f->s, m1.message_id, &data, &size), STORE_OK);
	assert_int_equal(size, sizeof(test_body) - 1);
	assert_memory_equal(data, test_body, size);
	assert_int_equal(data[size], '\0');
	free(data);
	store_message_meta_deinit(&m2);
	assert_int_equal(store_message_meta(f->s, f->inbox, 2, &m2), STORE_ERR_NOTFOUND);
	assert_null(m2.envelope);
	assert_int_equal(store_message_data(f->s, 424242, &data, &size), STORE_ERR_NOTFOUND);

	/* The message goes with its last entry. */
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL,
	                           0, NULL, NULL),
	                 STORE_OK);
	assert_int_equal(store_expunge(f->s, f->inbox, &all, 1, &exp, &n), STORE_OK);
	free(exp);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(store_message_data(f->s, m1.message_id, &data, &size), STORE_OK);
	free(data);
	assert_int_equal(set_flags(f->s, archive, 1, 1, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL,
	                           0, NULL, NULL),
	                 STORE_OK);
	assert_int_equal(store_expunge(f->s, archive, NULL, 0, &exp, &n), STORE_OK);
	free(exp);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(store_message_data(f->s, m1.message_id, &data, &size), STORE_ERR_NOTFOUND);
	store_message_meta_deinit(&m1);
	store_message_meta_deinit(&m2);

	/* Bad requests. */
	assert_int_equal(store_deliver(f->s, &m, t, 0, uids), STORE_ERR_INVALID);
	t[0].keywords = "bad\\kw";
	assert_int_equal(store_deliver(f->s, &m, t, 1, uids), STORE_ERR_INVALID);
	t[0].keywords = NULL;
	t[0].flags = 1u << 12;
	assert_int_equal(store_deliver(f->s, &m, t, 1, uids), STORE_ERR_INVALID);
}

static void test_uids_and_modseq(void **state)
{
	struct fx *f = *state;
	struct store_status st = status(f->s, f->inbox);
	struct store_entry *e;
	uint64_t hms = st.highestmodseq;
	size_t n;

	assert_int_equal(st.uidnext, 1);
	for (uint32_t i = 1; i <= 3; i++) {
		assert_int_equal(deliver(f->s, f->inbox, 0, NULL), i);
		st = status(f->s, f->inbox);
		assert_int_equal(st.uidnext, i + 1);
		assert_int_equal(st.highestmodseq, hms + i);
	}
	assert_int_equal(store_entries(f->s, f->inbox, &e, &n), STORE_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].uid, i + 1);
		assert_int_equal(e[i].modseq, hms + i + 1);
		assert_null(e[i].keywords);
	}
	store_entries_free(&e, n);
	assert_null(e);
	assert_int_equal(store_entries(f->s, 987654, &e, &n), STORE_ERR_NOTFOUND);
}

static void test_flags(void **state)
{
	struct fx *f = *state;
	struct store_uid_range r[2] = {{1, 1}, {3, 3}};
	struct store_change *c;
	struct store_entry e;
	uint32_t *failed;
	uint64_t hms;
	size_t nc, nf;
	char kw[STORE_KEYWORDS_MAX + 1];

	for (int i = 0; i < 3; i++)
		deliver(f->s, f->inbox, 0, NULL);
	hms = status(f->s, f->inbox).highestmodseq;

	/* +FLAGS on 1 and 3: both change, one new modseq. */
	assert_int_equal(store_flags(f->s, f->inbox, r, 2, STORE_FLAGS_ADD,
	                             STORE_FLAG_SEEN | STORE_FLAG_FLAGGED, "$Label1 Work", 0, &c,
	                             &nc, &failed, &nf),
	                 STORE_OK);
	assert_int_equal(nc, 2);
	assert_int_equal(nf, 0);
	assert_int_equal(c[0].uid, 1);
	assert_int_equal(c[1].uid, 3);
	assert_int_equal(c[0].flags, STORE_FLAG_SEEN | STORE_FLAG_FLAGGED);
	assert_string_equal(c[0].keywords, "$Label1 Work");
	assert_int_equal(c[0].modseq, hms + 1);
	assert_int_equal(c[1].modseq, hms + 1);
	store_changes_array_free(&c, nc);
	free(failed);
	assert_int_equal(status(f->s, f->inbox).highestmodseq, hms + 1);

	/* The same again, keywords in another case: nothing changes, no new modseq. */
	assert_int_equal(set_flags(f->s, f->inbox, 1, 3, STORE_FLAGS_ADD, STORE_FLAG_SEEN, "work",
	                           0, &nc, NULL),
	                 STORE_OK);
	assert_int_equal(nc, 1); /* only UID 2 gained \Seen */
	assert_int_equal(status(f->s, f->inbox).highestmodseq, hms + 2);
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, "WORK",
	                           0, &nc, NULL),
	                 STORE_OK);
	assert_int_equal(nc, 0);
	assert_int_equal(status(f->s, f->inbox).highestmodseq, hms + 2);
	e = entry(f->s, f->inbox, 1, kw, sizeof(kw));
	assert_string_equal(kw, "$Label1 Work");
	assert_int_equal(e.modseq, hms + 1);

	/* -FLAGS removes keywords case-insensitively. */
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_REMOVE, STORE_FLAG_FLAGGED,
	                           "$label1 absent", 0, &nc, NULL),
	                 STORE_OK);
	assert_int_equal(nc, 1);
	e = entry(f->s, f->inbox, 1, kw, sizeof(kw));
	assert_int_equal(e.flags, STORE_FLAG_SEEN);
	assert_string_equal(kw, "Work");
	assert_int_equal(e.modseq, hms + 3);

	/* FLAGS replaces; no keywords clears them. */
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_SET, STORE_FLAG_ANSWERED, NULL,
	                           0, &nc, NULL),
	                 STORE_OK);
	e = entry(f->s, f->inbox, 1, kw, sizeof(kw));
	assert_int_equal(e.flags, STORE_FLAG_ANSWERED);
	assert_string_equal(kw, "");

	/* Bad input. */
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_ADD, 0, "a(b", 0, NULL, NULL),
	                 STORE_ERR_INVALID);
	assert_int_equal(
	        set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_ADD, 1u << 9, NULL, 0, NULL, NULL),
	        STORE_ERR_INVALID);
	assert_int_equal(set_flags(f->s, f->inbox, 3, 1, STORE_FLAGS_ADD, 0, NULL, 0, NULL, NULL),
	                 STORE_ERR_INVALID);
	assert_int_equal(set_flags(f->s, 777777, 1, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0,
	                           NULL, NULL),
	                 STORE_ERR_NOTFOUND);
}

static void test_keyword_limit(void **state)
{
	struct fx *f = *state;
	char kw[64];
	size_t nc;
	int ret = STORE_OK;
	int i;

	deliver(f->s, f->inbox, 0, NULL);
	/* Adding one keyword at a time eventually hits the limit, cleanly. */
	for (i = 0; i < 1000 && ret == STORE_OK; i++) {
		snprintf(kw, sizeof(kw), "keyword-number-%d", i);
		ret = set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_ADD, 0, kw, 0, &nc, NULL);
	}
	assert_int_equal(ret, STORE_ERR_INVALID);
	assert_true(i > 100);
	assert_non_null(strstr(store_last_error(f->s), "keywords"));
}

static void test_unchangedsince(void **state)
{
	struct fx *f = *state;
	struct store_uid_range r = {1, 3};
	struct store_change *c;
	uint32_t *failed;
	uint64_t hms;
	size_t nc, nf;

	for (int i = 0; i < 3; i++)
		deliver(f->s, f->inbox, 0, NULL);
	hms = status(f->s, f->inbox).highestmodseq; /* UID 3's modseq */
	assert_int_equal(set_flags(f->s, f->inbox, 2, 2, STORE_FLAGS_ADD, STORE_FLAG_FLAGGED, NULL,
	                           0, NULL, NULL),
	                 STORE_OK);

	/* UID 2 changed after hms: it fails and keeps its state; 1 and 3 change. */
	assert_int_equal(store_flags(f->s, f->inbox, &r, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL,
	                             hms, &c, &nc, &failed, &nf),
	                 STORE_OK);
	assert_int_equal(nf, 1);
	assert_int_equal(failed[0], 2);
	assert_int_equal(nc, 2);
	assert_int_equal(c[0].uid, 1);
	assert_int_equal(c[1].uid, 3);
	store_changes_array_free(&c, nc);
	free(failed);
	{
		char kw[8];
		struct store_entry e = entry(f->s, f->inbox, 2, kw, sizeof(kw));

		assert_int_equal(e.flags, STORE_FLAG_FLAGGED);
	}

	/* Every entry changed after hms - 3: all fail. */
	assert_int_equal(
	        set_flags(f->s, f->inbox, 1, 3, STORE_FLAGS_SET, 0, NULL, hms - 3, &nc, &nf),
	        STORE_OK);
	assert_int_equal(nc, 0);
	assert_int_equal(nf, 3);
}

static void test_expunge_and_changes(void **state)
{
	struct fx *f = *state;
	struct store_uid_range some = {1, 2};
	struct store_changes ch;
	uint32_t *exp;
	uint64_t base, after;
	size_t n;

	for (int i = 0; i < 4; i++)
		deliver(f->s, f->inbox, 0, NULL);
	base = status(f->s, f->inbox).highestmodseq;
	assert_int_equal(set_flags(f->s, f->inbox, 1, 3, STORE_FLAGS_ADD, STORE_FLAG_DELETED, NULL,
	                           0, NULL, NULL),
	                 STORE_OK);

	/* Only \Deleted entries inside the set go. */
	assert_int_equal(store_expunge(f->s, f->inbox, &some, 1, &exp, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(exp[0], 1);
	assert_int_equal(exp[1], 2);
	free(exp);
	after = status(f->s, f->inbox).highestmodseq;
	assert_int_equal(after, base + 2);
	assert_int_equal(store_expunge(f->s, f->inbox, NULL, 0, &exp, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(exp[0], 3);
	free(exp);
	/* Nothing left to expunge: no change, no modseq. */
	assert_int_equal(store_expunge(f->s, f->inbox, NULL, 0, &exp, &n), STORE_OK);
	assert_int_equal(n, 0);
	free(exp);
	assert_int_equal(status(f->s, f->inbox).highestmodseq, base + 3);
	deliver(f->s, f->inbox, 0, NULL); /* UID 5 */

	assert_int_equal(store_changes_since(f->s, f->inbox, base, &ch), STORE_OK);
	assert_int_equal(ch.n_changed, 1);
	assert_int_equal(ch.changed[0].uid, 5);
	assert_int_equal(ch.changed[0].modseq, base + 4);
	assert_int_equal(ch.n_expunged, 3);
	assert_int_equal(ch.expunged[0], 1);
	assert_int_equal(ch.expunged[2], 3);
	assert_int_equal(ch.uidnext, 6);
	assert_int_equal(ch.highestmodseq, base + 4);
	store_changes_deinit(&ch);

	/* Since the first expunge: only UID 3's expunge and the new UID 5. */
	assert_int_equal(store_changes_since(f->s, f->inbox, after, &ch), STORE_OK);
	assert_int_equal(ch.n_expunged, 1);
	assert_int_equal(ch.expunged[0], 3);
	assert_int_equal(ch.n_changed, 1);
	store_changes_deinit(&ch);

	/* Since 0: every entry; since now: nothing. */
	assert_int_equal(store_changes_since(f->s, f->inbox, 0, &ch), STORE_OK);
	assert_int_equal(ch.n_changed, 2);
	store_changes_deinit(&ch);
	assert_int_equal(store_changes_since(f->s, f->inbox, base + 4, &ch), STORE_OK);
	assert_int_equal(ch.n_changed + ch.n_expunged, 0);
	store_changes_deinit(&ch);
	assert_int_equal(store_changes_since(f->s, 31337, 0, &ch), STORE_ERR_NOTFOUND);
}

static void test_copy_move(void **state)
{
	struct fx *f = *state;
	uint64_t arch = box_id(f->s, f->user, "Archive"), trash = box_id(f->s, f->user, "Trash");
	struct store_uid_range r[2] = {{1, 1}, {3, 10}};
	struct store_changes ch;
	struct store_entry e;
	uint32_t *src, *dst, uv;
	uint64_t src_hms;
	size_t n;
	char kw[64];

	deliver(f->s, f->inbox, STORE_FLAG_FLAGGED, "$Important");
	deliver(f->s, f->inbox, 0, NULL);
	deliver(f->s, f->inbox, STORE_FLAG_SEEN, NULL);
	deliver(f->s, arch, 0, NULL); /* Archive's UID 1 */

	assert_int_equal(store_copy(f->s, f->inbox, r, 2, arch, false, &src, &dst, &n, &uv),
	                 STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(src[0], 1);
	assert_int_equal(src[1], 3);
	assert_int_equal(dst[0], 2);
	assert_int_equal(dst[1], 3);
	assert_int_equal(uv, status(f->s, arch).uidvalidity);
	free(src);
	free(dst);
	e = entry(f->s, arch, 2, kw, sizeof(kw));
	assert_int_equal(e.flags, STORE_FLAG_FLAGGED);
	assert_string_equal(kw, "$Important");
	assert_int_equal(e.modseq, status(f->s, arch).highestmodseq);
	assert_int_equal(status(f->s, f->inbox).messages, 3);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 4);

	/* MOVE: copy + expunge of the sources, logged, in one transaction. */
	src_hms = status(f->s, f->inbox).highestmodseq;
	assert_int_equal(store_copy(f->s, f->inbox, r, 1, trash, true, &src, &dst, &n, &uv),
	                 STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(dst[0], 1);
	free(src);
	free(dst);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
	assert_int_equal(status(f->s, trash).messages, 1);
	assert_int_equal(store_changes_since(f->s, f->inbox, src_hms, &ch), STORE_OK);
	assert_int_equal(ch.n_expunged, 1);
	assert_int_equal(ch.expunged[0], 1);
	store_changes_deinit(&ch);
	e = entry(f->s, trash, 1, kw, sizeof(kw));
	assert_string_equal(kw, "$Important");
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 4);

	/* Nothing in the set: OK, empty. A missing target: NOTFOUND, nothing moved. */
	r[0] = (struct store_uid_range){100, 200};
	assert_int_equal(store_copy(f->s, f->inbox, r, 1, arch, false, &src, &dst, &n, &uv),
	                 STORE_OK);
	assert_int_equal(n, 0);
	r[0] = (struct store_uid_range){1, UINT32_MAX};
	assert_int_equal(store_copy(f->s, f->inbox, r, 1, 55555, true, &src, &dst, &n, &uv),
	                 STORE_ERR_NOTFOUND);
	assert_null(src);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
}

static void test_status_recent(void **state)
{
	struct fx *f = *state;
	struct store_status st;
	uint32_t recent;

	deliver(f->s, f->inbox, STORE_FLAG_SEEN, NULL);
	deliver(f->s, f->inbox, STORE_FLAG_DELETED, NULL);
	deliver(f->s, f->inbox, 0, NULL);
	st = status(f->s, f->inbox);
	assert_int_equal(st.messages, 3);
	assert_int_equal(st.unseen, 2);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.recent, 3);
	assert_int_equal(st.uidnext, 4);
	assert_int_equal(st.size, 3 * (sizeof(test_body) - 1));

	/* The first read-write SELECT takes \Recent; the next one sees none. */
	assert_int_equal(store_mailbox_take_recent(f->s, f->inbox, &recent), STORE_OK);
	assert_int_equal(recent, 1);
	assert_int_equal(status(f->s, f->inbox).recent, 0);
	deliver(f->s, f->inbox, 0, NULL);
	assert_int_equal(status(f->s, f->inbox).recent, 1);
	assert_int_equal(store_mailbox_take_recent(f->s, f->inbox, &recent), STORE_OK);
	assert_int_equal(recent, 4);
	assert_int_equal(store_mailbox_take_recent(f->s, f->inbox, &recent), STORE_OK);
	assert_int_equal(recent, 5);
	assert_int_equal(store_mailbox_take_recent(f->s, 4444, &recent), STORE_ERR_NOTFOUND);
	assert_int_equal(store_mailbox_status(f->s, 4444, &st), STORE_ERR_NOTFOUND);

	st = status(f->s, box_id(f->s, f->user, "Junk"));
	assert_int_equal(st.messages + st.unseen + st.recent + st.size, 0);
}

/* --- notify --- */

static uint64_t notified[64];
static size_t n_notified;

static void record_notify(uint64_t mailbox_id, void *ctx)
{
	assert_ptr_equal(ctx, &n_notified);
	if (n_notified < N_ELEMENTS(notified))
		notified[n_notified++] = mailbox_id;
}

static void test_notify(void **state)
{
	struct fx *f = *state;
	uint64_t trash = box_id(f->s, f->user, "Trash");
	struct store_new_message m = test_msg();
	struct store_new_entry t[2] = {{.mailbox_id = f->inbox}, {.mailbox_id = 99999}};
	struct store_uid_range all = {1, UINT32_MAX};
	uint32_t uids[2], *src, *dst, uv;
	size_t n;

	store_set_notify(record_notify, &n_notified);
	n_notified = 0;
	deliver(f->s, f->inbox, 0, NULL);
	assert_int_equal(n_notified, 1);
	assert_int_equal(notified[0], f->inbox);

	/* A failed delivery rolls back and announces nothing. */
	assert_int_equal(store_deliver(f->s, &m, t, 2, uids), STORE_ERR_NOTFOUND);
	assert_int_equal(n_notified, 1);
	assert_int_equal(status(f->s, f->inbox).messages, 1);
	assert_int_equal(status(f->s, f->inbox).uidnext, 2);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 1);

	/* A flag change that changes nothing commits nothing to announce. */
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_REMOVE, STORE_FLAG_SEEN, NULL,
	                           0, NULL, NULL),
	                 STORE_OK);
	assert_int_equal(n_notified, 1);
	assert_int_equal(set_flags(f->s, f->inbox, 1, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0,
	                           NULL, NULL),
	                 STORE_OK);
	assert_int_equal(n_notified, 2);

	/* A move announces both mailboxes. */
	assert_int_equal(store_copy(f->s, f->inbox, &all, 1, trash, true, &src, &dst, &n, &uv),
	                 STORE_OK);
	free(src);
	free(dst);
	assert_int_equal(n_notified, 4);
	assert_true((notified[2] == trash && notified[3] == f->inbox) ||
	            (notified[2] == f->inbox && notified[3] == trash));
	store_set_notify(NULL, NULL);
}

/* --- POP3: sizes and removal --- */

static uint32_t deliver_data(struct store *s, uint64_t box, unsigned flags, const char *data)
{
	struct store_new_message m = test_msg();
	struct store_new_entry t = {.mailbox_id = box, .flags = flags};
	uint32_t uid = 0;

	m.data = data;
	m.size = strlen(data);
	assert_int_equal(store_deliver(s, &m, &t, 1, &uid), STORE_OK);
	return uid;
}

static uint64_t message_of(struct store *s, uint64_t box, uint32_t uid)
{
	struct store_message_meta m;
	uint64_t id;

	assert_int_equal(store_message_meta(s, box, uid, &m), STORE_OK);
	id = m.message_id;
	store_message_meta_deinit(&m);
	return id;
}

/* store_remove of the ranges r of box: how many entries went, their UIDs copied to out. */
static size_t remove_uids(struct store *s, uint64_t box, const struct store_uid_range *r,
                          size_t n_r, uint32_t *out, size_t out_max)
{
	uint32_t *gone;
	size_t n;

	assert_int_equal(store_remove(s, box, r, n_r, &gone, &n), STORE_OK);
	assert_true(n <= out_max);
	if (n > 0)
		memcpy(out, gone, n * sizeof(*gone));
	free(gone);
	return n;
}

static void test_entry_sizes(void **state)
{
	static const char *const bodies[] = {
	        "Subject: a\r\n\r\nA\r\n",
	        "Subject: bb\r\n\r\nBBBB\r\n",
	        "Subject: ccc\r\n\r\nCCCCCCCCCCCC\r\n",
	};
	struct fx *f = *state;
	uint64_t arch = box_id(f->s, f->user, "Archive"), trash = box_id(f->s, f->user, "Trash");
	struct store_entry_size *e;
	uint32_t *src, *dst, uv, gone[1];
	size_t n;

	/*
	 * Archive UIDs 1..3 hold bodies[0..2]; copied to INBOX last first, INBOX's
	 * UIDs run against the message ids: the list must still come by UID.
	 */
	for (size_t i = 0; i < N_ELEMENTS(bodies); i++)
		deliver_data(f->s, arch, 0, bodies[i]);
	for (uint32_t uid = 3; uid >= 1; uid--) {
		struct store_uid_range r = {uid, uid};

		assert_int_equal(
		        store_copy(f->s, arch, &r, 1, f->inbox, false, &src, &dst, &n, &uv),
		        STORE_OK);
		free(src);
		free(dst);
	}
	assert_int_equal(store_entry_sizes(f->s, f->inbox, &e, &n), STORE_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].uid, i + 1);
		assert_int_equal(e[i].size, strlen(bodies[2 - i]));
		assert_int_equal(e[i].message_id, message_of(f->s, arch, (uint32_t)(3 - i)));
	}
	assert_true(e[0].message_id > e[2].message_id);
	free(e);

	/* After a removal: the gap shows, the order holds. */
	assert_int_equal(remove_uids(f->s, f->inbox, &(struct store_uid_range){2, 2}, 1, gone, 1),
	                 1);
	assert_int_equal(store_entry_sizes(f->s, f->inbox, &e, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].uid, 1);
	assert_int_equal(e[1].uid, 3);
	assert_int_equal(e[1].size, strlen(bodies[0]));
	free(e);

	/* An empty mailbox: OK and nothing; an unknown one: NOTFOUND, as store_entries. */
	assert_int_equal(store_entry_sizes(f->s, trash, &e, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(e);
	assert_int_equal(store_entry_sizes(f->s, 31337, &e, &n), STORE_ERR_NOTFOUND);
	assert_int_equal(n, 0);
	assert_null(e);
}

static void test_remove(void **state)
{
	struct fx *f = *state;
	struct store_uid_range r[3] = {{1, 1}, {3, 3}, {5, 9}};
	struct store_changes ch;
	uint32_t gone[8], *exp;
	uint64_t base;
	size_t n;
	char kw[64];

	for (int i = 0; i < 5; i++)
		deliver(f->s, f->inbox, i == 3 ? STORE_FLAG_DELETED : STORE_FLAG_SEEN, NULL);
	base = status(f->s, f->inbox).highestmodseq;
	store_set_notify(record_notify, &n_notified);
	n_notified = 0;

	/* Without \Deleted, and one call's worth of modseq, log and hook. */
	assert_int_equal(remove_uids(f->s, f->inbox, &r[1], 1, gone, 8), 1);
	assert_int_equal(gone[0], 3);
	assert_int_equal(status(f->s, f->inbox).highestmodseq, base + 1);
	assert_int_equal(n_notified, 1);
	assert_int_equal(notified[0], f->inbox);

	/* UID 3 is gone already and 6..9 never were: skipped; 2 and 4 stay. */
	assert_int_equal(remove_uids(f->s, f->inbox, r, 3, gone, 8), 2);
	assert_int_equal(gone[0], 1);
	assert_int_equal(gone[1], 5);
	assert_int_equal(status(f->s, f->inbox).highestmodseq, base + 2);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
	assert_int_equal(entry(f->s, f->inbox, 2, kw, sizeof(kw)).flags, STORE_FLAG_SEEN);
	assert_int_equal(entry(f->s, f->inbox, 4, kw, sizeof(kw)).flags, STORE_FLAG_DELETED);
	assert_int_equal(n_notified, 2);

	/* The expunge log has them (RFC 7162 VANISHED), each with its call's modseq. */
	assert_int_equal(store_changes_since(f->s, f->inbox, base, &ch), STORE_OK);
	assert_int_equal(ch.n_expunged, 3);
	assert_int_equal(ch.expunged[0], 1);
	assert_int_equal(ch.expunged[1], 3);
	assert_int_equal(ch.expunged[2], 5);
	assert_int_equal(ch.n_changed, 0);
	store_changes_deinit(&ch);
	assert_int_equal(store_changes_since(f->s, f->inbox, base + 1, &ch), STORE_OK);
	assert_int_equal(ch.n_expunged, 2);
	store_changes_deinit(&ch);

	/* Nothing left in the set, or an empty set: no change, no modseq, no hook. */
	assert_int_equal(remove_uids(f->s, f->inbox, r, 3, gone, 8), 0);
	assert_int_equal(store_remove(f->s, f->inbox, NULL, 0, &exp, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(exp);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
	assert_int_equal(status(f->s, f->inbox).highestmodseq, base + 2);
	assert_int_equal(n_notified, 2);
	store_set_notify(NULL, NULL);

	/* Bad sets and an unknown mailbox fail without touching anything. */
	r[0] = (struct store_uid_range){4, 2};
	assert_int_equal(store_remove(f->s, f->inbox, r, 1, &exp, &n), STORE_ERR_INVALID);
	r[0] = (struct store_uid_range){1, 4};
	assert_int_equal(store_remove(f->s, f->inbox, r, 2, &exp, &n), STORE_ERR_INVALID);
	assert_int_equal(store_remove(f->s, f->inbox, NULL, 1, &exp, &n), STORE_ERR_INVALID);
	assert_null(exp);
	assert_int_equal(store_remove(f->s, 31337, r, 1, &exp, &n), STORE_ERR_NOTFOUND);
	assert_null(exp);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
}

static void test_remove_shared(void **state)
{
	struct fx *f = *state;
	uint64_t arch = box_id(f->s, f->user, "Archive");
	struct store_uid_range one = {1, 1};
	uint32_t gone[1], *src, *dst, uv;
	uint64_t id;
	char *data;
	size_t n, size;

	deliver(f->s, f->inbox, 0, NULL);
	assert_int_equal(store_copy(f->s, f->inbox, &one, 1, arch, false, &src, &dst, &n, &uv),
	                 STORE_OK);
	free(src);
	free(dst);
	id = message_of(f->s, f->inbox, 1);

	/* The copy in Archive keeps the stored message and its bytes. */
	assert_int_equal(remove_uids(f->s, f->inbox, &one, 1, gone, 1), 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(store_message_data(f->s, id, &data, &size), STORE_OK);
	assert_int_equal(size, sizeof(test_body) - 1);
	assert_memory_equal(data, test_body, size);
	free(data);

	/* Its last entry takes the message and its bytes along. */
	assert_int_equal(remove_uids(f->s, arch, &one, 1, gone, 1), 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM blobs"), 0);
	assert_int_equal(store_message_data(f->s, id, &data, &size), STORE_ERR_NOTFOUND);
}

/* --- identity across time and connections --- */

static void test_uidvalidity_not_reused(void **state)
{
	struct fx *f = *state;
	struct store_mailbox a, b;

	assert_int_equal(store_mailbox_create(f->s, f->user, "x", 0), STORE_OK);
	assert_int_equal(store_mailbox_get(f->s, f->user, "x", &a), STORE_OK);
	assert_int_equal(store_mailbox_delete(f->s, f->user, "x"), STORE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "x", 0), STORE_OK);
	assert_int_equal(store_mailbox_get(f->s, f->user, "x", &b), STORE_OK);
	assert_true(b.uidvalidity > a.uidvalidity);
	assert_true(b.id != a.id); /* ids are never reused either */
	assert_true(a.uidvalidity >= (uint32_t)time(NULL) - 60);
	store_mailbox_deinit(&a);
	store_mailbox_deinit(&b);
}

static void test_two_connections(void **state)
{
	struct fx *f = *state;
	struct store *s2 = fx_open(f);
	struct store_changes ch;
	uint64_t hms = status(s2, f->inbox).highestmodseq;

	deliver(f->s, f->inbox, 0, NULL);
	assert_int_equal(status(s2, f->inbox).messages, 1);
	assert_int_equal(set_flags(s2, f->inbox, 1, 1, STORE_FLAGS_ADD, STORE_FLAG_SEEN, NULL, 0,
	                           NULL, NULL),
	                 STORE_OK);
	assert_int_equal(store_changes_since(f->s, f->inbox, hms, &ch), STORE_OK);
	assert_int_equal(ch.n_changed, 1);
	assert_int_equal(ch.changed[0].flags, STORE_FLAG_SEEN);
	assert_int_equal(ch.highestmodseq, hms + 2);
	store_changes_deinit(&ch);
	assert_int_equal(store_mailbox_create(s2, f->user, "from-s2", 0), STORE_OK);
	box_id(f->s, f->user, "from-s2");
	store_close(&s2);
	assert_null(s2);
}

#define WRITER_MESSAGES 40

struct writer {
	struct fx *f;
	uint32_t uids[WRITER_MESSAGES];
	int failures;
};

/* Runs on its own thread with its own connection; asserts stay on the main thread. */
static void *writer_run(void *arg)
{
	struct writer *w = arg;
	struct store_new_message m = test_msg();
	struct store_new_entry t = {.mailbox_id = w->f->inbox};
	const char *error;
	struct store *s = store_open(w->f->dir, &error);

	if (s == NULL) {
		w->failures = WRITER_MESSAGES;
		return NULL;
	}
	for (int i = 0; i < WRITER_MESSAGES; i++) {
		if (store_deliver(s, &m, &t, 1, &w->uids[i]) != STORE_OK)
			w->failures++;
	}
	store_close(&s);
	return NULL;
}

/* Writers at once: more than one waits while another one's group sync runs. */
#define WRITERS 4

static void test_concurrent_writers(void **state)
{
	struct fx *f = *state;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	struct timespec t0, t1;
	struct store_entry *e;
	size_t n;
	double ms;

	memset(w, 0, sizeof(w));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < WRITERS; i++) {
		w[i].f = f;
		assert_int_equal(pthread_create(&th[i], NULL, writer_run, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("store_deliver: %d durable deliveries in %.1f ms\n",
	              WRITERS * WRITER_MESSAGES, ms);
	/* Every UID handed out once, each writer's ascending, UIDNEXT right after. */
	for (int k = 0; k < WRITERS; k++) {
		assert_int_equal(w[k].failures, 0);
		for (int i = 1; i < WRITER_MESSAGES; i++)
			assert_true(w[k].uids[i] > w[k].uids[i - 1]);
	}
	assert_int_equal(store_entries(f->s, f->inbox, &e, &n), STORE_OK);
	assert_int_equal(n, WRITERS * WRITER_MESSAGES);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(e[i].uid, i + 1);
		assert_int_equal(e[i].modseq, e[0].modseq + i);
	}
	store_entries_free(&e, n);
	assert_int_equal(status(f->s, f->inbox).uidnext, WRITERS * WRITER_MESSAGES + 1);
}

static void test_busy_is_temp(void **state)
{
	struct fx *f = *state;
	char path[128];
	sqlite3 *db;
	time_t start = time(NULL);

	/* Another process holds the write lock longer than the busy timeout. */
	snprintf(path, sizeof(path), "%s/tresor.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_mailbox_create(f->s, f->user, "blocked", 0), STORE_ERR_TEMP);
	assert_true(time(NULL) - start >= 9);
	assert_non_null(strstr(store_last_error(f->s), "locked"));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* The connection is still usable. */
	assert_int_equal(store_mailbox_create(f->s, f->user, "blocked", 0), STORE_OK);
}

static void test_reopen(void **state)
{
	struct fx *f = *state;
	struct store_user u;
	struct stat sb;
	char path[128];

	deliver(f->s, f->inbox, STORE_FLAG_SEEN, "kw");
	assert_int_equal(store_mailbox_create(f->s, f->user, "keep/me", 0), STORE_OK);
	store_close(&f->s);
	store_close(&f->s); /* NULL is accepted */

	f->s = fx_open(f);
	assert_int_equal(store_user_lookup(f->s, "alice@example.org", &u), STORE_OK);
	assert_int_equal(u.id, f->user);
	store_user_deinit(&u);
	assert_int_equal(status(f->s, f->inbox).messages, 1);
	assert_int_equal(status(f->s, f->inbox).unseen, 0);
	box_id(f->s, f->user, "keep/me");
	assert_int_equal(sql_count(f, "PRAGMA user_version"), 3);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM pragma_journal_mode"
	                              " WHERE journal_mode = 'wal'"),
	                 1);

	assert_int_equal(stat(f->dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/tresor.db", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0077, 0);
}

static void test_open_failure(void **state)
{
	const char *error = NULL;

	(void)state;
	assert_null(store_open("/proc/definitely/not/here", &error));
	assert_non_null(error);
	assert_null(store_open("", &error));
}

/* Many entries come back quickly, in UID order. */
static void test_entries_large(void **state)
{
	struct fx *f = *state;
	struct store_entry *e;
	struct store_entry_size *sz;
	struct timespec t0, t1;
	char path[128], *sql;
	sqlite3 *db;
	uint32_t uid;
	size_t n;
	double ms;

	uid = deliver(f->s, f->inbox, 0, NULL);
	snprintf(path, sizeof(path), "%s/tresor.db", f->dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sql = xasprintf("WITH RECURSIVE c(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM c"
	                " WHERE i < 100000) INSERT INTO entries SELECT %llu, i,"
	                " (SELECT message FROM entries WHERE mailbox = %llu AND uid = %u),"
	                " i %% 32, CASE WHEN i %% 10 = 0 THEN 'k' END, 1 FROM c;"
	                "UPDATE mailboxes SET uidnext = 100001 WHERE id = %llu;",
	                (unsigned long long)f->inbox, (unsigned long long)f->inbox, uid,
	                (unsigned long long)f->inbox);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	free(sql);
	sqlite3_close(db);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_entries(f->s, f->inbox, &e, &n), STORE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_int_equal(n, 100000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e[i].uid, i + 1);
	assert_string_equal(e[9].keywords, "k");
	store_entries_free(&e, n);
	print_message("store_entries: 100000 entries in %.1f ms\n", ms);
	assert_true(ms < 2000);

	/* The POP3 listing of the same mailbox: one statement, in UID order. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(store_entry_sizes(f->s, f->inbox, &sz, &n), STORE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_int_equal(n, 100000);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(sz[i].uid, i + 1);
		assert_int_equal(sz[i].size, sizeof(test_body) - 1);
	}
	free(sz);
	print_message("store_entry_sizes: 100000 entries in %.1f ms\n", ms);
	assert_true(ms < 2000);
	assert_int_equal(status(f->s, f->inbox).messages, 100000);
}

/* --- aliases --- */

/* The targets of alias as one comma-separated string ("" when none). */
static char *alias_targets(struct store *s, const char *alias)
{
	char **v, *out = xstrdup("");
	size_t n;

	assert_int_equal(store_alias_targets(s, alias, &v, &n), STORE_OK);
	for (size_t i = 0; i < n; i++) {
		char *next = xasprintf("%s%s%s", out, i > 0 ? "," : "", v[i]);

		free(out);
		out = next;
	}
	str_list_free(&v, n);
	return out;
}

static void assert_targets(struct store *s, const char *alias, const char *want)
{
	char *got = alias_targets(s, alias);

	assert_string_equal(got, want);
	free(got);
}

static void test_alias_add_del(void **state)
{
	struct fx *f = *state;
	char **aliases, **targets;
	size_t n;

	assert_int_equal(store_user_add(f->s, "bob@example.org", "h"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "Info@Example.ORG", "ALICE@example.org"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "info@example.org", "bob@example.org"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "INFO@example.org", "alice@example.org"),
	                 STORE_ERR_EXISTS);
	assert_targets(f->s, "iNfO@EXAMPLE.org", "alice@example.org,bob@example.org");

	/* The target must be an account; the domain must be hosted. */
	assert_int_equal(store_alias_add(f->s, "x@example.org", "nobody@example.org"),
	                 STORE_ERR_NOTFOUND);
	assert_int_equal(store_alias_add(f->s, "x@elsewhere.example", "alice@example.org"),
	                 STORE_ERR_NOTFOUND);
	assert_int_equal(store_alias_add(f->s, "@elsewhere.example", "alice@example.org"),
	                 STORE_ERR_NOTFOUND);
	/* An address is an account or an alias, never both, whichever came first. */
	assert_int_equal(store_alias_add(f->s, "Alice@Example.org", "bob@example.org"),
	                 STORE_ERR_EXISTS);
	assert_int_equal(store_user_add(f->s, "INFO@example.org", "h"), STORE_ERR_EXISTS);
	assert_targets(f->s, "x@example.org", "");

	/* The catch-all of a domain. */
	assert_int_equal(store_alias_add(f->s, "@Example.ORG", "bob@example.org"), STORE_OK);
	assert_targets(f->s, "@example.org", "bob@example.org");
	assert_targets(f->s, "anything@example.org", "");

	assert_int_equal(store_alias_list(f->s, &aliases, &targets, &n), STORE_OK);
	assert_int_equal(n, 3);
	assert_string_equal(aliases[0], "@example.org");
	assert_string_equal(targets[0], "bob@example.org");
	assert_string_equal(aliases[1], "info@example.org");
	assert_string_equal(targets[1], "alice@example.org");
	assert_string_equal(aliases[2], "info@example.org");
	assert_string_equal(targets[2], "bob@example.org");
	str_list_free(&aliases, n);
	str_list_free(&targets, n);

	/* One pair, then every target. */
	assert_int_equal(store_alias_del(f->s, "info@example.org", "Bob@example.org"), STORE_OK);
	assert_int_equal(store_alias_del(f->s, "info@example.org", "bob@example.org"),
	                 STORE_ERR_NOTFOUND);
	assert_int_equal(store_alias_del(f->s, "info@example.org", "nobody@example.org"),
	                 STORE_ERR_NOTFOUND);
	assert_targets(f->s, "info@example.org", "alice@example.org");
	assert_int_equal(store_alias_add(f->s, "info@example.org", "bob@example.org"), STORE_OK);
	assert_int_equal(store_alias_del(f->s, "INFO@example.org", NULL), STORE_OK);
	assert_targets(f->s, "info@example.org", "");
	assert_int_equal(store_alias_del(f->s, "info@example.org", NULL), STORE_ERR_NOTFOUND);
	assert_int_equal(store_alias_del(f->s, "@example.org", NULL), STORE_OK);
	assert_int_equal(store_alias_list(f->s, &aliases, &targets, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(aliases);
	assert_null(targets);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM aliases"), 0);
	/* Now free again: the address can become an account. */
	assert_int_equal(store_user_add(f->s, "info@example.org", "h"), STORE_OK);
}

static void test_alias_invalid(void **state)
{
	static const char *const bad[] = {"",
	                                  "no-at-sign",
	                                  "@",
	                                  "a@",
	                                  "a b@example.org",
	                                  "a@b@",
	                                  "@.example.org",
	                                  "tab\t@example.org"};
	struct fx *f = *state;
	char longer[STORE_ADDRESS_MAX + 2];

	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		assert_int_equal(store_alias_add(f->s, bad[i], "alice@example.org"),
		                 STORE_ERR_INVALID);
		assert_int_equal(store_alias_add(f->s, "ok@example.org", bad[i]),
		                 STORE_ERR_INVALID);
		assert_int_equal(store_alias_del(f->s, bad[i], NULL), STORE_ERR_NOTFOUND);
		assert_targets(f->s, bad[i], "");
	}
	/* A catch-all's domain is a domain name: no '@' in it. */
	assert_int_equal(store_alias_add(f->s, "@@example.org", "alice@example.org"),
	                 STORE_ERR_INVALID);
	assert_int_equal(store_alias_add(f->s, NULL, "alice@example.org"), STORE_ERR_INVALID);
	assert_int_equal(store_alias_add(f->s, "ok@example.org", NULL), STORE_ERR_INVALID);
	/* A catch-all is no target. */
	assert_int_equal(store_alias_add(f->s, "ok@example.org", "@example.org"),
	                 STORE_ERR_INVALID);
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer + sizeof(longer) - 1 - strlen("@example.org"), "@example.org",
	       strlen("@example.org"));
	assert_int_equal(strlen(longer), STORE_ADDRESS_MAX + 1);
	assert_int_equal(store_alias_add(f->s, longer, "alice@example.org"), STORE_ERR_INVALID);
	/* One byte shorter fits. */
	assert_int_equal(store_alias_add(f->s, longer + 1, "alice@example.org"), STORE_OK);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM aliases"), 1);
}

static void test_alias_cascades(void **state)
{
	struct fx *f = *state;

	assert_int_equal(store_user_add(f->s, "bob@example.org", "h"), STORE_OK);
	assert_int_equal(store_domain_add(f->s, "lists.example"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "team@example.org", "alice@example.org"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "team@example.org", "bob@example.org"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "@example.org", "alice@example.org"), STORE_OK);
	assert_int_equal(store_alias_add(f->s, "all@lists.example", "bob@example.org"), STORE_OK);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM aliases"), 4);

	/* Deleting an account removes it from every alias, and nothing else. */
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_OK);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM aliases"), 2);
	assert_targets(f->s, "team@example.org", "bob@example.org");
	assert_targets(f->s, "@example.org", "");

	/* A domain without accounts can go; its aliases go with it. */
	assert_int_equal(store_domain_del(f->s, "lists.example"), STORE_OK);
	assert_targets(f->s, "all@lists.example", "");
	assert_int_equal(sql_count(f, "SELECT count(*) FROM aliases"), 1);
}

/* --- outbound queue --- */

static struct store_queue_rcpt test_rcpts[] = {
        {.address = "Carol.X@Remote.EXAMPLE",
         .notify = "SUCCESS,FAILURE",
         .orcpt = "rfc822;Carol.X@remote.example"},
        {.address = "dave@remote.example"},
};

static struct store_queue_new test_queue(void)
{
	return (struct store_queue_new){
	        .sender = "Alice@Example.ORG",
	        .user = "ALICE@example.org",
	        .ret = "hdrs",
	        .envid = "QQ314159+2B",
	        .rcpts = test_rcpts,
	        .n_rcpts = N_ELEMENTS(test_rcpts),
	};
}

/* Queues the test message for nobody local; returns its id. */
static uint64_t enqueue(struct store *s, const struct store_queue_new *qn)
{
	struct store_new_message m = test_msg();
	uint64_t id = 0;

	assert_int_equal(store_deliver_queue(s, &m, NULL, 0, NULL, qn, &id), STORE_OK);
	assert_true(id > 0);
	return id;
}

static void test_deliver_queue(void **state)
{
	struct fx *f = *state;
	struct store_new_message m = test_msg();
	struct store_new_entry t = {.mailbox_id = f->inbox, .flags = STORE_FLAG_SEEN};
	struct store_queue_new qn = test_queue();
	struct store_queue_item it;
	time_t before = time(NULL);
	uint64_t id = 0;
	uint32_t uid = 0;
	size_t size;
	char *data;

	/* A local copy and a queued one, in one call. */
	assert_int_equal(store_deliver_queue(f->s, &m, &t, 1, &uid, &qn, &id), STORE_OK);
	assert_int_equal(uid, 1);
	assert_true(id > 0);
	assert_int_equal(status(f->s, f->inbox).messages, 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 1);

	assert_int_equal(store_queue_get(f->s, id, &it, &data, &size), STORE_OK);
	assert_int_equal(it.id, id);
	assert_true(it.created >= before && it.created <= time(NULL));
	/* RFC 5321 2.4: local parts keep their case, domains are lowercased. */
	assert_string_equal(it.sender, "Alice@example.org");
	assert_string_equal(it.user, "alice@example.org");
	assert_string_equal(it.ret, "HDRS");
	assert_string_equal(it.envid, "QQ314159+2B");
	assert_int_equal(it.size, sizeof(test_body) - 1);
	assert_int_equal(it.attempts, 0);
	assert_int_equal(it.n_rcpts, 2);
	assert_string_equal(it.rcpts[0].address, "Carol.X@remote.example");
	assert_string_equal(it.rcpts[0].notify, "SUCCESS,FAILURE");
	assert_string_equal(it.rcpts[0].orcpt, "rfc822;Carol.X@remote.example");
	assert_string_equal(it.rcpts[1].address, "dave@remote.example");
	assert_null(it.rcpts[1].notify);
	assert_null(it.rcpts[1].orcpt);
	assert_int_equal(size, sizeof(test_body) - 1);
	assert_memory_equal(data, test_body, size);
	assert_int_equal(data[size], '\0');
	free(data);
	store_queue_item_deinit(&it);
	assert_null(it.rcpts);
	store_queue_item_deinit(NULL);

	/* Queued only: no local message is stored. */
	qn.ret = NULL;
	qn.envid = NULL;
	qn.sender = "";
	id = enqueue(f->s, &qn);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 2);
	assert_int_equal(store_queue_get(f->s, id, &it, NULL, NULL), STORE_OK);
	assert_string_equal(it.sender, "");
	assert_null(it.ret);
	assert_null(it.envid);
	store_queue_item_deinit(&it);

	/* Neither local targets nor a queue: nothing to do. */
	assert_int_equal(store_deliver_queue(f->s, &m, NULL, 0, NULL, NULL, &id),
	                 STORE_ERR_INVALID);
	assert_int_equal(id, 0);
}

/* Either everything is stored or nothing is (one transaction). */
static void test_deliver_queue_atomic(void **state)
{
	struct fx *f = *state;
	struct store_new_message m = test_msg();
	struct store_new_entry t[2] = {{.mailbox_id = f->inbox}, {.mailbox_id = 999999}};
	struct store_queue_new qn = test_queue();
	struct store_queue_rcpt bad = {.address = "no-at-sign"};
	uint64_t id = 77;
	uint32_t uids[2];

	/* A local target fails: the queue row is not kept. */
	assert_int_equal(store_deliver_queue(f->s, &m, t, 2, uids, &qn, &id), STORE_ERR_NOTFOUND);
	assert_int_equal(id, 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue_rcpts"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 0);

	/* The queue part fails after the local entries were written: they are undone. */
	sql_exec(f, "CREATE TRIGGER queue_fail BEFORE INSERT ON queue_rcpts"
	            " WHEN NEW.idx = 1 BEGIN SELECT RAISE(ABORT, 'refused by test'); END;");
	assert_true(store_deliver_queue(f->s, &m, t, 1, uids, &qn, &id) < 0);
	assert_int_equal(id, 0);
	assert_int_equal(status(f->s, f->inbox).messages, 0);
	assert_int_equal(status(f->s, f->inbox).uidnext, 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM messages"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 0);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue_rcpts"), 0);
	sql_exec(f, "DROP TRIGGER queue_fail");

	/* A bad queue item is refused before anything is written. */
	qn.rcpts = &bad;
	qn.n_rcpts = 1;
	assert_int_equal(store_deliver_queue(f->s, &m, t, 1, uids, &qn, &id), STORE_ERR_INVALID);
	assert_int_equal(status(f->s, f->inbox).messages, 0);

	/* The same call without the failures stores both. */
	qn = test_queue();
	assert_int_equal(store_deliver_queue(f->s, &m, t, 1, uids, &qn, &id), STORE_OK);
	assert_int_equal(uids[0], 1);
	assert_int_equal(status(f->s, f->inbox).messages, 1);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue_rcpts"), 2);
}

static void test_queue_limits(void **state)
{
	struct fx *f = *state;
	struct store_new_message m = test_msg();
	struct store_queue_new qn = test_queue();
	struct store_queue_rcpt *many, r = {.address = "x@remote.example"};
	char param[STORE_DSN_PARAM_MAX + 2], addr[STORE_ADDRESS_MAX + 2];
	uint64_t id;

#define REFUSED(field, value)                                                                      \
	do {                                                                                       \
		qn = test_queue();                                                                 \
		field = value;                                                                     \
		assert_int_equal(store_deliver_queue(f->s, &m, NULL, 0, NULL, &qn, &id),           \
		                 STORE_ERR_INVALID);                                               \
	} while (0)
	REFUSED(qn.sender, NULL);
	REFUSED(qn.sender, "no-at-sign");
	REFUSED(qn.user, NULL);
	REFUSED(qn.user, "alice");
	REFUSED(qn.ret, "SOME");
	REFUSED(qn.envid, "");
	REFUSED(qn.envid, "has space");
	REFUSED(qn.n_rcpts, 0);
	REFUSED(qn.rcpts, NULL);
	memset(param, 'p', sizeof(param) - 1);
	param[sizeof(param) - 1] = '\0';
	REFUSED(qn.envid, param);
	r.notify = param;
	REFUSED(qn.rcpts, &r);
	r.notify = NULL;
	r.orcpt = param;
	REFUSED(qn.rcpts, &r);
	r.orcpt = NULL;
	memset(addr, 'a', sizeof(addr) - 1);
	addr[sizeof(addr) - 1] = '\0';
	memcpy(addr + sizeof(addr) - 1 - strlen("@r.example"), "@r.example", strlen("@r.example"));
	r.address = addr;
	REFUSED(qn.rcpts, &r);
#undef REFUSED
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 0);

	/* At the limits: accepted. */
	param[STORE_DSN_PARAM_MAX] = '\0';
	addr[0] = '\0';
	r.address = addr + 1;
	r.orcpt = param;
	qn = test_queue();
	qn.envid = param;
	qn.rcpts = &r;
	qn.n_rcpts = 1;
	enqueue(f->s, &qn);

	many = xcalloc(STORE_QUEUE_RCPTS_MAX + 1, sizeof(*many));
	for (size_t i = 0; i <= STORE_QUEUE_RCPTS_MAX; i++)
		many[i].address = "x@remote.example";
	qn = test_queue();
	qn.rcpts = many;
	qn.n_rcpts = STORE_QUEUE_RCPTS_MAX + 1;
	assert_int_equal(store_deliver_queue(f->s, &m, NULL, 0, NULL, &qn, &id), STORE_ERR_INVALID);
	qn.n_rcpts = STORE_QUEUE_RCPTS_MAX;
	enqueue(f->s, &qn);
	free(many);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 2);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue_rcpts"),
	                 1 + STORE_QUEUE_RCPTS_MAX);
}

static void test_queue_list_get_delete(void **state)
{
	struct fx *f = *state;
	struct store_queue_new qn = test_queue();
	struct store_queue_item *items, it;
	uint64_t a, b, c;
	size_t n, size = 9;
	char *data = (char *)"x";

	assert_int_equal(store_queue_list(f->s, &items, &n), STORE_OK);
	assert_int_equal(n, 0);
	assert_null(items);

	a = enqueue(f->s, &qn);
	qn.n_rcpts = 1;
	qn.sender = "bob@example.org";
	b = enqueue(f->s, &qn);
	assert_true(b > a);

	assert_int_equal(store_queue_list(f->s, &items, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_int_equal(items[0].id, a);
	assert_int_equal(items[0].n_rcpts, 2);
	assert_null(items[0].rcpts);
	assert_string_equal(items[0].sender, "Alice@example.org");
	assert_int_equal(items[1].id, b);
	assert_int_equal(items[1].n_rcpts, 1);
	assert_string_equal(items[1].sender, "bob@example.org");
	assert_int_equal(items[1].size, sizeof(test_body) - 1);
	store_queue_items_free(&items, n);
	assert_null(items);

	/* A missing id: NOTFOUND, and the outputs are empty. */
	assert_int_equal(store_queue_get(f->s, 424242, &it, &data, &size), STORE_ERR_NOTFOUND);
	assert_null(data);
	assert_int_equal(size, 0);
	assert_null(it.sender);
	assert_int_equal(it.n_rcpts, 0);
	assert_int_equal(store_queue_delete(f->s, 424242), STORE_ERR_NOTFOUND);

	/* Deleting takes the recipients along; ids are not reused. */
	assert_int_equal(store_queue_delete(f->s, b), STORE_OK);
	assert_int_equal(store_queue_delete(f->s, b), STORE_ERR_NOTFOUND);
	assert_int_equal(store_queue_get(f->s, b, &it, NULL, NULL), STORE_ERR_NOTFOUND);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue_rcpts"), 2);
	c = enqueue(f->s, &qn);
	assert_true(c > b);
	assert_int_equal(store_queue_delete(f->s, a), STORE_OK);
	assert_int_equal(store_queue_list(f->s, &items, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].id, c);
	store_queue_items_free(&items, n);
	store_queue_items_free(&items, 0); /* NULL is accepted */

	/* Queued mail stays when its account goes: it is on its way out. */
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_OK);
	assert_int_equal(store_queue_get(f->s, c, &it, NULL, NULL), STORE_OK);
	assert_string_equal(it.user, "alice@example.org");
	store_queue_item_deinit(&it);
}

/* A database made by schema 1 (no aliases, no queue) is upgraded on open. */
static void test_schema_upgrade_from_1(void **state)
{
	struct fx *f = *state;
	struct store_queue_new qn = test_queue();
	struct store_user u;

	deliver(f->s, f->inbox, STORE_FLAG_SEEN, NULL);
	store_close(&f->s);
	/* Versions 2 and 3 only added these tables and a column: without them the file is a
	 * version-1 database. */
	sql_exec(f, "DROP TABLE queue_rcpts; DROP TABLE queue; DROP TABLE aliases;"
	            " DROP TABLE keys; ALTER TABLE users DROP COLUMN protect_subject;"
	            " PRAGMA user_version = 1;");
	assert_int_equal(sql_count(f, "SELECT count(*) FROM sqlite_master"
	                              " WHERE name IN ('aliases', 'queue', 'queue_rcpts')"),
	                 0);

	f->s = fx_open(f);
	assert_int_equal(sql_count(f, "PRAGMA user_version"), 3);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM sqlite_master"
	                              " WHERE name IN ('aliases', 'queue', 'queue_rcpts', 'keys')"),
	                 4);
	assert_int_equal(store_user_lookup(f->s, "alice@example.org", &u), STORE_OK);
	assert_int_equal(u.id, f->user);
	store_user_deinit(&u);
	assert_int_equal(status(f->s, f->inbox).messages, 1);
	assert_int_equal(store_alias_add(f->s, "@example.org", "alice@example.org"), STORE_OK);
	enqueue(f->s, &qn);
	/* The cascades of the new tables work on the upgraded file. */
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_OK);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM aliases"), 0);

	/* A newer schema than this program knows is refused, not touched. */
	store_close(&f->s);
	sql_exec(f, "PRAGMA user_version = 4");
	{
		const char *error = NULL;

		assert_null(store_open(f->dir, &error));
		assert_non_null(strstr(error, "schema version 4"));
	}
	sql_exec(f, "PRAGMA user_version = 3");
	f->s = fx_open(f);
}

static void test_keys(void **state)
{
	struct fx *f = *state;
	struct store_key k = {.fingerprint = "0123ABCD",
	                      .created = 1700000000,
	                      .public_key = "pub\0lic",
	                      .public_len = 7,
	                      .secret_key = "sec",
	                      .secret_len = 3};
	struct store_key *keys = NULL;
	struct store_user u;
	size_t n = 0;

	assert_int_equal(store_user_lookup(f->s, "alice@example.org", &u), STORE_OK);
	assert_int_equal(u.n_keys, 0);
	assert_false(u.protect_subject);
	store_user_deinit(&u);
	assert_int_equal(store_key_add(f->s, f->user, &k), STORE_OK);
	assert_int_equal(store_key_add(f->s, f->user, &k), STORE_ERR_EXISTS);
	k.fingerprint = "lowercase";
	assert_int_equal(store_key_add(f->s, f->user, &k), STORE_ERR_INVALID);
	k.fingerprint = "FFFF";
	k.secret_key = NULL;
	assert_int_equal(store_key_add(f->s, f->user, &k), STORE_OK);
	assert_int_equal(store_key_add(f->s, 999999, &k), STORE_ERR_NOTFOUND);

	/* Oldest first; secrets only when asked for; binary data kept whole. */
	assert_int_equal(store_key_list(f->s, f->user, false, &keys, &n), STORE_OK);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0].fingerprint, "0123ABCD");
	assert_int_equal(keys[0].public_len, 7);
	assert_memory_equal(keys[0].public_key, "pub\0lic", 7);
	assert_null(keys[0].secret_key);
	assert_int_equal(keys[0].created, 1700000000);
	store_keys_free(&keys, n);
	assert_int_equal(store_key_list(f->s, f->user, true, &keys, &n), STORE_OK);
	assert_int_equal(keys[0].secret_len, 3);
	assert_memory_equal(keys[0].secret_key, "sec", 3);
	assert_null(keys[1].secret_key);
	store_keys_free(&keys, n);

	assert_int_equal(store_user_set_protect_subject(f->s, "Alice@Example.org", true), STORE_OK);
	assert_int_equal(store_user_set_protect_subject(f->s, "nobody@example.org", true),
	                 STORE_ERR_NOTFOUND);
	assert_int_equal(store_user_lookup(f->s, "alice@example.org", &u), STORE_OK);
	assert_int_equal(u.n_keys, 2);
	assert_true(u.protect_subject);
	store_user_deinit(&u);

	/* At most STORE_KEYS_MAX keys per account, counted in the store. */
	for (int i = 2; i < STORE_KEYS_MAX; i++) {
		char fpr[16];

		snprintf(fpr, sizeof(fpr), "AA%04d", i);
		k.fingerprint = fpr;
		assert_int_equal(store_key_add(f->s, f->user, &k), STORE_OK);
	}
	k.fingerprint = "BBBB";
	assert_int_equal(store_key_add(f->s, f->user, &k), STORE_ERR_INVALID);
	assert_non_null(strstr(store_last_error(f->s), "at most"));
	assert_int_equal(sql_count(f, "SELECT count(*) FROM keys"), STORE_KEYS_MAX);
	k.fingerprint = "FFFF";

	assert_int_equal(store_key_del(f->s, f->user, "0123ABCD"), STORE_OK);
	assert_int_equal(store_key_del(f->s, f->user, "0123ABCD"), STORE_ERR_NOTFOUND);
	assert_int_equal(store_key_del(f->s, f->user, NULL), STORE_OK);
	assert_int_equal(store_key_del(f->s, f->user, NULL), STORE_ERR_NOTFOUND);
	/* The keys go with their account. */
	assert_int_equal(store_key_add(f->s, f->user, &k), STORE_OK);
	assert_int_equal(store_user_del(f->s, "alice@example.org"), STORE_OK);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM keys"), 0);
}

/* Several messages and a queue item: one transaction, all or nothing. */
static void test_deliver_many(void **state)
{
	struct fx *f = *state;
	struct store_new_message a = test_msg(), b = test_msg();
	struct store_new_entry ta = {.mailbox_id = f->inbox}, tb = {.mailbox_id = f->inbox};
	struct store_new_entry bad = {.mailbox_id = 999999};
	struct store_queue_new qn = test_queue();
	uint32_t ua = 0, ub = 0;
	struct store_delivery d[2] = {{&a, &ta, 1, &ua}, {&b, &tb, 1, &ub}};
	char *data;
	size_t size;
	uint64_t qid = 0;

	b.data = "sealed form";
	b.size = strlen(b.data);
	b.sealed = true;
	assert_int_equal(store_deliver_many(f->s, d, 2, &qn, &qid), STORE_OK);
	assert_int_equal(ua, 1);
	assert_int_equal(ub, 2);
	assert_true(qid > 0);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
	/* The queue copy is the first message's bytes when none are given. */
	{
		struct store_queue_item it;

		assert_int_equal(store_queue_get(f->s, qid, &it, &data, &size), STORE_OK);
		assert_int_equal(size, a.size);
		assert_memory_equal(data, a.data, size);
		free(data);
		store_queue_item_deinit(&it);
	}
	/* A failing second message takes the first and the queue item with it. */
	d[1].targets = &bad;
	assert_int_not_equal(store_deliver_many(f->s, d, 2, &qn, &qid), STORE_OK);
	assert_int_equal(status(f->s, f->inbox).messages, 2);
	assert_int_equal(sql_count(f, "SELECT count(*) FROM queue"), 1);
	assert_int_equal(store_deliver_many(f->s, d, 0, NULL, NULL), STORE_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_domains, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_users, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mailbox_create_delete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_mailbox_rename, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_rename_inbox, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_subscriptions, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deliver_stored_once, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uids_and_modseq, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_keyword_limit, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unchangedsince, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_expunge_and_changes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_copy_move, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_status_recent, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_notify, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_entry_sizes, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_remove, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_remove_shared, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_uidvalidity_not_reused, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_two_connections, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_busy_is_temp, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	        cmocka_unit_test(test_open_failure),
	        cmocka_unit_test_setup_teardown(test_entries_large, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_alias_add_del, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_alias_invalid, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_alias_cascades, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deliver_queue, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deliver_queue_atomic, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_queue_limits, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_queue_list_get_delete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_schema_upgrade_from_1, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_keys, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_deliver_many, setup, teardown),
	};

	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
