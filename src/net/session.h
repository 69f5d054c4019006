/*
 * session.h - what every protocol session (IMAP, SMTP, POP3) does the same
 * way: it owns a connection, runs one command at a time (on the loop, or on a
 * worker with that thread's store connection), can hold a reply back (a failed
 * login), closes after its last reply, and is freed exactly once, whichever
 * ends first: the client, a running command, or the server.
 *
 * A protocol session embeds struct net_session as its first member and gives
 * a table of operations. The flow of one command:
 *   net_session_run()  -> the command runs (loop or worker)
 *   ops->returned()    -> on the loop: the protocol tidies up, then calls
 *   net_session_returned(), which frees a session that ended meanwhile or
 *   starts the reply delay (false), or lets the protocol send its replies and
 *   go on (true); when a delay ends, ops->flush() and ops->read() follow.
 *
 * Threads: everything here runs on the loop thread except the command itself.
 * Attacker control: none directly (the protocols parse the input).
 */
#ifndef TRESOR_NET_SESSION_H
#define TRESOR_NET_SESSION_H

#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

struct event;
struct event_base;
struct worker_pool;
struct store;
struct net_session;
typedef struct ssl_ctx_st SSL_CTX;

typedef void net_session_fn(struct net_session *ns);

struct net_session_ops {
	const char *proto;        /* "imap", "smtp", "pop3" in log lines */
	net_session_fn *timeout;  /* the idle timeout struck: say goodbye, net_session_close() */
	net_session_fn *read;     /* take and run buffered input */
	net_session_fn *returned; /* a command returned (loop thread) */
	net_session_fn *flush;    /* move the held-back replies to the socket */
	net_session_fn *free;     /* free the protocol session (it calls net_session_deinit) */
	const char *(*user)(struct net_session *ns); /* for log lines; NULL if none */
};

struct net_session {
	const struct net_session_ops *ops;
	struct conn *conn;
	struct event_base *base;
	struct worker_pool *workers;
	struct store *store;     /* the worker's store, while a command runs there */
	net_session_fn *work;    /* the command running or about to run */
	bool busy;               /* a command runs or its reply is held back */
	bool in_read;            /* ops->read is on the stack */
	bool closing;            /* the connection ended: free once the command returns */
	unsigned reply_delay_ms; /* hold the next reply back this long */
	struct event *delay_ev;
	struct timespec cmd_start; /* when the command was dispatched (for the log) */
};

/* Takes over an accepted socket (implicit TLS when tls_ctx is not NULL). */
void net_session_init(struct net_session *ns, const struct net_session_ops *ops,
                      struct event_base *base, struct worker_pool *workers, int fd,
                      const struct sockaddr *peer, socklen_t peer_len, SSL_CTX *tls_ctx,
                      unsigned idle_timeout);
/* Frees the connection and the delay timer (from ops->free). */
void net_session_deinit(struct net_session *ns);

/* Runs work now on the loop (on_loop) or on a worker; ops->returned follows. */
void net_session_run(struct net_session *ns, net_session_fn *work, bool on_loop);
/*
 * The common part of a command's return, called by ops->returned. Returns
 * true when the protocol should now send its replies and go on; false when
 * the session has been freed (do not touch it) or its reply is held back.
 */
bool net_session_returned(struct net_session *ns);
/* Input may be read again (the command and its after-actions are done). */
void net_session_resume(struct net_session *ns);
/* Writes reply (may be NULL) and closes once everything queued is written. */
void net_session_close(struct net_session *ns, const char *reply);
/* At the end of ops->read: frees a session that ended while it read. */
void net_session_read_done(struct net_session *ns);
/* Server shutdown: frees an idle session after writing bye; a busy one is freed when its command
 * returns. */
void net_session_shutdown(struct net_session *ns, const char *bye);
/* Starts the debug timing of a command; net_session_log_command() ends it. */
void net_session_start_command(struct net_session *ns);
void net_session_log_command(struct net_session *ns, const char *name);

#endif
