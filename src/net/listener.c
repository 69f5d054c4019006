/*
 * listener.c - bind and accept through evconnlistener; see listener.h.
 */
#include "net/listener.h"

#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>

#define LISTEN_BACKLOG 1024

struct listener_cb {
	listener_accept_fn *cb;
	void *ctx;
};

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *addr, int len,
                      void *arg)
{
	struct listener_cb *lcb = arg;
	int one = 1;

	/*
	 * Replies go out as soon as they are written. Without this, Nagle's
	 * algorithm holds a second small segment (a TLS record written in two
	 * parts, a reply after a command's continuation) until the client's
	 * delayed ACK, about 40 ms later.
	 */
	if (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	lcb->cb(fd, addr, (socklen_t)len, lcb->ctx);
}

static int open_one(struct event_base *base, const char *addr, struct listener_cb *lcb,
                    struct listener_set *set, char **error_r)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	struct evconnlistener *l;

	if (set->count >= LISTENER_MAX) {
		*error_r = xasprintf("more than %d listen addresses", LISTENER_MAX);
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	/* libevent rejects an explicit port 0, so 0 here means "no port given" ("[::1]");
	 * sin_port and sin6_port have the same offset. */
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &len) < 0 ||
	    ((struct sockaddr_in *)&ss)->sin_port == 0) {
		*error_r = xasprintf("bad listen address '%s' (expected host:port)", addr);
		return -1;
	}
	l = evconnlistener_new_bind(base, on_accept, lcb,
	                            LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
	                                    LEV_OPT_CLOSE_ON_EXEC,
	                            LISTEN_BACKLOG, (struct sockaddr *)&ss, len);
	if (l == NULL) {
		*error_r = xasprintf("cannot listen on %s: %s", addr, strerror(errno));
		return -1;
	}
	set->items[set->count++] = l;
	return 0;
}

int listener_open(struct event_base *base, const char *list, listener_accept_fn *cb, void *ctx,
                  struct listener_set *set, char **error_r)
{
	char **items;
	size_t n = str_split_list(list, &items), i;
	struct listener_cb *lcb;
	int ret = 0;

	if (n == 0)
		return 0;
	if (set->n_cbs >= LISTENER_MAX) {
		str_list_free(&items, n);
		*error_r = xasprintf("more than %d listen lists", LISTENER_MAX);
		return -1;
	}
	lcb = xmalloc(sizeof(*lcb));
	set->cbs[set->n_cbs++] = lcb;
	lcb->cb = cb;
	lcb->ctx = ctx;
	for (i = 0; i < n && ret == 0; i++)
		ret = open_one(base, items[i], lcb, set, error_r);
	str_list_free(&items, n);
	return ret;
}

void listener_set_close(struct listener_set *set)
{
	size_t i;

	for (i = 0; i < set->count; i++)
		evconnlistener_free(set->items[i]);
	set->count = 0;
	for (i = 0; i < set->n_cbs; i++)
		XFREE(set->cbs[i]);
	set->n_cbs = 0;
}
