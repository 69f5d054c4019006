/*
 * cmd-misc.c - NOOP, QUIT (RFC 1939 5, 6), CAPA (RFC 2449 5) and STLS
 * (RFC 2595 4).
 *
 * QUIT in TRANSACTION enters UPDATE: the messages marked by DELE are expunged
 * in one durable transaction (IMAP sessions on the INBOX see them go), and
 * only then is "+OK" sent; if that fails, "-ERR [SYS/TEMP]" and nothing is
 * removed. Attacker control: none beyond the commands.
 */
#include "pop3/commands.h"

#include "base/log.h"
#include "net/conn.h"
#include "pop3/maildrop.h"
#include "pop3/server.h"
#include "store/store.h"

void pop3_cmd_noop(struct pop3_session *s)
{
	pop3_ok(s, "Nothing happened");
}

void pop3_cmd_quit(struct pop3_session *s)
{
	size_t removed = s->drop != NULL ? s->drop->n_deleted : 0;

	s->after = POP3_AFTER_QUIT;
	if (s->state == POP3_STATE_TRANSACTION && pop3_maildrop_commit(s->ns.store, s->drop) < 0) {
		log_error("pop3 session=%s event=update-failed error=\"%s\"", s->ns.conn->id,
		          store_last_error(s->ns.store));
		pop3_err(s, "[SYS/TEMP] Some deleted messages were not removed");
		return;
	}
	if (s->locked) {
		pop3_maildrop_unlock(s->server, s->user_id);
		s->locked = false;
	}
	if (s->state == POP3_STATE_TRANSACTION)
		log_info("pop3 session=%s event=logout user=%s removed=%zu", s->ns.conn->id,
		         s->user, removed);
	pop3_ok(s, "Tresor POP3 server signing off");
}

void pop3_cmd_capa(struct pop3_session *s)
{
	pop3_ok(s, "Capability list follows");
	pop3_line(s, "TOP");
	pop3_line(s, "UIDL");
	pop3_line(s, "RESP-CODES");
	pop3_line(s, "AUTH-RESP-CODE");
	pop3_line(s, "PIPELINING");
	if (s->state == POP3_STATE_AUTHORIZATION && pop3_login_allowed(s)) {
		pop3_line(s, "USER");
		pop3_line(s, "SASL PLAIN LOGIN");
	}
	if (s->state == POP3_STATE_AUTHORIZATION && !s->ns.conn->tls)
		pop3_line(s, "STLS");
	pop3_line(s, "IMPLEMENTATION Tresor");
	pop3_line(s, ".");
}

void pop3_cmd_stls(struct pop3_session *s)
{
	if (s->ns.conn->tls) {
		pop3_err(s, "TLS is already active");
		return;
	}
	pop3_ok(s, "Begin TLS negotiation");
	s->after = POP3_AFTER_STLS;
}
