/*
 * cmd-auth.c - AUTH with PLAIN and LOGIN (RFC 4954), initial response
 * included (RFC 4954 4), on the submission and MX listeners.
 *
 * Credentials are refused before TLS except from loopback when
 * [auth] plaintext_loopback allows it (RFC 8314, RFC 4954 4: 538). A
 * password is checked on a worker (auth/login.c); a failure is answered after
 * [auth] failure_delay_ms plus the throttle's delay for the client's address.
 *
 * Limits: SMTP_AUTH_LINE_MAX per line (session.c), SASL_MAX_INPUT per
 * response (auth/sasl.c). Attacker control: mechanism, SASL data. Passwords
 * are never logged and are wiped by the SASL layer.
 */
#include "smtp/commands.h"

#include "auth/login.h"
#include "auth/sasl.h"
#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/conn.h"
#include "smtp/server.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* Worker thread: checks the credentials gathered by the exchange. */
static void sasl_verify(struct smtp_session *s)
{
	const struct proto_deps *deps = &s->server->deps;
	struct auth_login ctx = {s->ns.store, deps->auth_cache, deps->throttle,
	                         s->ns.conn->peer_ip};
	const char *user = sasl_username(s->sasl);
	char safe[LOG_SAFE_SIZE];
	char *address = NULL;
	unsigned delay = 0;

	switch (auth_login_check(&ctx, user, sasl_password(s->sasl), &s->user_id, &address,
	                         &delay)) {
	case AUTH_LOGIN_OK:
		s->user = address;
		log_info("smtp session=%s event=login user=%s ip=%s mech=%s", s->ns.conn->id,
		         s->user, s->ns.conn->peer_ip, sasl_mech(s->sasl));
		smtp_reply(s, "235 2.7.0 Authentication successful");
		break;
	case AUTH_LOGIN_TEMP:
		smtp_reply(s, "454 4.7.0 Temporary authentication failure");
		break;
	case AUTH_LOGIN_FAILED:
		log_info("smtp session=%s event=login-failed user=%s ip=%s", s->ns.conn->id,
		         log_safe(safe, user, strlen(user)), s->ns.conn->peer_ip);
		s->ns.reply_delay_ms = (unsigned)deps->config->auth_failure_delay_ms + delay;
		smtp_reply(s, "535 5.7.8 Authentication credentials invalid");
		break;
	}
	sasl_free(&s->sasl);
}

const struct smtp_cmd_def smtp_sasl_verify = {"AUTH", SMTP_VERB_AUTH, SMTP_STATE_READY, 0,
                                              sasl_verify};

/* One SASL step: a challenge, the credentials complete, or a refusal. */
static void sasl_advance(struct smtp_session *s, const char *data, size_t len)
{
	char *challenge = NULL;

	switch (sasl_step(s->sasl, data, len, &challenge)) {
	case SASL_CONTINUE:
		/* RFC 4954 4: "334" carries the base64 challenge. */
		smtp_reply(s, "334 %s", challenge);
		free(challenge);
		return;
	case SASL_DONE:
		s->after = SMTP_AFTER_SASL;
		return;
	case SASL_FAIL:
		smtp_reply(s, sasl_cancelled(s->sasl) ? "501 5.0.0 Authentication cancelled"
		                                      : "501 5.5.2 Malformed authentication data");
		sasl_free(&s->sasl);
		return;
	}
}

void smtp_cmd_auth(struct smtp_session *s)
{
	const char *arg = s->cmd.arg, *sp, *ir = NULL;
	char mech[32];
	size_t mech_len;

	if (s->user != NULL) {
		smtp_reply(s, "503 5.5.1 Already authenticated");
		return;
	}
	if (!smtp_auth_allowed(s)) {
		smtp_reply(s,
		           "538 5.7.11 Encryption required for requested authentication mechanism");
		return;
	}
	if (arg == NULL) {
		smtp_reply(s, "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
		return;
	}
	sp = memchr(arg, ' ', s->cmd.arg_len);
	mech_len = sp != NULL ? (size_t)(sp - arg) : s->cmd.arg_len;
	if (sp != NULL)
		ir = sp + 1;
	snprintf(mech, sizeof(mech), "%.*s", (int)(mech_len < sizeof(mech) ? mech_len : 0), arg);
	s->sasl = sasl_new(mech);
	if (s->sasl == NULL) {
		smtp_reply(s, "504 5.5.4 Unrecognized authentication type");
		return;
	}
	/* Without a final reply the exchange goes on in smtp_auth_line(). */
	sasl_advance(s, ir, ir != NULL ? (size_t)(arg + s->cmd.arg_len - ir) : 0);
}

void smtp_auth_line(struct smtp_session *s, const char *line, size_t len)
{
	s->ns.busy = true;
	sasl_advance(s, line, len);
	smtp_session_run(s, &smtp_cmd_none);
}
