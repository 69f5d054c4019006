/*
 * maildrop.h - a POP3 session's view of the account's INBOX: the messages as
 * they stood at login (RFC 1939 8), numbered from 1, with their sizes, stable
 * unique ids, and the DELE marks of the session.
 *
 * UIDL (RFC 1939 7): "%08X%08X" of the IMAP UID and UIDVALIDITY, the form
 * Dovecot's default pop3_uidl_format gives, so a message keeps its id across
 * sessions and restarts and is the same message IMAP calls UID n.
 *
 * Limits: the INBOX as it is (entries are a few dozen bytes each).
 * Attacker control: message numbers, checked against the count.
 */
#ifndef TRESOR_POP3_MAILDROP_H
#define TRESOR_POP3_MAILDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Length of a unique id: two 8-digit hex numbers. */
#define POP3_UIDL_LEN 16

struct pop3_message {
	uint32_t uid;
	uint64_t message_id;
	uint64_t size;
	bool deleted;
};

struct pop3_maildrop {
	uint64_t mailbox_id;
	uint32_t uidvalidity;
	struct pop3_message *msgs;
	size_t n;
	size_t n_deleted;
	uint64_t size_deleted;
	uint64_t size_total; /* of all messages, deleted or not */
};

/* Loads the INBOX of user_id (blocks). Returns 0 or a STORE_ERR_* code. */
int pop3_maildrop_load(struct store *s, uint64_t user_id, struct pop3_maildrop **drop_r);
void pop3_maildrop_free(struct pop3_maildrop **_drop);
/* Message number msg (1-based), or NULL when out of range or marked deleted. */
struct pop3_message *pop3_maildrop_get(struct pop3_maildrop *d, uint32_t msg);
/* Writes the unique id of m into out (POP3_UIDL_LEN + 1 bytes). */
void pop3_maildrop_uidl(const struct pop3_maildrop *d, const struct pop3_message *m,
                        char out[POP3_UIDL_LEN + 1]);
/* RSET: forgets every DELE mark. */
void pop3_maildrop_undelete(struct pop3_maildrop *d);
/* UPDATE: expunges the messages marked deleted (blocks). Returns 0 or STORE_ERR_*. */
int pop3_maildrop_commit(struct store *s, struct pop3_maildrop *d);

#endif
