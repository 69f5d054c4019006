/*
 * cmd-login.c - LOGIN and AUTHENTICATE (PLAIN, LOGIN; SASL-IR).
 *
 * RFC 9051 6.2.2 (AUTHENTICATE), 6.2.3 (LOGIN), RFC 4959 (SASL-IR),
 * RFC 8314 / RFC 2595 3.2: credentials are refused before TLS except from
 * loopback, where local tools may log in plainly.
 *
 * A password is checked on a worker thread (Argon2id, unless the
 * verification cache knows it). A failure is answered after a delay that
 * grows with the failures from the client's address (auth/throttle.c).
 *
 * Attacker control: user names, passwords and SASL data. Passwords are never
 * logged and are wiped by the SASL layer after use.
 */
#include "imap/commands.h"

#include "auth/login.h"
#include "auth/sasl.h"
#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "imap/server.h"
#include "imap/session.h"
#include "net/conn.h"
#include "store/store.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Worker thread: checks the credentials and answers. */
static void check_credentials(struct imap_session *s, const char *user, const char *password)
{
	const struct proto_deps *deps = &s->server->deps;
	struct auth_login ctx = {s->ns.store, deps->auth_cache, deps->throttle,
	                         s->ns.conn->peer_ip};
	char *address = NULL;
	unsigned delay = 0;
	char safe[LOG_SAFE_SIZE];

	switch (auth_login_check(&ctx, user, password, &s->user_id, &address, &delay)) {
	case AUTH_LOGIN_OK:
		free(s->user);
		s->user = address;
		imap_session_enter_state(s, IMAP_STATE_AUTH);
		log_info("imap session=%s event=login user=%s ip=%s", s->ns.conn->id, s->user,
		         s->ns.conn->peer_ip);
		imap_printf(s, "%s OK [CAPABILITY ", s->tag);
		imap_write_capabilities(s);
		imap_printf(s, "] Logged in\r\n");
		return;
	case AUTH_LOGIN_TEMP:
		imap_tagged(s, "NO [UNAVAILABLE] Temporary failure, try again later");
		return;
	case AUTH_LOGIN_FAILED:
		log_info("imap session=%s event=login-failed user=%s ip=%s", s->ns.conn->id,
		         log_safe(safe, user, strlen(user)), s->ns.conn->peer_ip);
		s->ns.reply_delay_ms = (unsigned)deps->config->auth_failure_delay_ms + delay;
		imap_tagged(s, "NO [AUTHENTICATIONFAILED] Authentication failed");
		return;
	}
}

void imap_cmd_login(struct imap_session *s)
{
	const char *user = imap_arg_str(s, 0), *password = imap_arg_str(s, 1);

	if (user == NULL || password == NULL || s->n_args != 2) {
		imap_bad(s, "LOGIN expects user name and password");
		return;
	}
	if (!imap_login_allowed(s)) {
		imap_tagged(s, "NO [PRIVACYREQUIRED] Use STARTTLS or port 993 first");
		return;
	}
	check_credentials(s, user, password);
}

static void sasl_verify(struct imap_session *s)
{
	check_credentials(s, sasl_username(s->sasl), sasl_password(s->sasl));
	sasl_free(&s->sasl);
}

const struct imap_cmd_def imap_sasl_verify = {"AUTHENTICATE", IMAP_STATE_NOT_AUTH, 0, sasl_verify};

/*
 * One SASL step. Returns true when the credentials are complete and must be
 * verified (s->after asks for that); otherwise a challenge or a refusal has
 * been written.
 */
static void sasl_advance(struct imap_session *s, const char *data, size_t len)
{
	char *challenge = NULL;

	switch (sasl_step(s->sasl, data, len, &challenge)) {
	case SASL_CONTINUE:
		/* RFC 9051 7.6: a continuation request carries the base64 challenge. */
		conn_printf(s->ns.conn, "+ %s\r\n", challenge);
		free(challenge);
		return;
	case SASL_DONE:
		s->after = IMAP_AFTER_SASL;
		return;
	case SASL_FAIL:
		imap_bad(s, sasl_cancelled(s->sasl) ? "AUTHENTICATE cancelled"
		                                    : "Malformed SASL response");
		sasl_free(&s->sasl);
		return;
	}
}

void imap_cmd_authenticate(struct imap_session *s)
{
	const char *mech = imap_arg_atom(s, 0);
	const char *ir = s->n_args == 2 ? imap_arg_str(s, 1) : NULL;

	if (mech == NULL || s->n_args > 2 || (s->n_args == 2 && ir == NULL)) {
		imap_bad(s, "AUTHENTICATE expects a mechanism name");
		return;
	}
	if (!imap_login_allowed(s)) {
		imap_tagged(s, "NO [PRIVACYREQUIRED] Use STARTTLS or port 993 first");
		return;
	}
	s->sasl = sasl_new(mech);
	if (s->sasl == NULL) {
		imap_tagged(s, "NO [CANNOT] Unsupported authentication mechanism");
		return;
	}
	/* Without a tagged reply the exchange goes on in imap_authenticate_line(). */
	sasl_advance(s, ir, ir ? strlen(ir) : 0);
}

void imap_authenticate_line(struct imap_session *s, const char *line, size_t len)
{
	s->ns.busy = true;
	sasl_advance(s, line, len);
	imap_session_run(s, &imap_cmd_none);
}
