/*
 * pop3.h - the POP3 server as the rest of Tresor sees it: accept a
 * connection, stop. Everything inside (sessions, parser, commands) stays
 * behind this header.
 */
#ifndef TRESOR_POP3_POP3_H
#define TRESOR_POP3_POP3_H

#include "net/proto.h"

#include <stdbool.h>
#include <sys/socket.h>

struct pop3_server;

struct pop3_server *pop3_server_new(const struct proto_deps *deps);
/* Says goodbye to every session and frees them; the caller then frees the server. */
void pop3_server_shutdown(struct pop3_server *server);
void pop3_server_free(struct pop3_server **_server);
/* Takes over an accepted socket; implicit_tls for the pop3s (995) listener. */
void pop3_accept(struct pop3_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, bool implicit_tls);

#endif
