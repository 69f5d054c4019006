/*
 * txn.h - the SMTP mail transaction as its own object (RFC 5321 3.3): the
 * reverse-path with its MAIL parameters, the accepted recipients with their
 * RCPT parameters and where they resolve, and the message bytes. It ends in
 * one of two ways: smtp_txn_commit() stores it durably for every recipient,
 * or smtp_txn_rollback() forgets it (RSET, a new EHLO, a refused message).
 *
 * Limits: [smtp] max_recipients recipients, [smtp] max_message_size bytes
 * (the buffer's hard maximum). Attacker control: every field (syntax-checked
 * by the parser and the command files before they get here).
 */
#ifndef TRESOR_SMTP_TXN_H
#define TRESOR_SMTP_TXN_H

#include "base/buf.h"
#include "delivery/delivery.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* RFC 6152 / RFC 3030: the BODY= parameter of MAIL. */
enum smtp_body { SMTP_BODY_7BIT, SMTP_BODY_8BITMIME, SMTP_BODY_BINARYMIME };

/* Length of a transaction id (hex) in logs and the Received header. */
#define SMTP_TXN_ID_LEN 16

struct smtp_rcpt {
	char *address; /* canonical */
	char *notify;  /* DSN NOTIFY= or NULL */
	char *orcpt;   /* DSN ORCPT= or NULL */
	struct delivery_resolved where;
};

struct smtp_txn {
	char id[SMTP_TXN_ID_LEN + 1];
	char *sender; /* canonical reverse-path, "" for <> */
	enum smtp_body body;
	bool smtputf8;
	char *ret;   /* DSN RET= or NULL */
	char *envid; /* DSN ENVID= (xtext as received) or NULL */
	struct smtp_rcpt *rcpts;
	size_t n_rcpts;
	size_t n_remote;
	struct buf message; /* the bytes received (unstuffed), at most the size limit */
	bool too_big;       /* BDAT chunks passed the size limit */
};

/* What the Received header says about the session (RFC 5321 4.4). */
struct smtp_trace {
	const char *helo;
	const char *peer_ip;
	const char *hostname;
	const char *protocol; /* RFC 3848 / RFC 6531: ESMTP, ESMTPSA, UTF8SMTPS ... */
	const char *tls;      /* "version=... cipher=..." or NULL */
	const char *user;     /* authenticated account or NULL */
};

/* Starts a transaction for sender; its message buffer holds at most limit bytes. */
struct smtp_txn *smtp_txn_new(const char *sender, uint64_t limit);
/* Forgets the transaction and everything it holds; accepts NULL. */
void smtp_txn_rollback(struct smtp_txn **_t);
/* Adds a recipient; takes over where (left zeroed). notify/orcpt may be NULL. */
void smtp_txn_add_rcpt(struct smtp_txn *t, const char *address, const char *notify,
                       const char *orcpt, struct delivery_resolved *where);
/* Whether address is already a recipient (a second RCPT for it adds nothing). */
bool smtp_txn_has_rcpt(const struct smtp_txn *t, const char *address);

/*
 * Stores the message durably for every recipient (worker thread): trace
 * header, then (submission: id_domain not NULL) the missing Date and
 * Message-ID, then
 * the bytes. Returns 0, or a STORE_ERR_* code with nothing stored. The
 * transaction is freed either way.
 */
int smtp_txn_commit(struct smtp_txn **_t, struct store *s, const struct smtp_trace *trace,
                    const char *id_domain);

#endif
