/*
 * cmd-dele.c - DELE and RSET (RFC 1939 5): marks in the session's maildrop.
 * Nothing is removed before QUIT (cmd-misc.c); a connection that ends
 * without QUIT leaves every message where it was.
 *
 * Attacker control: the message number (checked against the maildrop).
 */
#include "pop3/commands.h"

#include "pop3/maildrop.h"

void pop3_cmd_dele(struct pop3_session *s)
{
	struct pop3_message *m = pop3_maildrop_get(s->drop, s->cmd.msg);

	if (m == NULL) {
		pop3_err(s,
		         s->cmd.msg <= s->drop->n ? "Message %u is already deleted"
		                                  : "No message %u",
		         s->cmd.msg);
		return;
	}
	m->deleted = true;
	s->drop->n_deleted++;
	s->drop->size_deleted += m->size;
	pop3_ok(s, "Message %u deleted", s->cmd.msg);
}

void pop3_cmd_rset(struct pop3_session *s)
{
	pop3_maildrop_undelete(s->drop);
	pop3_ok(s, "%zu messages (%llu octets)", s->drop->n,
	        (unsigned long long)s->drop->size_total);
}
