/*
 * serve.c - `tresor serve`: the server process.
 *
 * Start-up order: configuration, data directory, TLS context (the key is
 * read while still root), listening sockets (privileged ports), then the
 * switch to [server] user, then the store, the worker pool and the
 * protocols. SIGTERM and SIGINT stop the loop; sessions get a BYE and
 * queued store work finishes before the process exits.
 *
 * All mutable process state lives in one struct server, so that splitting
 * the process later (pre-login, mail, keys) moves this struct apart rather
 * than hunting globals.
 */
#include "cli/cli.h"

#include "auth/cache.h"
#include "auth/throttle.h"
#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "crypto/password.h"
#include "imap/imap.h"
#include "net/listener.h"
#include "net/tls.h"
#include "net/wakeup.h"
#include "net/worker.h"
#include "pop3/pop3.h"
#include "smtp/smtp.h"
#include "store/metacache.h"
#include "store/store.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Failure throttling: first delay, cap, and how long a quiet address is remembered. */
#define THROTTLE_BASE_MS       500
#define THROTTLE_MAX_MS        15000
#define THROTTLE_QUIET_SECONDS 900

/* A listener setting for the log: its addresses, or "off" when empty. */
#define OR_OFF(list) ((list)[0] != '\0' ? (list) : "off")

struct server {
	struct config *cfg;
	struct event_base *base;
	SSL_CTX *tls_ctx;
	struct listener_set listeners;
	struct worker_pool *workers;
	struct wakeup *changes;
	struct auth_cache *auth_cache;
	struct throttle *throttle;
	struct imap_server *imap;
	struct smtp_server *smtp;
	struct pop3_server *pop3;
	struct event *sigterm, *sigint;
};

static void *worker_store_open(void *pool_ctx)
{
	struct server *srv = pool_ctx;
	const char *error = NULL;
	struct store *s = store_open(srv->cfg->data_dir, &error);

	if (s == NULL)
		PANIC("worker cannot open the store: %s", error ? error : "unknown error");
	return s;
}

static void worker_store_close(void *thread_ctx)
{
	struct store *s = thread_ctx;

	store_close(&s);
}

/* Store hook, any thread: carry the mailbox id to the loop. */
static void on_store_change(uint64_t mailbox_id, void *ctx)
{
	wakeup_post(ctx, mailbox_id);
}

static void on_mailbox_changed(uint64_t mailbox_id, void *ctx)
{
	struct server *srv = ctx;

	imap_mailbox_changed(srv->imap, mailbox_id == WAKEUP_ALL ? 0 : mailbox_id);
}

static void on_imap(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	imap_accept(((struct server *)ctx)->imap, fd, peer, len, false);
}

static void on_imaps(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	imap_accept(((struct server *)ctx)->imap, fd, peer, len, true);
}

static void on_smtp_mx(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	smtp_accept(((struct server *)ctx)->smtp, fd, peer, len, SMTP_MODE_MX, false);
}

static void on_submission(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	smtp_accept(((struct server *)ctx)->smtp, fd, peer, len, SMTP_MODE_SUBMISSION, false);
}

static void on_submissions(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	smtp_accept(((struct server *)ctx)->smtp, fd, peer, len, SMTP_MODE_SUBMISSION, true);
}

static void on_pop3(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	pop3_accept(((struct server *)ctx)->pop3, fd, peer, len, false);
}

static void on_pop3s(int fd, const struct sockaddr *peer, socklen_t len, void *ctx)
{
	pop3_accept(((struct server *)ctx)->pop3, fd, peer, len, true);
}

static void on_signal(evutil_socket_t sig, short what, void *ctx)
{
	struct server *srv = ctx;

	log_info("server event=stop signal=%d", (int)sig);
	event_base_loopexit(srv->base, NULL);
}

static int open_listeners(struct server *srv)
{
	const struct config *cfg = srv->cfg;
	const struct {
		const char *addresses;
		listener_accept_fn *accept;
	} lists[] = {
	        {cfg->imap_listen, on_imap},
	        {cfg->imap_listen_tls, on_imaps},
	        {cfg->smtp_listen_mx, on_smtp_mx},
	        {cfg->smtp_listen_submission, on_submission},
	        {cfg->smtp_listen_submissions, on_submissions},
	        {cfg->pop3_listen, on_pop3},
	        {cfg->pop3_listen_tls, on_pop3s},
	};
	char *error = NULL;
	size_t i;

	for (i = 0; i < N_ELEMENTS(lists); i++) {
		if (listener_open(srv->base, lists[i].addresses, lists[i].accept, srv,
		                  &srv->listeners, &error) < 0) {
			fprintf(stderr, "tresor: %s\n", error);
			free(error);
			return -1;
		}
	}
	return 0;
}

static int check_store(struct server *srv)
{
	const char *error = NULL;
	struct store *s = store_open(srv->cfg->data_dir, &error);

	if (s == NULL) {
		fprintf(stderr, "tresor: cannot open the store in %s: %s\n", srv->cfg->data_dir,
		        error ? error : "unknown error");
		return -1;
	}
	store_close(&s);
	return 0;
}

/* Everything that needs root: data directory, TLS key, ports. */
static int start_privileged(struct server *srv)
{
	char *error = NULL;

	if (cli_prepare_data_dir(srv->cfg) < 0)
		return -1;
	srv->tls_ctx = tls_server_ctx_new(srv->cfg->tls_cert, srv->cfg->tls_key, srv->cfg->data_dir,
	                                  srv->cfg->hostname, &error);
	if (srv->tls_ctx == NULL) {
		fprintf(stderr, "tresor: TLS: %s\n", error);
		free(error);
		return -1;
	}
	/* A certificate made just now belongs to the service user too. */
	if (cli_prepare_data_dir(srv->cfg) < 0)
		return -1;
	return open_listeners(srv);
}

static void start_services(struct server *srv)
{
	struct proto_deps deps;

	store_metacache_configure((size_t)srv->cfg->meta_cache_mb << 20);
	srv->changes = wakeup_new(srv->base, on_mailbox_changed, srv);
	store_set_notify(on_store_change, srv->changes);
	srv->workers = worker_pool_new(srv->base, (size_t)srv->cfg->workers, worker_store_open,
	                               worker_store_close, srv);
	srv->auth_cache = auth_cache_new((size_t)srv->cfg->auth_cache_size,
	                                 (unsigned)srv->cfg->auth_cache_ttl);
	srv->throttle = throttle_new(THROTTLE_BASE_MS, THROTTLE_MAX_MS, THROTTLE_QUIET_SECONDS,
	                             THROTTLE_MAX_IPS);
	deps = (struct proto_deps){srv->base,    srv->cfg,        srv->tls_ctx,
	                           srv->workers, srv->auth_cache, srv->throttle};
	srv->imap = imap_server_new(&deps);
	srv->smtp = smtp_server_new(&deps);
	srv->pop3 = pop3_server_new(&deps);
	srv->sigterm = evsignal_new(srv->base, SIGTERM, on_signal, srv);
	srv->sigint = evsignal_new(srv->base, SIGINT, on_signal, srv);
	event_add(srv->sigterm, NULL);
	event_add(srv->sigint, NULL);
}

static void stop(struct server *srv)
{
	listener_set_close(&srv->listeners);
	if (srv->imap != NULL)
		imap_server_shutdown(srv->imap);
	if (srv->smtp != NULL)
		smtp_server_shutdown(srv->smtp);
	if (srv->pop3 != NULL)
		pop3_server_shutdown(srv->pop3);
	/* Queued store work finishes; its sessions are freed by their done callbacks. */
	worker_pool_free(&srv->workers);
	/*
	 * A freed connection's bufferevent goes away only once its deferred
	 * callbacks (the goodbye just written) have run: one more pass of the loop.
	 */
	event_base_loop(srv->base, EVLOOP_NONBLOCK);
	store_set_notify(NULL, NULL);
	store_metacache_clear();
	imap_server_free(&srv->imap);
	smtp_server_free(&srv->smtp);
	pop3_server_free(&srv->pop3);
	wakeup_free(&srv->changes);
	auth_cache_free(&srv->auth_cache);
	throttle_free(&srv->throttle);
	if (srv->sigterm != NULL)
		event_free(srv->sigterm);
	if (srv->sigint != NULL)
		event_free(srv->sigint);
	if (srv->tls_ctx != NULL)
		SSL_CTX_free(srv->tls_ctx);
	event_base_free(srv->base);
}

#if defined(__SANITIZE_ADDRESS__)
#define SERVE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SERVE_SANITIZED 1
#endif
#endif

/*
 * No core file, and not dumpable (no ptrace by the same user): a dump would
 * write to disk the plaintext a sealed account's mail has in memory while it
 * arrives (DESIGN.md, "Zero-access sealing"). LeakSanitizer stops the
 * process's threads with ptrace at exit, which a non-dumpable process
 * refuses, so sanitized test builds keep only the core limit.
 */
static void no_core_dumps(void)
{
	struct rlimit none = {0, 0};

	if (setrlimit(RLIMIT_CORE, &none) != 0)
		log_warn("server event=no-core-dumps-failed error=\"%s\"", strerror(errno));
#ifndef SERVE_SANITIZED
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("server event=not-dumpable-failed error=\"%s\"", strerror(errno));
#endif
}

int cli_serve(struct config *cfg, int argc, char **argv)
{
	struct server srv;
	int ret = 1;

	if (argc != 0) {
		fprintf(stderr, "usage: tresor [-c FILE] serve\n");
		return 2;
	}
	memset(&srv, 0, sizeof(srv));
	srv.cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	mem_tune_for_server();
	evthread_use_pthreads();
	if (password_init() < 0) {
		fprintf(stderr, "tresor: libsodium failed to initialise\n");
		return 1;
	}
	srv.base = event_base_new();
	if (start_privileged(&srv) < 0 || cli_drop_privileges(cfg) < 0 || check_store(&srv) < 0)
		goto out;
	no_core_dumps();
	start_services(&srv);
	log_info("server event=start hostname=%s data_dir=%s imap=%s imaps=%s smtp=%s "
	         "submission=%s submissions=%s pop3=%s pop3s=%s workers=%llu",
	         cfg->hostname, cfg->data_dir, OR_OFF(cfg->imap_listen),
	         OR_OFF(cfg->imap_listen_tls), OR_OFF(cfg->smtp_listen_mx),
	         OR_OFF(cfg->smtp_listen_submission), OR_OFF(cfg->smtp_listen_submissions),
	         OR_OFF(cfg->pop3_listen), OR_OFF(cfg->pop3_listen_tls),
	         (unsigned long long)cfg->workers);
	event_base_dispatch(srv.base);
	ret = 0;
out:
	stop(&srv);
	log_info("server event=stopped");
	return ret;
}
