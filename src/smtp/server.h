/*
 * server.h - what SMTP sessions share inside the SMTP module: the
 * dependencies handed in by the process, and the list of open sessions.
 */
#ifndef TRESOR_SMTP_SERVER_H
#define TRESOR_SMTP_SERVER_H

#include "smtp/smtp.h"

struct smtp_session;

struct smtp_server {
	struct proto_deps deps;
	struct smtp_session *sessions;
	unsigned n_sessions;
	uint64_t buffered; /* message bytes held by all sessions ([smtp] memory_max) */
};

#endif
