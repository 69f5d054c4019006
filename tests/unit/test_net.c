/*
 * test_net.c - unit tests for the net layer, run for real on a libevent loop
 * with real threads and loopback sockets: net/worker (jobs off the loop thread,
 * done callbacks on it, per-thread contexts, draining on free), net/wakeup
 * (posts from several threads, coalescing, WAKEUP_ALL on overflow), net/tls
 * (the self-signed certificate: files, modes, subjectAltName, reuse; errors),
 * net/listener (address checks, binding, several lists) and net/conn (write,
 * read, pause, EOF, idle timeout, close after write, implicit TLS and STARTTLS
 * dropping pipelined plaintext).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "net/conn.h"
#include "net/listener.h"
#include "net/tls.h"
#include "net/wakeup.h"
#include "net/worker.h"

/* Longest any test waits for the loop before failing. */
#define TN_TIMEOUT_S 10.0

/* ---- helpers ---- */

static double tn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void tn_tick(evutil_socket_t fd, short what, void *arg)
{
}

typedef bool tn_pred_fn(void *arg);

/*
 * Runs the loop until pred(arg) holds or seconds pass; a 10 ms ticker keeps
 * each round short. Returns pred(arg). With pred NULL, runs for seconds.
 */
static bool tn_run_until(struct event_base *base, tn_pred_fn *pred, void *arg, double seconds)
{
	struct timeval tv = {0, 10000};
	struct event *tick = event_new(base, -1, EV_PERSIST, tn_tick, NULL);
	double end = tn_now() + seconds;

	event_add(tick, &tv);
	while ((pred == NULL || !pred(arg)) && tn_now() < end)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return pred != NULL && pred(arg);
}

struct tn_count {
	int *counter;
	int target;
};

static bool tn_count_reached(void *arg)
{
	struct tn_count *c = arg;

	return __atomic_load_n(c->counter, __ATOMIC_SEQ_CST) >= c->target;
}

static bool tn_run_until_count(struct event_base *base, int *counter, int target)
{
	struct tn_count c = {counter, target};

	return tn_run_until(base, tn_count_reached, &c, TN_TIMEOUT_S);
}

static void tn_sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static char *tn_mkdtemp(void)
{
	char *dir = xstrdup("/tmp/tresor-test-net-XXXXXX");

	assert_non_null(mkdtemp(dir));
	return dir;
}

/* Removes the files the TLS code makes in dir, then dir. */
static void tn_rm_data_dir(char **_dir)
{
	const char *names[] = {"tls/cert.pem", "tls/key.pem", "tls", "bad.pem", ""};
	size_t i;

	for (i = 0; i < N_ELEMENTS(names); i++) {
		char *p = xasprintf("%s/%s", *_dir, names[i]);
		if (unlink(p) < 0)
			rmdir(p);
		free(p);
	}
	XFREE(*_dir);
}

static unsigned tn_sock_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* A bound, unlistened socket on 127.0.0.1 with a kernel-chosen port. */
static int tn_bound_socket(unsigned *port_r)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	*port_r = tn_sock_port(fd);
	return fd;
}

/* A port on 127.0.0.1 that was free a moment ago. */
static unsigned tn_free_port(void)
{
	unsigned port;

	close(tn_bound_socket(&port));
	return port;
}

static int tn_connect(int family, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = {5, 0};
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)port);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		s4->sin_port = htons((uint16_t)port);
		len = sizeof(*s4);
	}
	assert_int_equal(connect(fd, (struct sockaddr *)&ss, len), 0);
	/* No test blocks forever on a socket. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* A loopback TCP connection: *client_r is the client end, *server_r the accepted end. */
static void tn_tcp_pair(int *client_r, int *server_r, struct sockaddr_storage *peer,
                        socklen_t *peer_len)
{
	unsigned port;
	int lfd = tn_bound_socket(&port);

	assert_int_equal(listen(lfd, 4), 0);
	*client_r = tn_connect(AF_INET, port);
	*peer_len = sizeof(*peer);
	*server_r = accept(lfd, (struct sockaddr *)peer, peer_len);
	assert_true(*server_r >= 0);
	close(lfd);
}

/* Reads exactly n bytes (blocking, bounded by SO_RCVTIMEO). */
static void tn_read_exact(int fd, char *out, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = recv(fd, out + got, n - got, 0);
		assert_true(r > 0);
		got += (size_t)r;
	}
}

/* ---- worker ---- */

struct tn_pool_state {
	pthread_mutex_t lock;
	int inits, deinits, deinit_wrong_thread;
	void *pool_ctx_seen[WORKER_MAX_THREADS];
};

struct tn_thread_ctx {
	pthread_t thread;
	struct tn_pool_state *pool;
};

struct tn_job {
	pthread_t work_thread, done_thread;
	struct tn_thread_ctx *thread_ctx;
	int work_runs, done_runs, work_before_done, sleep_ms;
	int *done_count;
};

static void *tn_thread_init(void *pool_ctx)
{
	struct tn_pool_state *ps = pool_ctx;
	struct tn_thread_ctx *t = xcalloc(1, sizeof(*t));

	t->thread = pthread_self();
	t->pool = ps;
	pthread_mutex_lock(&ps->lock);
	ps->pool_ctx_seen[ps->inits++] = pool_ctx;
	pthread_mutex_unlock(&ps->lock);
	return t;
}

static void tn_thread_deinit(void *thread_ctx)
{
	struct tn_thread_ctx *t = thread_ctx;

	pthread_mutex_lock(&t->pool->lock);
	t->pool->deinits++;
	if (!pthread_equal(t->thread, pthread_self()))
		t->pool->deinit_wrong_thread++;
	pthread_mutex_unlock(&t->pool->lock);
	free(t);
}

static void tn_work(void *job_ctx, void *thread_ctx)
{
	struct tn_job *j = job_ctx;

	j->work_thread = pthread_self();
	j->thread_ctx = thread_ctx;
	if (j->sleep_ms > 0)
		tn_sleep_ms(j->sleep_ms);
	__atomic_add_fetch(&j->work_runs, 1, __ATOMIC_SEQ_CST);
}

static void tn_done(void *job_ctx)
{
	struct tn_job *j = job_ctx;

	j->done_thread = pthread_self();
	j->work_before_done = __atomic_load_n(&j->work_runs, __ATOMIC_SEQ_CST);
	j->done_runs++;
	(*j->done_count)++;
}

#define TN_MANY_JOBS 500

static void test_worker_threads_and_contexts(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_pool_state ps = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct tn_job *jobs = xcalloc(TN_MANY_JOBS, sizeof(*jobs));
	struct worker_pool *pool;
	pthread_t self = pthread_self();
	int done_count = 0, i;

	pool = worker_pool_new(base, 3, tn_thread_init, tn_thread_deinit, &ps);
	for (i = 0; i < TN_MANY_JOBS; i++) {
		jobs[i].done_count = &done_count;
		worker_submit(pool, tn_work, tn_done, &jobs[i]);
	}
	assert_true(tn_run_until_count(base, &done_count, TN_MANY_JOBS));
	for (i = 0; i < TN_MANY_JOBS; i++) {
		assert_int_equal(jobs[i].work_runs, 1);
		assert_int_equal(jobs[i].done_runs, 1);
		assert_int_equal(jobs[i].work_before_done, 1);
		assert_false(pthread_equal(jobs[i].work_thread, self));
		assert_true(pthread_equal(jobs[i].done_thread, self));
		/* The thread context is the one its own thread made. */
		assert_non_null(jobs[i].thread_ctx);
		assert_true(pthread_equal(jobs[i].thread_ctx->thread, jobs[i].work_thread));
	}
	/* A thread may still be starting; none has stopped. */
	pthread_mutex_lock(&ps.lock);
	assert_true(ps.inits >= 1 && ps.inits <= 3);
	assert_int_equal(ps.deinits, 0);
	pthread_mutex_unlock(&ps.lock);
	worker_pool_free(&pool);
	assert_null(pool);
	assert_int_equal(ps.inits, 3);
	for (i = 0; i < 3; i++)
		assert_ptr_equal(ps.pool_ctx_seen[i], &ps);
	assert_int_equal(ps.deinits, 3);
	assert_int_equal(ps.deinit_wrong_thread, 0);
	assert_int_equal(done_count, TN_MANY_JOBS); /* nothing ran twice */
	free(jobs);
	event_base_free(base);
}

static void test_worker_done_waits_for_loop(void **state)
{
	struct event_base *base = event_base_new();
	struct worker_pool *pool = worker_pool_new(base, 1, NULL, NULL, NULL);
	struct tn_job job = {0}, quiet = {0};
	int done_count = 0;
	double end = tn_now() + TN_TIMEOUT_S;

	job.done_count = &done_count;
	worker_submit(pool, tn_work, tn_done, &job);
	worker_submit(pool, tn_work, NULL, &quiet); /* done may be NULL */
	while (__atomic_load_n(&quiet.work_runs, __ATOMIC_SEQ_CST) == 0 && tn_now() < end)
		tn_sleep_ms(1);
	assert_int_equal(__atomic_load_n(&job.work_runs, __ATOMIC_SEQ_CST), 1);
	assert_null(job.thread_ctx); /* no thread_init: NULL context */
	tn_sleep_ms(20);
	/* Work is done, but done callbacks run only inside the loop. */
	assert_int_equal(done_count, 0);
	assert_true(tn_run_until_count(base, &done_count, 1));
	assert_int_equal(job.done_runs, 1);
	assert_true(pthread_equal(job.done_thread, pthread_self()));
	tn_run_until(base, NULL, NULL, 0.05);
	assert_int_equal(done_count, 1);
	worker_pool_free(&pool);
	assert_int_equal(quiet.work_runs, 1);
	event_base_free(base);
}

static void test_worker_free_drains(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_pool_state ps = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct worker_pool *pool = worker_pool_new(base, 2, tn_thread_init, tn_thread_deinit, &ps);
	struct tn_job jobs[40];
	int done_count = 0, i;

	memset(jobs, 0, sizeof(jobs));
	for (i = 0; i < 40; i++) {
		jobs[i].done_count = &done_count;
		jobs[i].sleep_ms = 1;
		worker_submit(pool, tn_work, tn_done, &jobs[i]);
	}
	/* No loop at all: free still runs every queued job and its done callback. */
	worker_pool_free(&pool);
	assert_null(pool);
	assert_int_equal(done_count, 40);
	for (i = 0; i < 40; i++) {
		assert_int_equal(jobs[i].work_runs, 1);
		assert_int_equal(jobs[i].done_runs, 1);
		assert_true(pthread_equal(jobs[i].done_thread, pthread_self()));
	}
	assert_int_equal(ps.inits, 2);
	assert_int_equal(ps.deinits, 2);
	worker_pool_free(&pool); /* NULL is fine */
	event_base_free(base);
}

/* ---- wakeup ---- */

#define TN_WAKE_MAX 10000

struct tn_wake {
	pthread_t loop_thread;
	int wrong_thread, wrong_ctx, n;
	uint64_t ids[TN_WAKE_MAX];
	struct wakeup *w;
};

static void tn_wake_cb(uint64_t id, void *ctx)
{
	struct tn_wake *tw = ctx;

	if (!pthread_equal(tw->loop_thread, pthread_self()))
		tw->wrong_thread++;
	if (tw->n < TN_WAKE_MAX)
		tw->ids[tw->n] = id;
	tw->n++;
}

static struct tn_wake *tn_wake_new(struct event_base *base)
{
	struct tn_wake *tw = xcalloc(1, sizeof(*tw));

	tw->loop_thread = pthread_self();
	tw->w = wakeup_new(base, tn_wake_cb, tw);
	return tw;
}

static void tn_wake_free(struct tn_wake **_tw)
{
	wakeup_free(&(*_tw)->w);
	assert_null((*_tw)->w);
	XFREE(*_tw);
}

#define TN_WAKE_THREADS 4
#define TN_WAKE_IDS     100

static void *tn_poster(void *arg)
{
	struct tn_wake *tw = arg;
	uint64_t i;

	for (i = 1; i <= TN_WAKE_IDS; i++) {
		wakeup_post(tw->w, i);
		if (i % 10 == 0)
			tn_sleep_ms(1);
	}
	return NULL;
}

static bool tn_all_ids_seen(void *arg)
{
	struct tn_wake *tw = arg;
	bool seen[TN_WAKE_IDS + 1] = {false};
	int i, distinct = 0;

	for (i = 0; i < tw->n && i < TN_WAKE_MAX; i++) {
		if (tw->ids[i] >= 1 && tw->ids[i] <= TN_WAKE_IDS && !seen[tw->ids[i]]) {
			seen[tw->ids[i]] = true;
			distinct++;
		}
	}
	return distinct == TN_WAKE_IDS;
}

static void test_wakeup_threads(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_wake *tw = tn_wake_new(base);
	pthread_t th[TN_WAKE_THREADS];
	int i;

	for (i = 0; i < TN_WAKE_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, tn_poster, tw), 0);
	assert_true(tn_run_until(base, tn_all_ids_seen, tw, TN_TIMEOUT_S));
	for (i = 0; i < TN_WAKE_THREADS; i++)
		pthread_join(th[i], NULL);
	tn_run_until(base, NULL, NULL, 0.05);
	assert_true(tn_all_ids_seen(tw));
	assert_int_equal(tw->wrong_thread, 0);
	assert_true(tw->n >= TN_WAKE_IDS && tw->n <= TN_WAKE_THREADS * TN_WAKE_IDS);
	for (i = 0; i < tw->n; i++)
		assert_true(tw->ids[i] >= 1 && tw->ids[i] <= TN_WAKE_IDS);
	tn_wake_free(&tw);
	event_base_free(base);
}

static void test_wakeup_coalesces(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_wake *tw = tn_wake_new(base);

	wakeup_post(tw->w, 7);
	wakeup_post(tw->w, 7);
	wakeup_post(tw->w, 8);
	wakeup_post(tw->w, 7);
	wakeup_post(tw->w, 8);
	wakeup_post(tw->w, 9);
	assert_int_equal(tw->n, 0); /* nothing runs outside the loop */
	assert_true(tn_run_until_count(base, &tw->n, 3));
	tn_run_until(base, NULL, NULL, 0.05);
	assert_int_equal(tw->n, 3);
	assert_int_equal(tw->ids[0], 7);
	assert_int_equal(tw->ids[1], 8);
	assert_int_equal(tw->ids[2], 9);
	/* Once delivered, an id can be posted again. */
	wakeup_post(tw->w, 7);
	assert_true(tn_run_until_count(base, &tw->n, 4));
	tn_run_until(base, NULL, NULL, 0.05);
	assert_int_equal(tw->n, 4);
	assert_int_equal(tw->ids[3], 7);
	assert_int_equal(tw->wrong_thread, 0);
	tn_wake_free(&tw);
	event_base_free(base);
}

static void test_wakeup_overflow(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_wake *tw = tn_wake_new(base);
	uint64_t i;

	/* Exactly WAKEUP_MAX_PENDING distinct ids still arrive one by one, in order. */
	for (i = 0; i < WAKEUP_MAX_PENDING; i++)
		wakeup_post(tw->w, i + 1);
	assert_true(tn_run_until_count(base, &tw->n, WAKEUP_MAX_PENDING));
	tn_run_until(base, NULL, NULL, 0.05);
	assert_int_equal(tw->n, WAKEUP_MAX_PENDING);
	for (i = 0; i < WAKEUP_MAX_PENDING; i++)
		assert_int_equal(tw->ids[i], i + 1);

	/* One more than that: a single WAKEUP_ALL replaces them all. */
	tw->n = 0;
	for (i = 0; i <= WAKEUP_MAX_PENDING; i++)
		wakeup_post(tw->w, i + 1);
	wakeup_post(tw->w, 3);    /* swallowed while WAKEUP_ALL is pending */
	wakeup_post(tw->w, 9999); /* so is a new id */
	assert_true(tn_run_until_count(base, &tw->n, 1));
	tn_run_until(base, NULL, NULL, 0.05);
	assert_int_equal(tw->n, 1);
	assert_true(tw->ids[0] == WAKEUP_ALL);
	/* Afterwards ids are delivered one by one again. */
	wakeup_post(tw->w, 5);
	assert_true(tn_run_until_count(base, &tw->n, 2));
	assert_int_equal(tw->ids[1], 5);
	tn_wake_free(&tw);
	event_base_free(base);
}

/* ---- tls ---- */

static X509 *tn_read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	return x;
}

/* The subjectAltName of x as "DNS:a,DNS:b,IP:1.2.3.4" (newly allocated). */
static char *tn_san(X509 *x)
{
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	char out[512] = "", item[128];
	int i;

	assert_non_null(names);
	for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		if (g->type == GEN_DNS) {
			snprintf(item, sizeof(item), "DNS:%.*s", ASN1_STRING_length(g->d.dNSName),
			         (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		} else if (g->type == GEN_IPADD && ASN1_STRING_length(g->d.iPAddress) == 4) {
			const unsigned char *ip = ASN1_STRING_get0_data(g->d.iPAddress);
			snprintf(item, sizeof(item), "IP:%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		} else {
			snprintf(item, sizeof(item), "other:%d", g->type);
		}
		if (i > 0)
			strcat(out, ",");
		strcat(out, item);
	}
	GENERAL_NAMES_free(names);
	return xstrdup(out);
}

static void tn_assert_mode(const char *path, unsigned mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, mode);
}

static void test_tls_self_signed(void **state)
{
	char *dir = tn_mkdtemp(), *error = NULL, *cert, *key, *tlsdir, *san, cn[256];
	SSL_CTX *ctx;
	X509 *x, *x2;
	EVP_PKEY *pkey;
	FILE *f;
	int days = 0, secs = 0;
	struct stat st1, st2;

	ctx = tls_server_ctx_new("", "", dir, "mail.test.example", &error);
	assert_null(error);
	assert_non_null(ctx);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_2_VERSION);
	SSL_CTX_free(ctx);
	tlsdir = xasprintf("%s/tls", dir);
	cert = xasprintf("%s/tls/cert.pem", dir);
	key = xasprintf("%s/tls/key.pem", dir);
	tn_assert_mode(tlsdir, 0700);
	tn_assert_mode(cert, 0600);
	tn_assert_mode(key, 0600);

	x = tn_read_cert(cert);
	san = tn_san(x);
	assert_string_equal(san, "DNS:mail.test.example,DNS:localhost,IP:127.0.0.1");
	free(san);
	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
	                                      sizeof(cn)) > 0);
	assert_string_equal(cn, "mail.test.example");
	assert_int_equal(X509_check_ca(x), 0);
	assert_int_equal(X509_check_issued(x, x), X509_V_OK); /* self-signed */
	assert_int_equal(
	        ASN1_TIME_diff(&days, &secs, X509_get0_notBefore(x), X509_get0_notAfter(x)), 1);
	assert_int_equal(days, 3650);
	assert_int_equal(secs, 3600);
	assert_true(X509_cmp_current_time(X509_get0_notBefore(x)) < 0);
	f = fopen(key, "r");
	assert_non_null(f);
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pkey);
	assert_int_equal(EVP_PKEY_get_base_id(pkey), EVP_PKEY_EC);
	assert_int_equal(EVP_PKEY_get_bits(pkey), 256);
	assert_int_equal(X509_check_private_key(x, pkey), 1);
	assert_int_equal(X509_verify(x, pkey), 1);
	EVP_PKEY_free(pkey);

	/* A second start reuses the same files and certificate. */
	assert_int_equal(stat(cert, &st1), 0);
	ctx = tls_server_ctx_new("", "", dir, "other.example", &error);
	assert_non_null(ctx);
	SSL_CTX_free(ctx);
	assert_int_equal(stat(cert, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	assert_true(st1.st_mtim.tv_sec == st2.st_mtim.tv_sec &&
	            st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);
	x2 = tn_read_cert(cert);
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(x2)),
	                 0);
	X509_free(x2);

	/* The same files named explicitly load as well. */
	ctx = tls_server_ctx_new(cert, key, "/nonexistent", "ignored", &error);
	assert_null(error);
	assert_non_null(ctx);
	SSL_CTX_free(ctx);

	/* Without its key, the certificate is made again (new serial). */
	assert_int_equal(unlink(key), 0);
	ctx = tls_server_ctx_new("", "", dir, "mail.test.example", &error);
	assert_non_null(ctx);
	SSL_CTX_free(ctx);
	tn_assert_mode(key, 0600);
	x2 = tn_read_cert(cert);
	assert_int_not_equal(
	        ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(x2)), 0);
	X509_free(x2);
	X509_free(x);
	free(tlsdir);
	free(cert);
	free(key);
	tn_rm_data_dir(&dir);
}

static void tn_tls_error(const char *cert, const char *key, const char *data_dir,
                         const char *want_prefix)
{
	char *error = NULL;
	SSL_CTX *ctx = tls_server_ctx_new(cert, key, data_dir, "h.example", &error);

	assert_null(ctx);
	assert_non_null(error);
	if (strncmp(error, want_prefix, strlen(want_prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", error, want_prefix);
	free(error);
}

static void test_tls_errors(void **state)
{
	char *dir = tn_mkdtemp(), *bad = xasprintf("%s/bad.pem", dir), *want, *cert, *key;
	char *error = NULL;
	SSL_CTX *ctx;
	FILE *f;

	tn_tls_error("/etc/x/cert.pem", "", dir, "[tls] cert and key must be set together");
	tn_tls_error("", "/etc/x/key.pem", dir, "[tls] cert and key must be set together");

	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	want = xasprintf("loading %s and %s: error:", bad, bad);
	tn_tls_error(bad, bad, dir, want);
	free(want);
	want = xasprintf("loading %s/none.pem and %s: error:", dir, bad);
	cert = xasprintf("%s/none.pem", dir);
	tn_tls_error(cert, bad, dir, want);
	free(want);
	free(cert);

	/* A certificate with another certificate's key. */
	ctx = tls_server_ctx_new("", "", dir, "a.example", &error);
	assert_non_null(ctx);
	SSL_CTX_free(ctx);
	cert = xasprintf("%s/tls/cert.pem", dir);
	key = xasprintf("%s/tls/key.pem", dir);
	{
		char *dir2 = tn_mkdtemp(), *key2 = xasprintf("%s/tls/key.pem", dir2);
		ctx = tls_server_ctx_new("", "", dir2, "b.example", &error);
		assert_non_null(ctx);
		SSL_CTX_free(ctx);
		want = xasprintf("loading %s and %s: error:", cert, key2);
		tn_tls_error(cert, key2, dir, want);
		free(want);
		free(key2);
		tn_rm_data_dir(&dir2);
	}
	free(cert);
	free(key);

	/* A data directory that does not exist. */
	tn_tls_error("", "", "/nonexistent/tresor", "/nonexistent/tresor/tls: No such file");
	free(bad);
	tn_rm_data_dir(&dir);
}

/* ---- listener ---- */

struct tn_accept {
	int count;
	void *ctx_seen;
	char peer[64];
	unsigned local_port;
};

static struct tn_accept tn_accepts[2];

static void tn_on_accept(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	struct tn_accept *a = ctx;

	a->count++;
	a->ctx_seen = ctx;
	a->local_port = tn_sock_port(fd);
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)peer)->sin_addr, a->peer,
		          sizeof(a->peer));
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)peer)->sin6_addr, a->peer,
		          sizeof(a->peer));
	close(fd);
}

static void test_listener_bad_addresses(void **state)
{
	const char *bad[] = {"127.0.0.1",     "127.0.0.1:",  "127.0.0.1:99999", "127.0.0.1:abc",
	                     "localhost:143", "1.2.3:80",    "garbage",         "[::1]",
	                     "::1",           "127.0.0.1:0", "[::1]:0",         "127.0.0.1:-5"};
	struct event_base *base = event_base_new();
	struct listener_set set;
	char *error, *want;
	size_t i;

	memset(&set, 0, sizeof(set));
	for (i = 0; i < N_ELEMENTS(bad); i++) {
		error = NULL;
		assert_int_equal(listener_open(base, bad[i], tn_on_accept, NULL, &set, &error), -1);
		want = xasprintf("bad listen address '%s' (expected host:port)", bad[i]);
		assert_non_null(error);
		assert_string_equal(error, want);
		free(want);
		free(error);
		assert_int_equal(set.count, 0);
	}
	listener_set_close(&set);
	assert_int_equal(set.n_cbs, 0);
	/* Empty lists open nothing. */
	assert_int_equal(listener_open(base, "", tn_on_accept, NULL, &set, &error), 0);
	assert_int_equal(listener_open(base, " , ,", tn_on_accept, NULL, &set, &error), 0);
	assert_int_equal(set.count, 0);
	assert_int_equal(set.n_cbs, 0);
	event_base_free(base);
}

static unsigned tn_listener_port(struct listener_set *set, size_t i)
{
	return tn_sock_port(evconnlistener_get_fd(set->items[i]));
}

static void test_listener_binds_and_accepts(void **state)
{
	struct event_base *base = event_base_new();
	struct listener_set set;
	unsigned p1 = tn_free_port(), p2 = tn_free_port(), p3 = tn_free_port();
	char *list, *error = NULL;
	int fd;

	memset(&set, 0, sizeof(set));
	memset(tn_accepts, 0, sizeof(tn_accepts));
	/* One list with spaces around two items. */
	list = xasprintf("  127.0.0.1:%u ,   127.0.0.1:%u  ", p1, p2);
	assert_int_equal(listener_open(base, list, tn_on_accept, &tn_accepts[0], &set, &error), 0);
	free(list);
	assert_null(error);
	assert_int_equal(set.count, 2);
	assert_int_equal(tn_listener_port(&set, 0), p1);
	assert_int_equal(tn_listener_port(&set, 1), p2);
	/* A second list with its own context. */
	list = xasprintf("[::1]:%u", p3);
	assert_int_equal(listener_open(base, list, tn_on_accept, &tn_accepts[1], &set, &error), 0);
	free(list);
	assert_int_equal(set.count, 3);
	assert_int_equal(set.n_cbs, 2);

	fd = tn_connect(AF_INET, p2);
	assert_true(tn_run_until_count(base, &tn_accepts[0].count, 1));
	close(fd);
	assert_ptr_equal(tn_accepts[0].ctx_seen, &tn_accepts[0]);
	assert_string_equal(tn_accepts[0].peer, "127.0.0.1");
	assert_int_equal(tn_accepts[0].local_port, p2);
	fd = tn_connect(AF_INET6, p3);
	assert_true(tn_run_until_count(base, &tn_accepts[1].count, 1));
	close(fd);
	assert_ptr_equal(tn_accepts[1].ctx_seen, &tn_accepts[1]);
	assert_string_equal(tn_accepts[1].peer, "::1");
	assert_int_equal(tn_accepts[1].local_port, p3);
	assert_int_equal(tn_accepts[0].count, 1);

	/* A port already bound is an error naming it. */
	list = xasprintf("127.0.0.1:%u", p1);
	assert_int_equal(listener_open(base, list, tn_on_accept, NULL, &set, &error), -1);
	free(list);
	list = xasprintf("cannot listen on 127.0.0.1:%u: Address already in use", p1);
	assert_string_equal(error, list);
	free(list);
	free(error);
	error = NULL;

	listener_set_close(&set);
	assert_int_equal(set.count, 0);
	assert_int_equal(set.n_cbs, 0);
	/* Closed: the port can be bound again. */
	list = xasprintf("127.0.0.1:%u", p1);
	assert_int_equal(listener_open(base, list, tn_on_accept, NULL, &set, &error), 0);
	free(list);
	listener_set_close(&set);
	event_base_free(base);
}

static void test_listener_partial_and_limit(void **state)
{
	struct event_base *base = event_base_new();
	struct listener_set set;
	unsigned ports[LISTENER_MAX + 1];
	int fds[LISTENER_MAX + 1];
	char list[2048] = "", *error = NULL, *l;
	size_t i;

	memset(&set, 0, sizeof(set));
	l = xasprintf("127.0.0.1:%u, bogus, 127.0.0.1:%u", tn_free_port(), tn_free_port());
	assert_int_equal(listener_open(base, l, tn_on_accept, NULL, &set, &error), -1);
	free(l);
	assert_string_equal(error, "bad listen address 'bogus' (expected host:port)");
	free(error);
	error = NULL;
	assert_int_equal(set.count, 1); /* the first stays bound, the third is not tried */
	listener_set_close(&set);

	/* LISTENER_MAX + 1 addresses: the last one is refused. */
	for (i = 0; i <= LISTENER_MAX; i++)
		fds[i] = tn_bound_socket(&ports[i]);
	for (i = 0; i <= LISTENER_MAX; i++) {
		close(fds[i]);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s127.0.0.1:%u",
		         i ? "," : "", ports[i]);
	}
	assert_int_equal(listener_open(base, list, tn_on_accept, NULL, &set, &error), -1);
	assert_string_equal(error, "more than 16 listen addresses");
	free(error);
	assert_int_equal(set.count, LISTENER_MAX);
	listener_set_close(&set);
	event_base_free(base);
}

/* ---- conn ---- */

struct tn_conn {
	struct conn *c;
	int reads, ends, flushed;
	enum conn_end why;
	char in[256];
	size_t in_len, out_left_at_flush;
	bool free_on_flush;
	/* Line mode: take one line per callback, as a session does. */
	bool lines;
	char line[8][64];
	int n_lines;
	SSL_CTX *starttls_ctx;
};

static void tn_conn_read(struct conn *c, void *ctx)
{
	struct tn_conn *t = ctx;
	struct evbuffer *in = conn_input(c);
	size_t n;
	char *line;

	t->reads++;
	if (!t->lines) {
		n = evbuffer_get_length(in);
		if (n > sizeof(t->in) - 1 - t->in_len)
			n = sizeof(t->in) - 1 - t->in_len;
		evbuffer_remove(in, t->in + t->in_len, n);
		t->in_len += n;
		t->in[t->in_len] = '\0';
		return;
	}
	while ((line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF_STRICT)) != NULL) {
		if (t->n_lines < 8)
			snprintf(t->line[t->n_lines++], sizeof(t->line[0]), "%s", line);
		if (strcmp(line, "a STARTTLS") == 0) {
			conn_write(c, "a OK begin\r\n", 12);
			assert_int_equal(conn_starttls(c, t->starttls_ctx), 0);
			free(line);
			return; /* the rest of the input is gone */
		}
		if (strcmp(line, "c AFTER") == 0 || strcmp(line, "ping") == 0)
			conn_printf(c, "%s OK\r\n", line);
		free(line);
	}
}

static void tn_conn_end(struct conn *c, void *ctx, enum conn_end why)
{
	struct tn_conn *t = ctx;

	t->ends++;
	t->why = why;
}

static void tn_conn_flushed(struct conn *c, void *ctx)
{
	struct tn_conn *t = ctx;

	t->flushed++;
	t->out_left_at_flush = evbuffer_get_length(conn_output(c));
	if (t->free_on_flush)
		conn_free(&t->c);
}

/* A conn over a loopback TCP connection; returns the client socket. */
static int tn_conn_open(struct event_base *base, struct tn_conn *t, SSL_CTX *tls_ctx)
{
	struct sockaddr_storage peer;
	socklen_t len;
	int client, server;

	memset(t, 0, sizeof(*t));
	tn_tcp_pair(&client, &server, &peer, &len);
	t->c = conn_new(base, server, (struct sockaddr *)&peer, len, tls_ctx);
	conn_set_cbs(t->c, tn_conn_read, tn_conn_end, tn_conn_flushed, t);
	return client;
}

static bool tn_output_empty(void *arg)
{
	struct tn_conn *t = arg;

	return evbuffer_get_length(conn_output(t->c)) == 0;
}

static void test_conn_addresses(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_conn t1, t2;
	int c1 = tn_conn_open(base, &t1, NULL), c2 = tn_conn_open(base, &t2, NULL), sp[2];
	char want[80], info[128];
	struct sockaddr_in6 fake6 = {.sin6_family = AF_INET6};
	struct sockaddr_un unix_peer = {.sun_family = AF_UNIX};
	struct conn *c;

	assert_string_equal(t1.c->peer_ip, "127.0.0.1");
	assert_true(t1.c->loopback);
	assert_false(t1.c->tls);
	assert_false(t1.c->closing);
	assert_ptr_equal(t1.c->base, base);
	{
		struct sockaddr_in peer;
		socklen_t len = sizeof(peer);
		assert_int_equal(getpeername(c1, (struct sockaddr *)&peer, &len), 0);
		snprintf(want, sizeof(want), "127.0.0.1:%u", ntohs(peer.sin_port));
	}
	assert_string_equal(t1.c->local, want);
	assert_int_equal(strlen(t1.c->id), 8);
	assert_int_equal(strspn(t1.c->id, "0123456789abcdef"), 8);
	assert_string_not_equal(t1.c->id, t2.c->id);
	conn_tls_info(t1.c, info, sizeof(info));
	assert_string_equal(info, "none");
	conn_free(&t1.c);
	assert_null(t1.c);
	conn_free(&t1.c);
	conn_free(&t2.c);
	close(c1);
	close(c2);

	/* Addresses given by the accepting code are what count. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	c = conn_new(base, sp[0], (struct sockaddr *)&unix_peer, sizeof(unix_peer), NULL);
	assert_string_equal(c->peer_ip, "unknown");
	assert_false(c->loopback);
	conn_free(&c);
	close(sp[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	fake6.sin6_addr = in6addr_loopback;
	c = conn_new(base, sp[0], (struct sockaddr *)&fake6, sizeof(fake6), NULL);
	assert_string_equal(c->peer_ip, "::1");
	assert_true(c->loopback);
	conn_free(&c);
	close(sp[1]);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	inet_pton(AF_INET6, "2001:db8::1", &fake6.sin6_addr);
	c = conn_new(base, sp[0], (struct sockaddr *)&fake6, sizeof(fake6), NULL);
	assert_string_equal(c->peer_ip, "2001:db8::1");
	assert_false(c->loopback);
	conn_free(&c);
	close(sp[1]);
	event_base_free(base);
}

static void test_conn_write_read_pause_eof(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_conn t;
	int client = tn_conn_open(base, &t, NULL);
	char got[32] = "";

	conn_write(t.c, "hello\r\n", 7);
	conn_printf(t.c, "%d %s\r\n", 42, "OK");
	assert_true(tn_run_until(base, tn_output_empty, &t, TN_TIMEOUT_S));
	tn_read_exact(client, got, 14);
	assert_string_equal(got, "hello\r\n42 OK\r\n");

	assert_int_equal(send(client, "abc\r\n", 5, 0), 5);
	assert_true(tn_run_until_count(base, &t.reads, 1));
	assert_string_equal(t.in, "abc\r\n");

	/* Paused: input waits in the socket. */
	conn_pause_read(t.c, true);
	assert_int_equal(send(client, "def", 3, 0), 3);
	tn_run_until(base, NULL, NULL, 0.1);
	assert_int_equal(t.reads, 1);
	assert_string_equal(t.in, "abc\r\n");
	conn_pause_read(t.c, false);
	assert_true(tn_run_until_count(base, &t.reads, 2));
	assert_string_equal(t.in, "abc\r\ndef");
	assert_int_equal(t.ends, 0);

	/* The peer closes: on_end with EOF. */
	close(client);
	assert_true(tn_run_until_count(base, &t.ends, 1));
	assert_int_equal(t.why, CONN_END_EOF);
	assert_int_equal(t.flushed, 0);
	conn_free(&t.c);
	event_base_free(base);
}

static void test_conn_idle_timeout(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_conn t;
	int client = tn_conn_open(base, &t, NULL);
	double start = tn_now();

	conn_set_idle_timeout(t.c, 1);
	assert_true(tn_run_until_count(base, &t.ends, 1));
	assert_int_equal(t.why, CONN_END_TIMEOUT);
	assert_true(tn_now() - start >= 0.9);
	conn_free(&t.c);
	close(client);
	event_base_free(base);
}

#define TN_BIG (4 * 1024 * 1024)

struct tn_reader {
	int fd;
	size_t total, bad_bytes;
	bool eof;
};

static void *tn_reader_main(void *arg)
{
	struct tn_reader *r = arg;
	char chunk[65536];
	ssize_t n, i;

	while ((n = recv(r->fd, chunk, sizeof(chunk), 0)) > 0) {
		for (i = 0; i < n; i++) {
			if (chunk[i] != (char)('a' + (r->total + (size_t)i) % 23))
				r->bad_bytes++;
		}
		r->total += (size_t)n;
	}
	r->eof = n == 0;
	return NULL;
}

static void test_conn_close_after_write(void **state)
{
	struct event_base *base = event_base_new();
	struct tn_conn t;
	struct tn_reader r = {0};
	char *big = xmalloc(TN_BIG);
	pthread_t th;
	size_t i;

	r.fd = tn_conn_open(base, &t, NULL);
	for (i = 0; i < TN_BIG; i++)
		big[i] = (char)('a' + i % 23);
	conn_write(t.c, big, TN_BIG);
	free(big);
	t.free_on_flush = true;
	conn_close_after_write(t.c);
	assert_true(t.c->closing);
	assert_int_equal(t.flushed, 0); /* 4 MiB cannot have been written yet */
	assert_int_equal(pthread_create(&th, NULL, tn_reader_main, &r), 0);
	assert_true(tn_run_until_count(base, &t.flushed, 1));
	assert_int_equal(t.out_left_at_flush, 0);
	assert_null(t.c); /* freed in on_flushed: the client sees EOF */
	pthread_join(th, NULL);
	assert_int_equal(r.total, TN_BIG);
	assert_int_equal(r.bad_bytes, 0);
	assert_true(r.eof);
	close(r.fd);

	/* With nothing queued, on_flushed runs at once; later input is ignored. */
	r.fd = tn_conn_open(base, &t, NULL);
	conn_close_after_write(t.c);
	assert_int_equal(t.flushed, 1);
	assert_non_null(t.c);
	assert_int_equal(send(r.fd, "late\r\n", 6, 0), 6);
	tn_run_until(base, NULL, NULL, 0.1);
	assert_int_equal(t.reads, 0);
	conn_pause_read(t.c, false); /* does not resume a closing connection */
	tn_run_until(base, NULL, NULL, 0.1);
	assert_int_equal(t.reads, 0);
	conn_free(&t.c);
	close(r.fd);
	event_base_free(base);
}

/* The client side of the TLS tests, on its own thread with blocking I/O. */
struct tn_tls_client {
	int fd;
	bool starttls;
	char reply[64], plain_reply[64];
	bool ok;
	int done;
};

/* Reads one CRLF line with SSL_read (ssl) or recv into out. */
static bool tn_client_line(int fd, SSL *ssl, char *out, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		int r = ssl ? SSL_read(ssl, out + n, 1) : (int)recv(fd, out + n, 1, 0);
		if (r <= 0)
			return false;
		if (out[n++] == '\n')
			break;
	}
	out[n] = '\0';
	return true;
}

static void *tn_tls_client_main(void *arg)
{
	struct tn_tls_client *cl = arg;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl = NULL;
	const char *req = cl->starttls ? "c AFTER\r\n" : "ping\r\n";

	if (cl->starttls) {
		/* Pipelined: the second line must never run inside TLS. */
		const char *pre = "a STARTTLS\r\nb INJECTED\r\n";
		if (send(cl->fd, pre, strlen(pre), 0) != (ssize_t)strlen(pre) ||
		    !tn_client_line(cl->fd, NULL, cl->plain_reply, sizeof(cl->plain_reply)))
			goto out;
	}
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, cl->fd);
	if (SSL_connect(ssl) != 1 || SSL_write(ssl, req, (int)strlen(req)) <= 0 ||
	    !tn_client_line(cl->fd, ssl, cl->reply, sizeof(cl->reply)))
		goto out;
	cl->ok = true;
out:
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	__atomic_store_n(&cl->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void tn_tls_conversation(bool starttls)
{
	struct event_base *base = event_base_new();
	char *dir = tn_mkdtemp(), *error = NULL, info[128];
	SSL_CTX *ctx = tls_server_ctx_new("", "", dir, "localhost", &error);
	struct tn_tls_client cl = {.starttls = starttls};
	struct tn_conn t;
	pthread_t th;

	assert_non_null(ctx);
	cl.fd = tn_conn_open(base, &t, starttls ? NULL : ctx);
	t.lines = true;
	t.starttls_ctx = ctx;
	assert_int_equal(t.c->tls, !starttls);
	assert_int_equal(pthread_create(&th, NULL, tn_tls_client_main, &cl), 0);
	assert_true(tn_run_until_count(base, &cl.done, 1));
	pthread_join(th, NULL);
	assert_true(cl.ok);
	if (starttls) {
		assert_string_equal(cl.plain_reply, "a OK begin\r\n");
		assert_string_equal(cl.reply, "c AFTER OK\r\n");
		assert_int_equal(t.n_lines, 2);
		assert_string_equal(t.line[0], "a STARTTLS");
		assert_string_equal(t.line[1], "c AFTER"); /* "b INJECTED" was dropped */
	} else {
		assert_string_equal(cl.reply, "ping OK\r\n");
		assert_int_equal(t.n_lines, 1);
		assert_string_equal(t.line[0], "ping");
	}
	assert_true(t.c->tls);
	conn_tls_info(t.c, info, sizeof(info));
	if (strncmp(info, "version=TLSv1.3 cipher=TLS_", 27) != 0)
		fail_msg("unexpected TLS info '%s'", info);
	conn_free(&t.c);
	close(cl.fd);
	SSL_CTX_free(ctx);
	tn_rm_data_dir(&dir);
	event_base_free(base);
}

static void test_conn_implicit_tls(void **state)
{
	tn_tls_conversation(false);
}

static void test_conn_starttls_drops_pipelined(void **state)
{
	tn_tls_conversation(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_worker_threads_and_contexts),
	        cmocka_unit_test(test_worker_done_waits_for_loop),
	        cmocka_unit_test(test_worker_free_drains),
	        cmocka_unit_test(test_wakeup_threads),
	        cmocka_unit_test(test_wakeup_coalesces),
	        cmocka_unit_test(test_wakeup_overflow),
	        cmocka_unit_test(test_tls_self_signed),
	        cmocka_unit_test(test_tls_errors),
	        cmocka_unit_test(test_listener_bad_addresses),
	        cmocka_unit_test(test_listener_binds_and_accepts),
	        cmocka_unit_test(test_listener_partial_and_limit),
	        cmocka_unit_test(test_conn_addresses),
	        cmocka_unit_test(test_conn_write_read_pause_eof),
	        cmocka_unit_test(test_conn_idle_timeout),
	        cmocka_unit_test(test_conn_close_after_write),
	        cmocka_unit_test(test_conn_implicit_tls),
	        cmocka_unit_test(test_conn_starttls_drops_pipelined),
	};

	/* A peer that closes while we write must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
