/*
 * cmd-idle.c - IDLE (RFC 2177, RFC 9051 6.3.13).
 *
 * The command answers "+ idling" and the session then pushes every change
 * to the selected mailbox as it is committed (session.c,
 * imap_session_changed), until the client sends DONE.
 *
 * Attacker control: the line that ends IDLE; anything but DONE ends it with
 * a BAD.
 */
#include "imap/commands.h"

#include "base/str.h"
#include "imap/session.h"
#include "net/conn.h"

void imap_cmd_idle(struct imap_session *s)
{
	if (s->n_args != 0) {
		imap_bad(s, "IDLE takes no arguments");
		return;
	}
	conn_printf(s->ns.conn, "+ idling\r\n");
	s->after = IMAP_AFTER_IDLE;
}

void imap_idle_line(struct imap_session *s, const char *line, size_t len)
{
	s->idling = false;
	if (str_eqn_ci(line, len, "DONE"))
		imap_tagged(s, "OK IDLE terminated");
	else
		imap_bad(s, "Expected DONE to end IDLE");
	imap_session_run(s, &imap_cmd_none);
}
