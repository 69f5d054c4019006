/*
 * session.c - an SMTP connection: the greeting, reading command lines, the
 * message text after DATA and the chunks after BDAT under limits,
 * dispatching commands through the table, running them on the worker pool,
 * and moving their replies to the socket.
 *
 * RFC 5321 2.3.8 (lines), 3.1 (greeting), 4.1.4 (command order), 4.2 and
 * 4.3.2 (replies), 4.5.3.1 (size limits), 4.5.3.2 (timeouts: one
 * configurable timeout, 5 minutes by default, for every wait); RFC 2920
 * (pipelining); RFC 3030 2 (BDAT chunks are read whatever the reply);
 * RFC 3207 4.2 (STARTTLS resets the session); RFC 2034 (enhanced codes).
 *
 * Limits: SMTP_COMMAND_LINE_MAX bytes per command line (longer ones get
 * 500 5.5.2, the rest of the line is dropped); [smtp] max_message_size bytes
 * of message (more is counted, dropped and refused with 552 5.3.4);
 * [smtp] max_line_length per text line; [smtp] max_errors error replies, then
 * 421 and the connection closes; [smtp] max_connections sessions; all
 * sessions together hold at most [smtp] memory_max bytes of messages being
 * received (past it, the message is read to its end, dropped, and answered
 * 452 4.3.1 so the client retries later).
 *
 * Attacker control: every byte read. Nothing is trusted until the pure
 * parsers (parser.c, data.c) have turned it into a command or message bytes.
 */
#include "smtp/session.h"

#include "auth/sasl.h"
#include "base/config.h"
#include "base/list.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/conn.h"
#include "net/lines.h"
#include "net/session.h"
#include "net/worker.h"
#include "smtp/server.h"
#include "smtp/txn.h"
#include "store/store.h"

#include <event2/buffer.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void session_read(struct smtp_session *s);

static const char *state_name(enum smtp_state st)
{
	switch (st) {
	case SMTP_STATE_CONNECTED:
		return "connected";
	case SMTP_STATE_READY:
		return "ready";
	case SMTP_STATE_MAIL:
		return "mail";
	case SMTP_STATE_RCPT:
		return "rcpt";
	case SMTP_STATE_DATA:
		return "data";
	case SMTP_STATE_BDAT:
		return "bdat";
	case SMTP_STATE_QUIT:
		return "quit";
	}
	return "?";
}

void smtp_session_enter_state(struct smtp_session *s, enum smtp_state next)
{
	log_debug("smtp session=%s state=%s next=%s", s->ns.conn->id, state_name(s->state),
	          state_name(next));
	s->state = next;
}

const char *smtp_hostname(const struct smtp_session *s)
{
	return s->server->deps.config->hostname;
}

bool smtp_auth_allowed(const struct smtp_session *s)
{
	return s->ns.conn->tls ||
	       (s->ns.conn->loopback && s->server->deps.config->auth_plaintext_loopback);
}

void smtp_session_reset(struct smtp_session *s)
{
	smtp_txn_rollback(&s->txn);
	if (s->state != SMTP_STATE_CONNECTED && s->state != SMTP_STATE_QUIT)
		smtp_session_enter_state(s, SMTP_STATE_READY);
}

/* --- replies --- */

void smtp_reply(struct smtp_session *s, const char *fmt, ...)
{
	size_t start = evbuffer_get_length(s->out);
	unsigned char head[4];
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(s->out, fmt, ap);
	va_end(ap);
	evbuffer_add(s->out, "\r\n", 2);
	/* The last line of a 4xx or 5xx reply ("550 ...", not "550-...") is one error. */
	if (evbuffer_get_length(s->out) - start >= 4) {
		struct evbuffer_ptr p;

		evbuffer_ptr_set(s->out, &p, start, EVBUFFER_PTR_SET);
		evbuffer_copyout_from(s->out, &p, head, sizeof(head));
		if ((head[0] == '4' || head[0] == '5') && head[3] == ' ')
			s->errors++;
	}
}

void smtp_store_error(struct smtp_session *s, const char *what)
{
	log_error("smtp session=%s event=store-error what=%s error=\"%s\"", s->ns.conn->id, what,
	          s->ns.store != NULL ? store_last_error(s->ns.store) : "-");
	smtp_reply(s, "451 4.3.0 Temporary failure, try again later");
}

/* Moves what the command wrote to the socket. */
static void flush_out(struct smtp_session *s)
{
	evbuffer_add_buffer(conn_output(s->ns.conn), s->out);
}

/* --- lifecycle --- */

static void server_link(struct smtp_server *server, struct smtp_session *s)
{
	DLIST_PREPEND(server->sessions, s);
	server->n_sessions++;
}

static void server_unlink(struct smtp_server *server, struct smtp_session *s)
{
	DLIST_REMOVE(server->sessions, s);
	server->n_sessions--;
}

/* --- the memory budget of messages being received --- */

/* Counts the growth of the message buffer; past the budget, stops buffering. */
static void account_buffer(struct smtp_session *s)
{
	struct smtp_server *server = s->server;
	uint64_t len = s->txn->message.len;

	server->buffered += len - s->buffered;
	s->buffered = len;
	if (server->buffered <= server->deps.config->smtp_memory_max || s->out_of_memory)
		return;
	log_error("smtp session=%s event=memory-budget-exhausted buffered=%llu", s->ns.conn->id,
	          (unsigned long long)server->buffered);
	s->out_of_memory = true;
	s->data.limit = len; /* data.c keeps nothing more */
	s->txn->too_big = true;
}

/* The transaction is gone: its bytes leave the budget (loop thread). */
static void release_buffer(struct smtp_session *s)
{
	s->server->buffered -= s->buffered;
	s->buffered = 0;
	s->out_of_memory = false;
}

static struct smtp_session *owner(struct net_session *ns)
{
	return (struct smtp_session *)ns; /* ns is the first member */
}

static void session_free(struct net_session *ns)
{
	struct smtp_session *s = owner(ns);

	release_buffer(s);
	server_unlink(s->server, s);
	smtp_txn_rollback(&s->txn);
	sasl_free(&s->sasl);
	free(s->helo);
	free(s->user);
	evbuffer_free(s->out);
	net_session_deinit(&s->ns);
	free(s);
}

static void session_close(struct smtp_session *s, const char *reply)
{
	s->state = SMTP_STATE_QUIT;
	net_session_close(&s->ns, reply);
}

/* "421 code host text" (RFC 5321 3.8, 4.2.2), then the close. */
static void close_421(struct smtp_session *s, const char *code, const char *text)
{
	char reply[SMTP_DOMAIN_MAX + 100];

	snprintf(reply, sizeof(reply), "421 %s %s %s\r\n", code, smtp_hostname(s), text);
	session_close(s, reply);
}

static void on_timeout(struct net_session *ns)
{
	/* RFC 5321 4.5.3.2: the server may close after its timeout, with 421. */
	close_421(owner(ns), "4.4.2", "Error: timeout exceeded");
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
        .proto = "smtp",
        .timeout = on_timeout,
        .read = read_input,
        .returned = command_returned,
        .flush = flush_ns,
        .free = session_free,
        .user = session_user,
};

void smtp_accept(struct smtp_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, enum smtp_mode mode, bool implicit_tls)
{
	const struct config *cfg = server->deps.config;
	struct smtp_session *s = xcalloc(1, sizeof(*s));

	net_session_init(&s->ns, &session_ops, server->deps.base, server->deps.workers, fd, peer,
	                 peer_len, implicit_tls ? server->deps.tls_ctx : NULL,
	                 (unsigned)cfg->smtp_timeout);
	s->server = server;
	s->mode = mode;
	s->state = SMTP_STATE_CONNECTED;
	s->out = evbuffer_new();
	server_link(server, s);
	log_info("smtp session=%s event=connect ip=%s local=%s mode=%s tls=%s", s->ns.conn->id,
	         s->ns.conn->peer_ip, s->ns.conn->local, mode == SMTP_MODE_MX ? "mx" : "submission",
	         implicit_tls ? "yes" : "no");
	if (server->n_sessions > cfg->smtp_max_connections) {
		close_421(s, "4.7.0", "Too many connections, try again later");
		return;
	}
	/* RFC 5321 4.3.1: the greeting; "ESMTP" tells the client to send EHLO. */
	conn_printf(s->ns.conn, "220 %s ESMTP Tresor\r\n", smtp_hostname(s));
}

/* --- running commands --- */

static void run_command(struct net_session *ns)
{
	struct smtp_session *s = owner(ns);

	s->def->run(s);
}

static void enter_starttls(struct smtp_session *s)
{
	struct evbuffer *in = conn_input(s->ns.conn);

	/* CVE-2011-0411: whatever was pipelined after STARTTLS is dropped. */
	evbuffer_drain(in, evbuffer_get_length(in));
	if (conn_starttls(s->ns.conn, s->server->deps.tls_ctx) < 0) {
		session_close(s, NULL);
		return;
	}
	conn_set_idle_timeout(s->ns.conn, (unsigned)s->server->deps.config->smtp_timeout);
	/* RFC 3207 4.2: everything learnt before TLS is forgotten. */
	smtp_txn_rollback(&s->txn);
	XFREE(s->helo);
	s->esmtp = false;
	smtp_session_enter_state(s, SMTP_STATE_CONNECTED);
}

/* What the loop does after a command, once its replies are on their way. */
static void after_command(struct smtp_session *s, enum smtp_after after)
{
	const struct config *cfg = s->server->deps.config;

	switch (after) {
	case SMTP_AFTER_QUIT:
		s->ns.busy = false; /* the flushed callback may free the session from here on */
		session_close(s, NULL);
		return;
	case SMTP_AFTER_STARTTLS:
		enter_starttls(s);
		break;
	case SMTP_AFTER_DATA:
		smtp_data_init(&s->data, cfg->smtp_max_message_size,
		               (size_t)cfg->smtp_max_line_length);
		smtp_session_enter_state(s, SMTP_STATE_DATA);
		break;
	case SMTP_AFTER_SASL:
		smtp_session_run(s, &smtp_sasl_verify);
		return;
	case SMTP_AFTER_NOTHING:
		break;
	}
	net_session_resume(&s->ns);
}

/* A command returned (loop thread). */
static void command_returned(struct net_session *ns)
{
	struct smtp_session *s = owner(ns);
	enum smtp_after after = s->after;

	net_session_log_command(ns, s->def != NULL ? s->def->name : NULL);
	s->after = SMTP_AFTER_NOTHING;
	if (s->txn == NULL)
		release_buffer(s);
	if (!net_session_returned(ns))
		return;
	flush_out(s);
	after_command(s, after);
}

void smtp_session_run(struct smtp_session *s, const struct smtp_cmd_def *def)
{
	s->def = def;
	net_session_run(&s->ns, run_command, (def->flags & SMTP_CMD_LOOP) != 0);
}

/* RFC 5321 4.1.4 / 3.3: why a known command cannot run now. */
static void refuse_state(struct smtp_session *s, const struct smtp_cmd_def *def)
{
	if (s->state == SMTP_STATE_CONNECTED)
		smtp_reply(s, "503 5.5.1 Send EHLO or HELO first");
	else if (def->verb == SMTP_VERB_MAIL)
		smtp_reply(s, "503 5.5.1 Nested MAIL command");
	else if (def->verb == SMTP_VERB_RCPT)
		smtp_reply(s, "503 5.5.1 Send MAIL first");
	else if (def->verb == SMTP_VERB_DATA && s->state == SMTP_STATE_MAIL)
		smtp_reply(s, "554 5.5.1 No valid recipients");
	else if (def->verb == SMTP_VERB_DATA && s->state == SMTP_STATE_BDAT)
		smtp_reply(s, "503 5.5.1 DATA not allowed after BDAT");
	else if (def->verb == SMTP_VERB_DATA)
		smtp_reply(s, "503 5.5.1 Send MAIL and RCPT first");
	else
		smtp_reply(s, "503 5.5.1 Bad sequence of commands");
}

static void dispatch(struct smtp_session *s)
{
	const struct smtp_cmd_def *def = smtp_command_find(s->cmd.verb);

	if (def == NULL) {
		smtp_reply(s, "500 5.5.2 Command unrecognized");
		smtp_session_run(s, &smtp_cmd_none);
		return;
	}
	if (!(def->states & s->state)) {
		refuse_state(s, def);
		smtp_session_run(s, &smtp_cmd_none);
		return;
	}
	net_session_start_command(&s->ns);
	smtp_session_run(s, def);
}

/* A command line (without CRLF) is in s->line: parse and run it. */
static void command_line(struct smtp_session *s)
{
	const char *error = NULL;

	if (s->sasl != NULL) {
		smtp_auth_line(s, s->line, s->line_len);
		return;
	}
	memset(&s->cmd, 0, sizeof(s->cmd));
	if (smtp_parse_command(s->line, s->line_len, &s->cmd, &error) < 0) {
		smtp_reply(s, "%s", error);
		smtp_session_run(s, &smtp_cmd_none);
		return;
	}
	dispatch(s);
}

/* --- reading command lines --- */

static void line_too_long(struct smtp_session *s)
{
	/* RFC 5321 4.5.3.1.4 / 4.2.2: 500 for a line too long; the rest is dropped. */
	s->discarding_line = true;
	sasl_free(&s->sasl);
	smtp_reply(s, "500 5.5.2 Line too long");
	flush_out(s);
}

/* Moves one line (without CR LF) into s->line; false when none is complete. */
static bool read_line(struct smtp_session *s, struct evbuffer *in)
{
	enum lines_result r = lines_take_command(in, s->sasl != NULL, SMTP_COMMAND_LINE_MAX,
	                                         SMTP_AUTH_LINE_MAX, s->line, &s->line_len);

	if (r == LINES_TOO_LONG)
		line_too_long(s);
	return r == LINES_OK;
}

/* --- reading the message --- */

/* The text after DATA has ended: refuse it, or store it. */
static void data_complete(struct smtp_session *s)
{
	const struct smtp_data *d = &s->data;

	s->ns.busy = true;
	if (s->out_of_memory)
		smtp_reply(s, "452 4.3.1 Insufficient system storage, try again later");
	else if (d->bare_lf || d->bare_cr)
		smtp_reply(s, "550 5.6.0 Message refused: bare LF or CR; lines must end with CRLF");
	else if (d->nul)
		smtp_reply(s, "550 5.6.0 Message refused: it contains a NUL byte");
	else if (d->too_big)
		smtp_reply(s, "552 5.3.4 Message size exceeds the limit of %llu bytes",
		           (unsigned long long)d->limit);
	else if (d->line_too_long)
		smtp_reply(s, "552 5.6.0 Message refused: a line is longer than %zu bytes",
		           d->line_max);
	else {
		smtp_session_run(s, &smtp_message_commit);
		return;
	}
	log_info("smtp session=%s event=message-refused size=%llu bare_lf=%d bare_cr=%d nul=%d",
	         s->ns.conn->id, (unsigned long long)d->size, d->bare_lf, d->bare_cr, d->nul);
	smtp_session_reset(s);
	smtp_session_run(s, &smtp_cmd_none);
}

/* Feeds input to the DATA reader; false when more input is needed. */
static bool read_data(struct smtp_session *s, struct evbuffer *in)
{
	while (evbuffer_get_length(in) > 0) {
		size_t n = evbuffer_get_contiguous_space(in), used;
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);
		bool end = false;

		used = smtp_data_feed(&s->data, p, n, &s->txn->message, &end);
		evbuffer_drain(in, used);
		account_buffer(s);
		if (end) {
			data_complete(s);
			return true;
		}
	}
	return false;
}

/* RFC 3030 2: a chunk has been read; its reply is sent only now. */
static void chunk_complete(struct smtp_session *s, uint64_t size)
{
	s->chunk_active = false;
	s->ns.busy = true;
	if (s->bdat_error != NULL) {
		smtp_reply(s, "%s", s->bdat_error);
		s->bdat_error = NULL;
		smtp_session_reset(s);
	} else if (s->out_of_memory) {
		smtp_reply(s, "452 4.3.1 Insufficient system storage, try again later");
		smtp_session_reset(s);
	} else if (s->txn->too_big) {
		smtp_reply(s, "552 5.3.4 Message size exceeds the limit of %llu bytes",
		           (unsigned long long)s->server->deps.config->smtp_max_message_size);
		smtp_session_reset(s);
	} else if (s->bdat_last) {
		smtp_session_run(s, &smtp_message_commit);
		return;
	} else {
		smtp_reply(s, "250 2.0.0 %llu octets received", (unsigned long long)size);
	}
	smtp_session_run(s, &smtp_cmd_none);
}

/* Reads (or drops) the bytes of a BDAT chunk; false when more input is needed. */
static bool read_chunk(struct smtp_session *s, struct evbuffer *in)
{
	struct smtp_txn *t = s->txn;

	while (s->bdat_left > 0 && evbuffer_get_length(in) > 0) {
		size_t n = evbuffer_get_contiguous_space(in);
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)n);

		if (n > s->bdat_left)
			n = (size_t)s->bdat_left;
		if (s->bdat_error == NULL && !t->too_big && buf_room(&t->message) >= n)
			buf_append(&t->message, p, n);
		else if (s->bdat_error == NULL)
			t->too_big = true; /* counted and dropped, never buffered */
		evbuffer_drain(in, n);
		s->bdat_left -= n;
		if (s->bdat_error == NULL)
			account_buffer(s);
	}
	if (s->bdat_left > 0)
		return false;
	chunk_complete(s, s->cmd.bdat_size);
	return true;
}

static void session_read(struct smtp_session *s)
{
	const struct config *cfg = s->server->deps.config;
	struct evbuffer *in = conn_input(s->ns.conn);

	s->ns.in_read = true;
	while (!s->ns.busy && s->state != SMTP_STATE_QUIT && !s->ns.conn->closing) {
		if (s->errors > cfg->smtp_max_errors) {
			close_421(s, "4.7.0", "Error: too many errors");
			break;
		}
		if (s->chunk_active) {
			if (!read_chunk(s, in))
				break;
		} else if (s->state == SMTP_STATE_DATA) {
			if (!read_data(s, in))
				break;
		} else if (s->discarding_line) {
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

struct smtp_server *smtp_server_new(const struct proto_deps *deps)
{
	struct smtp_server *server = xcalloc(1, sizeof(*server));

	server->deps = *deps;
	return server;
}

void smtp_server_shutdown(struct smtp_server *server)
{
	struct smtp_session *s, *next;
	char reply[SMTP_DOMAIN_MAX + 100];

	snprintf(reply, sizeof(reply), "421 4.3.2 %s Service shutting down\r\n",
	         server->deps.config->hostname);
	for (s = server->sessions; s != NULL; s = next) {
		next = s->next;
		net_session_shutdown(&s->ns, reply);
	}
}

void smtp_server_free(struct smtp_server **_server)
{
	XFREE(*_server);
}
