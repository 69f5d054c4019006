/*
 * session.c - an IMAP connection: reading whole commands under limits,
 * dispatching them through the command table, running them on the worker
 * pool, and moving their responses to the socket.
 *
 * RFC 9051 2.2 (commands and responses), 4.3 (literals), 7.5 (responses);
 * RFC 7888 (LITERAL+/LITERAL-); RFC 3501 7.1.5 (BYE).
 *
 * Limits: IMAP_LINE_MAX bytes per line; literals of APPEND up to the
 * configured append_limit, of other commands IMAP_COMMAND_LITERAL_MAX bytes,
 * non-synchronizing ones IMAP_NONSYNC_LITERAL_MAX bytes when LITERAL- is in
 * force; IMAP_BAD_BEFORE_LOGIN_MAX / IMAP_BAD_AFTER_LOGIN_MAX bad commands.
 * A refused literal is skipped without being buffered.
 *
 * Attacker control: every byte read. Nothing read is trusted until the pure
 * parser (parser.c) has turned it into a command.
 */
#include "imap/session.h"

#include "auth/sasl.h"
#include "base/config.h"
#include "base/list.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "imap/server.h"
#include "imap/view.h"
#include "net/conn.h"
#include "net/worker.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void session_read(struct imap_session *s);

static const char *state_name(enum imap_state st)
{
	switch (st) {
	case IMAP_STATE_NOT_AUTH:
		return "not-authenticated";
	case IMAP_STATE_AUTH:
		return "authenticated";
	case IMAP_STATE_SELECTED:
		return "selected";
	case IMAP_STATE_LOGOUT:
		return "logout";
	}
	return "?";
}

void imap_session_enter_state(struct imap_session *s, enum imap_state next)
{
	log_debug("imap session=%s state=%s next=%s", s->ns.conn->id, state_name(s->state),
	          state_name(next));
	s->state = next;
}

/* --- output --- */

void imap_write(struct imap_session *s, const void *data, size_t len)
{
	evbuffer_add(s->out, data, len);
}

void imap_printf(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(s->out, fmt, ap);
	va_end(ap);
}

void imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	evbuffer_add(s->out, "* ", 2);
	va_start(ap, fmt);
	evbuffer_add_vprintf(s->out, fmt, ap);
	va_end(ap);
	evbuffer_add(s->out, "\r\n", 2);
}

void imap_tagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;

	/* Kept apart so that untagged updates can still go before it. */
	evbuffer_add_printf(s->tagged, "%s ", s->tag);
	va_start(ap, fmt);
	evbuffer_add_vprintf(s->tagged, fmt, ap);
	va_end(ap);
	evbuffer_add(s->tagged, "\r\n", 2);
}

void imap_bad(struct imap_session *s, const char *text)
{
	s->bad_commands++;
	imap_tagged(s, "BAD %s", text);
}

/* Moves what the command wrote to the socket. */
static void flush_out(struct imap_session *s)
{
	evbuffer_add_buffer(conn_output(s->ns.conn), s->out);
}

/* --- arguments --- */

const char *imap_arg_str(struct imap_session *s, size_t i)
{
	if (i >= s->n_args || !imap_arg_is_astring(&s->args[i]))
		return NULL;
	return imap_arg_astring(&s->args[i], &s->arena);
}

const char *imap_arg_atom(struct imap_session *s, size_t i)
{
	if (i >= s->n_args || s->args[i].type != IMAP_ARG_ATOM)
		return NULL;
	return imap_arena_strndup(&s->arena, s->args[i].str, s->args[i].len);
}

/* --- lifecycle --- */

static struct imap_session *owner(struct net_session *ns)
{
	return (struct imap_session *)ns; /* ns is the first member */
}

static void session_free(struct net_session *ns)
{
	struct imap_session *s = owner(ns);

	imap_server_unlink(s->server, s);
	imap_view_free(&s->view);
	sasl_free(&s->sasl);
	free(s->pending_error);
	free(s->saved);
	free(s->user);
	evbuffer_free(s->out);
	evbuffer_free(s->tagged);
	buf_deinit(&s->cmdbuf);
	imap_arena_clear(&s->arena);
	net_session_deinit(&s->ns);
	free(s);
}

static void session_close(struct imap_session *s, const char *bye)
{
	s->state = IMAP_STATE_LOGOUT;
	net_session_close(&s->ns, bye);
}

static void on_timeout(struct net_session *ns)
{
	/* RFC 9051 5.4: tell the client why before closing. */
	session_close(owner(ns), "* BYE Autologout; idle for too long\r\n");
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
        .proto = "imap",
        .timeout = on_timeout,
        .read = read_input,
        .returned = command_returned,
        .flush = flush_ns,
        .free = session_free,
        .user = session_user,
};

void imap_accept(struct imap_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, bool implicit_tls)
{
	const struct config *cfg = server->deps.config;
	struct imap_session *s = xcalloc(1, sizeof(*s));

	net_session_init(&s->ns, &session_ops, server->deps.base, server->deps.workers, fd, peer,
	                 peer_len, implicit_tls ? server->deps.tls_ctx : NULL,
	                 (unsigned)cfg->imap_idle_timeout);
	s->server = server;
	s->state = IMAP_STATE_NOT_AUTH;
	s->out = evbuffer_new();
	s->tagged = evbuffer_new();
	buf_init(&s->cmdbuf, 0);
	imap_arena_init(&s->arena, 0);
	imap_server_link(server, s);
	log_info("imap session=%s event=connect ip=%s local=%s tls=%s", s->ns.conn->id,
	         s->ns.conn->peer_ip, s->ns.conn->local, implicit_tls ? "yes" : "no");
	if (server->n_sessions > cfg->imap_max_connections) {
		session_close(s, "* BYE Too many connections, try again later\r\n");
		return;
	}
	conn_write(s->ns.conn, "* OK [CAPABILITY ", 17);
	imap_write_capabilities(s);
	evbuffer_add_printf(s->out, "] %s IMAP server ready\r\n", "Tresor");
	flush_out(s);
}

/* --- running commands --- */

static bool may_sync(const struct imap_session *s)
{
	return s->state == IMAP_STATE_SELECTED && s->view != NULL &&
	       !(s->def->flags & IMAP_CMD_NO_SYNC);
}

/* A command on the loop: it never touches the store, so no untagged updates follow. */
static void run_on_loop(struct net_session *ns)
{
	struct imap_session *s = owner(ns);

	s->def->run(s);
	evbuffer_add_buffer(s->out, s->tagged);
}

static void run_on_worker(struct net_session *ns)
{
	struct imap_session *s = owner(ns);

	s->def->run(s);
	/* RFC 9051 7.5.1: no EXPUNGE during FETCH, STORE or SEARCH by sequence number. */
	if (may_sync(s))
		imap_session_sync(s, !(s->def->flags & IMAP_CMD_NO_EXPUNGE) || s->uid);
	evbuffer_add_buffer(s->out, s->tagged);
}

static void enter_starttls(struct imap_session *s)
{
	struct evbuffer *in = conn_input(s->ns.conn);

	/* CVE-2011-0411: whatever was pipelined after STARTTLS is dropped. */
	evbuffer_drain(in, evbuffer_get_length(in));
	if (conn_starttls(s->ns.conn, s->server->deps.tls_ctx) < 0) {
		session_close(s, NULL);
		return;
	}
	conn_set_idle_timeout(s->ns.conn, (unsigned)s->server->deps.config->imap_idle_timeout);
}

/* The command's name for the debug log ("UID-FETCH"). */
static void log_command(struct imap_session *s)
{
	char name[32];

	if (s->def == NULL)
		return;
	snprintf(name, sizeof(name), "%s%s", s->uid ? "UID-" : "", s->def->name);
	net_session_log_command(&s->ns, name);
}

/* What the loop does after a command, once its replies are on their way. */
static void after_command(struct imap_session *s, enum imap_after after)
{
	if (after == IMAP_AFTER_LOGOUT) {
		s->ns.busy = false; /* the flushed callback may free the session from here on */
		session_close(s, NULL);
		return;
	}
	if (after == IMAP_AFTER_STARTTLS)
		enter_starttls(s);
	if (after == IMAP_AFTER_SASL) {
		imap_session_run(s, &imap_sasl_verify);
		return;
	}
	if (after == IMAP_AFTER_IDLE) {
		/* RFC 2177 3: changes made before IDLE began are pushed at once too. */
		s->idling = true;
		s->changed = s->view != NULL;
	}
	s->ns.busy = false;
	if (s->idling && s->changed) {
		s->changed = false;
		imap_session_changed(s);
	}
	if (!s->ns.in_read && !s->ns.busy)
		session_read(s);
}

/* A command (or an IDLE push) returned (loop thread). */
static void command_returned(struct net_session *ns)
{
	struct imap_session *s = owner(ns);
	enum imap_after after = s->after;

	log_command(s);
	s->sync_queued = false;
	s->after = IMAP_AFTER_NOTHING;
	imap_arena_clear(&s->arena);
	/* A literal may be a message for a sealed account (APPEND): not left in memory. */
	if (s->command_literals > 0)
		buf_reset_wipe(&s->cmdbuf);
	else
		buf_reset(&s->cmdbuf);
	s->command_literals = 0;
	if (!net_session_returned(ns))
		return;
	flush_out(s);
	after_command(s, after);
}

static bool too_many_bad(const struct imap_session *s)
{
	unsigned max = s->state == IMAP_STATE_NOT_AUTH ? IMAP_BAD_BEFORE_LOGIN_MAX
	                                               : IMAP_BAD_AFTER_LOGIN_MAX;
	return s->bad_commands > max;
}

/* Why def cannot run in the session's state. */
static const char *state_refusal(const struct imap_session *s, const struct imap_cmd_def *def)
{
	if (s->state == IMAP_STATE_NOT_AUTH)
		return "Log in first";
	if (def->states == IMAP_STATE_NOT_AUTH)
		return "Already authenticated";
	if (s->state == IMAP_STATE_AUTH && (def->states & IMAP_STATE_SELECTED))
		return "No mailbox selected";
	return "Command not allowed in this state";
}

/* Runs a command on the loop (IMAP_CMD_LOOP) or hands it to a worker. */
void imap_session_run(struct imap_session *s, const struct imap_cmd_def *def)
{
	bool on_loop = (def->flags & IMAP_CMD_LOOP) != 0;

	s->def = def;
	net_session_run(&s->ns, on_loop ? run_on_loop : run_on_worker, on_loop);
}

static void dispatch(struct imap_session *s)
{
	const struct imap_cmd_def *def;

	def = imap_command_find(s->cmd.name, s->cmd.name_len);
	if (def == NULL || (s->cmd.uid && !(def->flags & IMAP_CMD_UID))) {
		imap_bad(s, "Unknown command");
		imap_session_run(s, &imap_cmd_none);
		return;
	}
	if (!(def->states & s->state)) {
		imap_bad(s, state_refusal(s, def));
		imap_session_run(s, &imap_cmd_none);
		return;
	}
	s->uid = s->cmd.uid;
	s->args = s->cmd.args;
	s->n_args = s->cmd.n_args;
	net_session_start_command(&s->ns);
	imap_session_run(s, def);
}

/* A complete command is in cmdbuf: parse and run it. */
static void command_complete(struct imap_session *s)
{
	const char *error = NULL;

	evbuffer_drain(s->out, evbuffer_get_length(s->out));
	evbuffer_drain(s->tagged, evbuffer_get_length(s->tagged));
	memset(&s->cmd, 0, sizeof(s->cmd));
	if (imap_parse_command(s->cmdbuf.data, s->cmdbuf.len, &s->cmd, &s->arena, &error) < 0) {
		if (s->cmd.tag != NULL && s->cmd.tag_len <= IMAP_TAG_MAX)
			snprintf(s->tag, sizeof(s->tag), "%.*s", (int)s->cmd.tag_len, s->cmd.tag);
		else
			snprintf(s->tag, sizeof(s->tag), "*");
		imap_bad(s, error);
		imap_session_run(s, &imap_cmd_none);
		return;
	}
	snprintf(s->tag, sizeof(s->tag), "%.*s", (int)s->cmd.tag_len, s->cmd.tag);
	dispatch(s);
}

/* --- reading --- */

/* The tag at the start of a command that cannot be parsed, or "*". */
static void guess_tag(const char *data, size_t len, char *out, size_t size)
{
	size_t n = 0;

	while (n < len && n < IMAP_TAG_MAX && data[n] > ' ' && data[n] < 127 && data[n] != '(' &&
	       data[n] != '{' && data[n] != '"' && data[n] != '+' && data[n] != '*')
		n++;
	if (n == 0 || n >= len || data[n] != ' ')
		snprintf(out, size, "*");
	else
		snprintf(out, size, "%.*s", (int)n, data);
}

/* Whether the command in cmdbuf is APPEND (its literal may be large). */
static bool command_is_append(const struct imap_session *s)
{
	const char *p = s->cmdbuf.data, *end = p + s->cmdbuf.len;
	const char *sp = memchr(p, ' ', (size_t)(end - p));

	if (sp == NULL)
		return false;
	sp++;
	return (size_t)(end - sp) >= 7 && strncasecmp(sp, "APPEND ", 7) == 0;
}

/* Drops the command being read; the reply text waits until dropped input ends. */
static void refuse_command(struct imap_session *s, const char *text)
{
	char tag[IMAP_TAG_MAX + 1];

	guess_tag(s->cmdbuf.data, s->cmdbuf.len, tag, sizeof(tag));
	free(s->pending_error);
	s->pending_error = xasprintf("%s %s\r\n", tag, text);
	s->bad_commands++;
	buf_reset(&s->cmdbuf);
	s->command_literals = 0;
}

/* A line ends with a literal marker: accept the literal, or refuse the command. */
static void start_literal(struct imap_session *s, uint64_t size, bool nonsync)
{
	const struct config *cfg = s->server->deps.config;
	bool append = command_is_append(s);
	uint64_t limit = append ? cfg->imap_append_limit : IMAP_COMMAND_LITERAL_MAX;
	const char *refusal = NULL;

	if (nonsync && !cfg->imap_literal_plus && size > IMAP_NONSYNC_LITERAL_MAX)
		refusal = "BAD [TOOBIG] Non-synchronizing literal over 4096 bytes (LITERAL-)";
	else if (size > limit || limit - s->command_literals < size)
		refusal = append ? "NO [TOOBIG] Message is larger than APPENDLIMIT"
		                 : "BAD [TOOBIG] Literal too large";
	if (refusal != NULL) {
		refuse_command(s, refusal);
		if (nonsync) {
			/* The bytes are coming anyway: drop them, then the rest of the line. */
			s->skip_left = size;
			s->discarding_line = true;
		}
		return;
	}
	s->literal_left = size;
	s->command_literals += size;
	if (!nonsync)
		conn_write(s->ns.conn, "+ Ready for literal data\r\n", 26);
}

/* Drops refused input; returns true once everything owed has been dropped and answered. */
static bool skip_input(struct imap_session *s, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in);

	if (s->skip_left > 0) {
		size_t n = s->skip_left < avail ? (size_t)s->skip_left : avail;
		evbuffer_drain(in, n);
		s->skip_left -= n;
		if (s->skip_left > 0)
			return false;
	}
	if (s->discarding_line) {
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			evbuffer_drain(in, evbuffer_get_length(in));
			return false;
		}
		evbuffer_drain(in, (size_t)eol.pos + 1);
		s->discarding_line = false;
	}
	if (s->pending_error != NULL) {
		conn_write(s->ns.conn, s->pending_error, strlen(s->pending_error));
		XFREE(s->pending_error);
	}
	return true;
}

static void line_too_long(struct imap_session *s, struct evbuffer *in)
{
	char head[IMAP_TAG_MAX + 2];
	size_t n;

	if (s->cmdbuf.len == 0) {
		n = (size_t)evbuffer_copyout(in, head, sizeof(head));
		buf_append(&s->cmdbuf, head, n);
	}
	refuse_command(s, "BAD Line too long");
	s->discarding_line = true;
}

/* Moves one line into cmdbuf. Returns true when a line was added. */
static bool read_line(struct imap_session *s, struct evbuffer *in)
{
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	size_t line_len;

	if (eol.pos < 0) {
		if (evbuffer_get_length(in) > IMAP_LINE_MAX)
			line_too_long(s, in);
		return false;
	}
	line_len = (size_t)eol.pos + 1;
	if (line_len > IMAP_LINE_MAX) {
		line_too_long(s, in);
		return false;
	}
	s->line_start = s->cmdbuf.len;
	buf_append(&s->cmdbuf, evbuffer_pullup(in, (ev_ssize_t)line_len), line_len);
	evbuffer_drain(in, line_len);
	return true;
}

static void read_literal(struct imap_session *s, struct evbuffer *in)
{
	size_t avail = evbuffer_get_length(in);
	size_t n = s->literal_left < avail ? (size_t)s->literal_left : avail;

	buf_append(&s->cmdbuf, evbuffer_pullup(in, (ev_ssize_t)n), n);
	evbuffer_drain(in, n);
	s->literal_left -= n;
}

/* A whole line is in cmdbuf: a literal follows, or the command is complete. */
static void line_done(struct imap_session *s)
{
	const char *line = s->cmdbuf.data + s->line_start;
	size_t len = s->cmdbuf.len - s->line_start;
	uint64_t size;
	bool nonsync, lit8;

	len -= (len > 0 && line[len - 1] == '\n');
	len -= (len > 0 && line[len - 1] == '\r');
	if (s->sasl != NULL) {
		imap_authenticate_line(s, line, len);
		return;
	}
	if (s->idling) {
		imap_idle_line(s, line, len);
		return;
	}
	if (imap_line_literal(line, len, &size, &nonsync, &lit8)) {
		start_literal(s, size, nonsync);
		return;
	}
	command_complete(s);
}

static bool input_waiting(struct imap_session *s, struct evbuffer *in)
{
	return evbuffer_get_length(in) > 0;
}

static void session_read(struct imap_session *s)
{
	struct evbuffer *in = conn_input(s->ns.conn);

	s->ns.in_read = true;
	while (!s->ns.busy && s->state != IMAP_STATE_LOGOUT && !s->ns.conn->closing) {
		if (too_many_bad(s)) {
			session_close(s, "* BYE Too many invalid commands\r\n");
			break;
		}
		if (s->skip_left > 0 || s->discarding_line || s->pending_error != NULL) {
			if (!skip_input(s, in))
				break;
		} else if (s->literal_left > 0) {
			if (!input_waiting(s, in))
				break;
			read_literal(s, in);
			if (s->literal_left == 0)
				s->line_start = s->cmdbuf.len; /* the command line goes on */
		} else if (read_line(s, in)) {
			line_done(s);
		} else if (!s->discarding_line) {
			break;
		}
	}
	net_session_read_done(&s->ns);
}

/* --- mailbox changes --- */

static void push_work(struct net_session *ns)
{
	struct imap_session *s = owner(ns);

	if (s->view != NULL)
		imap_session_sync(s, true);
}

/* RFC 2177: a change reaches an idling session at once. */
void imap_session_changed(struct imap_session *s)
{
	if (!s->idling || s->sync_queued)
		return;
	if (s->ns.busy) {
		s->changed = true;
		return;
	}
	s->sync_queued = true;
	evbuffer_drain(s->out, evbuffer_get_length(s->out));
	net_session_run(&s->ns, push_work, false);
}

/* --- server --- */

void imap_server_link(struct imap_server *server, struct imap_session *s)
{
	DLIST_PREPEND(server->sessions, s);
	server->n_sessions++;
}

void imap_server_unlink(struct imap_server *server, struct imap_session *s)
{
	DLIST_REMOVE(server->sessions, s);
	server->n_sessions--;
}

void imap_mailbox_changed(struct imap_server *server, uint64_t mailbox_id)
{
	struct imap_session *s, *next;

	for (s = server->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->view != NULL && (s->view->mailbox_id == mailbox_id || mailbox_id == 0))
			imap_session_changed(s);
	}
}

struct imap_server *imap_server_new(const struct proto_deps *deps)
{
	struct imap_server *server = xcalloc(1, sizeof(*server));

	server->deps = *deps;
	return server;
}

void imap_server_shutdown(struct imap_server *server)
{
	struct imap_session *s, *next;

	for (s = server->sessions; s != NULL; s = next) {
		next = s->next;
		net_session_shutdown(&s->ns, "* BYE Server shutting down\r\n");
	}
}

void imap_server_free(struct imap_server **_server)
{
	XFREE(*_server);
}
