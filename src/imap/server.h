/*
 * server.h - what IMAP sessions share inside the IMAP module: the
 * dependencies handed in by the process, and the list of open sessions.
 */
#ifndef TRESOR_IMAP_SERVER_H
#define TRESOR_IMAP_SERVER_H

#include "imap/imap.h"

struct imap_session;

struct imap_server {
	struct proto_deps deps;
	struct imap_session *sessions;
	unsigned n_sessions;
};

void imap_server_link(struct imap_server *server, struct imap_session *s);
void imap_server_unlink(struct imap_server *server, struct imap_session *s);

#endif
