/*
 * session.h - one POP3 connection: its state machine, the command being run,
 * the maildrop, and what command files need to answer.
 *
 * A session is owned by the event loop thread. A complete command line is
 * parsed (pop3/parser.c) and run through the command table: on the loop when
 * it needs no store (POP3_CMD_LOOP), else on a worker with that thread's store
 * connection. One command runs at a time and input waits meanwhile, so
 * pipelined commands (RFC 2449 6.6) are answered in order.
 *
 * RFC 1939 3 (states AUTHORIZATION, TRANSACTION, UPDATE), 8 (maildrop
 * lock); RFC 2449 (CAPA, response codes); RFC 5034 (AUTH); RFC 2595 4 (STLS).
 */
#ifndef TRESOR_POP3_SESSION_H
#define TRESOR_POP3_SESSION_H

#include "net/session.h"
#include "pop3/parser.h"
#include "pop3/pop3.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct event;
struct evbuffer;
struct store;
struct sasl_session;
struct pop3_server;
struct pop3_maildrop;

/* RFC 1939 3: the states, as bits for the command table. */
enum pop3_state {
	POP3_STATE_AUTHORIZATION = 1 << 0,
	POP3_STATE_TRANSACTION = 1 << 1,
	POP3_STATE_UPDATE = 1 << 2, /* after QUIT: closing */
};
#define POP3_STATE_ANY (POP3_STATE_AUTHORIZATION | POP3_STATE_TRANSACTION)

enum pop3_cmd_flags {
	POP3_CMD_LOOP = 1 << 0, /* runs on the loop thread (no store access) */
};

struct pop3_session;
typedef void pop3_cmd_fn(struct pop3_session *s);

struct pop3_cmd_def {
	const char *name;
	enum pop3_verb verb;
	unsigned states;
	unsigned flags;
	pop3_cmd_fn *run;
};

enum pop3_after {
	POP3_AFTER_NOTHING,
	POP3_AFTER_STLS, /* upgrade the connection */
	POP3_AFTER_QUIT, /* flush and close */
	POP3_AFTER_SASL, /* SASL credentials are complete: verify them */
};

/* RFC 1939 8 / RFC 2449: error replies tolerated before closing. */
#define POP3_ERRORS_BEFORE_LOGIN_MAX 3
#define POP3_ERRORS_AFTER_LOGIN_MAX  20
/* RFC 5034 4: a SASL response line may be longer than a command. */
#define POP3_SASL_LINE_MAX 12288
/* Longest user name kept between USER and PASS. */
#define POP3_USER_MAX 320

struct pop3_session {
	struct net_session ns; /* first: connection, running command, held-back reply */
	struct pop3_server *server;
	enum pop3_state state;
	struct pop3_session *prev, *next; /* server's session list */

	bool discarding_line;
	enum pop3_after after;
	unsigned errors;

	char line[POP3_SASL_LINE_MAX + 1];
	size_t line_len;
	struct pop3_command cmd;
	const struct pop3_cmd_def *def;
	struct evbuffer *out; /* replies of the running command */

	/* AUTHORIZATION. */
	char *user_arg; /* name given by USER, waiting for PASS */
	struct sasl_session *sasl;

	/* TRANSACTION. */
	char *user;
	uint64_t user_id;
	bool locked; /* holds the maildrop lock of user_id */
	struct pop3_maildrop *drop;
};

/* --- used by command files --- */

/* "+OK text" CRLF. */
void pop3_ok(struct pop3_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "-ERR text" CRLF; counts as an error. */
void pop3_err(struct pop3_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line of a multi-line response (no dot-stuffing: for lists the server writes). */
void pop3_line(struct pop3_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The output buffer of the running command (multi-line message bodies). */
struct evbuffer *pop3_out(struct pop3_session *s);

void pop3_session_enter_state(struct pop3_session *s, enum pop3_state next);
/* RFC 2595 / RFC 8314: may credentials be sent now (TLS, or loopback if allowed)? */
bool pop3_login_allowed(const struct pop3_session *s);
/* Worker: checks user and password, locks and loads the maildrop, answers. */
void pop3_login(struct pop3_session *s, const char *user, const char *password);

void pop3_session_run(struct pop3_session *s, const struct pop3_cmd_def *def);

/* The command table (commands.c). */
const struct pop3_cmd_def *pop3_command_find(enum pop3_verb verb);
extern const struct pop3_cmd_def pop3_cmd_none;
extern const struct pop3_cmd_def pop3_sasl_verify;
/* A line of an AUTH exchange (loop thread). */
void pop3_auth_line(struct pop3_session *s, const char *line, size_t len);

#endif
