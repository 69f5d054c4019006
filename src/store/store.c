/*
 * store.c - the public store API: checks and normalises every argument, then
 * dispatches through the backend table (store-private.h). Also the parts all
 * backends share: the error message, the process-wide change hook with its
 * per-transaction pending list, keyword lists, and the _free functions.
 *
 * RFCs: RFC 3501 5.1 (INBOX is case-insensitive, '/' hierarchy), 2.3.2 and
 * 9 (flag keywords are atoms, compared case-insensitively), RFC 6154
 * (special-use bits), RFC 5321 2.4 (the local part of a remote address keeps
 * its case: only the domains of queue addresses are lowercased), RFC 3461 4
 * (RET, ENVID, NOTIFY, ORCPT are kept as received, length-bounded).
 *
 * Limits: STORE_MAILBOX_NAME_MAX, STORE_KEYWORDS_MAX, STORE_KEYWORD_COUNT_MAX,
 * STORE_ADDRESS_MAX, STORE_DOMAIN_MAX, STORE_PASSWORD_HASH_MAX,
 * STORE_DSN_PARAM_MAX, STORE_QUEUE_RCPTS_MAX. Addresses are printable ASCII
 * (XXX no SMTPUTF8 addresses yet, and no quoted local parts with spaces).
 *
 * Attacker control: mailbox names, keywords and UID sets come from IMAP
 * clients (UID sets also from POP3 DELE, mapped by the session); addresses,
 * domains and DSN parameters from SMTP peers or administrators; message
 * bytes from anyone who sends mail. Each is length-bounded and checked for
 * forbidden bytes here, before any backend sees it; bad input is
 * STORE_ERR_INVALID, never a crash.
 */
#include "store/store-private.h"

#include "store/metacache.h"

#include "base/mem.h"
#include "base/str.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once before threads start (store.h); read by whichever thread commits. */
static store_notify_fn *store_notify_hook;
static void *store_notify_ctx;

static __thread char store_open_error[STORE_ERROR_MAX];

#define STORE_FLAGS_ALL                                                                            \
	(STORE_FLAG_SEEN | STORE_FLAG_ANSWERED | STORE_FLAG_FLAGGED | STORE_FLAG_DELETED |         \
	 STORE_FLAG_DRAFT)
#define STORE_USE_MASK ((1u << 7) - 1)

/* --- common part --- */

void store_common_init(struct store *s, const struct store_backend *backend)
{
	s->backend = backend;
	s->error[0] = '\0';
	s->pending = NULL;
	s->n_pending = s->pending_cap = 0;
}

void store_common_deinit(struct store *s)
{
	XFREE(s->pending);
	s->n_pending = s->pending_cap = 0;
}

int store_set_error(struct store *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	return err;
}

const char *store_last_error(struct store *s)
{
	return s->error[0] != '\0' ? s->error : "no error";
}

void store_set_notify(store_notify_fn *fn, void *ctx)
{
	store_notify_hook = fn;
	store_notify_ctx = ctx;
}

void store_notify_add(struct store *s, uint64_t mailbox_id)
{
	for (size_t i = 0; i < s->n_pending; i++) {
		if (s->pending[i] == mailbox_id)
			return;
	}
	s->pending = xgrowarray(s->pending, s->n_pending, &s->pending_cap, sizeof(*s->pending), 8);
	s->pending[s->n_pending++] = mailbox_id;
}

/*
 * Change generations: one counter per slot (mailbox id modulo the count),
 * bumped after every committed change of a mailbox in that slot. A session
 * that saw the same value before asks the store for nothing; two mailboxes
 * sharing a slot only cost each other a query that finds nothing.
 */
#define STORE_GENERATION_SLOTS 4096
static _Atomic uint64_t store_generations[STORE_GENERATION_SLOTS];

uint64_t store_mailbox_generation(uint64_t mailbox_id)
{
	return atomic_load(&store_generations[mailbox_id % STORE_GENERATION_SLOTS]);
}

void store_notify_flush(struct store *s)
{
	size_t n = s->n_pending;

	s->n_pending = 0;
	for (size_t i = 0; i < n; i++)
		atomic_fetch_add(&store_generations[s->pending[i] % STORE_GENERATION_SLOTS], 1);
	if (store_notify_hook == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_notify_hook(s->pending[i], store_notify_ctx);
}

void store_notify_discard(struct store *s)
{
	s->n_pending = 0;
}

/* --- keywords --- */

/* RFC 3501 9: atom-char excludes CTL, SP and atom-specials; '\' starts system flags. */
static bool keyword_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\]", c) == NULL;
}

/* Next space-separated word of *p; returns its length (0 at the end). */
static size_t keyword_next(const char **p, const char **word_r)
{
	const char *s = *p;
	size_t n = 0;

	while (*s == ' ')
		s++;
	*word_r = s;
	while (s[n] != '\0' && s[n] != ' ')
		n++;
	*p = s + n;
	return n;
}

bool store_keywords_valid(const char *kw)
{
	const char *word;
	size_t n, count = 0;

	if (kw == NULL)
		return true;
	if (strlen(kw) > STORE_KEYWORDS_MAX)
		return false;
	while ((n = keyword_next(&kw, &word)) > 0) {
		if (++count > STORE_KEYWORD_COUNT_MAX)
			return false;
		for (size_t i = 0; i < n; i++) {
			if (!keyword_char((unsigned char)word[i]))
				return false;
		}
	}
	return true;
}

/* True if the list (space-separated) holds word, ignoring ASCII case. */
static bool keyword_in(const char *list, const char *word, size_t n)
{
	const char *w;
	size_t len;

	if (list == NULL)
		return false;
	while ((len = keyword_next(&list, &w)) > 0) {
		if (len == n && strncasecmp(w, word, n) == 0)
			return true;
	}
	return false;
}

struct keyword_out {
	char *buf;
	size_t len;
	size_t count;
	bool overflow;
};

static void keyword_out_add(struct keyword_out *o, const char *word, size_t n)
{
	if (o->overflow)
		return;
	o->buf[o->len] = '\0';
	if (keyword_in(o->buf, word, n))
		return;
	if (o->count == STORE_KEYWORD_COUNT_MAX ||
	    STORE_KEYWORDS_MAX - o->len < n + (o->len > 0 ? 1 : 0)) {
		o->overflow = true;
		return;
	}
	if (o->len > 0)
		o->buf[o->len++] = ' ';
	memcpy(o->buf + o->len, word, n);
	o->len += n;
	o->count++;
}

/* Adds the words of list, skipping those in drop (if any). */
static void keyword_out_add_list(struct keyword_out *o, const char *list, const char *drop)
{
	const char *w;
	size_t n;

	if (list == NULL)
		return;
	while ((n = keyword_next(&list, &w)) > 0) {
		if (!keyword_in(drop, w, n))
			keyword_out_add(o, w, n);
	}
}

int store_keywords_apply(const char *cur, enum store_flags_mode mode, const char *arg,
                         char out[STORE_KEYWORDS_MAX + 1])
{
	struct keyword_out o = {.buf = out};

	switch (mode) {
	case STORE_FLAGS_SET:
		keyword_out_add_list(&o, arg, NULL);
		break;
	case STORE_FLAGS_ADD:
		keyword_out_add_list(&o, cur, NULL);
		keyword_out_add_list(&o, arg, NULL);
		break;
	case STORE_FLAGS_REMOVE:
		keyword_out_add_list(&o, cur, arg);
		break;
	}
	out[o.len] = '\0';
	return o.overflow ? STORE_ERR_INVALID : STORE_OK;
}

/* --- argument checks --- */

static bool printable_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

/* Printable ASCII without space, or UTF-8 past it (RFC 6531 3.3: UTF-8 in local parts). */
static bool printable_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = str_utf8_char(p + i, len - i, &cp);
		if (n == 0 || cp <= 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

/* Lowercases a domain name into out; false if empty, too long or not plain. */
static bool domain_normalize(const char *d, char out[STORE_DOMAIN_MAX + 1])
{
	size_t n;

	if (d == NULL || (n = strlen(d)) == 0 || n > STORE_DOMAIN_MAX)
		return false;
	if (!printable_ascii(d) || strpbrk(d, "@/\\\"") != NULL || d[0] == '.')
		return false;
	memcpy(out, d, n + 1);
	str_lower(out);
	return true;
}

/* Lowercases local@domain into out; *domain_r points at the domain in out. */
static bool address_normalize(const char *a, char out[STORE_ADDRESS_MAX + 1], const char **domain_r)
{
	char d[STORE_DOMAIN_MAX + 1];
	const char *at;
	size_t n;

	/* The domain must be plain ASCII (domain_normalize); the local part may be UTF-8. */
	if (a == NULL || (n = strlen(a)) == 0 || n > STORE_ADDRESS_MAX || !printable_utf8(a))
		return false;
	at = strrchr(a, '@');
	if (at == NULL || at == a || !domain_normalize(at + 1, d))
		return false;
	memcpy(out, a, n + 1);
	str_lower(out);
	*domain_r = out + (at - a) + 1;
	return true;
}

/*
 * Checks a remote address and copies it to out with only its domain
 * lowercased: RFC 5321 2.4 says the local part is the receiving host's to
 * interpret, so it is kept as received.
 */
static bool address_keep_local(const char *a, char out[STORE_ADDRESS_MAX + 1])
{
	const char *domain;

	if (!address_normalize(a, out, &domain))
		return false;
	memcpy(out, a, (size_t)(domain - out));
	return true;
}

/* "local@domain", or "@domain" for the catch-all of a domain, lowercased. */
static bool alias_normalize(const char *a, char out[STORE_ADDRESS_MAX + 1], const char **domain_r)
{
	if (a == NULL || a[0] != '@')
		return address_normalize(a, out, domain_r);
	if (!domain_normalize(a + 1, out + 1))
		return false;
	out[0] = '@';
	*domain_r = out + 1;
	return true;
}

/* RFC 3461 4: ENVID, NOTIFY and ORCPT are xtext or keyword lists: printable, no space. */
static bool dsn_param_valid(const char *p)
{
	return p == NULL ||
	       (p[0] != '\0' && strlen(p) <= STORE_DSN_PARAM_MAX && printable_ascii(p));
}

static char *strdup_or_null(const char *p)
{
	return p != NULL ? xstrdup(p) : NULL;
}

static bool password_hash_valid(const char *h)
{
	size_t n;

	return h != NULL && (n = strlen(h)) > 0 && n <= STORE_PASSWORD_HASH_MAX &&
	       printable_ascii(h);
}

/* Length of the UTF-8 sequence at s, or 0 if it is not well-formed. */
static size_t utf8_seq(const unsigned char *s)
{
	size_t n;
	unsigned min, cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, min = 0x80, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, min = 0x800, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, min = 0x10000, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Checks a mailbox name and copies it to out with "INBOX" in capitals. A name
 * is valid UTF-8 without control characters or list wildcards, and has no
 * empty hierarchy level (no leading, trailing or doubled separator).
 */
static bool mailbox_name_normalize(const char *name, char out[STORE_MAILBOX_NAME_MAX + 1])
{
	const unsigned char *p;
	size_t n, len;

	if (name == NULL || (len = strlen(name)) == 0 || len > STORE_MAILBOX_NAME_MAX)
		return false;
	if (name[0] == STORE_SEP || name[len - 1] == STORE_SEP)
		return false;
	for (p = (const unsigned char *)name; *p != '\0'; p += n) {
		if (*p < 0x20 || *p == 0x7f || *p == '*' || *p == '%')
			return false;
		if (*p == STORE_SEP && p[1] == STORE_SEP)
			return false;
		if ((n = utf8_seq(p)) == 0)
			return false;
	}
	if (str_eq_ci(name, "INBOX"))
		name = "INBOX";
	memcpy(out, name, len + 1);
	return true;
}

static bool uid_ranges_valid(const struct store_uid_range *uids, size_t n)
{
	if (n > 0 && uids == NULL)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (uids[i].lo > uids[i].hi)
			return false;
		if (i > 0 && uids[i].lo <= uids[i - 1].hi)
			return false;
	}
	return true;
}

static int invalid(struct store *s, const char *what)
{
	return store_set_error(s, STORE_ERR_INVALID, "invalid %s", what);
}

/* --- lifecycle --- */

struct store *store_open(const char *data_dir, const char **error_r)
{
	struct store *s;
	const char *error = NULL;

	if (data_dir == NULL || data_dir[0] == '\0') {
		*error_r = "store_open: empty data directory";
		return NULL;
	}
	s = store_sqlite.open(data_dir, &error);
	if (s == NULL) {
		snprintf(store_open_error, sizeof(store_open_error), "%s",
		         error != NULL ? error : "store_open failed");
		*error_r = store_open_error;
	}
	return s;
}

void store_close(struct store **_s)
{
	struct store *s = *_s;

	if (s == NULL)
		return;
	*_s = NULL;
	s->backend->close(s);
}

/* --- domains --- */

int store_domain_add(struct store *s, const char *domain)
{
	char d[STORE_DOMAIN_MAX + 1];

	if (!domain_normalize(domain, d))
		return invalid(s, "domain");
	return s->backend->domain_add(s, d);
}

int store_domain_del(struct store *s, const char *domain)
{
	char d[STORE_DOMAIN_MAX + 1];

	if (!domain_normalize(domain, d))
		return invalid(s, "domain");
	return s->backend->domain_del(s, d);
}

int store_domain_exists(struct store *s, const char *domain)
{
	char d[STORE_DOMAIN_MAX + 1];

	if (!domain_normalize(domain, d))
		return 0;
	return s->backend->domain_exists(s, d);
}

int store_domain_list(struct store *s, char ***names_r, size_t *n_r)
{
	*names_r = NULL;
	*n_r = 0;
	return s->backend->domain_list(s, names_r, n_r);
}

/* --- accounts --- */

int store_user_add(struct store *s, const char *address, const char *password_hash)
{
	char a[STORE_ADDRESS_MAX + 1];
	const char *domain;

	if (!address_normalize(address, a, &domain))
		return invalid(s, "address");
	if (!password_hash_valid(password_hash))
		return invalid(s, "password hash");
	return s->backend->user_add(s, a, domain, password_hash);
}

int store_user_del(struct store *s, const char *address)
{
	char a[STORE_ADDRESS_MAX + 1];
	const char *domain;

	if (!address_normalize(address, a, &domain))
		return invalid(s, "address");
	return s->backend->user_del(s, a);
}

int store_user_set_password(struct store *s, const char *address, const char *password_hash)
{
	char a[STORE_ADDRESS_MAX + 1];
	const char *domain;

	if (!address_normalize(address, a, &domain))
		return invalid(s, "address");
	if (!password_hash_valid(password_hash))
		return invalid(s, "password hash");
	return s->backend->user_set_password(s, a, password_hash);
}

int store_user_lookup(struct store *s, const char *address, struct store_user *user_r)
{
	char a[STORE_ADDRESS_MAX + 1];
	const char *domain;

	memset(user_r, 0, sizeof(*user_r));
	if (!address_normalize(address, a, &domain))
		return store_set_error(s, STORE_ERR_NOTFOUND, "no such user");
	return s->backend->user_lookup(s, a, user_r);
}

int store_user_set_protect_subject(struct store *s, const char *address, bool on)
{
	char a[STORE_ADDRESS_MAX + 1];
	const char *domain;

	if (!address_normalize(address, a, &domain))
		return invalid(s, "address");
	return s->backend->user_set_protect_subject(s, a, on);
}

static bool fingerprint_valid(const char *f)
{
	size_t n = strlen(f);

	return n > 0 && n <= STORE_FINGERPRINT_MAX && strspn(f, "0123456789ABCDEF") == n;
}

int store_key_add(struct store *s, uint64_t user_id, const struct store_key *k)
{
	if (!fingerprint_valid(k->fingerprint))
		return invalid(s, "fingerprint");
	if (k->public_len == 0)
		return invalid(s, "empty key");
	return s->backend->key_add(s, user_id, k);
}

int store_key_list(struct store *s, uint64_t user_id, bool with_secret, struct store_key **keys_r,
                   size_t *n_r)
{
	int ret;

	*keys_r = NULL;
	*n_r = 0;
	ret = s->backend->key_list(s, user_id, with_secret, keys_r, n_r);
	if (ret < 0) {
		store_keys_free(keys_r, *n_r);
		*n_r = 0;
	}
	return ret;
}

int store_key_del(struct store *s, uint64_t user_id, const char *fingerprint)
{
	if (fingerprint != NULL && !fingerprint_valid(fingerprint))
		return store_set_error(s, STORE_ERR_NOTFOUND, "no such key");
	return s->backend->key_del(s, user_id, fingerprint);
}

void store_keys_free(struct store_key **_keys, size_t n)
{
	struct store_key *keys = *_keys;

	for (size_t i = 0; keys != NULL && i < n; i++) {
		free(keys[i].fingerprint);
		free(keys[i].public_key);
		free(keys[i].secret_key);
	}
	XFREE(*_keys);
}

int store_user_list(struct store *s, char ***addresses_r, size_t *n_r)
{
	*addresses_r = NULL;
	*n_r = 0;
	return s->backend->user_list(s, addresses_r, n_r);
}

void store_user_deinit(struct store_user *u)
{
	if (u == NULL)
		return;
	XFREE(u->address);
	XFREE(u->password_hash);
}

/* --- mailboxes --- */

int store_mailbox_list(struct store *s, uint64_t user_id, struct store_mailbox **boxes_r,
                       size_t *n_r)
{
	*boxes_r = NULL;
	*n_r = 0;
	return s->backend->mailbox_list(s, user_id, boxes_r, n_r);
}

int store_mailbox_get(struct store *s, uint64_t user_id, const char *name,
                      struct store_mailbox *box_r)
{
	char n[STORE_MAILBOX_NAME_MAX + 1];

	memset(box_r, 0, sizeof(*box_r));
	if (!mailbox_name_normalize(name, n))
		return store_set_error(s, STORE_ERR_NOTFOUND, "no such mailbox");
	return s->backend->mailbox_get(s, user_id, n, box_r);
}

int store_mailbox_create(struct store *s, uint64_t user_id, const char *name, unsigned special_use)
{
	char n[STORE_MAILBOX_NAME_MAX + 1];

	if (!mailbox_name_normalize(name, n))
		return invalid(s, "mailbox name");
	if ((special_use & ~STORE_USE_MASK) != 0)
		return invalid(s, "special-use");
	return s->backend->mailbox_create(s, user_id, n, special_use);
}

int store_mailbox_delete(struct store *s, uint64_t user_id, const char *name)
{
	char n[STORE_MAILBOX_NAME_MAX + 1];

	if (!mailbox_name_normalize(name, n))
		return store_set_error(s, STORE_ERR_NOTFOUND, "no such mailbox");
	if (strcmp(n, "INBOX") == 0)
		return store_set_error(s, STORE_ERR_INVALID, "INBOX cannot be deleted");
	return s->backend->mailbox_delete(s, user_id, n);
}

int store_mailbox_rename(struct store *s, uint64_t user_id, const char *from, const char *to)
{
	char f[STORE_MAILBOX_NAME_MAX + 1], t[STORE_MAILBOX_NAME_MAX + 1];
	size_t flen;

	if (!mailbox_name_normalize(from, f))
		return store_set_error(s, STORE_ERR_NOTFOUND, "no such mailbox");
	if (!mailbox_name_normalize(to, t))
		return invalid(s, "mailbox name");
	if (strcmp(t, "INBOX") == 0)
		return store_set_error(s, STORE_ERR_INVALID, "cannot rename onto INBOX");
	if (strcmp(f, t) == 0)
		return store_set_error(s, STORE_ERR_EXISTS, "mailbox exists");
	flen = strlen(f);
	/* Renaming a mailbox under itself would loop its own hierarchy. */
	if (strcmp(f, "INBOX") != 0 && strncmp(t, f, flen) == 0 && t[flen] == STORE_SEP)
		return store_set_error(s, STORE_ERR_INVALID, "cannot rename under itself");
	return s->backend->mailbox_rename(s, user_id, f, t);
}

int store_mailbox_subscribe(struct store *s, uint64_t user_id, const char *name, bool on)
{
	char n[STORE_MAILBOX_NAME_MAX + 1];

	if (!mailbox_name_normalize(name, n))
		return invalid(s, "mailbox name");
	return s->backend->mailbox_subscribe(s, user_id, n, on);
}

int store_subscriptions(struct store *s, uint64_t user_id, char ***names_r, size_t *n_r)
{
	*names_r = NULL;
	*n_r = 0;
	return s->backend->subscriptions(s, user_id, names_r, n_r);
}

int store_mailbox_status(struct store *s, uint64_t mailbox_id, struct store_status *st_r)
{
	memset(st_r, 0, sizeof(*st_r));
	return s->backend->mailbox_status(s, mailbox_id, st_r);
}

int store_mailbox_take_recent(struct store *s, uint64_t mailbox_id, uint32_t *recent_uid_r)
{
	*recent_uid_r = 0;
	return s->backend->mailbox_take_recent(s, mailbox_id, recent_uid_r);
}

void store_mailbox_deinit(struct store_mailbox *box)
{
	if (box != NULL)
		XFREE(box->name);
}

void store_mailbox_free_array(struct store_mailbox **_boxes, size_t n)
{
	struct store_mailbox *boxes = *_boxes;

	if (boxes == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_mailbox_deinit(&boxes[i]);
	XFREE(*_boxes);
}

/* --- aliases --- */

int store_alias_add(struct store *s, const char *alias, const char *target)
{
	char a[STORE_ADDRESS_MAX + 1], t[STORE_ADDRESS_MAX + 1];
	const char *domain, *target_domain;

	if (!alias_normalize(alias, a, &domain))
		return invalid(s, "alias");
	if (!address_normalize(target, t, &target_domain))
		return invalid(s, "target address");
	return s->backend->alias_add(s, a, domain, t);
}

int store_alias_del(struct store *s, const char *alias, const char *target)
{
	char a[STORE_ADDRESS_MAX + 1], t[STORE_ADDRESS_MAX + 1];
	const char *domain;

	/* What cannot be stored cannot be deleted either. */
	if (!alias_normalize(alias, a, &domain) ||
	    (target != NULL && !address_normalize(target, t, &domain)))
		return store_set_error(s, STORE_ERR_NOTFOUND, "no such alias");
	return s->backend->alias_del(s, a, target != NULL ? t : NULL);
}

int store_alias_list(struct store *s, char ***aliases_r, char ***targets_r, size_t *n_r)
{
	*aliases_r = NULL;
	*targets_r = NULL;
	*n_r = 0;
	return s->backend->alias_list(s, aliases_r, targets_r, n_r);
}

int store_alias_targets(struct store *s, const char *alias, char ***targets_r, size_t *n_r)
{
	char a[STORE_ADDRESS_MAX + 1];
	const char *domain;

	*targets_r = NULL;
	*n_r = 0;
	/* A lookup, like store_user_lookup: a malformed address simply has no targets. */
	if (!alias_normalize(alias, a, &domain))
		return STORE_OK;
	return s->backend->alias_targets(s, a, targets_r, n_r);
}

/* --- outbound queue --- */

/* A queue item checked and normalised for the backend (queue_norm_deinit frees it). */
struct queue_norm {
	struct store_queue_new q;
	struct store_queue_rcpt *rcpts;
	size_t n_rcpts;
	char sender[STORE_ADDRESS_MAX + 1];
	char user[STORE_ADDRESS_MAX + 1];
};

static void queue_rcpts_free(struct store_queue_rcpt **_rcpts, size_t n)
{
	struct store_queue_rcpt *r = *_rcpts;

	if (r == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(r[i].address);
		free(r[i].notify);
		free(r[i].orcpt);
	}
	XFREE(*_rcpts);
}

static void queue_norm_deinit(struct queue_norm *qn)
{
	queue_rcpts_free(&qn->rcpts, qn->n_rcpts);
	qn->n_rcpts = 0;
}

/* RFC 3461 4.3: RET=FULL or RET=HDRS, in any case; stored in capitals. */
static bool dsn_ret_normalize(const char *ret, const char **ret_r)
{
	if (ret == NULL || str_eq_ci(ret, "FULL") || str_eq_ci(ret, "HDRS")) {
		*ret_r = ret == NULL ? NULL : str_eq_ci(ret, "FULL") ? "FULL" : "HDRS";
		return true;
	}
	return false;
}

static int queue_rcpts_normalize(struct store *s, const struct store_queue_new *in,
                                 struct queue_norm *qn)
{
	char a[STORE_ADDRESS_MAX + 1];

	if (in->n_rcpts == 0 || in->n_rcpts > STORE_QUEUE_RCPTS_MAX || in->rcpts == NULL)
		return invalid(s, "number of recipients");
	qn->rcpts = xcalloc(in->n_rcpts, sizeof(*qn->rcpts));
	for (size_t i = 0; i < in->n_rcpts; i++) {
		const struct store_queue_rcpt *r = &in->rcpts[i];

		if (!address_keep_local(r->address, a))
			return invalid(s, "recipient");
		if (!dsn_param_valid(r->notify) || !dsn_param_valid(r->orcpt))
			return invalid(s, "NOTIFY or ORCPT");
		qn->rcpts[i].address = xstrdup(a);
		qn->rcpts[i].notify = strdup_or_null(r->notify);
		qn->rcpts[i].orcpt = strdup_or_null(r->orcpt);
		qn->n_rcpts = i + 1;
	}
	return STORE_OK;
}

static int queue_normalize(struct store *s, const struct store_queue_new *in, struct queue_norm *qn)
{
	const char *domain, *ret = NULL;
	int err;

	memset(qn, 0, sizeof(*qn));
	/* "" is the null reverse-path (RFC 5321 4.5.5), and the user of mail the server makes. */
	if (in->sender == NULL ||
	    (in->sender[0] != '\0' && !address_keep_local(in->sender, qn->sender)))
		return invalid(s, "sender");
	if (in->user == NULL ||
	    (in->user[0] != '\0' && !address_normalize(in->user, qn->user, &domain)))
		return invalid(s, "submitting account");
	if (!dsn_ret_normalize(in->ret, &ret))
		return invalid(s, "RET");
	if (!dsn_param_valid(in->envid))
		return invalid(s, "ENVID");
	if ((err = queue_rcpts_normalize(s, in, qn)) < 0)
		return err;
	qn->q = (struct store_queue_new){
	        .sender = qn->sender,
	        .user = qn->user,
	        .ret = ret,
	        .envid = in->envid,
	        .rcpts = qn->rcpts,
	        .n_rcpts = qn->n_rcpts,
	        .data = in->data,
	        .size = in->data != NULL ? in->size : 0,
	};
	return STORE_OK;
}

int store_queue_list(struct store *s, struct store_queue_item **items_r, size_t *n_r)
{
	*items_r = NULL;
	*n_r = 0;
	return s->backend->queue_list(s, items_r, n_r);
}

int store_queue_get(struct store *s, uint64_t id, struct store_queue_item *item_r, char **data_r,
                    size_t *size_r)
{
	memset(item_r, 0, sizeof(*item_r));
	if (data_r != NULL)
		*data_r = NULL;
	if (size_r != NULL)
		*size_r = 0;
	if (data_r != NULL && size_r == NULL)
		return invalid(s, "size output");
	return s->backend->queue_get(s, id, item_r, data_r, size_r);
}

int store_queue_delete(struct store *s, uint64_t id)
{
	return s->backend->queue_delete(s, id);
}

void store_queue_item_deinit(struct store_queue_item *item)
{
	if (item == NULL)
		return;
	XFREE(item->sender);
	XFREE(item->user);
	XFREE(item->ret);
	XFREE(item->envid);
	queue_rcpts_free(&item->rcpts, item->n_rcpts);
	item->n_rcpts = 0;
}

void store_queue_items_free(struct store_queue_item **_items, size_t n)
{
	struct store_queue_item *items = *_items;

	if (items == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		store_queue_item_deinit(&items[i]);
	XFREE(*_items);
}

/* --- messages --- */

static int deliver_check(struct store *s, const struct store_new_message *msg,
                         const struct store_new_entry *targets, size_t n_targets, bool queued)
{
	if (msg == NULL || (msg->data == NULL && msg->size > 0))
		return invalid(s, "message");
	if (n_targets == 0 && !queued)
		return invalid(s, "delivery without target");
	if (n_targets > 0 && targets == NULL)
		return invalid(s, "targets");
	for (size_t i = 0; i < n_targets; i++) {
		if ((targets[i].flags & ~STORE_FLAGS_ALL) != 0 ||
		    !store_keywords_valid(targets[i].keywords))
			return invalid(s, "flags");
	}
	return STORE_OK;
}

int store_deliver_many(struct store *s, const struct store_delivery *d, size_t n,
                       const struct store_queue_new *queue, uint64_t *queue_id_r)
{
	struct queue_norm qn;
	size_t n_targets = 0;
	int ret;

	if (queue_id_r != NULL)
		*queue_id_r = 0;
	if (n > STORE_DELIVERIES_MAX || (n > 0 && d == NULL))
		return invalid(s, "deliveries");
	for (size_t i = 0; i < n; i++) {
		if ((ret = deliver_check(s, d[i].msg, d[i].targets, d[i].n_targets, true)) < 0)
			return ret;
		n_targets += d[i].n_targets;
	}
	if (n_targets == 0 && queue == NULL)
		return invalid(s, "delivery without target");
	if (queue == NULL)
		return s->backend->deliver(s, d, n, NULL, NULL);
	if (queue->data == NULL && n == 0)
		return invalid(s, "queued message without data");
	ret = queue_normalize(s, queue, &qn);
	if (ret == STORE_OK && qn.q.data == NULL) {
		qn.q.data = d[0].msg->data;
		qn.q.size = d[0].msg->size;
	}
	if (ret == STORE_OK)
		ret = s->backend->deliver(s, d, n, &qn.q, queue_id_r);
	queue_norm_deinit(&qn);
	return ret;
}

int store_deliver_queue(struct store *s, const struct store_new_message *msg,
                        const struct store_new_entry *targets, size_t n_targets, uint32_t *uids_r,
                        const struct store_queue_new *queue, uint64_t *queue_id_r)
{
	struct store_delivery d = {msg, targets, n_targets, uids_r};

	/* store_deliver_many checks the message, and that it goes somewhere. */
	return store_deliver_many(s, &d, 1, queue, queue_id_r);
}

int store_deliver(struct store *s, const struct store_new_message *msg,
                  const struct store_new_entry *targets, size_t n_targets, uint32_t *uids_r)
{
	return store_deliver_queue(s, msg, targets, n_targets, uids_r, NULL, NULL);
}

int store_entries(struct store *s, uint64_t mailbox_id, struct store_entry **entries_r, size_t *n_r)
{
	*entries_r = NULL;
	*n_r = 0;
	return s->backend->entries(s, mailbox_id, entries_r, n_r);
}

void store_entries_free(struct store_entry **_entries, size_t n)
{
	struct store_entry *e = *_entries;

	if (e == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(e[i].keywords);
	XFREE(*_entries);
}

int store_entry_sizes(struct store *s, uint64_t mailbox_id, struct store_entry_size **entries_r,
                      size_t *n_r)
{
	*entries_r = NULL;
	*n_r = 0;
	return s->backend->entry_sizes(s, mailbox_id, entries_r, n_r);
}

/* A message's metadata from the cache, or from the backend and then cached. */
static const struct store_message_meta *meta_of(struct store *s, uint64_t message_id,
                                                struct store_meta_ref **ref_r, int *ret_r)
{
	const struct store_message_meta *m = store_metacache_get(message_id, ref_r);
	struct store_message_meta loaded;

	*ret_r = STORE_OK;
	if (m != NULL)
		return m;
	memset(&loaded, 0, sizeof(loaded));
	*ret_r = s->backend->message_meta(s, message_id, &loaded);
	if (*ret_r < 0) {
		store_message_meta_deinit(&loaded);
		return NULL;
	}
	return store_metacache_put(&loaded, ref_r);
}

int store_message_meta(struct store *s, uint64_t mailbox_id, uint32_t uid,
                       struct store_message_meta *meta_r)
{
	const struct store_message_meta *m;
	struct store_meta_ref *ref;
	uint64_t id;
	int ret;

	memset(meta_r, 0, sizeof(*meta_r));
	if ((ret = s->backend->entry_message(s, mailbox_id, uid, &id)) < 0)
		return ret;
	if ((m = meta_of(s, id, &ref, &ret)) == NULL)
		return ret;
	*meta_r = *m;
	meta_r->envelope = strdup_or_null(m->envelope);
	meta_r->bodystructure = strdup_or_null(m->bodystructure);
	meta_r->body = strdup_or_null(m->body);
	meta_r->headers = strdup_or_null(m->headers);
	store_metacache_release(&ref);
	return STORE_OK;
}

struct meta_scan {
	struct store *s;
	store_meta_fn *fn;
	void *ctx;
};

static int meta_scan_one(void *ctx, uint32_t uid, uint64_t message_id)
{
	struct meta_scan *ms = ctx;
	const struct store_message_meta *m;
	struct store_meta_ref *ref;
	int ret;

	if ((m = meta_of(ms->s, message_id, &ref, &ret)) == NULL)
		return ret == STORE_ERR_NOTFOUND ? 0 : ret;
	ret = ms->fn(ms->ctx, uid, m);
	store_metacache_release(&ref);
	return ret;
}

int store_message_meta_scan(struct store *s, uint64_t mailbox_id, store_meta_fn *fn, void *ctx)
{
	struct meta_scan ms = {s, fn, ctx};

	return s->backend->entry_messages(s, mailbox_id, meta_scan_one, &ms);
}

void store_message_meta_deinit(struct store_message_meta *meta)
{
	if (meta == NULL)
		return;
	XFREE(meta->envelope);
	XFREE(meta->bodystructure);
	XFREE(meta->body);
	XFREE(meta->headers);
}

int store_message_data(struct store *s, uint64_t message_id, char **data_r, size_t *size_r)
{
	*data_r = NULL;
	*size_r = 0;
	return s->backend->message_data(s, message_id, data_r, size_r);
}

int store_flags(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                size_t n_uids, enum store_flags_mode mode, unsigned flags, const char *keywords,
                uint64_t unchangedsince, struct store_change **changes_r, size_t *n_changes_r,
                uint32_t **failed_r, size_t *n_failed_r)
{
	*changes_r = NULL;
	*n_changes_r = 0;
	*failed_r = NULL;
	*n_failed_r = 0;
	if (mode != STORE_FLAGS_SET && mode != STORE_FLAGS_ADD && mode != STORE_FLAGS_REMOVE)
		return invalid(s, "flags mode");
	if ((flags & ~STORE_FLAGS_ALL) != 0 || !store_keywords_valid(keywords))
		return invalid(s, "flags");
	if (!uid_ranges_valid(uids, n_uids))
		return invalid(s, "UID set");
	return s->backend->flags(s, mailbox_id, uids, n_uids, mode, flags, keywords, unchangedsince,
	                         changes_r, n_changes_r, failed_r, n_failed_r);
}

void store_changes_array_free(struct store_change **_c, size_t n)
{
	struct store_change *c = *_c;

	if (c == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(c[i].keywords);
	XFREE(*_c);
}

/* store_expunge and store_remove: one backend path, so both log and notify alike. */
static int expunge_uids(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                        size_t n_uids, bool only_deleted, uint32_t **expunged_r, size_t *n_r)
{
	*expunged_r = NULL;
	*n_r = 0;
	if (!uid_ranges_valid(uids, n_uids))
		return invalid(s, "UID set");
	return s->backend->expunge(s, mailbox_id, uids, n_uids, only_deleted, expunged_r, n_r);
}

int store_expunge(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                  size_t n_uids, uint32_t **expunged_r, size_t *n_r)
{
	return expunge_uids(s, mailbox_id, uids, n_uids, true, expunged_r, n_r);
}

int store_remove(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                 size_t n_uids, uint32_t **expunged_r, size_t *n_r)
{
	/*
	 * An empty set removes nothing: the backend would read uids NULL as
	 * "every entry", which is store_expunge's meaning, not this one's.
	 */
	if (n_uids == 0) {
		*expunged_r = NULL;
		*n_r = 0;
		return STORE_OK;
	}
	return expunge_uids(s, mailbox_id, uids, n_uids, false, expunged_r, n_r);
}

int store_copy(struct store *s, uint64_t src_mailbox_id, const struct store_uid_range *uids,
               size_t n_uids, uint64_t dst_mailbox_id, bool move, uint32_t **src_r,
               uint32_t **dst_r, size_t *n_r, uint32_t *dst_uidvalidity_r)
{
	*src_r = NULL;
	*dst_r = NULL;
	*n_r = 0;
	*dst_uidvalidity_r = 0;
	if (!uid_ranges_valid(uids, n_uids))
		return invalid(s, "UID set");
	return s->backend->copy(s, src_mailbox_id, uids, n_uids, dst_mailbox_id, move, src_r, dst_r,
	                        n_r, dst_uidvalidity_r);
}

int store_changes_since(struct store *s, uint64_t mailbox_id, uint64_t since,
                        struct store_changes *ch_r)
{
	memset(ch_r, 0, sizeof(*ch_r));
	return s->backend->changes_since(s, mailbox_id, since, ch_r);
}

void store_changes_deinit(struct store_changes *ch)
{
	if (ch == NULL)
		return;
	store_changes_array_free(&ch->changed, ch->n_changed);
	XFREE(ch->expunged);
	ch->n_changed = ch->n_expunged = 0;
}
