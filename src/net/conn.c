/*
 * conn.c - client connections over libevent bufferevents; see conn.h.
 */
#include "net/conn.h"

#include "base/log.h"
#include "base/mem.h"
#include "net/tls.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint64_t conn_counter;

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;

	if (!c->closing && c->on_read != NULL)
		c->on_read(c, c->ctx);
}

/* Bytes still queued: a TLS filter (after STARTTLS) passes its output on to the socket's. */
static size_t pending_output(struct conn *c)
{
	struct bufferevent *under = bufferevent_get_underlying(c->bev);
	size_t n = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (under != NULL)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

static void check_flushed(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct timeval tv = {0, CONN_FLUSH_POLL_US};

	if (!c->closing)
		return;
	if (pending_output(c) > 0) {
		/* The socket's own buffer has no callback of ours: look again shortly. */
		if (c->flush_ev == NULL)
			c->flush_ev = evtimer_new(c->base, check_flushed, c);
		evtimer_add(c->flush_ev, &tv);
		return;
	}
	if (c->on_flushed != NULL)
		c->on_flushed(c, c->ctx);
}

static void on_write(struct bufferevent *bev, void *arg)
{
	check_flushed(-1, 0, arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	enum conn_end why;

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		why = CONN_END_TIMEOUT;
	else if (what & BEV_EVENT_EOF)
		why = CONN_END_EOF;
	else
		why = CONN_END_ERROR;
	if (c->on_end != NULL)
		c->on_end(c, c->ctx, why);
}

static void describe_addrs(struct conn *c, int fd, const struct sockaddr *peer)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char host[64];

	if (peer->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)peer;
		inet_ntop(AF_INET, &sin->sin_addr, c->peer_ip, sizeof(c->peer_ip));
		c->loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	} else if (peer->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)peer;
		inet_ntop(AF_INET6, &sin6->sin6_addr, c->peer_ip, sizeof(c->peer_ip));
		c->loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	} else {
		snprintf(c->peer_ip, sizeof(c->peer_ip), "unknown");
	}
	if (getsockname(fd, (struct sockaddr *)&local, &len) == 0 && local.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&local;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(c->local, sizeof(c->local), "%s:%u", host, ntohs(sin->sin_port));
	} else if (getsockname(fd, (struct sockaddr *)&local, &len) == 0 &&
	           local.ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)&local;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(c->local, sizeof(c->local), "[%s]:%u", host, ntohs(sin6->sin6_port));
	}
}

static void setup_bev(struct conn *c)
{
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_READ_HIGH_WATER);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

struct conn *conn_new(struct event_base *base, int fd, const struct sockaddr *peer,
                      socklen_t peer_len, SSL_CTX *tls_ctx)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int opts = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;

	c->base = base;
	snprintf(c->id, sizeof(c->id), "%08llx", (unsigned long long)++conn_counter);
	describe_addrs(c, fd, peer);
	evutil_make_socket_nonblocking(fd);
	if (tls_ctx != NULL) {
		c->bev = bufferevent_openssl_socket_new(base, fd, SSL_new(tls_ctx),
		                                        BUFFEREVENT_SSL_ACCEPTING, opts);
		c->tls = true;
	} else {
		c->bev = bufferevent_socket_new(base, fd, opts);
	}
	if (c->bev == NULL)
		PANIC("bufferevent creation failed");
	setup_bev(c);
	return c;
}

void conn_set_cbs(struct conn *c, conn_read_fn *read_cb, conn_end_fn *end_cb,
                  conn_flushed_fn *flushed_cb, void *ctx)
{
	c->on_read = read_cb;
	c->on_end = end_cb;
	c->on_flushed = flushed_cb;
	c->ctx = ctx;
}

void conn_free(struct conn **_c)
{
	struct conn *c = *_c;

	if (c == NULL)
		return;
	if (c->flush_ev != NULL)
		event_free(c->flush_ev);
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	XFREE(*_c);
}

struct evbuffer *conn_input(struct conn *c)
{
	return bufferevent_get_input(c->bev);
}

struct evbuffer *conn_output(struct conn *c)
{
	return bufferevent_get_output(c->bev);
}

void conn_write(struct conn *c, const void *data, size_t len)
{
	bufferevent_write(c->bev, data, len);
}

void conn_printf(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(c->bev), fmt, ap);
	va_end(ap);
}

void conn_set_idle_timeout(struct conn *c, unsigned seconds)
{
	struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};

	bufferevent_set_timeouts(c->bev, seconds ? &tv : NULL, NULL);
}

void conn_pause_read(struct conn *c, bool paused)
{
	if (paused)
		bufferevent_disable(c->bev, EV_READ);
	else if (!c->closing)
		bufferevent_enable(c->bev, EV_READ);
}

int conn_starttls(struct conn *c, SSL_CTX *tls_ctx)
{
	struct bufferevent *tls_bev;
	struct evbuffer *in = bufferevent_get_input(c->bev);

	/* CVE-2011-0411: nothing the client pipelined before the handshake survives. */
	evbuffer_drain(in, evbuffer_get_length(in));
	tls_bev = bufferevent_openssl_filter_new(c->base, c->bev, SSL_new(tls_ctx),
	                                         BUFFEREVENT_SSL_ACCEPTING,
	                                         BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (tls_bev == NULL)
		return -1;
	c->bev = tls_bev;
	c->tls = true;
	setup_bev(c);
	return 0;
}

void conn_tls_info(struct conn *c, char *out, size_t size)
{
	SSL *ssl = c->tls ? bufferevent_openssl_get_ssl(c->bev) : NULL;

	if (ssl == NULL)
		snprintf(out, size, "none");
	else
		tls_describe(ssl, out, size);
}

void conn_close_after_write(struct conn *c)
{
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
	check_flushed(-1, 0, c);
}
