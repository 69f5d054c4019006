/*
 * session.h - one SMTP connection: its state machine, the command being run,
 * the transaction, and what command files need to answer.
 *
 * A session is owned by the event loop thread. A complete command line is
 * parsed (smtp/parser.c) and run through the command table: on the loop when
 * it needs no store (SMTP_CMD_LOOP), else on a worker thread with that
 * thread's store connection. While a command runs the session reads no
 * further input, so commands run one at a time and in order; with
 * PIPELINING (RFC 2920) replies simply queue up in order on the socket.
 *
 * RFC 5321 3 (the SMTP procedures), 4.1.4 (order of commands), 4.2 (replies),
 * 4.5.3.2 (timeouts); RFC 3207 (STARTTLS); RFC 4954 (AUTH); RFC 3030
 * (CHUNKING, BINARYMIME); RFC 2034 (ENHANCEDSTATUSCODES).
 */
#ifndef TRESOR_SMTP_SESSION_H
#define TRESOR_SMTP_SESSION_H

#include "net/session.h"
#include "smtp/data.h"
#include "smtp/parser.h"
#include "smtp/smtp.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event;
struct evbuffer;
struct store;
struct sasl_session;
struct smtp_server;
struct smtp_txn;

/* RFC 5321 4.1.4: where a session is in the dialogue, as bits for the command table. */
enum smtp_state {
	SMTP_STATE_CONNECTED = 1 << 0, /* greeting sent, no EHLO/HELO yet */
	SMTP_STATE_READY = 1 << 1,     /* greeted; no transaction */
	SMTP_STATE_MAIL = 1 << 2,      /* MAIL accepted, no recipient yet */
	SMTP_STATE_RCPT = 1 << 3,      /* at least one recipient accepted */
	SMTP_STATE_DATA = 1 << 4,      /* reading the text after DATA */
	SMTP_STATE_BDAT = 1 << 5,      /* reading a BDAT chunk or between chunks */
	SMTP_STATE_QUIT = 1 << 6,      /* closing */
};
#define SMTP_STATE_ANY                                                                             \
	(SMTP_STATE_CONNECTED | SMTP_STATE_READY | SMTP_STATE_MAIL | SMTP_STATE_RCPT |             \
	 SMTP_STATE_BDAT)

/* RFC 4954 4: AUTH lines (and SASL responses) may be up to 12288 octets. */
#define SMTP_AUTH_LINE_MAX 12288

/* Command table flags. */
enum smtp_cmd_flags {
	SMTP_CMD_LOOP = 1 << 0, /* runs on the loop thread (no store access) */
};

struct smtp_session;
typedef void smtp_cmd_fn(struct smtp_session *s);

struct smtp_cmd_def {
	const char *name;
	enum smtp_verb verb;
	unsigned states;
	unsigned flags;
	smtp_cmd_fn *run;
};

/* What the loop does once a command has returned. */
enum smtp_after {
	SMTP_AFTER_NOTHING,
	SMTP_AFTER_STARTTLS, /* upgrade the connection */
	SMTP_AFTER_QUIT,     /* flush and close */
	SMTP_AFTER_DATA,     /* read the message text */
	SMTP_AFTER_SASL,     /* SASL credentials are complete: verify them */
};

struct smtp_session {
	struct net_session ns; /* first: connection, running command, held-back reply */
	struct smtp_server *server;
	enum smtp_mode mode;
	enum smtp_state state;
	struct smtp_session *prev, *next; /* server's session list */

	/* Reading. */
	bool discarding_line; /* dropping the rest of an over-long command line */
	enum smtp_after after;
	unsigned errors;        /* 4xx/5xx replies so far */
	struct smtp_data data;  /* DATA reader */
	bool chunk_active;      /* reading the chunk announced by BDAT */
	uint64_t bdat_left;     /* bytes of the current chunk still to read */
	bool bdat_last;         /* the current chunk is the LAST one */
	const char *bdat_error; /* reply owed once the chunk has been read, or NULL */
	uint64_t buffered;      /* message bytes this session counts in the server's total */
	bool out_of_memory;     /* the server's budget ran out while reading this message */

	/* The command being run. */
	char line[SMTP_AUTH_LINE_MAX + 1];
	size_t line_len;
	struct smtp_command cmd;
	const struct smtp_cmd_def *def;
	struct evbuffer *out; /* replies of the running command */

	/* Client. */
	char *helo;
	bool esmtp;
	char tls_info[128]; /* "version=... cipher=..." once TLS is up, for Received */
	char *user;         /* authenticated account, or NULL */
	uint64_t user_id;
	struct sasl_session *sasl;

	/* The mail transaction (NULL outside MAIL ... end of data). */
	struct smtp_txn *txn;
};

/* --- used by command files (on the thread that runs the command) --- */

/* One reply line "code text" + CRLF. Multi-line replies write "250-..." lines
 * first (RFC 5321 4.2.1). The last line of a 4xx/5xx reply counts as an error. */
void smtp_reply(struct smtp_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* 451 4.3.0 for a failing store (logged with the store's message). */
void smtp_store_error(struct smtp_session *s, const char *what);

void smtp_session_enter_state(struct smtp_session *s, enum smtp_state next);
/* Drops the transaction (RSET, EHLO, STARTTLS, end of a failed or done message). */
void smtp_session_reset(struct smtp_session *s);
/* RFC 8314 / RFC 4954 4: may credentials be sent now (TLS, or loopback if allowed)? */
bool smtp_auth_allowed(const struct smtp_session *s);
/* The server's host name, for greetings and trace headers. */
const char *smtp_hostname(const struct smtp_session *s);

/* Runs def now on the loop (SMTP_CMD_LOOP) or on a worker; input resumes when it returns. */
void smtp_session_run(struct smtp_session *s, const struct smtp_cmd_def *def);

/* The command table (commands.c). */
const struct smtp_cmd_def *smtp_command_find(enum smtp_verb verb);
/* A command that does nothing: carries a reply written before it ran. */
extern const struct smtp_cmd_def smtp_cmd_none;
/* Verifies the credentials a SASL exchange has gathered (worker). */
extern const struct smtp_cmd_def smtp_sasl_verify;
/* Stores a complete message (worker): end of DATA, or BDAT LAST. */
extern const struct smtp_cmd_def smtp_message_commit;
/* A line of an AUTH exchange (loop thread). */
void smtp_auth_line(struct smtp_session *s, const char *line, size_t len);

#endif
