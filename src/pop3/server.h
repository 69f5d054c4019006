/*
 * server.h - what POP3 sessions share inside the POP3 module: the
 * dependencies handed in by the process, the list of open sessions, and the
 * maildrop locks (RFC 1939 8: one session per maildrop; [IN-USE]).
 *
 * The locks are taken on worker threads (right after a login is verified),
 * so they sit behind a mutex. Limits: one lock per session.
 */
#ifndef TRESOR_POP3_SERVER_H
#define TRESOR_POP3_SERVER_H

#include "pop3/pop3.h"

#include <pthread.h>
#include <stdint.h>

struct pop3_session;

struct pop3_server {
	struct proto_deps deps;
	struct pop3_session *sessions;
	unsigned n_sessions;
	pthread_mutex_t lock;
	uint64_t *locked; /* user ids whose maildrop a session holds */
	size_t n_locked, cap_locked;
};

/* Takes the maildrop lock of user_id; false when another session holds it. */
bool pop3_maildrop_lock(struct pop3_server *server, uint64_t user_id);
void pop3_maildrop_unlock(struct pop3_server *server, uint64_t user_id);

#endif
