/*
 * worker.h - the worker pool that runs blocking work off the event loop.
 *
 * Store transactions, fsync, password hashing and (later) sealing block. They
 * run on a small fixed pool of threads; the result comes back to the event
 * loop thread, where the `done` callback runs. Each thread may carry its own
 * context (for example its store connection), made by thread_init when the
 * thread starts and released by thread_deinit when it stops.
 *
 * Limits: WORKER_MAX_THREADS threads; the queue is unbounded in count but
 * every job belongs to a session that runs one command at a time, so it is
 * bounded by the number of connections. Attacker control: none directly.
 */
#ifndef TRESOR_NET_WORKER_H
#define TRESOR_NET_WORKER_H

#include <stddef.h>

struct event_base;
struct worker_pool;

#define WORKER_MAX_THREADS 64

/* Runs on a worker thread; thread_ctx is what thread_init returned. */
typedef void worker_work_fn(void *job_ctx, void *thread_ctx);
/* Runs on the event loop thread once work has returned. */
typedef void worker_done_fn(void *job_ctx);
typedef void *worker_thread_init_fn(void *pool_ctx);
typedef void worker_thread_deinit_fn(void *thread_ctx);

struct worker_pool *worker_pool_new(struct event_base *base, size_t threads,
                                    worker_thread_init_fn *init, worker_thread_deinit_fn *deinit,
                                    void *pool_ctx);
/* Runs the queued jobs and their done callbacks, then stops the threads. */
void worker_pool_free(struct worker_pool **_pool);
/* Queues work; done (may be NULL) runs on the loop thread afterwards. */
void worker_submit(struct worker_pool *pool, worker_work_fn *work, worker_done_fn *done,
                   void *job_ctx);

#endif
