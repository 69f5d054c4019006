/*
 * cmd-helo.c - HELO and EHLO (RFC 5321 4.1.1.1) and the list of extensions
 * EHLO announces: PIPELINING (RFC 2920), SIZE (RFC 1870), 8BITMIME
 * (RFC 6152), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES (RFC 2034), CHUNKING
 * and BINARYMIME (RFC 3030), DSN (RFC 3461), STARTTLS (RFC 3207) before TLS,
 * AUTH (RFC 4954) where credentials may be sent.
 *
 * A new EHLO or HELO resets the transaction (RFC 5321 4.1.4).
 * Limits: the client's name is at most SMTP_DOMAIN_MAX bytes of printable
 * ASCII (it goes into the Received header). Attacker control: that name.
 */
#include "smtp/commands.h"

#include "base/config.h"
#include "base/mem.h"
#include "net/conn.h"
#include "smtp/server.h"
#include "smtp/txn.h"

#include <stdlib.h>

/* Printable ASCII without spaces: a domain, an address literal, or a name some client makes up. */
static bool helo_name_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > SMTP_DOMAIN_MAX)
		return false;
	for (i = 0; i < len; i++) {
		if (p[i] <= ' ' || p[i] >= 0x7f)
			return false;
	}
	return true;
}

/* Common part: checks the name, forgets the transaction, remembers the client. */
static bool greet(struct smtp_session *s, const char *verb, bool esmtp)
{
	if (s->cmd.arg == NULL || !helo_name_ok(s->cmd.arg, s->cmd.arg_len)) {
		smtp_reply(s, "501 5.5.4 Syntax: %s hostname", verb);
		return false;
	}
	smtp_txn_rollback(&s->txn);
	free(s->helo);
	s->helo = xstrndup(s->cmd.arg, s->cmd.arg_len);
	s->esmtp = esmtp;
	if (s->ns.conn->tls && s->tls_info[0] == '\0')
		conn_tls_info(s->ns.conn, s->tls_info, sizeof(s->tls_info));
	smtp_session_enter_state(s, SMTP_STATE_READY);
	return true;
}

void smtp_cmd_helo(struct smtp_session *s)
{
	if (greet(s, "HELO", false))
		smtp_reply(s, "250 %s", smtp_hostname(s));
}

void smtp_cmd_ehlo(struct smtp_session *s)
{
	const struct config *cfg = s->server->deps.config;

	if (!greet(s, "EHLO", true))
		return;
	smtp_reply(s, "250-%s", smtp_hostname(s));
	smtp_reply(s, "250-PIPELINING");
	smtp_reply(s, "250-SIZE %llu", (unsigned long long)cfg->smtp_max_message_size);
	smtp_reply(s, "250-8BITMIME");
	smtp_reply(s, "250-SMTPUTF8");
	smtp_reply(s, "250-CHUNKING");
	smtp_reply(s, "250-BINARYMIME");
	smtp_reply(s, "250-DSN");
	if (!s->ns.conn->tls)
		smtp_reply(s, "250-STARTTLS");
	if (smtp_auth_allowed(s) && s->user == NULL)
		smtp_reply(s, "250-AUTH PLAIN LOGIN");
	smtp_reply(s, "250 ENHANCEDSTATUSCODES");
}
