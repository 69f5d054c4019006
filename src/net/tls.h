/*
 * tls.h - the server's TLS context (OpenSSL 3).
 *
 * With [tls] cert and key set, they are loaded. With both empty, a
 * self-signed certificate for the hostname, localhost and 127.0.0.1 is made
 * once in data_dir/tls/ (ECDSA P-256, ten years) and reused afterwards, so
 * that a fresh install speaks TLS at once. TLS 1.2 is the minimum.
 *
 * Attacker control: the handshake (inside OpenSSL). Limits: OpenSSL's own.
 */
#ifndef TRESOR_NET_TLS_H
#define TRESOR_NET_TLS_H

#include <stddef.h>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

/*
 * Returns a server context, or NULL with a newly allocated message in
 * *error_r. Blocks (file I/O, key generation).
 */
SSL_CTX *tls_server_ctx_new(const char *cert, const char *key, const char *data_dir,
                            const char *hostname, char **error_r);
/* Writes "version=TLSv1.3 cipher=..." describing an established session into out. */
void tls_describe(SSL *ssl, char *out, size_t size);

#endif
