/*
 * sqlite.c - the embedded store backend: one SQLite database, data_dir/tresor.db,
 * in WAL mode; a write returns only once durable (the WAL is fdatasync'ed after
 * the commit and outside the write lock, so concurrent writers' syncs overlap:
 * sq_wal_sync).
 *
 * Each struct store is one connection with its own prepared-statement cache;
 * many connections (worker threads, admin processes) share the file. Writes
 * take the write lock up front (BEGIN IMMEDIATE) so that two writers never
 * deadlock on a lock upgrade; the writers of this process queue on a mutex
 * first. Multi-statement reads run in one read transaction so they see one
 * snapshot. A failed call rolls back everything. Message bytes live in their
 * own table (blobs) so that metadata rows stay compact.
 *
 * Schema (version SQ_SCHEMA_VERSION in PRAGMA user_version, upgraded by
 * sq_migrate): a message is stored once in messages and referenced by
 * entries (mailbox, uid); a trigger deletes the message with its last entry,
 * in the same transaction. expunged keeps (mailbox, uid, modseq) for QRESYNC.
 * aliases maps an address of a hosted domain (or "@domain") to accounts; its
 * rows go with the target account or the alias's domain (ON DELETE CASCADE).
 * queue holds outbound messages with their own copy of the bytes (a message
 * that is also delivered locally is stored twice: the queue row leaves when
 * it is sent, the local copy when it is expunged) and queue_rcpts their
 * recipients in the order given. keys holds the OpenPGP keys of sealed
 * accounts (the public key; for a key made by the server also the
 * passphrase-protected secret key), going with their account; users'
 * protect_subject is the account's sealing setting. Ids never get reused (AUTOINCREMENT) so
 * that a stale id held by a session or an administrator can never name
 * another account's mailbox, message or queued message.
 *
 * RFCs: RFC 3501 2.3.1.1 (UIDVALIDITY never reused for a name, UIDs strictly
 * ascending), 6.3.4-6.3.6 (DELETE, RENAME incl. INBOX, SUBSCRIBE), RFC 7162
 * 3.1 (one new MODSEQ per changing call, stamped on every changed entry and
 * expunge record; UNCHANGEDSINCE), RFC 6154 (special-use), RFC 3461 4
 * (the DSN parameters of a queued message, kept as received), RFC 1939 6
 * (POP3 removes its DELE'd messages at QUIT, whatever their IMAP flags).
 *
 * Limits: SQ_BUSY_TIMEOUT_MS (wait for another writer), UIDs below
 * UINT32_MAX (a full UID space is STORE_ERR_INVALID). Arguments arrive
 * checked by store.c.
 *
 * Attacker control: mailbox names, keywords, UID sets, addresses, DSN
 * parameters and message bytes; all reach SQLite as bound parameters, never
 * as SQL text.
 */
#include "store/store-private.h"

#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SQ_DB_NAME         "tresor.db"
#define SQ_SCHEMA_VERSION  3
#define SQ_BUSY_TIMEOUT_MS 10000
/* Page size of a new database. */
#define SQ_PAGE_SIZE "16384"

/* The child range queries below spell the separator and its successor. */
_Static_assert(STORE_SEP == '/', "SQL child ranges assume '/' and '0'");

static const char *const sq_migrations[SQ_SCHEMA_VERSION] = {
        /* 0 -> 1 */
        "CREATE TABLE meta ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " last_uidvalidity INTEGER NOT NULL);"
        "INSERT INTO meta (id, last_uidvalidity) VALUES (1, 0);"
        "CREATE TABLE domains ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " name TEXT NOT NULL UNIQUE);"
        "CREATE TABLE users ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " domain INTEGER NOT NULL REFERENCES domains(id),"
        " address TEXT NOT NULL UNIQUE,"
        " password_hash TEXT NOT NULL);"
        "CREATE INDEX users_domain ON users(domain);"
        "CREATE TABLE mailboxes ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL,"
        " special_use INTEGER NOT NULL DEFAULT 0,"
        " uidvalidity INTEGER NOT NULL,"
        " uidnext INTEGER NOT NULL DEFAULT 1,"
        " highestmodseq INTEGER NOT NULL DEFAULT 1,"
        " recent_uid INTEGER NOT NULL DEFAULT 1,"
        " UNIQUE (user, name));"
        /* Independent of mailbox existence (RFC 3501 6.3.6). */
        "CREATE TABLE subscriptions ("
        " user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL,"
        " PRIMARY KEY (user, name)) WITHOUT ROWID;"
        /*
         * The bytes live apart from the metadata: a scan of a mailbox's metadata
         * (SEARCH) then reads compact rows, never a blob's overflow pages.
         */
        "CREATE TABLE messages ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " size INTEGER NOT NULL,"
        " internaldate INTEGER NOT NULL,"
        " tz INTEGER NOT NULL,"
        " sealed INTEGER NOT NULL,"
        " sent_date INTEGER NOT NULL,"
        " envelope TEXT,"
        " bodystructure TEXT,"
        " body TEXT,"
        " headers TEXT);"
        "CREATE TABLE blobs ("
        " id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,"
        " data BLOB NOT NULL);"
        "CREATE TABLE entries ("
        " mailbox INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
        " uid INTEGER NOT NULL,"
        " message INTEGER NOT NULL REFERENCES messages(id),"
        " flags INTEGER NOT NULL,"
        " keywords TEXT,"
        " modseq INTEGER NOT NULL,"
        " PRIMARY KEY (mailbox, uid)) WITHOUT ROWID;"
        "CREATE INDEX entries_modseq ON entries(mailbox, modseq);"
        "CREATE INDEX entries_message ON entries(message);"
        "CREATE TABLE expunged ("
        " mailbox INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,"
        " uid INTEGER NOT NULL,"
        " modseq INTEGER NOT NULL,"
        " PRIMARY KEY (mailbox, uid)) WITHOUT ROWID;"
        "CREATE INDEX expunged_modseq ON expunged(mailbox, modseq);"
        "CREATE TRIGGER entries_unref AFTER DELETE ON entries BEGIN"
        " DELETE FROM messages WHERE id = OLD.message"
        "  AND NOT EXISTS (SELECT 1 FROM entries WHERE message = OLD.message);"
        " END;",
        /* 1 -> 2: aliases and the outbound queue (new tables only). */
        "CREATE TABLE aliases ("
        " alias TEXT NOT NULL,"
        " domain INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,"
        " target INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " PRIMARY KEY (alias, target)) WITHOUT ROWID;"
        /* The cascades look rows up by these columns. */
        "CREATE INDEX aliases_domain ON aliases(domain);"
        "CREATE INDEX aliases_target ON aliases(target);"
        /* data last: a listing reads the columns before it, never its overflow pages. */
        "CREATE TABLE queue ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " created INTEGER NOT NULL,"
        " sender TEXT NOT NULL,"
        " user TEXT NOT NULL,"
        " ret TEXT,"
        " envid TEXT,"
        " size INTEGER NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " data BLOB NOT NULL);"
        "CREATE TABLE queue_rcpts ("
        " queue_id INTEGER NOT NULL REFERENCES queue(id) ON DELETE CASCADE,"
        " idx INTEGER NOT NULL,"
        " address TEXT NOT NULL,"
        " notify TEXT,"
        " orcpt TEXT,"
        " PRIMARY KEY (queue_id, idx)) WITHOUT ROWID;",
        /* 2 -> 3: sealing keys and the protect_subject setting of an account. */
        "ALTER TABLE users ADD COLUMN protect_subject INTEGER NOT NULL DEFAULT 0;"
        "CREATE TABLE keys ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " user INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
        " fingerprint TEXT NOT NULL,"
        " created INTEGER NOT NULL,"
        " public_key BLOB NOT NULL,"
        " secret_key BLOB,"
        " UNIQUE (user, fingerprint));",
};

#define SQ_BOX_COLUMNS                                                                             \
	"SELECT m.id, m.name, m.special_use, s.name IS NOT NULL, m.uidvalidity, m.uidnext,"        \
	" m.highestmodseq, m.recent_uid FROM mailboxes m LEFT JOIN subscriptions s"                \
	" ON s.user = m.user AND s.name = m.name "

#define SQ_QUEUE_COLUMNS                                                                           \
	"SELECT q.id, q.created, q.sender, q.user, q.ret, q.envid, q.size, q.attempts,"            \
	" (SELECT count(*) FROM queue_rcpts r WHERE r.queue_id = q.id) FROM queue q "

#define SQ_STATEMENTS(X)                                                                           \
	X(BEGIN_READ, "BEGIN")                                                                     \
	X(BEGIN_WRITE, "BEGIN IMMEDIATE")                                                          \
	X(COMMIT, "COMMIT")                                                                        \
	X(ROLLBACK, "ROLLBACK")                                                                    \
	X(UIDVALIDITY_GET, "SELECT last_uidvalidity FROM meta WHERE id = 1")                       \
	X(UIDVALIDITY_SET, "UPDATE meta SET last_uidvalidity = ?1 WHERE id = 1")                   \
	X(DOMAIN_ADD, "INSERT INTO domains (name) VALUES (?1)")                                    \
	X(DOMAIN_ID, "SELECT id FROM domains WHERE name = ?1")                                     \
	X(DOMAIN_HAS_USERS, "SELECT 1 FROM users WHERE domain = ?1 LIMIT 1")                       \
	X(DOMAIN_DEL, "DELETE FROM domains WHERE id = ?1")                                         \
	X(DOMAIN_LIST, "SELECT name FROM domains ORDER BY name")                                   \
	X(USER_ADD, "INSERT INTO users (domain, address, password_hash) VALUES (?1, ?2, ?3)")      \
	X(USER_GET, "SELECT id, address, password_hash, protect_subject,"                          \
	            " (SELECT count(*) FROM keys k WHERE k.user = users.id)"                       \
	            " FROM users WHERE address = ?1")                                              \
	X(USER_SET_PROTECT, "UPDATE users SET protect_subject = ?2 WHERE address = ?1")            \
	X(KEY_ADD, "INSERT INTO keys (user, fingerprint, created, public_key, secret_key)"         \
	           " VALUES (?1, ?2, ?3, ?4, ?5)")                                                 \
	X(KEY_LIST, "SELECT id, fingerprint, created, public_key, secret_key FROM keys"            \
	            " WHERE user = ?1 ORDER BY id")                                                \
	X(KEY_LIST_PUBLIC, "SELECT id, fingerprint, created, public_key, NULL FROM keys"           \
	                   " WHERE user = ?1 ORDER BY id")                                         \
	X(KEY_COUNT, "SELECT count(*) FROM keys WHERE user = ?1")                                  \
	X(KEY_DEL, "DELETE FROM keys WHERE user = ?1 AND fingerprint = ?2")                        \
	X(KEY_DEL_ALL, "DELETE FROM keys WHERE user = ?1")                                         \
	X(USER_DEL, "DELETE FROM users WHERE id = ?1")                                             \
	X(USER_SET_PASSWORD, "UPDATE users SET password_hash = ?2 WHERE address = ?1")             \
	X(USER_LIST, "SELECT address FROM users ORDER BY address")                                 \
	X(ALIAS_ADD, "INSERT INTO aliases (alias, domain, target) VALUES (?1, ?2, ?3)")            \
	X(ALIAS_EXISTS, "SELECT 1 FROM aliases WHERE alias = ?1 LIMIT 1")                          \
	X(ALIAS_DEL_ALL, "DELETE FROM aliases WHERE alias = ?1")                                   \
	X(ALIAS_DEL, "DELETE FROM aliases WHERE alias = ?1"                                        \
	             " AND target = (SELECT id FROM users WHERE address = ?2)")                    \
	X(ALIAS_LIST, "SELECT a.alias, u.address FROM aliases a JOIN users u ON u.id = a.target"   \
	              " ORDER BY a.alias, u.address")                                              \
	X(ALIAS_TARGETS, "SELECT u.address FROM aliases a JOIN users u ON u.id = a.target"         \
	                 " WHERE a.alias = ?1 ORDER BY u.address")                                 \
	X(USER_BOXES, "SELECT id FROM mailboxes WHERE user = ?1")                                  \
	X(BOX_LIST, SQ_BOX_COLUMNS "WHERE m.user = ?1 ORDER BY m.name")                            \
	X(BOX_GET, SQ_BOX_COLUMNS "WHERE m.user = ?1 AND m.name = ?2")                             \
	X(BOX_STATE, "SELECT uidvalidity, uidnext, highestmodseq, recent_uid FROM mailboxes"       \
	             " WHERE id = ?1")                                                             \
	X(BOX_ADD, "INSERT INTO mailboxes (user, name, special_use, uidvalidity)"                  \
	           " VALUES (?1, ?2, ?3, ?4)")                                                     \
	X(BOX_CHILDREN, "SELECT id, name FROM mailboxes WHERE user = ?1"                           \
	                " AND name > ?2 || '/' AND name < ?2 || '0' ORDER BY name")                \
	X(BOX_DEL, "DELETE FROM mailboxes WHERE id = ?1")                                          \
	X(BOX_SET_NAME, "UPDATE mailboxes SET name = ?2 WHERE id = ?1")                            \
	X(BOX_SET_COUNTERS, "UPDATE mailboxes SET uidnext = ?2, highestmodseq = ?3 WHERE id = ?1") \
	X(BOX_SET_RECENT, "UPDATE mailboxes SET recent_uid = ?2 WHERE id = ?1")                    \
	X(SUB_ADD, "INSERT OR IGNORE INTO subscriptions (user, name) VALUES (?1, ?2)")             \
	X(SUB_DEL, "DELETE FROM subscriptions WHERE user = ?1 AND name = ?2")                      \
	X(SUB_RENAME, "UPDATE OR REPLACE subscriptions SET name = ?3 WHERE user = ?1"              \
	              " AND name = ?2")                                                            \
	X(SUB_LIST, "SELECT name FROM subscriptions WHERE user = ?1 ORDER BY name")                \
	X(STATUS, "SELECT count(*), total((e.flags & ?2) = 0), total((e.flags & ?3) != 0),"        \
	          " total(e.uid >= ?4), total(m.size) FROM entries e"                              \
	          " JOIN messages m ON m.id = e.message WHERE e.mailbox = ?1")                     \
	X(MESSAGE_ADD, "INSERT INTO messages (size, internaldate, tz, sealed, sent_date,"          \
	               " envelope, bodystructure, body, headers)"                                  \
	               " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")                             \
	X(BLOB_ADD, "INSERT INTO blobs (id, data) VALUES (?1, ?2)")                                \
	X(ENTRY_ADD, "INSERT INTO entries (mailbox, uid, message, flags, keywords, modseq)"        \
	             " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")                                           \
	X(ENTRIES, "SELECT uid, flags, keywords, modseq FROM entries WHERE mailbox = ?1"           \
	           " ORDER BY uid")                                                                \
	X(ENTRIES_RANGE, "SELECT uid, flags, keywords, modseq, message FROM entries"               \
	                 " WHERE mailbox = ?1 AND uid BETWEEN ?2 AND ?3 ORDER BY uid")             \
	X(ENTRY_SET_FLAGS, "UPDATE entries SET flags = ?3, keywords = ?4, modseq = ?5"             \
	                   " WHERE mailbox = ?1 AND uid = ?2")                                     \
	X(ENTRY_DEL, "DELETE FROM entries WHERE mailbox = ?1 AND uid = ?2")                        \
	X(EXPUNGE_LOG,                                                                             \
	  "INSERT OR REPLACE INTO expunged (mailbox, uid, modseq) VALUES (?1, ?2, ?3)")            \
	X(META, "SELECT id, internaldate, tz, size, sealed, envelope, bodystructure, body,"        \
	        " sent_date, headers FROM messages WHERE id = ?1")                                 \
	X(ENTRY_MESSAGE, "SELECT message FROM entries WHERE mailbox = ?1 AND uid = ?2")            \
	X(ENTRY_MESSAGES, "SELECT uid, message FROM entries WHERE mailbox = ?1 ORDER BY uid")      \
	/* entries outer (CROSS JOIN): its primary key gives the UID order, no sort. */            \
	X(ENTRY_SIZES, "SELECT e.uid, e.message, m.size FROM entries e CROSS JOIN messages m"      \
	               " ON m.id = e.message WHERE e.mailbox = ?1 ORDER BY e.uid")                 \
	X(DATA, "SELECT data FROM blobs WHERE id = ?1")                                            \
	X(QUEUE_ADD, "INSERT INTO queue (created, sender, user, ret, envid, size, data)"           \
	             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")                                       \
	X(QUEUE_RCPT_ADD, "INSERT INTO queue_rcpts (queue_id, idx, address, notify, orcpt)"        \
	                  " VALUES (?1, ?2, ?3, ?4, ?5)")                                          \
	X(QUEUE_LIST, SQ_QUEUE_COLUMNS "ORDER BY q.id")                                            \
	X(QUEUE_GET, SQ_QUEUE_COLUMNS "WHERE q.id = ?1")                                           \
	X(QUEUE_RCPTS, "SELECT address, notify, orcpt FROM queue_rcpts WHERE queue_id = ?1"        \
	               " ORDER BY idx")                                                            \
	X(QUEUE_DATA, "SELECT data FROM queue WHERE id = ?1")                                      \
	X(QUEUE_DEL, "DELETE FROM queue WHERE id = ?1")                                            \
	/*                                                                                         \
	 * INDEXED BY: these run after every command and usually find nothing; without             \
	 * statistics the planner would walk the whole mailbox in UID order to skip the sort.      \
	 */                                                                                        \
	X(CHANGED_SINCE, "SELECT uid, flags, keywords, modseq FROM entries"                        \
	                 " INDEXED BY entries_modseq WHERE mailbox = ?1 AND modseq > ?2"           \
	                 " ORDER BY uid")                                                          \
	X(EXPUNGED_SINCE, "SELECT uid FROM expunged INDEXED BY expunged_modseq"                    \
	                  " WHERE mailbox = ?1 AND modseq > ?2 ORDER BY uid")

#define SQ_ENUM(name, sql) SQ_##name,
#define SQ_SQL(name, sql)  sql,
enum sq_stmt { SQ_STATEMENTS(SQ_ENUM) SQ_STMT_COUNT };
static const char *const sq_sql[SQ_STMT_COUNT] = {SQ_STATEMENTS(SQ_SQL)};

struct sqlite_store {
	struct store s; /* first: struct store * converts both ways */
	sqlite3 *db;
	sqlite3_stmt *stmts[SQ_STMT_COUNT];
	bool writing; /* holds sq_write_lock */
	char *wal_path;
	int wal_fd; /* for sq_wal_sync; -1 until the first write */
};

/*
 * The writers of this process queue here before BEGIN IMMEDIATE. SQLite lets
 * one writer in at a time anyway; without this queue the others would poll its
 * lock in its busy handler, sleeping 1, 2, 5 ... 100 ms between tries, and a
 * worker would idle long after the lock was free. Other processes (admin
 * commands) still meet the busy timeout.
 */
static pthread_mutex_t sq_write_lock = PTHREAD_MUTEX_INITIALIZER;

/* A mailbox's counters, read inside the transaction that changes them. */
struct sq_box {
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	uint32_t recent_uid;
};

/* One entry read for a change. */
struct sq_row {
	uint64_t message;
	uint64_t modseq;
	char *keywords;
	uint32_t uid;
	unsigned flags;
};

struct sq_rows {
	struct sq_row *v;
	size_t n, cap;
};

/* Growable uint32 array for UID results. */
struct sq_u32 {
	uint32_t *v;
	size_t n, cap;
};

static const struct {
	const char *name;
	unsigned use;
} sq_default_boxes[] = {
        {"INBOX", 0},
        {"Sent", STORE_USE_SENT},
        {"Drafts", STORE_USE_DRAFTS},
        {"Trash", STORE_USE_TRASH},
        {"Junk", STORE_USE_JUNK},
        {"Archive", STORE_USE_ARCHIVE},
};

static __thread char sq_open_error[STORE_ERROR_MAX];

static struct sqlite_store *sq(struct store *s)
{
	return (struct sqlite_store *)s;
}

/* --- statements and errors --- */

/* Records the failure rc and maps it to a STORE_ERR_* code. */
static int sq_fail(struct sqlite_store *q, int rc)
{
	int err;

	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		err = STORE_ERR_EXISTS;
		break;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		err = STORE_ERR_NOTFOUND;
		break;
	case SQLITE_TOOBIG:
		err = STORE_ERR_INVALID;
		break;
	default:
		/* FULL, IOERR, BUSY, LOCKED, NOMEM, CORRUPT ...: the environment. */
		err = (rc & 0xff) == SQLITE_CONSTRAINT ? STORE_ERR_INVALID : STORE_ERR_TEMP;
		break;
	}
	return store_set_error(&q->s, err, "sqlite: %s (%d)", sqlite3_errmsg(q->db), rc);
}

/*
 * Gets the cached statement id (preparing it on first use), resets it and
 * binds its parameters described by types: 'i' int64_t, 't' const char *
 * (NULL binds NULL), 'b' const void * then size_t.
 */
static int sq_vprep(struct sqlite_store *q, sqlite3_stmt **st_r, enum sq_stmt id, const char *types,
                    va_list ap)
{
	sqlite3_stmt *st = q->stmts[id];
	int rc = SQLITE_OK;

	if (st == NULL) {
		rc = sqlite3_prepare_v3(q->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
		                        &q->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(q, rc);
		st = q->stmts[id];
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
		if (types[i] == 'i') {
			rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		} else if (types[i] == 't') {
			const char *t = va_arg(ap, const char *);

			rc = t == NULL ? sqlite3_bind_null(st, i + 1)
			               : sqlite3_bind_text(st, i + 1, t, -1, SQLITE_STATIC);
		} else {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			rc = sqlite3_bind_blob64(st, i + 1, n > 0 ? p : "", n, SQLITE_STATIC);
		}
	}
	if (rc != SQLITE_OK)
		return sq_fail(q, rc);
	*st_r = st;
	return STORE_OK;
}

static int sq_prep(struct sqlite_store *q, sqlite3_stmt **st_r, enum sq_stmt id, const char *types,
                   ...)
{
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = sq_vprep(q, st_r, id, types, ap);
	va_end(ap);
	return ret;
}

/* Steps st: 1 for a row, 0 when done, or an error (the statement is reset). */
static int sq_step(struct sqlite_store *q, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	rc = sq_fail(q, rc);
	sqlite3_reset(st);
	return rc;
}

/* Runs a statement that returns no row. */
static int sq_exec(struct sqlite_store *q, enum sq_stmt id, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int ret;

	va_start(ap, types);
	ret = sq_vprep(q, &st, id, types, ap);
	va_end(ap);
	if (ret < 0)
		return ret;
	ret = sq_step(q, st);
	sqlite3_reset(st);
	return ret > 0 ? STORE_OK : ret;
}

/*
 * Runs a one-row query binding a single integer and returns its first column
 * in *v_r: 1 if a row came, 0 if none, or an error.
 */
static int sq_query_int(struct sqlite_store *q, enum sq_stmt id, const char *types, const void *arg,
                        int64_t *v_r)
{
	sqlite3_stmt *st;
	int ret;

	if (types[0] == 'i')
		ret = sq_prep(q, &st, id, types, *(const int64_t *)arg);
	else if (types[0] == 't')
		ret = sq_prep(q, &st, id, types, (const char *)arg);
	else
		ret = sq_prep(q, &st, id, "");
	if (ret < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1)
		*v_r = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return ret;
}

static char *sq_col_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t == NULL ? NULL : xstrdup((const char *)t);
}

static void sq_reset_all(struct sqlite_store *q)
{
	for (size_t i = 0; i < SQ_STMT_COUNT; i++) {
		if (q->stmts[i] != NULL)
			sqlite3_reset(q->stmts[i]);
	}
}

/* --- transactions --- */

/*
 * Makes the WAL durable after a write transaction committed. The connection
 * runs with synchronous = NORMAL, so COMMIT itself does not sync; this runs
 * after the write lock is released, so that writers committing one after the
 * other sync at the same time (the file system joins their flushes into one
 * journal commit) instead of each holding the lock through its own fsync. The
 * caller answers its client only after this returned STORE_OK.
 */
static int sq_wal_sync(struct sqlite_store *q)
{
	struct stat st_fd, st_path;

	for (int tries = 0; tries < 2; tries++) {
		if (q->wal_fd < 0 && (q->wal_fd = open(q->wal_path, O_RDONLY | O_CLOEXEC)) < 0) {
			/* No WAL: a checkpoint moved everything into the synced database. */
			return errno == ENOENT ? STORE_OK
			                       : store_set_error(&q->s, STORE_ERR_TEMP,
			                                         "cannot open the WAL to sync it");
		}
		if (fdatasync(q->wal_fd) < 0)
			return store_set_error(&q->s, STORE_ERR_TEMP,
			                       "fdatasync of the WAL failed");
		/* Still the WAL? (It is only recreated after every connection closed.) */
		if (stat(q->wal_path, &st_path) == 0 && fstat(q->wal_fd, &st_fd) == 0 &&
		    st_path.st_ino == st_fd.st_ino && st_path.st_dev == st_fd.st_dev)
			return STORE_OK;
		close(q->wal_fd); /* SQLite keeps no locks on the WAL file itself */
		q->wal_fd = -1;
	}
	return store_set_error(&q->s, STORE_ERR_TEMP, "the WAL file changed while syncing");
}

static void sq_write_unlock(struct sqlite_store *q)
{
	if (q->writing) {
		q->writing = false;
		pthread_mutex_unlock(&sq_write_lock);
	}
}

static int sq_begin(struct sqlite_store *q, bool write)
{
	int ret;

	if (write) {
		pthread_mutex_lock(&sq_write_lock);
		q->writing = true;
	}
	ret = sq_exec(q, write ? SQ_BEGIN_WRITE : SQ_BEGIN_READ, "");
	if (ret < 0)
		sq_write_unlock(q);
	return ret;
}

/*
 * Ends the open transaction: commits if ret is STORE_OK (then announces the
 * changed mailboxes), otherwise rolls back. Returns the final result. With
 * sync, a committed write is fdatasync'ed before the return; without it (flag
 * changes) the commit is in the WAL, so it survives the process being killed,
 * and reaches the disk with the next synced write or checkpoint.
 */
static int sq_finish(struct sqlite_store *q, int ret, bool sync)
{
	sqlite3_stmt *rb;

	sq_reset_all(q);
	if (ret == STORE_OK && (ret = sq_exec(q, SQ_COMMIT, "")) == STORE_OK) {
		bool wrote = q->writing;

		sq_write_unlock(q);
		if (wrote && sync)
			ret = sq_wal_sync(q);
		store_notify_flush(&q->s); /* committed: others see it either way */
		return ret;
	}
	store_notify_discard(&q->s);
	/* Some errors (FULL, IOERR, NOMEM) already rolled back on their own. */
	if (!sqlite3_get_autocommit(q->db) && sq_prep(q, &rb, SQ_ROLLBACK, "") == STORE_OK) {
		(void)sqlite3_step(rb); /* keeps the first error's message */
		sqlite3_reset(rb);
	}
	sq_write_unlock(q);
	return ret;
}

static int sq_end(struct sqlite_store *q, int ret)
{
	return sq_finish(q, ret, true);
}

/* --- small growable arrays --- */

static void sq_u32_push(struct sq_u32 *a, uint32_t v)
{
	a->v = xgrowarray(a->v, a->n, &a->cap, sizeof(*a->v), 16);
	a->v[a->n++] = v;
}

static void sq_rows_free(struct sq_rows *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->v[i].keywords);
	XFREE(r->v);
	r->n = r->cap = 0;
}

static void sq_strs_push(char ***v, size_t *n, size_t *cap, char *s)
{
	*v = xgrowarray(*v, *n, cap, sizeof(**v), 16);
	(*v)[(*n)++] = s;
}

static void sq_strs_free(char ***v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((*v)[i]);
	XFREE(*v);
}

/*
 * Runs a query whose rows are one text column into a new string list; types
 * "" (no parameter), "i" (arg is an int64_t *) or "t" (arg is a string).
 */
static int sq_query_strings(struct sqlite_store *q, enum sq_stmt id, const char *types,
                            const void *arg, char ***names_r, size_t *n_r)
{
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	char **v = NULL;
	int ret;

	if (types[0] == 'i')
		ret = sq_prep(q, &st, id, types, *(const int64_t *)arg);
	else if (types[0] == 't')
		ret = sq_prep(q, &st, id, types, (const char *)arg);
	else
		ret = sq_prep(q, &st, id, "");
	if (ret < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1)
		sq_strs_push(&v, &n, &cap, sq_col_strdup(st, 0));
	sqlite3_reset(st);
	if (ret < 0) {
		sq_strs_free(&v, n);
		return ret;
	}
	*names_r = v;
	*n_r = n;
	return STORE_OK;
}

/* --- mailbox helpers (inside a transaction) --- */

static int sq_box_state(struct sqlite_store *q, uint64_t id, struct sq_box *b)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_BOX_STATE, "i", (int64_t)id)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		b->uidvalidity = (uint32_t)sqlite3_column_int64(st, 0);
		b->uidnext = (uint32_t)sqlite3_column_int64(st, 1);
		b->highestmodseq = (uint64_t)sqlite3_column_int64(st, 2);
		b->recent_uid = (uint32_t)sqlite3_column_int64(st, 3);
		ret = STORE_OK;
	} else if (ret == 0) {
		ret = store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such mailbox");
	}
	sqlite3_reset(st);
	return ret;
}

static int sq_box_set_counters(struct sqlite_store *q, uint64_t id, uint32_t uidnext,
                               uint64_t modseq)
{
	store_notify_add(&q->s, id);
	return sq_exec(q, SQ_BOX_SET_COUNTERS, "iii", (int64_t)id, (int64_t)uidnext,
	               (int64_t)modseq);
}

/* Fills box from a SQ_BOX_COLUMNS row. */
static void sq_box_read(sqlite3_stmt *st, struct store_mailbox *box)
{
	box->id = (uint64_t)sqlite3_column_int64(st, 0);
	box->name = sq_col_strdup(st, 1);
	box->special_use = (unsigned)sqlite3_column_int64(st, 2);
	box->subscribed = sqlite3_column_int(st, 3) != 0;
	box->uidvalidity = (uint32_t)sqlite3_column_int64(st, 4);
	box->uidnext = (uint32_t)sqlite3_column_int64(st, 5);
	box->highestmodseq = (uint64_t)sqlite3_column_int64(st, 6);
	box->recent_uid = (uint32_t)sqlite3_column_int64(st, 7);
}

static int sq_box_by_name(struct sqlite_store *q, uint64_t user_id, const char *name,
                          struct store_mailbox *box_r)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_BOX_GET, "it", (int64_t)user_id, name)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		sq_box_read(st, box_r);
		ret = STORE_OK;
	} else if (ret == 0) {
		ret = store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such mailbox");
	}
	sqlite3_reset(st);
	return ret;
}

/*
 * RFC 3501 2.3.1.1: a UIDVALIDITY is never reused. The value is the current
 * time, or one more than the last one given out if that is not smaller, so
 * delete + create of a name always yields a new, larger value.
 */
static int sq_new_uidvalidity(struct sqlite_store *q, uint32_t *v_r)
{
	int64_t last = 0, now = (int64_t)time(NULL), v;
	int ret;

	if ((ret = sq_query_int(q, SQ_UIDVALIDITY_GET, "", NULL, &last)) < 0)
		return ret;
	v = last + 1 > now ? last + 1 : now;
	if (v <= 0 || v > UINT32_MAX)
		return store_set_error(&q->s, STORE_ERR_TEMP, "UIDVALIDITY space exhausted");
	*v_r = (uint32_t)v;
	return sq_exec(q, SQ_UIDVALIDITY_SET, "i", v);
}

static int sq_box_insert(struct sqlite_store *q, uint64_t user_id, const char *name, unsigned use,
                         uint64_t *id_r)
{
	uint32_t uidvalidity = 0;
	int ret;

	if ((ret = sq_new_uidvalidity(q, &uidvalidity)) < 0)
		return ret;
	ret = sq_exec(q, SQ_BOX_ADD, "itii", (int64_t)user_id, name, (int64_t)use,
	              (int64_t)uidvalidity);
	if (ret == STORE_ERR_EXISTS)
		return store_set_error(&q->s, ret, "mailbox exists");
	if (ret == STORE_ERR_NOTFOUND)
		return store_set_error(&q->s, ret, "no such user");
	if (ret == STORE_OK && id_r != NULL)
		*id_r = (uint64_t)sqlite3_last_insert_rowid(q->db);
	return ret;
}

/* Reads the entries of mailbox in uids (NULL: all), ascending. */
static int sq_rows_collect(struct sqlite_store *q, uint64_t mailbox,
                           const struct store_uid_range *uids, size_t n_uids, struct sq_rows *r)
{
	static const struct store_uid_range all = {1, UINT32_MAX};
	sqlite3_stmt *st;
	int ret = STORE_OK;

	if (uids == NULL) {
		uids = &all;
		n_uids = 1;
	}
	for (size_t i = 0; i < n_uids && ret == STORE_OK; i++) {
		ret = sq_prep(q, &st, SQ_ENTRIES_RANGE, "iii", (int64_t)mailbox,
		              (int64_t)uids[i].lo, (int64_t)uids[i].hi);
		if (ret < 0)
			break;
		while ((ret = sq_step(q, st)) == 1) {
			struct sq_row *row;

			r->v = xgrowarray(r->v, r->n, &r->cap, sizeof(*r->v), 64);
			row = &r->v[r->n++];
			row->uid = (uint32_t)sqlite3_column_int64(st, 0);
			row->flags = (unsigned)sqlite3_column_int64(st, 1);
			row->keywords = sq_col_strdup(st, 2);
			row->modseq = (uint64_t)sqlite3_column_int64(st, 3);
			row->message = (uint64_t)sqlite3_column_int64(st, 4);
		}
		sqlite3_reset(st);
	}
	return ret < 0 ? ret : STORE_OK;
}

/* Removes one entry and logs its UID with modseq (RFC 7162 3.2.5.1 VANISHED). */
static int sq_entry_expunge(struct sqlite_store *q, uint64_t mailbox, uint32_t uid, uint64_t modseq)
{
	int ret;

	ret = sq_exec(q, SQ_ENTRY_DEL, "ii", (int64_t)mailbox, (int64_t)uid);
	if (ret == STORE_OK)
		ret = sq_exec(q, SQ_EXPUNGE_LOG, "iii", (int64_t)mailbox, (int64_t)uid,
		              (int64_t)modseq);
	return ret;
}

/* Expunges from mailbox the rows that carry every flag in need_flags (0: every row). */
static int sq_rows_expunge(struct sqlite_store *q, uint64_t mailbox, const struct sq_rows *rows,
                           unsigned need_flags, struct sq_u32 *out)
{
	struct sq_box box;
	uint64_t modseq;
	bool any = false;
	int ret;

	if ((ret = sq_box_state(q, mailbox, &box)) < 0)
		return ret;
	modseq = box.highestmodseq + 1;
	for (size_t i = 0; i < rows->n && ret == STORE_OK; i++) {
		if ((rows->v[i].flags & need_flags) != need_flags)
			continue;
		ret = sq_entry_expunge(q, mailbox, rows->v[i].uid, modseq);
		if (out != NULL)
			sq_u32_push(out, rows->v[i].uid);
		any = true;
	}
	if (ret == STORE_OK && any)
		ret = sq_box_set_counters(q, mailbox, box.uidnext, modseq);
	return ret;
}

/*
 * COPY/MOVE inside a transaction: new UIDs in dst in source order, one new
 * modseq in dst; a move then expunges the sources with one new modseq in src.
 */
static int sq_copy_tx(struct sqlite_store *q, uint64_t src, const struct store_uid_range *uids,
                      size_t n_uids, uint64_t dst, bool move, struct sq_u32 *src_out,
                      struct sq_u32 *dst_out, uint32_t *dst_uidvalidity_r)
{
	struct sq_rows rows = {0};
	struct sq_box sbox, dbox;
	uint64_t modseq;
	int ret;

	if ((ret = sq_box_state(q, src, &sbox)) < 0 || (ret = sq_box_state(q, dst, &dbox)) < 0)
		return ret;
	*dst_uidvalidity_r = dbox.uidvalidity;
	if ((ret = sq_rows_collect(q, src, uids, n_uids, &rows)) < 0 || rows.n == 0)
		goto out;
	if (UINT32_MAX - dbox.uidnext < rows.n) {
		ret = store_set_error(&q->s, STORE_ERR_INVALID, "UID space of mailbox exhausted");
		goto out;
	}
	modseq = dbox.highestmodseq + 1;
	for (size_t i = 0; i < rows.n && ret == STORE_OK; i++) {
		const struct sq_row *r = &rows.v[i];
		uint32_t uid = dbox.uidnext + (uint32_t)i;

		ret = sq_exec(q, SQ_ENTRY_ADD, "iiiiti", (int64_t)dst, (int64_t)uid,
		              (int64_t)r->message, (int64_t)r->flags, r->keywords, (int64_t)modseq);
		sq_u32_push(src_out, r->uid);
		sq_u32_push(dst_out, uid);
	}
	if (ret == STORE_OK)
		ret = sq_box_set_counters(q, dst, dbox.uidnext + (uint32_t)rows.n, modseq);
	if (ret == STORE_OK && move)
		ret = sq_rows_expunge(q, src, &rows, 0, NULL);
out:
	sq_rows_free(&rows);
	return ret;
}

/* --- lifecycle --- */

/* Creates dir and its missing parents with mode 0700. */
static int sq_mkdirs(const char *dir)
{
	char *path = xstrdup(dir);
	int ret = 0;

	for (char *p = path + 1; *p != '\0' && ret == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			ret = -1;
		*p = '/';
	}
	if (ret == 0 && mkdir(path, 0700) < 0 && errno != EEXIST)
		ret = -1;
	free(path);
	return ret;
}

static struct store *sq_open_fail(struct sqlite_store *q, const char **error_r, const char *what)
{
	snprintf(sq_open_error, sizeof(sq_open_error), "store: %s: %s", what,
	         q != NULL && q->db != NULL ? sqlite3_errmsg(q->db) : strerror(errno));
	*error_r = sq_open_error;
	if (q != NULL)
		store_sqlite.close(&q->s);
	return NULL;
}

static int sq_exec_sql(struct sqlite_store *q, const char *sql)
{
	int rc = sqlite3_exec(q->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? STORE_OK : sq_fail(q, rc);
}

static int sq_pragma_int(struct sqlite_store *q, const char *sql, int64_t *v_r)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(q, rc);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v_r = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? STORE_OK : sq_fail(q, rc);
}

/* Brings the schema to SQ_SCHEMA_VERSION; runs once per database, under the write lock. */
static int sq_migrate(struct sqlite_store *q)
{
	int64_t version = 0;
	char sql[64];
	int ret;

	if ((ret = sq_pragma_int(q, "PRAGMA user_version", &version)) < 0)
		return ret;
	if (version == SQ_SCHEMA_VERSION)
		return STORE_OK;
	if ((ret = sq_exec_sql(q, "BEGIN IMMEDIATE")) < 0)
		return ret;
	/* Another process may have migrated while we waited for the lock. */
	ret = sq_pragma_int(q, "PRAGMA user_version", &version);
	if (ret == STORE_OK && (version < 0 || version > SQ_SCHEMA_VERSION))
		ret = store_set_error(&q->s, STORE_ERR_INVALID,
		                      "schema version %lld is unknown to this program",
		                      (long long)version);
	for (; ret == STORE_OK && version < SQ_SCHEMA_VERSION; version++)
		ret = sq_exec_sql(q, sq_migrations[version]);
	if (ret == STORE_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SQ_SCHEMA_VERSION);
		ret = sq_exec_sql(q, sql);
	}
	if (ret == STORE_OK)
		ret = sq_exec_sql(q, "COMMIT");
	if (ret != STORE_OK && !sqlite3_get_autocommit(q->db))
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	return ret;
}

static int sq_configure(struct sqlite_store *q)
{
	sqlite3_stmt *st;
	bool wal;
	int rc, ret;

	sqlite3_extended_result_codes(q->db, 1);
	sqlite3_busy_timeout(q->db, SQ_BUSY_TIMEOUT_MS);
	/* Before the first table exists (ignored afterwards): fewer, larger page reads. */
	if ((ret = sq_exec_sql(q, "PRAGMA page_size = " SQ_PAGE_SIZE)) < 0)
		return ret;
	rc = sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(q, rc);
	rc = sqlite3_step(st);
	wal = rc == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	      strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal)
		return rc == SQLITE_ROW ? store_set_error(&q->s, STORE_ERR_TEMP, "WAL refused")
		                        : sq_fail(q, rc);
	/*
	 * XXX no mmap_size: it would save the page copies after another connection's
	 * commit, but an I/O error would then arrive as SIGBUS instead of an error.
	 */
	/* NORMAL: a write is made durable by sq_wal_sync() after the lock, not in COMMIT. */
	if ((ret = sq_exec_sql(q, "PRAGMA synchronous = NORMAL")) < 0 ||
	    (ret = sq_exec_sql(q, "PRAGMA foreign_keys = ON")) < 0)
		return ret;
	return sq_migrate(q);
}

static struct store *sq_open(const char *data_dir, const char **error_r)
{
	struct sqlite_store *q;
	char *path;
	int fd, rc;

	if (sq_mkdirs(data_dir) < 0)
		return sq_open_fail(NULL, error_r, data_dir);
	path = xasprintf("%s/%s", data_dir, SQ_DB_NAME);
	/*
	 * Created 0600 before SQLite sees it; the -wal and -shm files inherit the mode.
	 * Only when it does not exist yet: closing any descriptor of the file would drop
	 * the POSIX locks of every other connection of this process to it, and another
	 * process could then checkpoint and delete a WAL this one still writes to.
	 */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST) {
		free(path);
		return sq_open_fail(NULL, error_r, SQ_DB_NAME);
	}
	if (fd >= 0)
		close(fd);
	q = xcalloc(1, sizeof(*q));
	store_common_init(&q->s, &store_sqlite);
	q->wal_fd = -1;
	q->wal_path = xasprintf("%s-wal", path);
	rc = sqlite3_open_v2(path, &q->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK)
		return sq_open_fail(q, error_r, SQ_DB_NAME);
	if (sq_configure(q) < 0) {
		snprintf(sq_open_error, sizeof(sq_open_error), "%s", q->s.error);
		*error_r = sq_open_error;
		store_sqlite.close(&q->s);
		return NULL;
	}
	return &q->s;
}

static void sq_close(struct store *s)
{
	struct sqlite_store *q = sq(s);

	for (size_t i = 0; i < SQ_STMT_COUNT; i++)
		sqlite3_finalize(q->stmts[i]);
	sqlite3_close(q->db);
	if (q->wal_fd >= 0)
		close(q->wal_fd);
	free(q->wal_path);
	store_common_deinit(&q->s);
	free(q);
}

/* --- domains --- */

static int sq_domain_add(struct store *s, const char *domain)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_exec(q, SQ_DOMAIN_ADD, "t", domain);
	if (ret == STORE_ERR_EXISTS)
		store_set_error(s, ret, "domain exists");
	return sq_end(q, ret);
}

static int sq_domain_del(struct store *s, const char *domain)
{
	struct sqlite_store *q = sq(s);
	int64_t id = 0, one;
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_query_int(q, SQ_DOMAIN_ID, "t", domain, &id);
	if (ret == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such domain");
	if (ret == 1)
		ret = sq_query_int(q, SQ_DOMAIN_HAS_USERS, "i", &id, &one);
	if (ret == 1)
		ret = store_set_error(s, STORE_ERR_INVALID, "domain has accounts");
	if (ret == 0)
		ret = sq_exec(q, SQ_DOMAIN_DEL, "i", id);
	return sq_end(q, ret);
}

static int sq_domain_exists(struct store *s, const char *domain)
{
	int64_t id;

	return sq_query_int(sq(s), SQ_DOMAIN_ID, "t", domain, &id);
}

static int sq_domain_list(struct store *s, char ***names_r, size_t *n_r)
{
	return sq_query_strings(sq(s), SQ_DOMAIN_LIST, "", NULL, names_r, n_r);
}

/* --- accounts --- */

static int sq_user_create(struct sqlite_store *q, const char *address, const char *domain,
                          const char *password_hash)
{
	int64_t domain_id = 0, one;
	uint64_t user_id;
	int ret;

	ret = sq_query_int(q, SQ_DOMAIN_ID, "t", domain, &domain_id);
	if (ret == 0)
		return store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such domain");
	if (ret < 0)
		return ret;
	/* An address is an account or an alias, never both (see sq_alias_create). */
	ret = sq_query_int(q, SQ_ALIAS_EXISTS, "t", address, &one);
	if (ret == 1)
		return store_set_error(&q->s, STORE_ERR_EXISTS, "address is an alias");
	if (ret < 0)
		return ret;
	ret = sq_exec(q, SQ_USER_ADD, "itt", domain_id, address, password_hash);
	if (ret == STORE_ERR_EXISTS)
		return store_set_error(&q->s, ret, "account exists");
	if (ret < 0)
		return ret;
	user_id = (uint64_t)sqlite3_last_insert_rowid(q->db);
	for (size_t i = 0; i < N_ELEMENTS(sq_default_boxes) && ret == STORE_OK; i++) {
		ret = sq_box_insert(q, user_id, sq_default_boxes[i].name, sq_default_boxes[i].use,
		                    NULL);
		if (ret == STORE_OK)
			ret = sq_exec(q, SQ_SUB_ADD, "it", (int64_t)user_id,
			              sq_default_boxes[i].name);
	}
	return ret;
}

static int sq_user_add(struct store *s, const char *address, const char *domain,
                       const char *password_hash)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	return sq_end(q, sq_user_create(q, address, domain, password_hash));
}

static int sq_user_del(struct store *s, const char *address)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	int64_t id = 0;
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_query_int(q, SQ_USER_GET, "t", address, &id);
	if (ret == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such user");
	if (ret == 1 && (ret = sq_prep(q, &st, SQ_USER_BOXES, "i", id)) == STORE_OK) {
		/* Sessions watching its mailboxes learn that they are gone. */
		while ((ret = sq_step(q, st)) == 1)
			store_notify_add(s, (uint64_t)sqlite3_column_int64(st, 0));
		sqlite3_reset(st);
	}
	/* Cascades to mailboxes, entries (and so messages), expunged, subscriptions. */
	if (ret == 0)
		ret = sq_exec(q, SQ_USER_DEL, "i", id);
	return sq_end(q, ret);
}

static int sq_user_set_password(struct store *s, const char *address, const char *password_hash)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_exec(q, SQ_USER_SET_PASSWORD, "tt", address, password_hash);
	if (ret == STORE_OK && sqlite3_changes(q->db) == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such user");
	return sq_end(q, ret);
}

static int sq_user_set_protect_subject(struct store *s, const char *address, bool on)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_exec(q, SQ_USER_SET_PROTECT, "ti", address, (int64_t)on);
	if (ret == STORE_OK && sqlite3_changes(q->db) == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such user");
	return sq_end(q, ret);
}

static int sq_key_add(struct store *s, uint64_t user_id, const struct store_key *k)
{
	struct sqlite_store *q = sq(s);
	int ret;

	int64_t n = 0;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	/* Counted inside the write transaction: two imports at once cannot pass the limit. */
	ret = sq_query_int(q, SQ_KEY_COUNT, "i", &(int64_t){(int64_t)user_id}, &n);
	if (ret >= 0 && n >= STORE_KEYS_MAX)
		return sq_end(q, store_set_error(s, STORE_ERR_INVALID,
		                                 "an account has at most %d keys", STORE_KEYS_MAX));
	if (ret < 0)
		return sq_end(q, ret);
	if (k->secret_key != NULL)
		ret = sq_exec(q, SQ_KEY_ADD, "itibb", (int64_t)user_id, k->fingerprint,
		              (int64_t)k->created, (const void *)k->public_key, k->public_len,
		              (const void *)k->secret_key, k->secret_len);
	else
		ret = sq_exec(q, SQ_KEY_ADD, "itibt", (int64_t)user_id, k->fingerprint,
		              (int64_t)k->created, (const void *)k->public_key, k->public_len,
		              NULL);
	return sq_end(q, ret);
}

/* A blob column as a new buffer (NULL for SQL NULL). */
static char *sq_col_blob(sqlite3_stmt *st, int col, size_t *len_r)
{
	const void *p = sqlite3_column_blob(st, col);
	size_t n = (size_t)sqlite3_column_bytes(st, col);
	char *v;

	*len_r = 0;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	v = xmalloc(n + 1);
	memcpy(v, p != NULL ? p : "", n);
	v[n] = '\0';
	*len_r = n;
	return v;
}

static int sq_keys_read(struct sqlite_store *q, uint64_t user_id, bool with_secret,
                        struct store_key **keys_r, size_t *n_r)
{
	struct store_key *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int ret;

	ret = sq_prep(q, &st, with_secret ? SQ_KEY_LIST : SQ_KEY_LIST_PUBLIC, "i",
	              (int64_t)user_id);
	while (ret == STORE_OK && (ret = sq_step(q, st)) == 1) {
		struct store_key *k;

		v = xgrowarray(v, n, &cap, sizeof(*v), 4);
		k = &v[n++];
		k->id = (uint64_t)sqlite3_column_int64(st, 0);
		k->fingerprint = sq_col_strdup(st, 1);
		k->created = (time_t)sqlite3_column_int64(st, 2);
		k->public_key = sq_col_blob(st, 3, &k->public_len);
		k->secret_key = sq_col_blob(st, 4, &k->secret_len);
		ret = STORE_OK;
	}
	if (ret == 0)
		sqlite3_reset(st);
	*keys_r = v;
	*n_r = n;
	return ret;
}

static int sq_key_list(struct store *s, uint64_t user_id, bool with_secret,
                       struct store_key **keys_r, size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, false)) < 0)
		return ret;
	return sq_end(q, sq_keys_read(q, user_id, with_secret, keys_r, n_r));
}

static int sq_key_del(struct store *s, uint64_t user_id, const char *fingerprint)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	if (fingerprint != NULL)
		ret = sq_exec(q, SQ_KEY_DEL, "it", (int64_t)user_id, fingerprint);
	else
		ret = sq_exec(q, SQ_KEY_DEL_ALL, "i", (int64_t)user_id);
	if (ret == STORE_OK && sqlite3_changes(q->db) == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such key");
	return sq_end(q, ret);
}

static int sq_user_lookup(struct store *s, const char *address, struct store_user *user_r)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_USER_GET, "t", address)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		user_r->id = (uint64_t)sqlite3_column_int64(st, 0);
		user_r->address = sq_col_strdup(st, 1);
		user_r->password_hash = sq_col_strdup(st, 2);
		user_r->protect_subject = sqlite3_column_int(st, 3) != 0;
		user_r->n_keys = (unsigned)sqlite3_column_int64(st, 4);
		ret = STORE_OK;
	} else if (ret == 0) {
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such user");
	}
	sqlite3_reset(st);
	return ret;
}

static int sq_user_list(struct store *s, char ***addresses_r, size_t *n_r)
{
	return sq_query_strings(sq(s), SQ_USER_LIST, "", NULL, addresses_r, n_r);
}

/* --- aliases --- */

static int sq_alias_create(struct sqlite_store *q, const char *alias, const char *domain,
                           const char *target)
{
	int64_t domain_id = 0, user_id = 0;
	int ret;

	ret = sq_query_int(q, SQ_DOMAIN_ID, "t", domain, &domain_id);
	if (ret == 0)
		return store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such domain");
	if (ret < 0)
		return ret;
	/* An address is an account or an alias, never both: delivery stays unambiguous. */
	ret = sq_query_int(q, SQ_USER_GET, "t", alias, &user_id);
	if (ret == 1)
		return store_set_error(&q->s, STORE_ERR_EXISTS, "alias is an account");
	if (ret < 0)
		return ret;
	ret = sq_query_int(q, SQ_USER_GET, "t", target, &user_id);
	if (ret == 0)
		return store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such account");
	if (ret < 0)
		return ret;
	ret = sq_exec(q, SQ_ALIAS_ADD, "tii", alias, domain_id, user_id);
	if (ret == STORE_ERR_EXISTS)
		return store_set_error(&q->s, ret, "alias exists");
	return ret;
}

static int sq_alias_add(struct store *s, const char *alias, const char *domain, const char *target)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	return sq_end(q, sq_alias_create(q, alias, domain, target));
}

static int sq_alias_del(struct store *s, const char *alias, const char *target)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	if (target == NULL)
		ret = sq_exec(q, SQ_ALIAS_DEL_ALL, "t", alias);
	else
		ret = sq_exec(q, SQ_ALIAS_DEL, "tt", alias, target);
	if (ret == STORE_OK && sqlite3_changes(q->db) == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such alias");
	return sq_end(q, ret);
}

static int sq_alias_list(struct store *s, char ***aliases_r, char ***targets_r, size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	char **aliases = NULL, **targets = NULL;
	size_t n = 0, n2 = 0, cap = 0, cap2 = 0;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_ALIAS_LIST, "")) < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1) {
		sq_strs_push(&aliases, &n, &cap, sq_col_strdup(st, 0));
		sq_strs_push(&targets, &n2, &cap2, sq_col_strdup(st, 1));
	}
	sqlite3_reset(st);
	if (ret < 0) {
		sq_strs_free(&aliases, n);
		sq_strs_free(&targets, n2);
		return ret;
	}
	*aliases_r = aliases;
	*targets_r = targets;
	*n_r = n;
	return STORE_OK;
}

static int sq_alias_targets(struct store *s, const char *alias, char ***targets_r, size_t *n_r)
{
	return sq_query_strings(sq(s), SQ_ALIAS_TARGETS, "t", alias, targets_r, n_r);
}

/* --- mailboxes --- */

static int sq_mailbox_list(struct store *s, uint64_t user_id, struct store_mailbox **boxes_r,
                           size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	struct store_mailbox *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_BOX_LIST, "i", (int64_t)user_id)) < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1) {
		v = xgrowarray(v, n, &cap, sizeof(*v), 16);
		sq_box_read(st, &v[n++]);
	}
	sqlite3_reset(st);
	if (ret < 0) {
		store_mailbox_free_array(&v, n);
		return ret;
	}
	*boxes_r = v;
	*n_r = n;
	return STORE_OK;
}

static int sq_mailbox_get(struct store *s, uint64_t user_id, const char *name,
                          struct store_mailbox *box_r)
{
	return sq_box_by_name(sq(s), user_id, name, box_r);
}

static int sq_mailbox_create(struct store *s, uint64_t user_id, const char *name,
                             unsigned special_use)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	return sq_end(q, sq_box_insert(q, user_id, name, special_use, NULL));
}

static int sq_has_child(struct sqlite_store *q, uint64_t user_id, const char *name)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_BOX_CHILDREN, "it", (int64_t)user_id, name)) < 0)
		return ret;
	ret = sq_step(q, st);
	sqlite3_reset(st);
	return ret;
}

static int sq_mailbox_delete(struct store *s, uint64_t user_id, const char *name)
{
	struct sqlite_store *q = sq(s);
	struct store_mailbox box = {0};
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_box_by_name(q, user_id, name, &box);
	if (ret == STORE_OK)
		ret = sq_has_child(q, user_id, name);
	/* RFC 3501 6.3.4 allows \Noselect here; refusing is simpler. */
	if (ret == 1)
		ret = store_set_error(s, STORE_ERR_HASCHILD, "mailbox has children");
	if (ret == 0) {
		store_notify_add(s, box.id);
		ret = sq_exec(q, SQ_BOX_DEL, "i", (int64_t)box.id);
	}
	store_mailbox_deinit(&box);
	return sq_end(q, ret);
}

/* RFC 3501 6.3.5: renaming INBOX moves its messages to a new mailbox; INBOX stays, empty. */
static int sq_rename_inbox(struct sqlite_store *q, uint64_t user_id, const char *to)
{
	struct sq_u32 src = {0}, dst = {0};
	struct store_mailbox inbox = {0};
	uint64_t new_id;
	uint32_t uidvalidity = 0;
	int ret;

	ret = sq_box_by_name(q, user_id, "INBOX", &inbox);
	if (ret == STORE_OK)
		ret = sq_box_insert(q, user_id, to, 0, &new_id);
	if (ret == STORE_OK)
		ret = sq_copy_tx(q, inbox.id, NULL, 0, new_id, true, &src, &dst, &uidvalidity);
	store_mailbox_deinit(&inbox);
	free(src.v);
	free(dst.v);
	return ret;
}

struct sq_renamed {
	uint64_t id;
	char *name;
};

/*
 * Moves one mailbox (and its subscription) to new_name. Renames go through a
 * temporary name first ("\1" + id, which no valid name can be): a new name
 * may equal an old name that is renamed later in the same tree.
 */
static int sq_rename_step(struct sqlite_store *q, uint64_t user_id, uint64_t id,
                          const char *old_name, const char *new_name)
{
	int ret;

	ret = sq_exec(q, SQ_BOX_SET_NAME, "it", (int64_t)id, new_name);
	if (ret == STORE_ERR_EXISTS)
		return store_set_error(&q->s, ret, "mailbox exists");
	if (ret == STORE_OK)
		ret = sq_exec(q, SQ_SUB_RENAME, "itt", (int64_t)user_id, old_name, new_name);
	return ret;
}

static int sq_rename_all(struct sqlite_store *q, uint64_t user_id, const struct sq_renamed *v,
                         size_t n, const char *from, const char *to)
{
	char tmp[32], *name;
	int ret = STORE_OK;

	for (size_t i = 0; i < n && ret == STORE_OK; i++) {
		snprintf(tmp, sizeof(tmp), "\1%llu", (unsigned long long)v[i].id);
		ret = sq_rename_step(q, user_id, v[i].id, v[i].name, tmp);
	}
	for (size_t i = 0; i < n && ret == STORE_OK; i++) {
		name = xasprintf("%s%s", to, v[i].name + strlen(from));
		snprintf(tmp, sizeof(tmp), "\1%llu", (unsigned long long)v[i].id);
		if (strlen(name) > STORE_MAILBOX_NAME_MAX)
			ret = store_set_error(&q->s, STORE_ERR_INVALID, "new name too long");
		else
			ret = sq_rename_step(q, user_id, v[i].id, tmp, name);
		store_notify_add(&q->s, v[i].id);
		free(name);
	}
	return ret;
}

static int sq_rename_tree(struct sqlite_store *q, uint64_t user_id, const char *from,
                          const char *to)
{
	struct store_mailbox box = {0}, other = {0};
	struct sq_renamed *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_box_by_name(q, user_id, from, &box)) < 0)
		return ret;
	ret = sq_box_by_name(q, user_id, to, &other);
	store_mailbox_deinit(&other);
	if (ret == STORE_OK)
		ret = store_set_error(&q->s, STORE_ERR_EXISTS, "mailbox exists");
	else if (ret == STORE_ERR_NOTFOUND)
		ret = sq_prep(q, &st, SQ_BOX_CHILDREN, "it", (int64_t)user_id, from);
	if (ret == STORE_OK) {
		/* Collected first: the updates below move names inside the scanned range. */
		v = xmalloc(sizeof(*v));
		v[0].id = box.id;
		v[0].name = xstrdup(from);
		n = cap = 1;
		while ((ret = sq_step(q, st)) == 1) {
			if (n == cap) {
				cap *= 2;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[n].id = (uint64_t)sqlite3_column_int64(st, 0);
			v[n++].name = sq_col_strdup(st, 1);
		}
		sqlite3_reset(st);
	}
	if (ret == STORE_OK)
		ret = sq_rename_all(q, user_id, v, n, from, to);
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
	store_mailbox_deinit(&box);
	return ret;
}

static int sq_mailbox_rename(struct store *s, uint64_t user_id, const char *from, const char *to)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	if (strcmp(from, "INBOX") == 0)
		ret = sq_rename_inbox(q, user_id, to);
	else
		ret = sq_rename_tree(q, user_id, from, to);
	return sq_end(q, ret);
}

static int sq_mailbox_subscribe(struct store *s, uint64_t user_id, const char *name, bool on)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_exec(q, on ? SQ_SUB_ADD : SQ_SUB_DEL, "it", (int64_t)user_id, name);
	if (ret == STORE_ERR_NOTFOUND)
		store_set_error(s, ret, "no such user");
	return sq_end(q, ret);
}

static int sq_subscriptions(struct store *s, uint64_t user_id, char ***names_r, size_t *n_r)
{
	int64_t id = (int64_t)user_id;

	return sq_query_strings(sq(s), SQ_SUB_LIST, "i", &id, names_r, n_r);
}

static int sq_status_read(struct sqlite_store *q, uint64_t mailbox_id, struct store_status *st_r)
{
	struct sq_box box;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_box_state(q, mailbox_id, &box)) < 0)
		return ret;
	ret = sq_prep(q, &st, SQ_STATUS, "iiii", (int64_t)mailbox_id, (int64_t)STORE_FLAG_SEEN,
	              (int64_t)STORE_FLAG_DELETED, (int64_t)box.recent_uid);
	if (ret < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		st_r->messages = (uint32_t)sqlite3_column_int64(st, 0);
		st_r->unseen = (uint32_t)sqlite3_column_int64(st, 1);
		st_r->deleted = (uint32_t)sqlite3_column_int64(st, 2);
		st_r->recent = (uint32_t)sqlite3_column_int64(st, 3);
		st_r->size = (uint64_t)sqlite3_column_int64(st, 4);
		ret = STORE_OK;
	}
	sqlite3_reset(st);
	st_r->uidnext = box.uidnext;
	st_r->uidvalidity = box.uidvalidity;
	st_r->highestmodseq = box.highestmodseq;
	return ret;
}

static int sq_mailbox_status(struct store *s, uint64_t mailbox_id, struct store_status *st_r)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, false)) < 0)
		return ret;
	ret = sq_end(q, sq_status_read(q, mailbox_id, st_r));
	if (ret < 0)
		memset(st_r, 0, sizeof(*st_r));
	return ret;
}

static int sq_mailbox_take_recent(struct store *s, uint64_t mailbox_id, uint32_t *recent_uid_r)
{
	struct sqlite_store *q = sq(s);
	struct sq_box box;
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_box_state(q, mailbox_id, &box);
	if (ret == STORE_OK)
		ret = sq_exec(q, SQ_BOX_SET_RECENT, "ii", (int64_t)mailbox_id,
		              (int64_t)box.uidnext);
	ret = sq_end(q, ret);
	*recent_uid_r = ret == STORE_OK ? box.recent_uid : 0;
	return ret;
}

/* --- messages --- */

static int sq_deliver_one(struct sqlite_store *q, uint64_t message_id,
                          const struct store_new_entry *t, uint32_t *uid_r)
{
	char kw[STORE_KEYWORDS_MAX + 1];
	struct sq_box box;
	int ret;

	if ((ret = sq_box_state(q, t->mailbox_id, &box)) < 0)
		return ret;
	if (box.uidnext == UINT32_MAX)
		return store_set_error(&q->s, STORE_ERR_INVALID, "UID space of mailbox exhausted");
	if (store_keywords_apply(NULL, STORE_FLAGS_SET, t->keywords, kw) < 0)
		return store_set_error(&q->s, STORE_ERR_INVALID, "too many keywords");
	ret = sq_exec(q, SQ_ENTRY_ADD, "iiiiti", (int64_t)t->mailbox_id, (int64_t)box.uidnext,
	              (int64_t)message_id, (int64_t)t->flags, kw[0] != '\0' ? kw : NULL,
	              (int64_t)(box.highestmodseq + 1));
	if (ret == STORE_OK)
		ret = sq_box_set_counters(q, t->mailbox_id, box.uidnext + 1, box.highestmodseq + 1);
	*uid_r = box.uidnext;
	return ret;
}

/* Stores the message once and adds an entry to each target (inside the transaction). */
static int sq_deliver_local(struct sqlite_store *q, const struct store_new_message *msg,
                            const struct store_new_entry *targets, size_t n_targets,
                            uint32_t *uids_r)
{
	uint64_t message_id;
	uint32_t uid;
	int ret;

	ret = sq_exec(q, SQ_MESSAGE_ADD, "iiiiitttt", (int64_t)msg->size,
	              (int64_t)msg->internaldate, (int64_t)msg->internaldate_tz,
	              (int64_t)msg->sealed, (int64_t)msg->sent_date, msg->envelope,
	              msg->bodystructure, msg->body, msg->headers);
	message_id = (uint64_t)sqlite3_last_insert_rowid(q->db);
	if (ret == STORE_OK)
		ret = sq_exec(q, SQ_BLOB_ADD, "ib", (int64_t)message_id, (const void *)msg->data,
		              msg->size);
	for (size_t i = 0; i < n_targets && ret == STORE_OK; i++) {
		ret = sq_deliver_one(q, message_id, &targets[i], &uid);
		if (uids_r != NULL)
			uids_r[i] = uid;
	}
	return ret;
}

/* Adds a queue row with its own copy of the bytes, and its recipients in order. */
static int sq_queue_insert(struct sqlite_store *q, const struct store_queue_new *qn, uint64_t *id_r)
{
	/* store.c sets data: the copy for other servers (no Return-Path). */
	const char *data = qn->data;
	size_t size = qn->size;
	int64_t id;
	int ret;

	ret = sq_exec(q, SQ_QUEUE_ADD, "ittttib", (int64_t)time(NULL), qn->sender, qn->user,
	              qn->ret, qn->envid, (int64_t)size, (const void *)data, size);
	if (ret < 0)
		return ret;
	id = sqlite3_last_insert_rowid(q->db);
	for (size_t i = 0; i < qn->n_rcpts && ret == STORE_OK; i++) {
		const struct store_queue_rcpt *r = &qn->rcpts[i];

		ret = sq_exec(q, SQ_QUEUE_RCPT_ADD, "iittt", id, (int64_t)i, r->address, r->notify,
		              r->orcpt);
	}
	*id_r = (uint64_t)id;
	return ret;
}

/*
 * store_deliver and store_deliver_queue: the local entries and the queue row
 * commit together and are made durable by one sync (sq_end), so a message
 * acknowledged to its sender is either in every place or in none.
 */
static int sq_deliver(struct store *s, const struct store_delivery *d, size_t n,
                      const struct store_queue_new *queue, uint64_t *queue_id_r)
{
	struct sqlite_store *q = sq(s);
	uint64_t queue_id = 0;
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == STORE_OK; i++) {
		if (d[i].n_targets > 0)
			ret = sq_deliver_local(q, d[i].msg, d[i].targets, d[i].n_targets,
			                       d[i].uids_r);
	}
	if (ret == STORE_OK && queue != NULL)
		ret = sq_queue_insert(q, queue, &queue_id);
	ret = sq_end(q, ret);
	if (queue_id_r != NULL)
		*queue_id_r = ret == STORE_OK ? queue_id : 0;
	return ret;
}

static int sq_entries_read(struct sqlite_store *q, uint64_t mailbox_id,
                           struct store_entry **entries_r, size_t *n_r)
{
	struct store_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct sq_box box;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_box_state(q, mailbox_id, &box)) < 0 ||
	    (ret = sq_prep(q, &st, SQ_ENTRIES, "i", (int64_t)mailbox_id)) < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1) {
		v = xgrowarray(v, n, &cap, sizeof(*v), 256);
		v[n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		v[n].flags = (unsigned)sqlite3_column_int64(st, 1);
		v[n].keywords = sq_col_strdup(st, 2);
		v[n++].modseq = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (ret < 0) {
		store_entries_free(&v, n);
		return ret;
	}
	*entries_r = v;
	*n_r = n;
	return STORE_OK;
}

static int sq_entries(struct store *s, uint64_t mailbox_id, struct store_entry **entries_r,
                      size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, false)) < 0)
		return ret;
	ret = sq_end(q, sq_entries_read(q, mailbox_id, entries_r, n_r));
	if (ret < 0) {
		store_entries_free(entries_r, *n_r);
		*n_r = 0;
	}
	return ret;
}

static int sq_entry_sizes_read(struct sqlite_store *q, uint64_t mailbox_id,
                               struct store_entry_size **entries_r, size_t *n_r)
{
	struct store_entry_size *v = NULL;
	size_t n = 0, cap = 0;
	struct sq_box box;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_box_state(q, mailbox_id, &box)) < 0 ||
	    (ret = sq_prep(q, &st, SQ_ENTRY_SIZES, "i", (int64_t)mailbox_id)) < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1) {
		v = xgrowarray(v, n, &cap, sizeof(*v), 256);
		v[n].uid = (uint32_t)sqlite3_column_int64(st, 0);
		v[n].message_id = (uint64_t)sqlite3_column_int64(st, 1);
		v[n++].size = (uint64_t)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	if (ret < 0) {
		free(v);
		return ret;
	}
	*entries_r = v;
	*n_r = n;
	return STORE_OK;
}

/* As sq_entries: NOTFOUND for a missing mailbox, in the same read snapshot as the list. */
static int sq_entry_sizes(struct store *s, uint64_t mailbox_id, struct store_entry_size **entries_r,
                          size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, false)) < 0)
		return ret;
	ret = sq_end(q, sq_entry_sizes_read(q, mailbox_id, entries_r, n_r));
	if (ret < 0) {
		XFREE(*entries_r);
		*n_r = 0;
	}
	return ret;
}

static int sq_entry_message(struct store *s, uint64_t mailbox_id, uint32_t uid,
                            uint64_t *message_id_r)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_ENTRY_MESSAGE, "ii", (int64_t)mailbox_id, (int64_t)uid)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		*message_id_r = (uint64_t)sqlite3_column_int64(st, 0);
		ret = STORE_OK;
	} else if (ret == 0) {
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such message");
	}
	sqlite3_reset(st);
	return ret;
}

static int sq_entry_messages(struct store *s, uint64_t mailbox_id,
                             int (*fn)(void *ctx, uint32_t uid, uint64_t message_id), void *ctx)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_ENTRY_MESSAGES, "i", (int64_t)mailbox_id)) < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1) {
		ret = fn(ctx, (uint32_t)sqlite3_column_int64(st, 0),
		         (uint64_t)sqlite3_column_int64(st, 1));
		if (ret != 0)
			break;
	}
	sqlite3_reset(st);
	return ret;
}

static int sq_message_meta(struct store *s, uint64_t message_id, struct store_message_meta *meta_r)
{
	struct sqlite_store *q = sq(s);
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_META, "i", (int64_t)message_id)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		meta_r->message_id = (uint64_t)sqlite3_column_int64(st, 0);
		meta_r->internaldate = (time_t)sqlite3_column_int64(st, 1);
		meta_r->internaldate_tz = sqlite3_column_int(st, 2);
		meta_r->size = (uint64_t)sqlite3_column_int64(st, 3);
		meta_r->sealed = sqlite3_column_int(st, 4) != 0;
		meta_r->envelope = sq_col_strdup(st, 5);
		meta_r->bodystructure = sq_col_strdup(st, 6);
		meta_r->body = sq_col_strdup(st, 7);
		meta_r->sent_date = (time_t)sqlite3_column_int64(st, 8);
		meta_r->headers = sq_col_strdup(st, 9);
		ret = STORE_OK;
	} else if (ret == 0) {
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such message");
	}
	sqlite3_reset(st);
	return ret;
}

/* Reads the one blob column of statement id for row key (newly allocated, NUL-terminated). */
static int sq_blob_get(struct sqlite_store *q, enum sq_stmt id, uint64_t key, const char *what,
                       char **data_r, size_t *size_r)
{
	sqlite3_stmt *st;
	size_t n;
	int ret;

	if ((ret = sq_prep(q, &st, id, "i", (int64_t)key)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1) {
		const void *p = sqlite3_column_blob(st, 0);

		n = (size_t)sqlite3_column_bytes(st, 0);
		if (p == NULL && n > 0) {
			ret = sq_fail(q, sqlite3_errcode(q->db));
		} else {
			*data_r = xmalloc(n + 1);
			memcpy(*data_r, p != NULL ? p : "", n);
			(*data_r)[n] = '\0';
			*size_r = n;
			ret = STORE_OK;
		}
	} else if (ret == 0) {
		ret = store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such %s", what);
	}
	sqlite3_reset(st);
	return ret;
}

static int sq_message_data(struct store *s, uint64_t message_id, char **data_r, size_t *size_r)
{
	return sq_blob_get(sq(s), SQ_DATA, message_id, "message", data_r, size_r);
}

/* --- outbound queue --- */

/* A text column that is NOT NULL in the schema, as a new string. */
static char *sq_col_strdup_empty(sqlite3_stmt *st, int col)
{
	char *v = sq_col_strdup(st, col);

	return v != NULL ? v : xstrdup("");
}

/* Fills it from a SQ_QUEUE_COLUMNS row (n_rcpts counted, rcpts NULL). */
static void sq_queue_item_read(sqlite3_stmt *st, struct store_queue_item *it)
{
	it->id = (uint64_t)sqlite3_column_int64(st, 0);
	it->created = (time_t)sqlite3_column_int64(st, 1);
	it->sender = sq_col_strdup_empty(st, 2);
	it->user = sq_col_strdup_empty(st, 3);
	it->ret = sq_col_strdup(st, 4);
	it->envid = sq_col_strdup(st, 5);
	it->size = (uint64_t)sqlite3_column_int64(st, 6);
	it->attempts = (unsigned)sqlite3_column_int64(st, 7);
	it->rcpts = NULL;
	it->n_rcpts = (size_t)sqlite3_column_int64(st, 8);
}

static int sq_queue_list(struct store *s, struct store_queue_item **items_r, size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	struct store_queue_item *v = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_QUEUE_LIST, "")) < 0)
		return ret;
	while ((ret = sq_step(q, st)) == 1) {
		v = xgrowarray(v, n, &cap, sizeof(*v), 16);
		sq_queue_item_read(st, &v[n++]);
	}
	sqlite3_reset(st);
	if (ret < 0) {
		store_queue_items_free(&v, n);
		return ret;
	}
	*items_r = v;
	*n_r = n;
	return STORE_OK;
}

static int sq_queue_rcpts_read(struct sqlite_store *q, struct store_queue_item *it)
{
	size_t n = 0, cap = it->n_rcpts;
	sqlite3_stmt *st;
	int ret;

	it->n_rcpts = 0;
	if ((ret = sq_prep(q, &st, SQ_QUEUE_RCPTS, "i", (int64_t)it->id)) < 0)
		return ret;
	it->rcpts = cap > 0 ? xcalloc(cap, sizeof(*it->rcpts)) : NULL;
	while ((ret = sq_step(q, st)) == 1) {
		it->rcpts = xgrowarray(it->rcpts, n, &cap, sizeof(*it->rcpts), 4);
		it->rcpts[n].address = sq_col_strdup_empty(st, 0);
		it->rcpts[n].notify = sq_col_strdup(st, 1);
		it->rcpts[n].orcpt = sq_col_strdup(st, 2);
		it->n_rcpts = ++n;
	}
	sqlite3_reset(st);
	return ret;
}

static int sq_queue_read(struct sqlite_store *q, uint64_t id, struct store_queue_item *item_r,
                         char **data_r, size_t *size_r)
{
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_prep(q, &st, SQ_QUEUE_GET, "i", (int64_t)id)) < 0)
		return ret;
	ret = sq_step(q, st);
	if (ret == 1)
		sq_queue_item_read(st, item_r);
	else if (ret == 0)
		ret = store_set_error(&q->s, STORE_ERR_NOTFOUND, "no such queued message");
	sqlite3_reset(st);
	if (ret == 1)
		ret = sq_queue_rcpts_read(q, item_r);
	if (ret == STORE_OK && data_r != NULL)
		ret = sq_blob_get(q, SQ_QUEUE_DATA, id, "queued message", data_r, size_r);
	return ret;
}

static int sq_queue_get(struct store *s, uint64_t id, struct store_queue_item *item_r,
                        char **data_r, size_t *size_r)
{
	struct sqlite_store *q = sq(s);
	int ret;

	/* One read transaction: the envelope, recipients and bytes of one snapshot. */
	if ((ret = sq_begin(q, false)) < 0)
		return ret;
	ret = sq_end(q, sq_queue_read(q, id, item_r, data_r, size_r));
	if (ret < 0) {
		store_queue_item_deinit(item_r);
		memset(item_r, 0, sizeof(*item_r));
		if (data_r != NULL) {
			XFREE(*data_r);
			*size_r = 0;
		}
	}
	return ret;
}

static int sq_queue_delete(struct store *s, uint64_t id)
{
	struct sqlite_store *q = sq(s);
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	/* Its recipients go with it (ON DELETE CASCADE). */
	ret = sq_exec(q, SQ_QUEUE_DEL, "i", (int64_t)id);
	if (ret == STORE_OK && sqlite3_changes(q->db) == 0)
		ret = store_set_error(s, STORE_ERR_NOTFOUND, "no such queued message");
	return sq_end(q, ret);
}

/* Output arrays of store_flags. */
struct sq_flags_out {
	struct store_change *changes;
	size_t n_changes, cap;
	struct sq_u32 failed;
};

/* Computes the new state of one entry; returns 1 if it changes, 0 if not, or an error. */
static int sq_flags_new(const struct sq_row *r, enum store_flags_mode mode, unsigned flags,
                        const char *keywords, unsigned *flags_r, char kw[STORE_KEYWORDS_MAX + 1])
{
	if (mode == STORE_FLAGS_SET)
		*flags_r = flags;
	else if (mode == STORE_FLAGS_ADD)
		*flags_r = r->flags | flags;
	else
		*flags_r = r->flags & ~flags;
	if (mode == STORE_FLAGS_SET || keywords != NULL) {
		if (store_keywords_apply(r->keywords, mode, keywords, kw) < 0)
			return STORE_ERR_INVALID;
	} else {
		snprintf(kw, STORE_KEYWORDS_MAX + 1, "%s", r->keywords != NULL ? r->keywords : "");
	}
	return *flags_r != r->flags || strcmp(kw, r->keywords != NULL ? r->keywords : "") != 0;
}

static void sq_flags_push(struct sq_flags_out *o, uint32_t uid, unsigned flags, const char *kw,
                          uint64_t modseq)
{
	o->changes = xgrowarray(o->changes, o->n_changes, &o->cap, sizeof(*o->changes), 16);
	o->changes[o->n_changes++] = (struct store_change){
	        .uid = uid,
	        .flags = flags,
	        .keywords = kw[0] != '\0' ? xstrdup(kw) : NULL,
	        .modseq = modseq,
	};
}

static int sq_flags_tx(struct sqlite_store *q, uint64_t mailbox_id,
                       const struct store_uid_range *uids, size_t n_uids,
                       enum store_flags_mode mode, unsigned flags, const char *keywords,
                       uint64_t unchangedsince, struct sq_flags_out *o)
{
	char kw[STORE_KEYWORDS_MAX + 1];
	struct sq_rows rows = {0};
	struct sq_box box;
	unsigned nflags;
	uint64_t modseq;
	int ret;

	if ((ret = sq_box_state(q, mailbox_id, &box)) < 0 ||
	    (ret = sq_rows_collect(q, mailbox_id, uids, n_uids, &rows)) < 0)
		goto out;
	modseq = box.highestmodseq + 1;
	for (size_t i = 0; i < rows.n && ret == STORE_OK; i++) {
		const struct sq_row *r = &rows.v[i];

		/* RFC 7162 3.1.3: changed since the client looked: do not touch. */
		if (unchangedsince != 0 && r->modseq > unchangedsince) {
			sq_u32_push(&o->failed, r->uid);
			continue;
		}
		ret = sq_flags_new(r, mode, flags, keywords, &nflags, kw);
		if (ret == STORE_ERR_INVALID)
			ret = store_set_error(&q->s, ret, "too many keywords");
		if (ret <= 0)
			continue;
		ret = sq_exec(q, SQ_ENTRY_SET_FLAGS, "iiiti", (int64_t)mailbox_id, (int64_t)r->uid,
		              (int64_t)nflags, kw[0] != '\0' ? kw : NULL, (int64_t)modseq);
		sq_flags_push(o, r->uid, nflags, kw, modseq);
	}
	if (ret == STORE_OK && o->n_changes > 0)
		ret = sq_box_set_counters(q, mailbox_id, box.uidnext, modseq);
out:
	sq_rows_free(&rows);
	return ret;
}

static int sq_flags(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                    size_t n_uids, enum store_flags_mode mode, unsigned flags, const char *keywords,
                    uint64_t unchangedsince, struct store_change **changes_r, size_t *n_changes_r,
                    uint32_t **failed_r, size_t *n_failed_r)
{
	struct sqlite_store *q = sq(s);
	struct sq_flags_out o = {0};
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_flags_tx(q, mailbox_id, uids, n_uids, mode, flags, keywords, unchangedsince, &o);
	/* Like Dovecot (mail_fsync = optimized), flag changes are not synced on their own. */
	ret = sq_finish(q, ret, false);
	if (ret < 0) {
		store_changes_array_free(&o.changes, o.n_changes);
		free(o.failed.v);
		return ret;
	}
	*changes_r = o.changes;
	*n_changes_r = o.n_changes;
	*failed_r = o.failed.v;
	*n_failed_r = o.failed.n;
	return STORE_OK;
}

static int sq_expunge(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                      size_t n_uids, bool only_deleted, uint32_t **expunged_r, size_t *n_r)
{
	struct sqlite_store *q = sq(s);
	struct sq_rows rows = {0};
	struct sq_u32 out = {0};
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_rows_collect(q, mailbox_id, uids, n_uids, &rows);
	/*
	 * IMAP: only entries that carry \Deleted go (RFC 3501 6.4.3, RFC 4315 2.1).
	 * POP3 marks nothing in the store before QUIT (RFC 1939 6): every one goes.
	 */
	if (ret == STORE_OK)
		ret = sq_rows_expunge(q, mailbox_id, &rows, only_deleted ? STORE_FLAG_DELETED : 0,
		                      &out);
	sq_rows_free(&rows);
	ret = sq_end(q, ret);
	if (ret < 0) {
		free(out.v);
		return ret;
	}
	*expunged_r = out.v;
	*n_r = out.n;
	return STORE_OK;
}

static int sq_copy(struct store *s, uint64_t src_mailbox_id, const struct store_uid_range *uids,
                   size_t n_uids, uint64_t dst_mailbox_id, bool move, uint32_t **src_r,
                   uint32_t **dst_r, size_t *n_r, uint32_t *dst_uidvalidity_r)
{
	struct sqlite_store *q = sq(s);
	struct sq_u32 src = {0}, dst = {0};
	int ret;

	if ((ret = sq_begin(q, true)) < 0)
		return ret;
	ret = sq_copy_tx(q, src_mailbox_id, uids, n_uids, dst_mailbox_id, move, &src, &dst,
	                 dst_uidvalidity_r);
	ret = sq_end(q, ret);
	if (ret < 0) {
		free(src.v);
		free(dst.v);
		*dst_uidvalidity_r = 0;
		return ret;
	}
	*src_r = src.v;
	*dst_r = dst.v;
	*n_r = src.n;
	return STORE_OK;
}

static int sq_changes_read(struct sqlite_store *q, uint64_t mailbox_id, uint64_t since,
                           struct store_changes *ch)
{
	struct sq_u32 exp = {0};
	size_t cap = 0;
	struct sq_box box;
	sqlite3_stmt *st;
	int ret;

	if ((ret = sq_box_state(q, mailbox_id, &box)) < 0 ||
	    (ret = sq_prep(q, &st, SQ_CHANGED_SINCE, "ii", (int64_t)mailbox_id, (int64_t)since)) <
	            0)
		return ret;
	ch->uidnext = box.uidnext;
	ch->highestmodseq = box.highestmodseq;
	while ((ret = sq_step(q, st)) == 1) {
		struct store_change *c;

		ch->changed =
		        xgrowarray(ch->changed, ch->n_changed, &cap, sizeof(*ch->changed), 64);
		c = &ch->changed[ch->n_changed++];
		c->uid = (uint32_t)sqlite3_column_int64(st, 0);
		c->flags = (unsigned)sqlite3_column_int64(st, 1);
		c->keywords = sq_col_strdup(st, 2);
		c->modseq = (uint64_t)sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	if (ret == 0)
		ret = sq_prep(q, &st, SQ_EXPUNGED_SINCE, "ii", (int64_t)mailbox_id, (int64_t)since);
	if (ret == 0) {
		while ((ret = sq_step(q, st)) == 1)
			sq_u32_push(&exp, (uint32_t)sqlite3_column_int64(st, 0));
		sqlite3_reset(st);
	}
	ch->expunged = exp.v;
	ch->n_expunged = exp.n;
	return ret;
}

static int sq_changes_since(struct store *s, uint64_t mailbox_id, uint64_t since,
                            struct store_changes *ch_r)
{
	struct sqlite_store *q = sq(s);
	int ret;

	/* One read transaction: the lists and counters come from one snapshot. */
	if ((ret = sq_begin(q, false)) < 0)
		return ret;
	ret = sq_end(q, sq_changes_read(q, mailbox_id, since, ch_r));
	if (ret < 0) {
		store_changes_deinit(ch_r);
		memset(ch_r, 0, sizeof(*ch_r));
	}
	return ret;
}

const struct store_backend store_sqlite = {
        .name = "sqlite",
        .open = sq_open,
        .close = sq_close,
        .domain_add = sq_domain_add,
        .domain_del = sq_domain_del,
        .domain_exists = sq_domain_exists,
        .domain_list = sq_domain_list,
        .user_add = sq_user_add,
        .user_del = sq_user_del,
        .user_set_password = sq_user_set_password,
        .user_lookup = sq_user_lookup,
        .user_set_protect_subject = sq_user_set_protect_subject,
        .key_add = sq_key_add,
        .key_list = sq_key_list,
        .key_del = sq_key_del,
        .user_list = sq_user_list,
        .alias_add = sq_alias_add,
        .alias_del = sq_alias_del,
        .alias_list = sq_alias_list,
        .alias_targets = sq_alias_targets,
        .mailbox_list = sq_mailbox_list,
        .mailbox_get = sq_mailbox_get,
        .mailbox_create = sq_mailbox_create,
        .mailbox_delete = sq_mailbox_delete,
        .mailbox_rename = sq_mailbox_rename,
        .mailbox_subscribe = sq_mailbox_subscribe,
        .subscriptions = sq_subscriptions,
        .mailbox_status = sq_mailbox_status,
        .mailbox_take_recent = sq_mailbox_take_recent,
        .deliver = sq_deliver,
        .queue_list = sq_queue_list,
        .queue_get = sq_queue_get,
        .queue_delete = sq_queue_delete,
        .entries = sq_entries,
        .entry_message = sq_entry_message,
        .entry_messages = sq_entry_messages,
        .entry_sizes = sq_entry_sizes,
        .message_meta = sq_message_meta,
        .message_data = sq_message_data,
        .flags = sq_flags,
        .expunge = sq_expunge,
        .copy = sq_copy,
        .changes_since = sq_changes_since,
};
