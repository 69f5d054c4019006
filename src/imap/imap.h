/*
 * imap.h - the IMAP server as the rest of Tresor sees it: accept a
 * connection, tell sessions that a mailbox changed, stop.
 *
 * Everything inside (sessions, parser, commands) stays behind this header.
 */
#ifndef TRESOR_IMAP_IMAP_H
#define TRESOR_IMAP_IMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct config;
struct worker_pool;
struct auth_cache;
struct throttle;
typedef struct ssl_ctx_st SSL_CTX;

/* What the IMAP server shares with the rest of the process (owned by the caller). */
struct imap_deps {
	struct event_base *base;
	const struct config *config;
	SSL_CTX *tls_ctx;
	struct worker_pool *workers; /* thread ctx of each worker is a struct store * */
	struct auth_cache *auth_cache;
	struct throttle *throttle;
};

struct imap_server;

struct imap_server *imap_server_new(const struct imap_deps *deps);
/* Says BYE to every session and frees them; the caller then frees the server. */
void imap_server_shutdown(struct imap_server *server);
void imap_server_free(struct imap_server **_server);
/* Takes over an accepted socket; implicit_tls for the imaps listener. */
void imap_accept(struct imap_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, bool implicit_tls);
/* A change was committed to mailbox_id (loop thread). */
void imap_mailbox_changed(struct imap_server *server, uint64_t mailbox_id);

#endif
