/*
 * proto.h - what every protocol server (IMAP, SMTP, POP3) receives from the
 * process: the event loop, the configuration, the TLS context, the worker
 * pool, and the login cache and throttle. All of it is owned by the caller
 * (cli/serve.c) and outlives the protocol servers.
 */
#ifndef TRESOR_NET_PROTO_H
#define TRESOR_NET_PROTO_H

struct event_base;
struct config;
struct worker_pool;
struct auth_cache;
struct throttle;
typedef struct ssl_ctx_st SSL_CTX;

struct proto_deps {
	struct event_base *base;
	const struct config *config;
	SSL_CTX *tls_ctx;
	struct worker_pool *workers; /* thread ctx of each worker is a struct store * */
	struct auth_cache *auth_cache;
	struct throttle *throttle;
};

#endif
