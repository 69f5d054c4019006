/*
 * session.c - a POP3 connection: the greeting, reading command lines under
 * limits, dispatching them through the command table, running them on the
 * worker pool, and moving their responses to the socket.
 *
 * RFC 1939 3 (states, "+OK"/"-ERR", the autologout timer of at least 10
 * minutes: [pop3] timeout), 4 (greeting); RFC 2449 4 (line length), 6.6
 * (pipelining: commands run in order, one at a time); RFC 2595 4 (STLS).
 *
 * Limits: POP3_LINE_MAX bytes per command line (longer: "-ERR Line too long",
 * the rest dropped), POP3_SASL_LINE_MAX per AUTH line; more than
 * POP3_ERRORS_BEFORE_LOGIN_MAX error replies before login, or
 * POP3_ERRORS_AFTER_LOGIN_MAX after, close the connection; [pop3]
 * max_connections sessions.
 *
 * Attacker control: every byte read. Nothing is trusted until the pure
 * parser has turned it into a command.
 */
#include "pop3/session.h"

#include "auth/sasl.h"
#include "base/config.h"
#include "base/list.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/conn.h"
#include "net/session.h"
#include "net/lines.h"
#include "net/worker.h"
#include "pop3/maildrop.h"
#include "pop3/server.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void session_read(struct pop3_session *s);

static const char *state_name(enum pop3_state st)
{
	switch (st) {
	case POP3_STATE_AUTHORIZATION:
		return "authorization";
	case POP3_STATE_TRANSACTION:
		return "transaction";
	case POP3_STATE_UPDATE:
		return "update";
	}
	return "?";
}

void pop3_session_enter_state(struct pop3_session *s, enum pop3_state next)
{
	log_debug("pop3 session=%s state=%s next=%s", s->ns.conn->id, state_name(s->state),
	          state_name(next));
	s->state = next;
}

bool pop3_login_allowed(const struct pop3_session *s)
{
	return s->ns.conn->tls ||
	       (s->ns.conn->loopback && s->server->deps.config->auth_plaintext_loopback);
}

/* --- replies --- */

static void reply_va(struct pop3_session *s, const char *status, const char *fmt, va_list ap)
{
	evbuffer_add_printf(s->out, "%s", status);
	evbuffer_add_vprintf(s->out, fmt, ap);
	evbuffer_add(s->out, "\r\n", 2);
}

void pop3_ok(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_va(s, "+OK ", fmt, ap);
	va_end(ap);
}

void pop3_err(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	s->errors++;
	va_start(ap, fmt);
	reply_va(s, "-ERR ", fmt, ap);
	va_end(ap);
}

void pop3_line(struct pop3_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_va(s, "", fmt, ap);
	va_end(ap);
}

struct evbuffer *pop3_out(struct pop3_session *s)
{
	return s->out;
}

static void flush_out(struct pop3_session *s)
{
	evbuffer_add_buffer(conn_output(s->ns.conn), s->out);
}

/* --- lifecycle --- */

static struct pop3_session *owner(struct net_session *ns)
{
	return (struct pop3_session *)ns; /* ns is the first member */
}

static void session_free(struct net_session *ns)
{
	struct pop3_session *s = owner(ns);

	DLIST_REMOVE(s->server->sessions, s);
	s->server->n_sessions--;
	if (s->locked)
		pop3_maildrop_unlock(s->server, s->user_id);
	pop3_maildrop_free(&s->drop);
	sasl_free(&s->sasl);
	free(s->user_arg);
	free(s->user);
	evbuffer_free(s->out);
	net_session_deinit(&s->ns);
	free(s);
}

static void session_close(struct pop3_session *s, const char *reply)
{
	s->state = POP3_STATE_UPDATE;
	net_session_close(&s->ns, reply);
}

static void on_timeout(struct net_session *ns)
{
	/* RFC 1939 6: a connection that ends without QUIT deletes nothing. */
	session_close(owner(ns), "-ERR Autologout; idle for too long\r\n");
}

static void read_input(struct net_session *ns)
{
	session_read(owner(ns));
}

static void flush_ns(struct net_session *ns)
{
	flush_out(owner(ns));
}

static const char *session_user(struct net_session *ns)
{
	return owner(ns)->user;
}

static void command_returned(struct net_session *ns);

static const struct net_session_ops session_ops = {
        .proto = "pop3",
        .timeout = on_timeout,
        .read = read_input,
        .returned = command_returned,
        .flush = flush_ns,
        .free = session_free,
        .user = session_user,
};

void pop3_accept(struct pop3_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, bool implicit_tls)
{
	const struct config *cfg = server->deps.config;
	struct pop3_session *s = xcalloc(1, sizeof(*s));

	net_session_init(&s->ns, &session_ops, server->deps.base, server->deps.workers, fd, peer,
	                 peer_len, implicit_tls ? server->deps.tls_ctx : NULL,
	                 (unsigned)cfg->pop3_timeout);
	s->server = server;
	s->state = POP3_STATE_AUTHORIZATION;
	s->out = evbuffer_new();
	DLIST_PREPEND(server->sessions, s);
	server->n_sessions++;
	log_info("pop3 session=%s event=connect ip=%s local=%s tls=%s", s->ns.conn->id,
	         s->ns.conn->peer_ip, s->ns.conn->local, implicit_tls ? "yes" : "no");
	if (server->n_sessions > cfg->pop3_max_connections) {
		session_close(s, "-ERR [SYS/TEMP] Too many connections, try again later\r\n");
		return;
	}
	conn_printf(s->ns.conn, "+OK %s POP3 server ready\r\n", "Tresor");
}

/* --- running commands --- */

static void run_command(struct net_session *ns)
{
	struct pop3_session *s = owner(ns);

	s->def->run(s);
}

static void enter_stls(struct pop3_session *s)
{
	struct evbuffer *in = conn_input(s->ns.conn);

	/* CVE-2011-0411: whatever was pipelined after STLS is dropped. */
	evbuffer_drain(in, evbuffer_get_length(in));
	if (conn_starttls(s->ns.conn, s->server->deps.tls_ctx) < 0) {
		session_close(s, NULL);
		return;
	}
	conn_set_idle_timeout(s->ns.conn, (unsigned)s->server->deps.config->pop3_timeout);
	/* RFC 2595 4: a user name given before TLS is forgotten. */
	XFREE(s->user_arg);
}

static void after_command(struct pop3_session *s, enum pop3_after after)
{
	switch (after) {
	case POP3_AFTER_QUIT:
		s->ns.busy = false; /* the flushed callback may free the session from here on */
		session_close(s, NULL);
		return;
	case POP3_AFTER_STLS:
		enter_stls(s);
		break;
	case POP3_AFTER_SASL:
		pop3_session_run(s, &pop3_sasl_verify);
		return;
	case POP3_AFTER_NOTHING:
		break;
	}
	net_session_resume(&s->ns);
}

/* A command returned (loop thread). */
static void command_returned(struct net_session *ns)
{
	struct pop3_session *s = owner(ns);
	enum pop3_after after = s->after;

	net_session_log_command(ns, s->def != NULL ? s->def->name : NULL);
	s->after = POP3_AFTER_NOTHING;
	if (!net_session_returned(ns))
		return;
	flush_out(s);
	after_command(s, after);
}

void pop3_session_run(struct pop3_session *s, const struct pop3_cmd_def *def)
{
	s->def = def;
	net_session_run(&s->ns, run_command, (def->flags & POP3_CMD_LOOP) != 0);
}

static void dispatch(struct pop3_session *s)
{
	const struct pop3_cmd_def *def = pop3_command_find(s->cmd.verb);

	if (def == NULL) {
		pop3_err(s, "Unknown command");
		pop3_session_run(s, &pop3_cmd_none);
		return;
	}
	if (!(def->states & s->state)) {
		pop3_err(s, s->state == POP3_STATE_AUTHORIZATION ? "Log in first"
		                                                 : "Already logged in");
		pop3_session_run(s, &pop3_cmd_none);
		return;
	}
	net_session_start_command(&s->ns);
	pop3_session_run(s, def);
}

static void command_line(struct pop3_session *s)
{
	const char *error = NULL;

	if (s->sasl != NULL) {
		pop3_auth_line(s, s->line, s->line_len);
		return;
	}
	memset(&s->cmd, 0, sizeof(s->cmd));
	if (pop3_parse_command(s->line, s->line_len, &s->cmd, &error) < 0) {
		pop3_err(s, "%s", error);
		pop3_session_run(s, &pop3_cmd_none);
		return;
	}
	dispatch(s);
}

/* --- reading --- */

static void line_too_long(struct pop3_session *s)
{
	s->discarding_line = true;
	sasl_free(&s->sasl);
	pop3_err(s, "Line too long");
	flush_out(s);
}

/* Moves one line (without CR LF) into s->line; false when none is complete. */
static bool read_line(struct pop3_session *s, struct evbuffer *in)
{
	enum lines_result r = lines_take_command(in, s->sasl != NULL, POP3_LINE_MAX,
	                                         POP3_SASL_LINE_MAX, s->line, &s->line_len);

	if (r == LINES_TOO_LONG)
		line_too_long(s);
	return r == LINES_OK;
}

static bool too_many_errors(const struct pop3_session *s)
{
	unsigned max = s->state == POP3_STATE_AUTHORIZATION ? POP3_ERRORS_BEFORE_LOGIN_MAX
	                                                    : POP3_ERRORS_AFTER_LOGIN_MAX;

	return s->errors > max;
}

static void session_read(struct pop3_session *s)
{
	struct evbuffer *in = conn_input(s->ns.conn);

	s->ns.in_read = true;
	while (!s->ns.busy && s->state != POP3_STATE_UPDATE && !s->ns.conn->closing) {
		if (too_many_errors(s)) {
			session_close(s, "-ERR Too many errors, closing\r\n");
			break;
		}
		if (s->discarding_line) {
			if (!lines_skip(in))
				break;
			s->discarding_line = false;
		} else if (read_line(s, in)) {
			command_line(s);
		} else if (!s->discarding_line) {
			break;
		}
	}
	net_session_read_done(&s->ns);
}

/* --- server --- */

struct pop3_server *pop3_server_new(const struct proto_deps *deps)
{
	struct pop3_server *server = xcalloc(1, sizeof(*server));

	server->deps = *deps;
	pthread_mutex_init(&server->lock, NULL);
	return server;
}

void pop3_server_shutdown(struct pop3_server *server)
{
	struct pop3_session *s, *next;

	for (s = server->sessions; s != NULL; s = next) {
		next = s->next;
		net_session_shutdown(&s->ns, "-ERR [SYS/TEMP] Server shutting down\r\n");
	}
}

void pop3_server_free(struct pop3_server **_server)
{
	struct pop3_server *server = *_server;

	if (server == NULL)
		return;
	pthread_mutex_destroy(&server->lock);
	free(server->locked);
	XFREE(*_server);
}

bool pop3_maildrop_lock(struct pop3_server *server, uint64_t user_id)
{
	bool ok = true;
	size_t i;

	pthread_mutex_lock(&server->lock);
	for (i = 0; i < server->n_locked && ok; i++)
		ok = server->locked[i] != user_id;
	if (ok) {
		if (server->n_locked == server->cap_locked) {
			server->cap_locked = server->cap_locked ? server->cap_locked * 2 : 16;
			server->locked = xreallocarray(server->locked, server->cap_locked,
			                               sizeof(*server->locked));
		}
		server->locked[server->n_locked++] = user_id;
	}
	pthread_mutex_unlock(&server->lock);
	return ok;
}

void pop3_maildrop_unlock(struct pop3_server *server, uint64_t user_id)
{
	size_t i;

	pthread_mutex_lock(&server->lock);
	for (i = 0; i < server->n_locked; i++) {
		if (server->locked[i] == user_id) {
			server->locked[i] = server->locked[--server->n_locked];
			break;
		}
	}
	pthread_mutex_unlock(&server->lock);
}
