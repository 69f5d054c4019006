/*
 * listener.h - listening sockets from a configuration list.
 *
 * A list is comma-separated host:port items ("127.0.0.1:10143, [::1]:10143");
 * an empty list opens nothing. Sockets are bound when the list is opened
 * (before privileges are dropped) and accept through the event loop.
 *
 * Limits: LISTENER_MAX per list. Attacker control: none (administrator input).
 */
#ifndef TRESOR_NET_LISTENER_H
#define TRESOR_NET_LISTENER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define LISTENER_MAX 16

struct event_base;
struct evconnlistener;

typedef void listener_accept_fn(int fd, const struct sockaddr *peer, socklen_t len, void *ctx);

struct listener_set {
	struct evconnlistener *items[LISTENER_MAX];
	size_t count;
	void *cbs[LISTENER_MAX]; /* one callback record per opened list */
	size_t n_cbs;
};

/*
 * Binds every address of list and adds them to set. Returns 0, or -1 with a
 * newly allocated message in *error_r (addresses already bound stay in set).
 */
int listener_open(struct event_base *base, const char *list, listener_accept_fn *cb, void *ctx,
                  struct listener_set *set, char **error_r);
void listener_set_close(struct listener_set *set);

#endif
