/*
 * conn.h - one client connection on the event loop: a libevent bufferevent,
 * plain or TLS (implicit, or upgraded by STARTTLS), with timeouts.
 *
 * The protocol session that owns a connection gets a callback when input
 * arrives and when the connection ends (EOF, error, timeout). Output is
 * appended to the connection's output buffer and written by libevent.
 *
 * STARTTLS (RFC 3207 / RFC 2595 / CVE-2011-0411): conn_starttls() discards
 * every byte the client sent before the handshake, so nothing pipelined after
 * the STARTTLS command is ever executed inside the TLS session.
 *
 * Limits: the read high-water mark CONN_READ_HIGH_WATER stops reading from the
 * socket while that much unprocessed input is buffered. Attacker control:
 * every byte read.
 */
#ifndef TRESOR_NET_CONN_H
#define TRESOR_NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONN_READ_HIGH_WATER (256 * 1024)
/* How often a closing TLS-over-STARTTLS connection checks that its socket buffer drained. */
#define CONN_FLUSH_POLL_US 5000

struct bufferevent;
struct evbuffer;
struct event;
struct event_base;
typedef struct ssl_ctx_st SSL_CTX;

enum conn_end { CONN_END_EOF, CONN_END_ERROR, CONN_END_TIMEOUT };

struct conn;
typedef void conn_read_fn(struct conn *c, void *ctx);
typedef void conn_end_fn(struct conn *c, void *ctx, enum conn_end why);
/* Called once the output queued before conn_close_after_write() is flushed. */
typedef void conn_flushed_fn(struct conn *c, void *ctx);

struct conn {
	struct bufferevent *bev;
	struct event_base *base;
	char id[17];      /* hex session id for logs */
	char peer_ip[64]; /* numeric address of the client */
	char local[80];   /* host:port the client connected to */
	bool tls;         /* TLS is established (or being established) */
	bool loopback;    /* client is on 127.0.0.0/8 or ::1 */
	bool closing;
	struct event *flush_ev; /* polls the socket buffer under a TLS filter */
	conn_read_fn *on_read;
	conn_end_fn *on_end;
	conn_flushed_fn *on_flushed;
	void *ctx;
};

/*
 * Wraps an accepted socket. With tls_ctx, the connection starts with a TLS
 * handshake (implicit TLS, RFC 8314). Callbacks are set with conn_set_cbs
 * before any input is processed.
 */
struct conn *conn_new(struct event_base *base, int fd, const struct sockaddr *peer,
                      socklen_t peer_len, SSL_CTX *tls_ctx);
void conn_set_cbs(struct conn *c, conn_read_fn *on_read, conn_end_fn *on_end,
                  conn_flushed_fn *on_flushed, void *ctx);
void conn_free(struct conn **_c);

struct evbuffer *conn_input(struct conn *c);
struct evbuffer *conn_output(struct conn *c);
void conn_write(struct conn *c, const void *data, size_t len);
void conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Read timeout (idle clients); 0 disables. */
void conn_set_idle_timeout(struct conn *c, unsigned seconds);
/* Stop or resume delivering input (one command at a time). */
void conn_pause_read(struct conn *c, bool paused);
/* Upgrades to TLS after the caller queued its "go ahead" reply; drops pending input. */
int conn_starttls(struct conn *c, SSL_CTX *tls_ctx);
/* "version=... cipher=..." of the TLS session, or "none". */
void conn_tls_info(struct conn *c, char *out, size_t size);
/* Stops reading; calls on_flushed when everything queued is written. */
void conn_close_after_write(struct conn *c);

#endif
