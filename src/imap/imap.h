/*
 * imap.h - the IMAP server as the rest of Tresor sees it: accept a
 * connection, tell sessions that a mailbox changed, stop.
 *
 * Everything inside (sessions, parser, commands) stays behind this header.
 */
#ifndef TRESOR_IMAP_IMAP_H
#define TRESOR_IMAP_IMAP_H

#include "net/proto.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct imap_server;

struct imap_server *imap_server_new(const struct proto_deps *deps);
/* Says BYE to every session and frees them; the caller then frees the server. */
void imap_server_shutdown(struct imap_server *server);
void imap_server_free(struct imap_server **_server);
/* Takes over an accepted socket; implicit_tls for the imaps listener. */
void imap_accept(struct imap_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, bool implicit_tls);
/* A change was committed to mailbox_id (loop thread). */
void imap_mailbox_changed(struct imap_server *server, uint64_t mailbox_id);

#endif
