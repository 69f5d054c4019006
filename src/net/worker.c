/*
 * worker.c - fixed thread pool with a completion queue drained on the event
 * loop; see worker.h.
 *
 * Jobs are queued under a mutex and picked up by idle threads. A finished job
 * moves to the done queue and the loop is woken through an eventfd, whose
 * read callback runs the done callbacks in order of completion.
 */
#include "net/worker.h"

#include "base/mem.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct worker_job {
	worker_work_fn *work;
	worker_done_fn *done;
	void *ctx;
	struct worker_job *next;
};

struct job_queue {
	struct worker_job *head, *tail;
};

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job_queue todo, finished;
	bool stopping;
	size_t n_threads;
	pthread_t threads[WORKER_MAX_THREADS];
	worker_thread_init_fn *init;
	worker_thread_deinit_fn *deinit;
	void *pool_ctx;
	int efd;
	struct event *ev;
};

static void queue_push(struct job_queue *q, struct worker_job *job)
{
	job->next = NULL;
	if (q->tail != NULL)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
}

static struct worker_job *queue_pop(struct job_queue *q)
{
	struct worker_job *job = q->head;

	if (job != NULL) {
		q->head = job->next;
		if (q->head == NULL)
			q->tail = NULL;
	}
	return job;
}

static void wake_loop(struct worker_pool *pool)
{
	uint64_t one = 1;

	while (write(pool->efd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static void *worker_main(void *arg)
{
	struct worker_pool *pool = arg;
	void *thread_ctx = pool->init ? pool->init(pool->pool_ctx) : NULL;
	struct worker_job *job;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (pool->todo.head == NULL && !pool->stopping)
			pthread_cond_wait(&pool->cond, &pool->lock);
		job = queue_pop(&pool->todo);
		if (job == NULL)
			break;
		pthread_mutex_unlock(&pool->lock);
		job->work(job->ctx, thread_ctx);
		pthread_mutex_lock(&pool->lock);
		queue_push(&pool->finished, job);
		wake_loop(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	if (pool->deinit != NULL)
		pool->deinit(thread_ctx);
	return NULL;
}

static void on_finished(evutil_socket_t fd, short what, void *arg)
{
	struct worker_pool *pool = arg;
	struct job_queue done;
	struct worker_job *job;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&pool->lock);
	done = pool->finished;
	pool->finished.head = pool->finished.tail = NULL;
	pthread_mutex_unlock(&pool->lock);
	while ((job = queue_pop(&done)) != NULL) {
		if (job->done != NULL)
			job->done(job->ctx);
		free(job);
	}
}

struct worker_pool *worker_pool_new(struct event_base *base, size_t threads,
                                    worker_thread_init_fn *init, worker_thread_deinit_fn *deinit,
                                    void *pool_ctx)
{
	struct worker_pool *pool = xcalloc(1, sizeof(*pool));
	size_t i;

	ASSERT(threads > 0 && threads <= WORKER_MAX_THREADS);
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->cond, NULL);
	pool->init = init;
	pool->deinit = deinit;
	pool->pool_ctx = pool_ctx;
	pool->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pool->efd < 0)
		PANIC("eventfd: %m");
	pool->ev = event_new(base, pool->efd, EV_READ | EV_PERSIST, on_finished, pool);
	event_add(pool->ev, NULL);
	for (i = 0; i < threads; i++) {
		if (pthread_create(&pool->threads[i], NULL, worker_main, pool) != 0)
			PANIC("pthread_create failed");
	}
	pool->n_threads = threads;
	return pool;
}

void worker_pool_free(struct worker_pool **_pool)
{
	struct worker_pool *pool = *_pool;
	struct worker_job *job;
	size_t i;

	if (pool == NULL)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	/* Done callbacks still run, so that their owners can clean up. */
	while ((job = queue_pop(&pool->finished)) != NULL) {
		if (job->done != NULL)
			job->done(job->ctx);
		free(job);
	}
	event_free(pool->ev);
	close(pool->efd);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	XFREE(*_pool);
}

void worker_submit(struct worker_pool *pool, worker_work_fn *work, worker_done_fn *done,
                   void *job_ctx)
{
	struct worker_job *job = xmalloc(sizeof(*job));

	job->work = work;
	job->done = done;
	job->ctx = job_ctx;
	pthread_mutex_lock(&pool->lock);
	queue_push(&pool->todo, job);
	pthread_cond_signal(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}
