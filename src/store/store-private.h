/*
 * store-private.h - what store.c shares with the backends: the backend table
 * (one function per API call), the common part of struct store, and helpers
 * every backend uses (errors, deferred change notifications, keyword lists).
 *
 * The public functions in store.c validate and normalise their arguments
 * (lengths, mailbox names, addresses, keywords, UID ranges) before they call
 * the backend, so a backend receives only well-formed input: names within
 * STORE_MAILBOX_NAME_MAX, addresses lowercased (but the local parts of queue
 * addresses, which RFC 5321 2.4 says to preserve), "INBOX" spelled in capitals.
 *
 * Limits: STORE_ERROR_MAX, STORE_KEYWORD_COUNT_MAX. Attacker control: none
 * directly; see store.c for what is checked at the API edge.
 */
#ifndef TRESOR_STORE_STORE_PRIVATE_H
#define TRESOR_STORE_STORE_PRIVATE_H

#include "store/store.h"

#include <stdarg.h>

/* Longest message kept for store_last_error(). */
#define STORE_ERROR_MAX 512
/* Most keywords one message may carry (bounds the case-insensitive dedup). */
#define STORE_KEYWORD_COUNT_MAX 128

struct store_backend {
	const char *name;
	/* Returns a struct whose first member is struct store; NULL with *error_r. */
	struct store *(*open)(const char *data_dir, const char **error_r);
	void (*close)(struct store *s);

	int (*domain_add)(struct store *s, const char *domain);
	int (*domain_del)(struct store *s, const char *domain);
	int (*domain_exists)(struct store *s, const char *domain);
	int (*domain_list)(struct store *s, char ***names_r, size_t *n_r);

	/* address is lowercased; domain points into it (after the '@'). */
	int (*user_add)(struct store *s, const char *address, const char *domain,
	                const char *password_hash);
	int (*user_del)(struct store *s, const char *address);
	int (*user_set_password)(struct store *s, const char *address, const char *password_hash);
	int (*user_lookup)(struct store *s, const char *address, struct store_user *user_r);
	int (*user_set_protect_subject)(struct store *s, const char *address, bool on);
	int (*key_add)(struct store *s, uint64_t user_id, const struct store_key *k);
	int (*key_list)(struct store *s, uint64_t user_id, bool with_secret,
	                struct store_key **keys_r, size_t *n_r);
	int (*key_del)(struct store *s, uint64_t user_id, const char *fingerprint);
	int (*user_list)(struct store *s, char ***addresses_r, size_t *n_r);

	int (*mailbox_list)(struct store *s, uint64_t user_id, struct store_mailbox **boxes_r,
	                    size_t *n_r);
	int (*mailbox_get)(struct store *s, uint64_t user_id, const char *name,
	                   struct store_mailbox *box_r);
	int (*mailbox_create)(struct store *s, uint64_t user_id, const char *name,
	                      unsigned special_use);
	int (*mailbox_delete)(struct store *s, uint64_t user_id, const char *name);
	int (*mailbox_rename)(struct store *s, uint64_t user_id, const char *from, const char *to);
	int (*mailbox_subscribe)(struct store *s, uint64_t user_id, const char *name, bool on);
	int (*subscriptions)(struct store *s, uint64_t user_id, char ***names_r, size_t *n_r);
	int (*mailbox_status)(struct store *s, uint64_t mailbox_id, struct store_status *st_r);
	int (*mailbox_take_recent)(struct store *s, uint64_t mailbox_id, uint32_t *recent_uid_r);

	/* alias and target lowercased; domain points into alias (after the '@'). */
	int (*alias_add)(struct store *s, const char *alias, const char *domain,
	                 const char *target);
	/* target NULL: every target of alias. */
	int (*alias_del)(struct store *s, const char *alias, const char *target);
	int (*alias_list)(struct store *s, char ***aliases_r, char ***targets_r, size_t *n_r);
	int (*alias_targets)(struct store *s, const char *alias, char ***targets_r, size_t *n_r);

	/*
	 * store_deliver_many (and so store_deliver, store_deliver_queue): each
	 * message with its entries (a message may have none when queue is not
	 * NULL) and the queue item, in one transaction. Target keywords are
	 * already normalised (NULL when none); the queue item is checked (1 to
	 * STORE_QUEUE_RCPTS_MAX recipients, bounded strings, data set).
	 */
	int (*deliver)(struct store *s, const struct store_delivery *d, size_t n,
	               const struct store_queue_new *queue, uint64_t *queue_id_r);
	int (*queue_list)(struct store *s, struct store_queue_item **items_r, size_t *n_r);
	/* data_r NULL: the bytes are not read. */
	int (*queue_get)(struct store *s, uint64_t id, struct store_queue_item *item_r,
	                 char **data_r, size_t *size_r);
	int (*queue_delete)(struct store *s, uint64_t id);
	int (*entries)(struct store *s, uint64_t mailbox_id, struct store_entry **entries_r,
	               size_t *n_r);
	/* The message an entry refers to. */
	int (*entry_message)(struct store *s, uint64_t mailbox_id, uint32_t uid,
	                     uint64_t *message_id_r);
	/* Every entry's UID and message, ascending by UID; fn as store_meta_fn. */
	int (*entry_messages)(struct store *s, uint64_t mailbox_id,
	                      int (*fn)(void *ctx, uint32_t uid, uint64_t message_id), void *ctx);
	/* Every entry's UID, message and size, ascending by UID, from one statement. */
	int (*entry_sizes)(struct store *s, uint64_t mailbox_id,
	                   struct store_entry_size **entries_r, size_t *n_r);
	/* A message's metadata (strings newly allocated), whatever mailbox holds it. */
	int (*message_meta)(struct store *s, uint64_t message_id,
	                    struct store_message_meta *meta_r);
	int (*message_data)(struct store *s, uint64_t message_id, char **data_r, size_t *size_r);
	/* keywords validated (may be NULL); uids validated ascending, non-overlapping. */
	int (*flags)(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
	             size_t n_uids, enum store_flags_mode mode, unsigned flags,
	             const char *keywords, uint64_t unchangedsince, struct store_change **changes_r,
	             size_t *n_changes_r, uint32_t **failed_r, size_t *n_failed_r);
	/*
	 * uids validated (NULL: every entry). only_deleted: only the entries that
	 * carry \Deleted go (store_expunge); otherwise every one (store_remove).
	 */
	int (*expunge)(struct store *s, uint64_t mailbox_id, const struct store_uid_range *uids,
	               size_t n_uids, bool only_deleted, uint32_t **expunged_r, size_t *n_r);
	int (*copy)(struct store *s, uint64_t src_mailbox_id, const struct store_uid_range *uids,
	            size_t n_uids, uint64_t dst_mailbox_id, bool move, uint32_t **src_r,
	            uint32_t **dst_r, size_t *n_r, uint32_t *dst_uidvalidity_r);
	int (*changes_since)(struct store *s, uint64_t mailbox_id, uint64_t since,
	                     struct store_changes *ch_r);
};

/* The common part; each backend embeds it as the first member of its own struct. */
struct store {
	const struct store_backend *backend;
	char error[STORE_ERROR_MAX];
	/* Mailboxes changed by the open transaction, announced on commit. */
	uint64_t *pending;
	size_t n_pending, pending_cap;
};

extern const struct store_backend store_sqlite;

/* Initialises the common part (the backend calls it from its open). */
void store_common_init(struct store *s, const struct store_backend *backend);
void store_common_deinit(struct store *s);

/* Sets the message returned by store_last_error(). Returns err, for tail calls. */
int store_set_error(struct store *s, int err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Remembers that the open transaction changed mailbox_id. */
void store_notify_add(struct store *s, uint64_t mailbox_id);
/* After COMMIT: calls the hook once per changed mailbox, then forgets them. */
void store_notify_flush(struct store *s);
/* After ROLLBACK: forgets them without a call. */
void store_notify_discard(struct store *s);

/*
 * Applies a keyword operation to the current list cur (space-separated, or
 * NULL): SET replaces it with arg, ADD appends the keywords of arg that are
 * not present (compared case-insensitively, RFC 3501 2.3.2), REMOVE drops
 * those present in arg. arg must be valid (store_keywords_valid). Writes the
 * deduplicated result into out (empty when none). Returns 0, or
 * STORE_ERR_INVALID when the result exceeds STORE_KEYWORDS_MAX bytes or
 * STORE_KEYWORD_COUNT_MAX keywords.
 */
int store_keywords_apply(const char *cur, enum store_flags_mode mode, const char *arg,
                         char out[STORE_KEYWORDS_MAX + 1]);
/* True if every space-separated word of kw is an IMAP flag-keyword atom. */
bool store_keywords_valid(const char *kw);

#endif
