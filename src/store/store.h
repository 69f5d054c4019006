/*
 * store.h - the mail store API: domains, accounts, mailboxes, messages, UIDs,
 * flags, MODSEQ and the change log that feeds IDLE and QRESYNC.
 *
 * The protocols see only this header. A backend is a table of functions
 * (struct store_backend, in store-private.h); store/sqlite.c is the embedded
 * default and a PostgreSQL backend can follow behind the same table.
 *
 * Threads: a struct store is one connection to the backend and is used by one
 * thread at a time. Every worker thread opens its own. All calls block (they
 * run on the worker pool, never on the event loop).
 *
 * Durability: a call that writes returns 0 only after the change is durable
 * on disk (SQLite: the WAL is fdatasync'ed after the commit, before the call
 * returns; see sq_wal_sync in sqlite.c). One exception, as Dovecot's
 * mail_fsync = optimized makes it: store_flags commits without a sync of its
 * own, so a flag change survives the process being killed at once and a power
 * loss from the next synced write (any delivery, expunge, copy) or checkpoint
 * on. Messages are never acknowledged before they are on disk. On error
 * nothing of the change is visible (one transaction per call).
 *
 * Errors: functions return 0 on success, STORE_ERR_* (negative) on failure,
 * with a message for the log in store_last_error(). STORE_ERR_NOTFOUND and
 * STORE_ERR_EXISTS are answers to the client; STORE_ERR_TEMP is a failing
 * environment (disk full, database locked too long) and is answered with a
 * temporary error.
 *
 * Memory: arrays and strings returned through _r parameters are newly
 * allocated and owned by the caller, freed with the matching _free function;
 * string lists (char ***names_r) are freed with str_list_free() (base/str.h).
 * On failure every _r output is NULL / 0.
 */
#ifndef TRESOR_STORE_STORE_H
#define TRESOR_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define STORE_OK           0
#define STORE_ERR_TEMP     -1 /* environment failed; retry later */
#define STORE_ERR_NOTFOUND -2
#define STORE_ERR_EXISTS   -3
#define STORE_ERR_INVALID  -4 /* request not allowed (e.g. delete INBOX) */
#define STORE_ERR_HASCHILD -5 /* mailbox has children and \Noselect is refused */

/* Longest mailbox name, in bytes of its UTF-8 form. */
#define STORE_MAILBOX_NAME_MAX 1024
/* Longest keyword list of one message, in bytes. */
#define STORE_KEYWORDS_MAX 4096
/* Hierarchy separator of mailbox names. */
#define STORE_SEP '/'
/* Longest account address (local@domain) and domain name, in bytes. */
#define STORE_ADDRESS_MAX 320
#define STORE_DOMAIN_MAX  253
/* Longest password hash string (PHC format). */
#define STORE_PASSWORD_HASH_MAX 512

/* System flags, as a bitmask. */
enum store_flag {
	STORE_FLAG_SEEN = 1 << 0,
	STORE_FLAG_ANSWERED = 1 << 1,
	STORE_FLAG_FLAGGED = 1 << 2,
	STORE_FLAG_DELETED = 1 << 3,
	STORE_FLAG_DRAFT = 1 << 4,
};

/* RFC 6154 special-use attributes, as a bitmask. */
enum store_special_use {
	STORE_USE_ALL = 1 << 0,
	STORE_USE_ARCHIVE = 1 << 1,
	STORE_USE_DRAFTS = 1 << 2,
	STORE_USE_FLAGGED = 1 << 3,
	STORE_USE_JUNK = 1 << 4,
	STORE_USE_SENT = 1 << 5,
	STORE_USE_TRASH = 1 << 6,
};

struct store;

/* Called after a committed change to mailbox_id (any thread). */
typedef void store_notify_fn(uint64_t mailbox_id, void *ctx);

struct store_user {
	uint64_t id;
	char *address;
	char *password_hash;  /* Argon2id PHC string */
	bool protect_subject; /* sealed mail shows "..." as its outer Subject */
	unsigned n_keys;      /* sealing keys; the account is sealed while > 0 */
};

struct store_mailbox {
	uint64_t id;
	char *name; /* UTF-8, STORE_SEP-separated */
	unsigned special_use;
	bool subscribed;
	uint32_t uidvalidity;
	uint32_t uidnext;
	uint64_t highestmodseq;
	/* First UID that no read-write SELECT has seen yet (RFC 3501 \Recent). */
	uint32_t recent_uid;
};

struct store_status {
	uint32_t messages;
	uint32_t unseen;
	uint32_t deleted;
	uint32_t recent;
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint64_t highestmodseq;
	uint64_t size; /* sum of RFC822.SIZE */
};

/* One mailbox entry as a session's view needs it. */
struct store_entry {
	uint32_t uid;
	unsigned flags; /* enum store_flag */
	char *keywords; /* space-separated, NULL if none */
	uint64_t modseq;
};

/* What FETCH needs of a message besides its bytes; computed once at delivery. */
struct store_message_meta {
	uint64_t message_id; /* the stored blob, shared by entries */
	time_t internaldate;
	int internaldate_tz; /* minutes east of UTC */
	uint64_t size;
	bool sealed;
	char *envelope;      /* IMAP ENVELOPE list */
	char *bodystructure; /* IMAP BODYSTRUCTURE list, with extension data */
	char *body;          /* IMAP BODY list (no extension data) */
	time_t sent_date;    /* Date: header, or internaldate if absent/broken */
	/* Top-level header fields decoded to UTF-8, one "Name: value\n" line each
	 * (values unfolded, CR/LF in them made spaces), for SEARCH; may be NULL. */
	char *headers;
};

/* A message to store (input of store_deliver). */
struct store_new_message {
	const char *data;
	size_t size;
	time_t internaldate;
	int internaldate_tz;
	bool sealed;
	const char *envelope;
	const char *bodystructure;
	const char *body;
	time_t sent_date;
	const char *headers; /* as in struct store_message_meta */
};

/* Per-target initial flags for store_deliver. */
struct store_new_entry {
	uint64_t mailbox_id;
	unsigned flags;
	const char *keywords; /* space-separated or NULL */
};

/* Result of a change: one entry's new state, or one expunged UID. */
struct store_change {
	uint32_t uid;
	unsigned flags;
	char *keywords;
	uint64_t modseq;
};

struct store_changes {
	struct store_change *changed; /* entries with modseq > since, by UID */
	size_t n_changed;
	uint32_t *expunged; /* UIDs expunged with modseq > since, ascending */
	size_t n_expunged;
	uint32_t uidnext;
	uint64_t highestmodseq;
};

enum store_flags_mode { STORE_FLAGS_SET, STORE_FLAGS_ADD, STORE_FLAGS_REMOVE };

/* A UID range list, ascending and non-overlapping; hi may be UINT32_MAX. */
struct store_uid_range {
	uint32_t lo, hi;
};

/* --- lifecycle --- */

/* Opens (creating on first use) the store under data_dir. NULL on failure. */
struct store *store_open(const char *data_dir, const char **error_r);
void store_close(struct store **_s);
/* Message of the last failing call on this connection (owned by the store). */
const char *store_last_error(struct store *s);
/* Registers the process-wide change hook (set once, before threads start). */
void store_set_notify(store_notify_fn *fn, void *ctx);

/* --- domains --- */
int store_domain_add(struct store *s, const char *domain);
int store_domain_del(struct store *s, const char *domain);
int store_domain_exists(struct store *s, const char *domain); /* 1, 0, or error */
int store_domain_list(struct store *s, char ***names_r, size_t *n_r);

/* --- accounts --- */
/* Creates the account with INBOX, Sent, Drafts, Trash, Junk and Archive. */
int store_user_add(struct store *s, const char *address, const char *password_hash);
int store_user_del(struct store *s, const char *address);
int store_user_set_password(struct store *s, const char *address, const char *password_hash);
int store_user_lookup(struct store *s, const char *address, struct store_user *user_r);
int store_user_list(struct store *s, char ***addresses_r, size_t *n_r);
void store_user_deinit(struct store_user *u);

/*
 * Whether sealed mail of the account hides its Subject outside (crypto/seal.h).
 * Holds for mail that arrives after the change.
 */
int store_user_set_protect_subject(struct store *s, const char *address, bool on);

/* --- sealing keys --- */
/*
 * The OpenPGP keys an account's mail is sealed to (DESIGN.md, "Zero-access
 * sealing"). The store keeps them as given (binary key data checked by
 * crypto/keys.c); a key is identified per account by its fingerprint.
 */
#define STORE_FINGERPRINT_MAX 64
/* Keys one account may have (mail is encrypted to each: CRYPTO_SEAL_KEYS_MAX). */
#define STORE_KEYS_MAX 64

struct store_key {
	uint64_t id;
	char *fingerprint; /* uppercase hex */
	time_t created;    /* when the server got it */
	char *public_key;
	size_t public_len;
	char *secret_key; /* passphrase-protected, or NULL (imported keys) */
	size_t secret_len;
};

/*
 * STORE_ERR_EXISTS when the account has this fingerprint, NOTFOUND without
 * the account, INVALID when it has STORE_KEYS_MAX keys already.
 */
int store_key_add(struct store *s, uint64_t user_id, const struct store_key *k);
/* The account's keys, oldest first; secret_key stays NULL unless with_secret. */
int store_key_list(struct store *s, uint64_t user_id, bool with_secret, struct store_key **keys_r,
                   size_t *n_r);
/* Deletes one key, or every key when fingerprint is NULL; NOTFOUND when nothing went. */
int store_key_del(struct store *s, uint64_t user_id, const char *fingerprint);
void store_keys_free(struct store_key **_keys, size_t n);

/* --- mailboxes --- */
int store_mailbox_list(struct store *s, uint64_t user_id, struct store_mailbox **boxes_r,
                       size_t *n_r);
/* Name lookup; "INBOX" is matched case-insensitively. */
int store_mailbox_get(struct store *s, uint64_t user_id, const char *name,
                      struct store_mailbox *box_r);
int store_mailbox_create(struct store *s, uint64_t user_id, const char *name, unsigned special_use);
/* RFC 3501 6.3.4: refuses INBOX; STORE_ERR_HASCHILD if it has children. */
int store_mailbox_delete(struct store *s, uint64_t user_id, const char *name);
/* Renames with all children; renaming INBOX moves its messages (RFC 3501 6.3.5). */
int store_mailbox_rename(struct store *s, uint64_t user_id, const char *from, const char *to);
int store_mailbox_subscribe(struct store *s, uint64_t user_id, const char *name, bool on);
/* Names subscribed, whether or not the mailbox exists (LSUB, LIST SUBSCRIBED). */
int store_subscriptions(struct store *s, uint64_t user_id, char ***names_r, size_t *n_r);
int store_mailbox_status(struct store *s, uint64_t mailbox_id, struct store_status *st_r);
/*
 * For a read-write SELECT: returns the mailbox's recent_uid and moves it to
 * uidnext, so the caller alone sees UIDs >= *recent_uid_r as \Recent.
 */
int store_mailbox_take_recent(struct store *s, uint64_t mailbox_id, uint32_t *recent_uid_r);
void store_mailbox_free_array(struct store_mailbox **_boxes, size_t n);
void store_mailbox_deinit(struct store_mailbox *box);

/* --- aliases --- */
/*
 * An alias is an address of a hosted domain ("local@domain", or "@domain" as
 * the catch-all of that domain) that delivers to one or more accounts.
 * Addresses are lowercased by the store. store_alias_add returns
 * STORE_ERR_NOTFOUND when the alias's domain is not hosted or the target
 * account does not exist, STORE_ERR_EXISTS when the pair exists or the alias
 * address is itself an account, STORE_ERR_INVALID for a malformed address.
 * Likewise store_user_add refuses (STORE_ERR_EXISTS) an address that is an
 * alias. Deleting the target account or the alias's domain removes the pair.
 */
int store_alias_add(struct store *s, const char *alias, const char *target);
/* Removes one pair, or every target of alias when target is NULL (none: NOTFOUND). */
int store_alias_del(struct store *s, const char *alias, const char *target);
/* Every (alias, target) pair, ordered by alias then target (parallel lists). */
int store_alias_list(struct store *s, char ***aliases_r, char ***targets_r, size_t *n_r);
/* The accounts alias delivers to, ordered; *n_r 0 (and STORE_OK) when none or malformed. */
int store_alias_targets(struct store *s, const char *alias, char ***targets_r, size_t *n_r);

/* --- outbound queue --- */
/* Longest DSN parameter kept (RFC 3461: ENVID and ORCPT are at most 100 chars of xtext). */
#define STORE_DSN_PARAM_MAX 512
/* Most recipients of one queued message. */
#define STORE_QUEUE_RCPTS_MAX 1000

/* One recipient of a queued message, with its RFC 3461 parameters (NULL if absent). */
struct store_queue_rcpt {
	char *address;
	char *notify; /* NOTIFY=, as received (e.g. "SUCCESS,FAILURE") */
	char *orcpt;  /* ORCPT=, as received (addr-type;xtext) */
};

/* A message waiting for delivery to other servers. */
struct store_queue_item {
	uint64_t id;
	time_t created;
	char *sender;  /* envelope reverse-path, "" for the null sender */
	char *user;    /* the authenticated account that submitted it */
	char *ret;     /* RET= (FULL or HDRS) or NULL */
	char *envid;   /* ENVID= or NULL */
	uint64_t size; /* bytes of the message */
	unsigned attempts;
	struct store_queue_rcpt *rcpts;
	size_t n_rcpts;
};

/* What store_deliver_queue puts into the queue (strings are borrowed). */
struct store_queue_new {
	const char *sender;
	const char *user;
	const char *ret;
	const char *envid;
	const struct store_queue_rcpt *rcpts; /* borrowed, n_rcpts of them (>= 1) */
	size_t n_rcpts;
	/* The bytes to queue; NULL to queue msg's bytes. (Local copies carry a
	 * Return-Path that the copy for other servers must not.) */
	const char *data;
	size_t size;
};

/*
 * Like store_deliver, and in the same durable transaction also puts the
 * message into the outbound queue when queue is not NULL (*queue_id_r, which
 * may be NULL, gets its id). n_targets may be 0 when queue is given. Either
 * everything is stored or nothing is. Queue addresses keep their local part
 * as given and get their domain lowercased (RFC 5321 2.4); sender and user
 * may be "" (null reverse-path, mail made by the server); RET is FULL or HDRS
 * in any case, stored in capitals; anything else is STORE_ERR_INVALID.
 */
int store_deliver_queue(struct store *s, const struct store_new_message *msg,
                        const struct store_new_entry *targets, size_t n_targets, uint32_t *uids_r,
                        const struct store_queue_new *queue, uint64_t *queue_id_r);
/* One message and the mailboxes it goes to (store_deliver_many). */
struct store_delivery {
	const struct store_new_message *msg;
	const struct store_new_entry *targets;
	size_t n_targets;
	uint32_t *uids_r; /* receives n_targets UIDs; may be NULL */
};
/* Most messages of one store_deliver_many call. */
#define STORE_DELIVERIES_MAX 1024
/*
 * Like store_deliver_queue for several messages at once (the plain copy and
 * the sealed copies of one SMTP transaction): every message with its entries
 * and the queue item (whose data must then be given) are stored in one
 * durable transaction, or nothing is. A message may have no targets; it is
 * then not stored at all.
 */
int store_deliver_many(struct store *s, const struct store_delivery *d, size_t n,
                       const struct store_queue_new *queue, uint64_t *queue_id_r);
/* Every queued message (without rcpts details: n_rcpts set, rcpts NULL), oldest first. */
int store_queue_list(struct store *s, struct store_queue_item **items_r, size_t *n_r);
/* One queued message with its recipients; data_r (may be NULL) gets its bytes (NUL-terminated). */
int store_queue_get(struct store *s, uint64_t id, struct store_queue_item *item_r, char **data_r,
                    size_t *size_r);
int store_queue_delete(struct store *s, uint64_t id);
void store_queue_item_deinit(struct store_queue_item *item);
void store_queue_items_free(struct store_queue_item **_items, size_t n);

/* --- messages --- */
/*
 * Stores one message once and adds an entry to each target mailbox, in one
 * durable transaction. uids_r[i] receives the UID in targets[i].mailbox_id.
 */
int store_deliver(struct store *s, const struct store_new_message *msg,
                  const struct store_new_entry *targets, size_t n_targets, uint32_t *uids_r);
/* Every entry of a mailbox, ascending by UID. */
int store_entries(struct store *s, uint64_t mailbox_id, struct store_entry **entries_r,
                  size_t *n_r);
void store_entries_free(struct store_entry **_entries, size_t n);
int store_message_meta(struct store *s, uint64_t mailbox_id, uint32_t uid,
                       struct store_message_meta *meta_r);
void store_message_meta_deinit(struct store_message_meta *meta);
/*
 * Called by store_message_meta_scan for each entry; meta's strings are
 * borrowed for the call. Returns 0 to go on,
 * anything else to stop the scan, which then returns that value.
 */
typedef int store_meta_fn(void *ctx, uint32_t uid, const struct store_message_meta *meta);
/*
 * Every entry of a mailbox with its metadata, ascending by UID, from one
 * statement (one consistent snapshot): what SEARCH needs without a query per
 * message. fn may call other store functions on s that do not write.
 */
int store_message_meta_scan(struct store *s, uint64_t mailbox_id, store_meta_fn *fn, void *ctx);
/* The stored bytes of a message (newly allocated, NUL-terminated). */
int store_message_data(struct store *s, uint64_t message_id, char **data_r, size_t *size_r);

/*
 * Changes flags of the entries in uids. With unchangedsince != 0 (CONDSTORE),
 * entries whose modseq is greater are not changed and are listed in
 * *failed_r (ascending). Entries whose flags actually change get a new modseq
 * and are listed in *changes_r. Committed, not synced on its own (see
 * "Durability" above).
 */
int store_flags(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                size_t n_uids, enum store_flags_mode mode, unsigned flags, const char *keywords,
                uint64_t unchangedsince, struct store_change **changes_r, size_t *n_changes_r,
                uint32_t **failed_r, size_t *n_failed_r);
void store_changes_array_free(struct store_change **_c, size_t n);

/*
 * Expunges the entries in uids that carry \Deleted (uids NULL: all with
 * \Deleted). *expunged_r lists the UIDs removed, ascending. The UIDs go into
 * the expunge log with the new modseq (QRESYNC).
 */
int store_expunge(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                  size_t n_uids, uint32_t **expunged_r, size_t *n_r);

/*
 * Copies (or, with move, moves) the entries in uids to dst_mailbox_id. The
 * source UIDs that existed and their new UIDs come back in src_r/dst_r
 * (parallel arrays, ascending by source UID). A move expunges the sources in
 * the same transaction.
 */
int store_copy(struct store *s, uint64_t src_mailbox_id, const struct store_uid_range *uids,
               size_t n_uids, uint64_t dst_mailbox_id, bool move, uint32_t **src_r,
               uint32_t **dst_r, size_t *n_r, uint32_t *dst_uidvalidity_r);

/* --- POP3 --- */

/* One entry as a POP3 maildrop lists it. */
struct store_entry_size {
	uint32_t uid;
	uint64_t message_id;
	uint64_t size; /* RFC822.SIZE of the stored message */
};

/*
 * Every entry of a mailbox with its message and size, ascending by UID, from
 * one statement (a consistent snapshot; no message bytes are read). The caller
 * frees *entries_r with free(); an unknown mailbox is STORE_ERR_NOTFOUND.
 */
int store_entry_sizes(struct store *s, uint64_t mailbox_id, struct store_entry_size **entries_r,
                      size_t *n_r);

/*
 * Expunges the entries in uids whatever their flags (POP3: DELE, then QUIT),
 * in one durable transaction, exactly as store_expunge does otherwise: the
 * UIDs go to the expunge log with a new modseq and the change hook runs.
 * *expunged_r lists the UIDs that still existed and were removed, ascending.
 * An empty uid set removes nothing and returns STORE_OK.
 */
int store_remove(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
                 size_t n_uids, uint32_t **expunged_r, size_t *n_r);

/*
 * A number that changes after every change committed to mailbox_id by this
 * process (any thread; read without blocking). Equal values mean nothing was
 * committed in between, so a session can skip store_changes_since. Changes by
 * other processes do not move it (they also do not reach the change hook).
 */
uint64_t store_mailbox_generation(uint64_t mailbox_id);

/* What changed in a mailbox after modseq since (IDLE, NOOP, QRESYNC). */
int store_changes_since(struct store *s, uint64_t mailbox_id, uint64_t since,
                        struct store_changes *ch_r);
void store_changes_deinit(struct store_changes *ch);

#endif
