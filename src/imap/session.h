/*
 * session.h - one IMAP connection: its state machine, the command being run,
 * the selected mailbox, and what command files need to answer.
 *
 * A session is owned by the event loop thread. When a complete command has
 * been read, it is parsed and either run on the loop (commands marked
 * IMAP_CMD_LOOP, which never touch the store) or handed to a worker thread
 * together with that thread's store connection. While a command runs the
 * session reads no further input, so one command of a session runs at a time
 * and only one thread touches the session at a time. Responses are written to
 * s->out and moved to the socket when the command returns.
 *
 * RFC 9051 3 (states), 7.5.1 / RFC 2180 (when untagged EXPUNGE may be sent).
 */
#ifndef TRESOR_IMAP_SESSION_H
#define TRESOR_IMAP_SESSION_H

#include "base/buf.h"
#include "net/session.h"
#include "imap/parser.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct evbuffer;
struct event;
struct store;
struct sasl_session;
struct imap_server;
struct imap_view;

/* RFC 9051 3: connection states, as bits for the command table. */
enum imap_state {
	IMAP_STATE_NOT_AUTH = 1 << 0,
	IMAP_STATE_AUTH = 1 << 1,
	IMAP_STATE_SELECTED = 1 << 2,
	IMAP_STATE_LOGOUT = 1 << 3,
};
#define IMAP_STATE_ANY    (IMAP_STATE_NOT_AUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define IMAP_STATE_AUTHED (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)

/* Command table flags. */
enum imap_cmd_flags {
	IMAP_CMD_LOOP = 1 << 0,       /* runs on the loop thread (no store access) */
	IMAP_CMD_UID = 1 << 1,        /* may follow "UID" */
	IMAP_CMD_NO_EXPUNGE = 1 << 2, /* RFC 9051 7.5.1: no EXPUNGE unless UID form */
	IMAP_CMD_NO_SYNC = 1 << 3,    /* sends no untagged updates afterwards */
};

struct imap_session;
typedef void imap_cmd_fn(struct imap_session *s);

struct imap_cmd_def {
	const char *name;
	unsigned states;
	unsigned flags;
	imap_cmd_fn *run;
};

/* What the loop does once a command has returned. */
enum imap_after {
	IMAP_AFTER_NOTHING,
	IMAP_AFTER_STARTTLS, /* upgrade the connection */
	IMAP_AFTER_LOGOUT,   /* flush and close */
	IMAP_AFTER_IDLE,     /* wait for DONE, pushing changes */
	IMAP_AFTER_SASL,     /* SASL credentials are complete: verify them */
};

/* Session limits (RFC 9051 does not fix them; these follow Dovecot's). */
#define IMAP_LINE_MAX             (64 * 1024)
#define IMAP_COMMAND_LITERAL_MAX  (64 * 1024) /* literals of commands other than APPEND */
#define IMAP_NONSYNC_LITERAL_MAX  4096        /* RFC 7888 LITERAL- */
#define IMAP_BAD_BEFORE_LOGIN_MAX 3
#define IMAP_BAD_AFTER_LOGIN_MAX  20
#define IMAP_TAG_MAX              64

struct imap_session {
	struct net_session ns; /* first: connection, running command, held-back reply */
	struct imap_server *server;
	enum imap_state state;
	struct imap_session *prev, *next; /* server's session list */

	/* Command reader. */
	struct buf cmdbuf;       /* lines and literals of the command being read */
	uint64_t literal_left;   /* bytes of a literal still to read into cmdbuf */
	uint64_t skip_left;      /* bytes of a refused literal to drop */
	size_t command_literals; /* literal bytes in cmdbuf */
	bool discarding_line;    /* dropping the rest of an over-long line */
	char *pending_error;     /* tagged reply owed once the dropped input ends */

	/* The command being run. */
	struct imap_arena arena;
	struct imap_command cmd;
	const struct imap_cmd_def *def;
	char tag[IMAP_TAG_MAX + 1];
	bool uid;                    /* UID form */
	const struct imap_arg *args; /* after the command name (and UID subcommand) */
	size_t n_args;
	struct evbuffer *out;    /* untagged responses of the running command */
	struct evbuffer *tagged; /* its tagged reply, sent after untagged updates */
	size_t line_start;       /* offset in cmdbuf of the line being read */
	enum imap_after after;

	/* Account. */
	uint64_t user_id;
	char *user;

	/* Selected mailbox. */
	struct imap_view *view;

	/* Enabled extensions (RFC 5161). */
	bool condstore, qresync, rev2, utf8;
	unsigned bad_commands;

	/* RFC 5182 SEARCHRES: UIDs of the last SEARCH ... RETURN (SAVE). */
	uint32_t *saved;
	size_t n_saved;

	/* AUTHENTICATE in progress. */
	struct sasl_session *sasl;

	/* IDLE. */
	bool idling;
	bool sync_queued; /* an IDLE push job is queued or running */
	bool changed;     /* a change arrived while busy */
};

/* --- used by command files (on the thread that runs the command) --- */

/* "* " + text + CRLF */
void imap_untagged(struct imap_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* tag + " " + text + CRLF, e.g. imap_tagged(s, "OK [READ-WRITE] SELECT completed") */
void imap_tagged(struct imap_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Tagged BAD and a mark against the session (too many close it). */
void imap_bad(struct imap_session *s, const char *text);
/* Tagged NO for a store error (temporary failures say [UNAVAILABLE]). */
void imap_store_error(struct imap_session *s, int err, const char *what);
void imap_printf(struct imap_session *s, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
void imap_write(struct imap_session *s, const void *data, size_t len);

/* Arguments: NULL unless args[i] exists and is a string (atom, quoted or literal). */
const char *imap_arg_str(struct imap_session *s, size_t i);
/* Arguments as an atom only (not quoted or literal); NULL otherwise. */
const char *imap_arg_atom(struct imap_session *s, size_t i);

/* Decodes a client mailbox name (modified UTF-7 unless UTF8=ACCEPT) to UTF-8 in
 * the arena; NULL after a tagged BAD/NO has been sent. */
const char *imap_mailbox_arg(struct imap_session *s, size_t i);
/* Writes a mailbox name the way the client reads it (quoted, mUTF-7 or UTF-8). */
void imap_write_mailbox(struct imap_session *s, const char *utf8_name);
/* Writes an IMAP string (quoted if it can be, else a literal). */
void imap_write_string(struct imap_session *s, const char *str, size_t len);

void imap_session_enter_state(struct imap_session *s, enum imap_state next);
/* Drops the selected mailbox (CLOSE, UNSELECT, SELECT of another). */
void imap_session_unselect(struct imap_session *s);
/* Sends untagged updates for the selected mailbox (worker thread). */
void imap_session_sync(struct imap_session *s, bool allow_expunge);
/* "* seq FETCH (FLAGS ...)" for the view's message seq, with UID and MODSEQ as enabled. */
void imap_write_fetch_flags(struct imap_session *s, size_t seq);
/* RFC 8314 / RFC 2595 3.2: may credentials be sent now (TLS, or loopback if allowed)? */
bool imap_login_allowed(const struct imap_session *s);
struct imap_seqset;
struct store_changes;
/* "* VANISHED [(EARLIER)] uid-set" for ascending UIDs; nothing when n is 0. */
void imap_write_vanished(struct imap_session *s, const uint32_t *uids, size_t n, bool earlier);
/* RFC 7162 3.2.5.2 / 3.2.6: "* VANISHED (EARLIER)" for the UIDs expunged in ch that
 * filter names ('*' standing for filter_max), or all of them when filter is NULL. */
void imap_write_vanished_earlier(struct imap_session *s, const struct store_changes *ch,
                                 const struct imap_seqset *filter, uint32_t filter_max);
/* The capability list for the session's current state, without "* CAPABILITY". */
void imap_write_capabilities(struct imap_session *s);

/* Runs def now on the loop (IMAP_CMD_LOOP) or on a worker; the tagged reply and
 * the next command follow when it returns. */
void imap_session_run(struct imap_session *s, const struct imap_cmd_def *def);
/* A change to the selected mailbox was committed (loop thread). */
void imap_session_changed(struct imap_session *s);

/* The command table (commands.c). */
const struct imap_cmd_def *imap_command_find(const char *name, size_t len);
/* A command that does nothing: carries a reply written before it ran. */
extern const struct imap_cmd_def imap_cmd_none;
/* Verifies the credentials a SASL exchange has gathered (worker). */
extern const struct imap_cmd_def imap_sasl_verify;
/* Continuation lines (loop thread): a SASL response, or the end of IDLE. */
void imap_authenticate_line(struct imap_session *s, const char *line, size_t len);
void imap_idle_line(struct imap_session *s, const char *line, size_t len);

#endif
