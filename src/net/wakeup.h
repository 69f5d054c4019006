/*
 * wakeup.h - carries 64-bit ids from any thread into the event loop thread.
 *
 * The store reports a committed change to a mailbox from whichever worker
 * thread committed it; the sessions that watch that mailbox live on the event
 * loop. wakeup_post() queues the id (duplicates already queued are dropped)
 * and wakes the loop through an eventfd; the callback then runs on the loop
 * once per queued id.
 *
 * Limits: WAKEUP_MAX_PENDING ids waiting at once; past that, one "everything
 * changed" id (WAKEUP_ALL) replaces the queue. Attacker control: none.
 */
#ifndef TRESOR_NET_WAKEUP_H
#define TRESOR_NET_WAKEUP_H

#include <stdint.h>

#define WAKEUP_MAX_PENDING 4096
#define WAKEUP_ALL         UINT64_MAX

struct event_base;
struct wakeup;

typedef void wakeup_fn(uint64_t id, void *ctx);

struct wakeup *wakeup_new(struct event_base *base, wakeup_fn *fn, void *ctx);
void wakeup_free(struct wakeup **_w);
/* Thread-safe. */
void wakeup_post(struct wakeup *w, uint64_t id);

#endif
