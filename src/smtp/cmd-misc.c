/*
 * cmd-misc.c - RSET, NOOP, QUIT, HELP, VRFY and EXPN (RFC 5321 4.1.1.5,
 * 4.1.1.9, 4.1.1.10, 4.1.1.8, 3.5.3).
 *
 * VRFY never says whether an account exists (RFC 5321 3.5.3 allows 252):
 * it would hand address lists to anyone who asks. EXPN is not offered.
 * Attacker control: the arguments, which are not used beyond a syntax check.
 */
#include "smtp/commands.h"

#include "smtp/txn.h"

void smtp_cmd_rset(struct smtp_session *s)
{
	/* RFC 5321 4.1.1.5: RSET clears the transaction; the greeting stays. */
	smtp_session_reset(s);
	smtp_reply(s, "250 2.0.0 Ok");
}

void smtp_cmd_noop(struct smtp_session *s)
{
	smtp_reply(s, "250 2.0.0 Ok");
}

void smtp_cmd_quit(struct smtp_session *s)
{
	smtp_reply(s, "221 2.0.0 %s Bye", smtp_hostname(s));
	s->after = SMTP_AFTER_QUIT;
}

void smtp_cmd_help(struct smtp_session *s)
{
	smtp_reply(s, "214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP");
	smtp_reply(s, "214 2.0.0 VRFY STARTTLS AUTH; see RFC 5321");
}

void smtp_cmd_vrfy(struct smtp_session *s)
{
	if (s->cmd.arg == NULL) {
		smtp_reply(s, "501 5.5.4 Syntax: VRFY address");
		return;
	}
	smtp_reply(s, "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery");
}

void smtp_cmd_expn(struct smtp_session *s)
{
	smtp_reply(s, "502 5.5.1 EXPN is not available");
}
