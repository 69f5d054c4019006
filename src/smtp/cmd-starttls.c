/*
 * cmd-starttls.c - STARTTLS (RFC 3207).
 *
 * The handshake starts once "220" is on its way; whatever the client
 * pipelined after the command is dropped first (CVE-2011-0411, see
 * session.c enter_starttls), and the session starts over (RFC 3207 4.2).
 * Attacker control: none beyond the command itself.
 */
#include "smtp/commands.h"

#include "net/conn.h"

void smtp_cmd_starttls(struct smtp_session *s)
{
	if (s->ns.conn->tls) {
		smtp_reply(s, "503 5.5.1 TLS is already active");
		return;
	}
	smtp_reply(s, "220 2.0.0 Ready to start TLS");
	s->after = SMTP_AFTER_STARTTLS;
}
