/*
 * cmd-any.c - commands valid in every state: CAPABILITY, NOOP, LOGOUT, ID,
 * and the authenticated-state helpers ENABLE, NAMESPACE, CHECK.
 *
 * RFC 9051 6.1.1-6.1.3, 6.3.1 (ENABLE), 6.3.10 (NAMESPACE), RFC 2971 (ID),
 * RFC 5161 (ENABLE), RFC 3501 6.4.1 (CHECK), RFC 7162 3.2.3 / 3.2.5.
 *
 * Attacker control: the ID parameter list (read and ignored, bounded by the
 * parser) and ENABLE's capability names.
 */
#include "base/config.h"
#include "base/str.h"
#include "imap/server.h"
#include "imap/commands.h"
#include "imap/session.h"
#include "net/conn.h"

#include <string.h>

bool imap_login_allowed(const struct imap_session *s)
{
	return s->ns.conn->tls ||
	       (s->ns.conn->loopback && s->server->deps.config->auth_plaintext_loopback != 0);
}

void imap_write_capabilities(struct imap_session *s)
{
	bool login_ok = imap_login_allowed(s);

	imap_printf(s, "IMAP4rev1 IMAP4rev2");
	if (!s->ns.conn->tls && s->state == IMAP_STATE_NOT_AUTH)
		imap_printf(s, " STARTTLS");
	if (s->state == IMAP_STATE_NOT_AUTH)
		imap_printf(s, login_ok ? " AUTH=PLAIN AUTH=LOGIN" : " LOGINDISABLED");
	imap_printf(s,
	            " SASL-IR %s ID ENABLE IDLE NAMESPACE UNSELECT CHILDREN SPECIAL-USE"
	            " CREATE-SPECIAL-USE LIST-EXTENDED LIST-STATUS ESEARCH SEARCHRES"
	            " CONDSTORE QRESYNC STATUS=SIZE UIDPLUS MOVE BINARY APPENDLIMIT=%llu",
	            s->server->deps.config->imap_literal_plus ? "LITERAL+" : "LITERAL-",
	            (unsigned long long)s->server->deps.config->imap_append_limit);
}

void imap_cmd_capability(struct imap_session *s)
{
	imap_printf(s, "* CAPABILITY ");
	imap_write_capabilities(s);
	imap_printf(s, "\r\n");
	imap_tagged(s, "OK CAPABILITY completed");
}

void imap_cmd_noop(struct imap_session *s)
{
	/* The session syncs after every command; NOOP only asks for that. */
	imap_tagged(s, "OK NOOP completed");
}

void imap_cmd_check(struct imap_session *s)
{
	/* Every write is durable when acknowledged: nothing to checkpoint. */
	imap_tagged(s, "OK CHECK completed");
}

void imap_cmd_logout(struct imap_session *s)
{
	imap_untagged(s, "BYE Logging out");
	imap_tagged(s, "OK LOGOUT completed");
	imap_session_enter_state(s, IMAP_STATE_LOGOUT);
	s->after = IMAP_AFTER_LOGOUT;
}

void imap_cmd_id(struct imap_session *s)
{
	/* RFC 2971 3.1: the argument is a list of field/value pairs or NIL. */
	if (s->n_args != 1 ||
	    (s->args[0].type != IMAP_ARG_LIST && s->args[0].type != IMAP_ARG_NIL)) {
		imap_bad(s, "ID expects a parameter list or NIL");
		return;
	}
	imap_untagged(s, "ID (\"name\" \"Tresor\" \"vendor\" \"Tresor\" \"support-url\" NIL)");
	imap_tagged(s, "OK ID completed");
}

void imap_cmd_namespace(struct imap_session *s)
{
	/* RFC 2342: one personal namespace, no prefix, '/' separator; no others. */
	imap_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	imap_tagged(s, "OK NAMESPACE completed");
}

/* Marks one capability enabled; returns its canonical name, or NULL if unknown. */
static const char *enable_one(struct imap_session *s, const char *name)
{
	if (str_eq_ci(name, "CONDSTORE")) {
		s->condstore = true;
		return "CONDSTORE";
	}
	if (str_eq_ci(name, "QRESYNC")) {
		/* RFC 7162 3.2.3: QRESYNC implies CONDSTORE. */
		s->qresync = s->condstore = true;
		return "QRESYNC";
	}
	if (str_eq_ci(name, "IMAP4rev2")) {
		/* RFC 9051 5.1 and appendix E: mailbox names and strings are UTF-8 from now on. */
		s->rev2 = s->utf8 = true;
		return "IMAP4rev2";
	}
	return NULL;
}

void imap_cmd_enable(struct imap_session *s)
{
	size_t i;
	bool first = true;

	if (s->n_args == 0) {
		imap_bad(s, "ENABLE needs capability names");
		return;
	}
	imap_printf(s, "* ENABLED");
	for (i = 0; i < s->n_args; i++) {
		const char *name = imap_arg_atom(s, i), *canon;
		bool was = false;

		if (name == NULL)
			continue;
		if (str_eq_ci(name, "CONDSTORE"))
			was = s->condstore;
		else if (str_eq_ci(name, "QRESYNC"))
			was = s->qresync;
		else if (str_eq_ci(name, "IMAP4rev2"))
			was = s->rev2;
		canon = enable_one(s, name);
		/* RFC 5161 3.1: only capabilities newly enabled are listed. */
		if (canon != NULL && !was) {
			imap_printf(s, " %s", canon);
			first = false;
		}
	}
	(void)first;
	imap_printf(s, "\r\n");
	imap_tagged(s, "OK ENABLE completed");
}

static void run_none(struct imap_session *s)
{
}

const struct imap_cmd_def imap_cmd_none = {"", IMAP_STATE_ANY, IMAP_CMD_LOOP, run_none};
