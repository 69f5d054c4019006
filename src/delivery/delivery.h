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
 * Sealing (later) slots in delivery_commit, between the trace headers and
 * the store.
 */
#ifndef TRESOR_DELIVERY_DELIVERY_H
#define TRESOR_DELIVERY_DELIVERY_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct store;

/* Accounts one recipient address may reach at most (an alias's targets). */
#define DELIVERY_ACCOUNTS_MAX 1000

enum delivery_kind {
	DELIVERY_LOCAL,   /* one or more hosted accounts */
	DELIVERY_REMOTE,  /* a domain this server does not host */
	DELIVERY_UNKNOWN, /* a hosted domain, but no account, alias or catch-all */
};

struct delivery_account {
	uint64_t user_id;
	uint64_t inbox_id;
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
 * Stores the message once for all local accounts (with a Return-Path header,
 * RFC 5321 4.4) and queues it for the remote recipients, in one durable
 * transaction: on 0 everything is on disk, on error (STORE_ERR_*) nothing is.
 */
int delivery_commit(struct store *s, const struct delivery_message *m);

#endif
