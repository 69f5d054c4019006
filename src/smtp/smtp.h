/*
 * smtp.h - the SMTP server as the rest of Tresor sees it: accept a connection
 * on the MX or a submission listener, stop.
 *
 * Everything inside (sessions, parsers, commands, transactions) stays behind
 * this header.
 */
#ifndef TRESOR_SMTP_SMTP_H
#define TRESOR_SMTP_SMTP_H

#include "net/proto.h"

#include <stdbool.h>
#include <sys/socket.h>

/* Which listener a connection came in on. */
enum smtp_mode {
	SMTP_MODE_MX,         /* mail from other servers for hosted domains */
	SMTP_MODE_SUBMISSION, /* mail from users' clients: authentication required */
};

struct smtp_server;

struct smtp_server *smtp_server_new(const struct proto_deps *deps);
/* Says 421 to every session and frees them; the caller then frees the server. */
void smtp_server_shutdown(struct smtp_server *server);
void smtp_server_free(struct smtp_server **_server);
/* Takes over an accepted socket; implicit_tls for the submissions (465) listener. */
void smtp_accept(struct smtp_server *server, int fd, const struct sockaddr *peer,
                 socklen_t peer_len, enum smtp_mode mode, bool implicit_tls);

#endif
