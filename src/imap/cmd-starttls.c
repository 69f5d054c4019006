/*
 * cmd-starttls.c - STARTTLS (RFC 9051 6.2.1, RFC 2595, RFC 8314).
 *
 * After the tagged OK the loop starts the TLS handshake; anything the client
 * pipelined after STARTTLS is discarded (CVE-2011-0411) in session.c.
 */
#include "imap/commands.h"
#include "imap/session.h"
#include "net/conn.h"

void imap_cmd_starttls(struct imap_session *s)
{
	if (s->ns.conn->tls) {
		imap_bad(s, "TLS is already active");
		return;
	}
	if (s->n_args != 0) {
		imap_bad(s, "STARTTLS takes no arguments");
		return;
	}
	imap_tagged(s, "OK Begin TLS negotiation now");
	s->after = IMAP_AFTER_STARTTLS;
}
