/*
 * session.c - the life of a protocol session (see session.h): connection
 * callbacks, one command at a time on the loop or a worker, held-back
 * replies, closing, and freeing exactly once.
 *
 * The rule that keeps a session from being freed under a running command:
 * while busy (a command runs, or its reply is held back) or while ops->read
 * is on the stack, an ended connection only marks the session closing; the
 * command's return or the end of the read frees it.
 */
#include "net/session.h"

#include "base/log.h"
#include "net/conn.h"
#include "net/worker.h"

#include <event2/event.h>
#include <string.h>

static void on_read(struct conn *c, void *ctx)
{
	struct net_session *ns = ctx;

	ns->ops->read(ns);
}

static const char *user_of(struct net_session *ns)
{
	const char *user = ns->ops->user != NULL ? ns->ops->user(ns) : NULL;

	return user != NULL ? user : "-";
}

static void on_end(struct conn *c, void *ctx, enum conn_end why)
{
	struct net_session *ns = ctx;

	log_info("%s session=%s event=disconnect reason=%s user=%s", ns->ops->proto, c->id,
	         why == CONN_END_TIMEOUT ? "timeout"
	         : why == CONN_END_EOF   ? "eof"
	                                 : "error",
	         user_of(ns));
	if (why == CONN_END_TIMEOUT && !ns->busy) {
		ns->ops->timeout(ns);
		return;
	}
	if (ns->busy) {
		ns->closing = true; /* freed when the running command returns */
		return;
	}
	ns->ops->free(ns);
}

static void on_flushed(struct conn *c, void *ctx)
{
	struct net_session *ns = ctx;

	/* Over TLS the output may be flushed at once, inside ops->read or a command. */
	if (ns->busy || ns->in_read) {
		ns->closing = true;
		return;
	}
	ns->ops->free(ns);
}

void net_session_init(struct net_session *ns, const struct net_session_ops *ops,
                      struct event_base *base, struct worker_pool *workers, int fd,
                      const struct sockaddr *peer, socklen_t peer_len, SSL_CTX *tls_ctx,
                      unsigned idle_timeout)
{
	memset(ns, 0, sizeof(*ns));
	ns->ops = ops;
	ns->base = base;
	ns->workers = workers;
	ns->conn = conn_new(base, fd, peer, peer_len, tls_ctx);
	conn_set_cbs(ns->conn, on_read, on_end, on_flushed, ns);
	conn_set_idle_timeout(ns->conn, idle_timeout);
}

void net_session_deinit(struct net_session *ns)
{
	if (ns->delay_ev != NULL)
		event_free(ns->delay_ev);
	ns->delay_ev = NULL;
	conn_free(&ns->conn);
}

static void run_on_worker(void *ctx, void *thread_ctx)
{
	struct net_session *ns = ctx;

	ns->store = thread_ctx;
	ns->work(ns);
	ns->store = NULL;
}

static void run_done(void *ctx)
{
	struct net_session *ns = ctx;

	ns->ops->returned(ns);
}

void net_session_run(struct net_session *ns, net_session_fn *work, bool on_loop)
{
	ns->work = work;
	ns->busy = true;
	if (on_loop) {
		work(ns);
		ns->ops->returned(ns);
	} else {
		worker_submit(ns->workers, run_on_worker, run_done, ns);
	}
}

static void delay_over(evutil_socket_t fd, short what, void *arg)
{
	struct net_session *ns = arg;

	ns->ops->flush(ns);
	ns->busy = false;
	if (ns->closing)
		ns->ops->free(ns);
	else
		ns->ops->read(ns);
}

bool net_session_returned(struct net_session *ns)
{
	if (ns->closing) {
		ns->busy = false;
		if (!ns->in_read)
			ns->ops->free(ns); /* else net_session_read_done() frees it */
		return false;
	}
	if (ns->reply_delay_ms > 0) {
		struct timeval tv = {ns->reply_delay_ms / 1000, (ns->reply_delay_ms % 1000) * 1000};

		/* The reply (a failed login) and the next command wait; nothing sleeps. */
		ns->reply_delay_ms = 0;
		if (ns->delay_ev == NULL)
			ns->delay_ev = evtimer_new(ns->base, delay_over, ns);
		evtimer_add(ns->delay_ev, &tv);
		return false;
	}
	return true;
}

void net_session_resume(struct net_session *ns)
{
	ns->busy = false;
	if (!ns->in_read)
		ns->ops->read(ns);
}

void net_session_close(struct net_session *ns, const char *reply)
{
	if (reply != NULL)
		conn_write(ns->conn, reply, strlen(reply));
	conn_close_after_write(ns->conn);
}

void net_session_read_done(struct net_session *ns)
{
	ns->in_read = false;
	if (ns->closing && !ns->busy)
		ns->ops->free(ns); /* closed while reading (see on_flushed) */
}

void net_session_shutdown(struct net_session *ns, const char *bye)
{
	/* A command on a worker frees its session when it returns. */
	if (ns->busy && !(ns->delay_ev != NULL && evtimer_pending(ns->delay_ev, NULL))) {
		ns->closing = true;
		return;
	}
	conn_write(ns->conn, bye, strlen(bye));
	ns->ops->free(ns);
}

void net_session_start_command(struct net_session *ns)
{
	clock_gettime(CLOCK_MONOTONIC, &ns->cmd_start);
}

void net_session_log_command(struct net_session *ns, const char *name)
{
	struct timespec now;
	long ms;

	if (ns->cmd_start.tv_sec == 0 || name == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - ns->cmd_start.tv_sec) * 1000 +
	     (now.tv_nsec - ns->cmd_start.tv_nsec) / 1000000;
	log_debug("%s session=%s user=%s cmd=%s ms=%ld", ns->ops->proto, ns->conn->id, user_of(ns),
	          name, ms);
	ns->cmd_start.tv_sec = 0;
}
