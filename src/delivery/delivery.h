/*
 * delivery.h - the path of an arriving message after the protocol has read
 * it (DESIGN.md, "The life of a message", steps 2 and 3): who a recipient
 * address is, whether a sender address belongs to an account, the headers a
 * submission adds, and storing the message for local accounts and queueing
 * it for other servers in one durable step.
 *
 * Knows no sockets and no protocol: SMTP calls it from its worker jobs, and
 * so will the bridge and the HTTP side. Every function blocks (store calls).
 *
 * Sealing (DESIGN.md, "Zero-access sealing") happens here, between the
 * trace headers and the store: an account with keys in the store gets its
 * own copy sealed to them (crypto/seal.h), in memory, before anything is
 * written; the others share the plain copy.
 */
#ifndef TRESOR_DELIVERY_DELIVERY_H
#define TRESOR_DELIVERY_DELIVERY_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;
struct store_new_entry;

/* Accounts one recipient address may reach at most (an alias's targets). */
#define DELIVERY_ACCOUNTS_MAX 1000

enum delivery_kind {
	DELIVERY_LOCAL,   /* one or more hosted accounts */
	DELIVERY_REMOTE,  /* a domain this server does not host */
	DELIVERY_UNKNOWN, /* a hosted domain, but no account, alias or catch-all */
};

/* Temporary failures of delivery besides the store's (STORE_ERR_*). */
#define DELIVERY_ERR_NOKEY -20 /* a sealed account has no usable key: 451 4.7.1 */
#define DELIVERY_ERR_SEAL  -21 /* sealing failed (the OpenPGP library): 451 4.3.0 */

struct delivery_account {
	uint64_t user_id;
	uint64_t inbox_id;
	bool protect_subject; /* as the account was at resolution */
	char *address;        /* canonical; owned by the delivery_resolved */
};

struct delivery_resolved {
	enum delivery_kind kind;
	struct delivery_account *accounts; /* DELIVERY_LOCAL only */
	size_t n_accounts;
};

/*
 * Resolves a canonical address (lowercase "local@domain"): an account; else
 * an alias; else, with a "+tag" in the local part, the same two without it
 * (RFC 5233 sub-addressing); else the domain's catch-all alias "@domain".
 * Returns 0 with *r filled (free with delivery_resolved_deinit), or a
 * STORE_ERR_* code.
 */
int delivery_resolve(struct store *s, const char *address, struct delivery_resolved *r);
void delivery_resolved_deinit(struct delivery_resolved *r);

/*
 * Whether account (its canonical address) may send as address: the account
 * itself, a "+tag" form of it, or an alias (not a catch-all) that delivers to
 * it. Returns 1, 0, or a STORE_ERR_* code.
 */
int delivery_sender_owned(struct store *s, const char *account, const char *address);

/*
 * RFC 6409 8.2, 8.3: a submitted message without Date or Message-ID gets
 * them. Appends the missing header lines to out (nothing when both exist).
 * id_domain is the right-hand side of a new Message-ID.
 */
void delivery_missing_headers(const char *data, size_t size, const char *id_domain, time_t now,
                              struct buf *out);

/*
 * The addresses of the top-level From header fields of a message, canonical,
 * one per line ("a@b\n"), appended to out. Returns the count (0 when there is
 * no From). Groups and unparsable entries count as a mailbox that no account
 * owns ("" line).
 */
size_t delivery_from_addresses(const char *data, size_t size, struct buf *out);

/* One remote recipient of a message with its DSN parameters (RFC 3461). */
struct delivery_remote {
	const char *address;
	const char *notify; /* NULL when absent */
	const char *orcpt;
};

struct delivery_message {
	/* Header lines the server puts in front (trace, added Date/Message-ID), then
	 * the bytes as received: joined once, here, behind the Return-Path. */
	const char *head;
	size_t head_len;
	const char *body;
	size_t body_len;
	const char *sender; /* reverse-path without brackets, "" for <> */
	const char *user;   /* authenticated account or NULL */
	const char *ret;    /* DSN RET= or NULL */
	const char *envid;  /* DSN ENVID= or NULL */
	/* Local INBOXes (duplicates are removed here) and remote recipients. */
	const struct delivery_account *locals;
	size_t n_locals;
	const struct delivery_remote *remotes;
	size_t n_remotes;
};

/*
 * Stores the message once for all local accounts without keys (with a
 * Return-Path header, RFC 5321 4.4), once sealed for each account with keys,
 * and queues it for the remote recipients, in one durable transaction: on 0
 * everything is on disk, on error (STORE_ERR_*, DELIVERY_ERR_*) nothing is.
 * The keys are read at commit, so a key added after RCPT already counts.
 */
int delivery_commit(struct store *s, const struct delivery_message *m);

/*
 * IMAP APPEND: stores data into one mailbox of account (canonical address),
 * sealed when the account has keys. *uid_r gets the new UID. Returns 0,
 * DELIVERY_ERR_NOKEY, DELIVERY_ERR_SEAL or STORE_ERR_*.
 */
int delivery_append(struct store *s, const char *account, const struct store_new_entry *target,
                    const char *data, size_t len, time_t internaldate, int tz, uint32_t *uid_r);

/*
 * Seals data for one account if it has keys: *sealed_r tells whether it did
 * (out then holds the PGP/MIME message). A refusal is logged with the
 * account and the reason. Returns 0, DELIVERY_ERR_NOKEY, DELIVERY_ERR_SEAL or
 * STORE_ERR_*.
 */
int delivery_seal(struct store *s, const struct delivery_account *a, const char *data, size_t len,
                  struct buf *out, bool *sealed_r);

/*
 * Whether mail for the account can be stored now: 0 when it is not sealed or
 * has a usable key, else DELIVERY_ERR_NOKEY (logged), DELIVERY_ERR_SEAL or
 * STORE_ERR_*. SMTP asks at RCPT so that one recipient without a usable key
 * gets 451 4.7.1 alone; delivery_commit checks again.
 */
int delivery_sealable(struct store *s, const struct delivery_account *a);

#endif
