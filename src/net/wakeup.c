/*
 * wakeup.c - id queue from worker threads to the event loop; see wakeup.h.
 */
#include "net/wakeup.h"

#include "base/mem.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct wakeup {
	pthread_mutex_t lock;
	uint64_t pending[WAKEUP_MAX_PENDING];
	unsigned n_pending;
	int efd;
	struct event *ev;
	wakeup_fn *fn;
	void *ctx;
};

static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
	struct wakeup *w = arg;
	uint64_t ids[WAKEUP_MAX_PENDING], n64;
	unsigned n, i;

	if (read(fd, &n64, sizeof(n64)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&w->lock);
	n = w->n_pending;
	for (i = 0; i < n; i++)
		ids[i] = w->pending[i];
	w->n_pending = 0;
	pthread_mutex_unlock(&w->lock);
	for (i = 0; i < n; i++)
		w->fn(ids[i], w->ctx);
}

struct wakeup *wakeup_new(struct event_base *base, wakeup_fn *fn, void *ctx)
{
	struct wakeup *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	w->fn = fn;
	w->ctx = ctx;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->efd < 0)
		PANIC("eventfd: %m");
	w->ev = event_new(base, w->efd, EV_READ | EV_PERSIST, on_wakeup, w);
	event_add(w->ev, NULL);
	return w;
}

void wakeup_free(struct wakeup **_w)
{
	struct wakeup *w = *_w;

	if (w == NULL)
		return;
	event_free(w->ev);
	close(w->efd);
	pthread_mutex_destroy(&w->lock);
	XFREE(*_w);
}

static bool already_queued(struct wakeup *w, uint64_t id)
{
	unsigned i;

	for (i = 0; i < w->n_pending; i++) {
		if (w->pending[i] == id || w->pending[i] == WAKEUP_ALL)
			return true;
	}
	return false;
}

void wakeup_post(struct wakeup *w, uint64_t id)
{
	uint64_t one = 1;
	bool wake;

	pthread_mutex_lock(&w->lock);
	wake = w->n_pending == 0;
	if (!already_queued(w, id)) {
		if (w->n_pending == WAKEUP_MAX_PENDING) {
			w->pending[0] = WAKEUP_ALL;
			w->n_pending = 1;
		} else {
			w->pending[w->n_pending++] = id;
		}
	}
	pthread_mutex_unlock(&w->lock);
	if (wake) {
		while (write(w->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
	}
}
