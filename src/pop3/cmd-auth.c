/*
 * cmd-auth.c - USER and PASS (RFC 1939 7), AUTH with PLAIN and LOGIN and an
 * initial response (RFC 5034), and APOP, which is not offered.
 *
 * Credentials are refused before TLS except from loopback when [auth]
 * plaintext_loopback allows it (RFC 2595 2, RFC 8314). The password check is
 * auth/login.c's, on a worker; a failure is answered after a delay that grows
 * with the failures from the client's address. A verified login then takes
 * the maildrop lock (RFC 1939 8: [IN-USE] when another session holds it) and
 * loads the maildrop.
 *
 * Attacker control: user names, passwords and SASL data; passwords are never
 * logged. Limits: POP3_USER_MAX bytes of user name, SASL_MAX_INPUT per
 * response.
 */
#include "pop3/commands.h"

#include "auth/login.h"
#include "auth/sasl.h"
#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/conn.h"
#include "pop3/maildrop.h"
#include "pop3/server.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char plaintext_refused[] =
        "[AUTH] Plaintext authentication is not allowed without TLS: use STLS";

/* Logged in: the maildrop lock, then the maildrop. */
static void open_maildrop(struct pop3_session *s, char *address, uint64_t user_id)
{
	int ret;

	if (!pop3_maildrop_lock(s->server, user_id)) {
		pop3_err(s, "[IN-USE] Another POP3 session holds this maildrop");
		free(address);
		return;
	}
	ret = pop3_maildrop_load(s->ns.store, user_id, &s->drop);
	if (ret < 0) {
		pop3_maildrop_unlock(s->server, user_id);
		log_error("pop3 session=%s event=maildrop-failed error=\"%s\"", s->ns.conn->id,
		          store_last_error(s->ns.store));
		pop3_err(s, "[SYS/TEMP] Temporary failure, try again later");
		free(address);
		return;
	}
	s->locked = true;
	s->user_id = user_id;
	s->user = address;
	pop3_session_enter_state(s, POP3_STATE_TRANSACTION);
	log_info("pop3 session=%s event=login user=%s ip=%s messages=%zu", s->ns.conn->id, s->user,
	         s->ns.conn->peer_ip, s->drop->n);
	pop3_ok(s, "Logged in, %zu messages (%llu octets)", s->drop->n,
	        (unsigned long long)s->drop->size_total);
}

void pop3_login(struct pop3_session *s, const char *user, const char *password)
{
	const struct proto_deps *deps = &s->server->deps;
	struct auth_login ctx = {s->ns.store, deps->auth_cache, deps->throttle,
	                         s->ns.conn->peer_ip};
	char safe[LOG_SAFE_SIZE];
	char *address = NULL;
	uint64_t user_id = 0;
	unsigned delay = 0;

	switch (auth_login_check(&ctx, user, password, &user_id, &address, &delay)) {
	case AUTH_LOGIN_OK:
		open_maildrop(s, address, user_id);
		return;
	case AUTH_LOGIN_TEMP:
		pop3_err(s, "[SYS/TEMP] Temporary failure, try again later");
		return;
	case AUTH_LOGIN_FAILED:
		log_info("pop3 session=%s event=login-failed user=%s ip=%s", s->ns.conn->id,
		         log_safe(safe, user, strlen(user)), s->ns.conn->peer_ip);
		s->ns.reply_delay_ms = (unsigned)deps->config->auth_failure_delay_ms + delay;
		pop3_err(s, "[AUTH] Authentication failed");
		return;
	}
}

void pop3_cmd_user(struct pop3_session *s)
{
	if (!pop3_login_allowed(s)) {
		pop3_err(s, "%s", plaintext_refused);
		return;
	}
	free(s->user_arg);
	s->user_arg = xstrndup(s->cmd.args[0], s->cmd.arg_lens[0]);
	pop3_ok(s, "Send the password");
}

void pop3_cmd_pass(struct pop3_session *s)
{
	char *password;

	if (!pop3_login_allowed(s)) {
		pop3_err(s, "%s", plaintext_refused);
		return;
	}
	if (s->user_arg == NULL) {
		pop3_err(s, "Send USER first");
		return;
	}
	password = xstrndup(s->cmd.args[0], s->cmd.arg_lens[0]);
	pop3_login(s, s->user_arg, password);
	explicit_bzero(password, strlen(password));
	free(password);
	XFREE(s->user_arg);
}

void pop3_cmd_apop(struct pop3_session *s)
{
	/* APOP needs the password in clear on the server; the greeting offers no timestamp. */
	pop3_err(s, "APOP is not supported");
}

/* --- AUTH --- */

static void sasl_verify(struct pop3_session *s)
{
	pop3_login(s, sasl_username(s->sasl), sasl_password(s->sasl));
	sasl_free(&s->sasl);
}

const struct pop3_cmd_def pop3_sasl_verify = {"AUTH", POP3_VERB_AUTH, POP3_STATE_AUTHORIZATION, 0,
                                              sasl_verify};

static void sasl_advance(struct pop3_session *s, const char *data, size_t len)
{
	char *challenge = NULL;

	switch (sasl_step(s->sasl, data, len, &challenge)) {
	case SASL_CONTINUE:
		/* RFC 5034 4: "+ " and the base64 challenge. */
		pop3_line(s, "+ %s", challenge);
		free(challenge);
		return;
	case SASL_DONE:
		s->after = POP3_AFTER_SASL;
		return;
	case SASL_FAIL:
		pop3_err(s, sasl_cancelled(s->sasl) ? "Authentication cancelled"
		                                    : "Malformed authentication data");
		sasl_free(&s->sasl);
		return;
	}
}

void pop3_cmd_auth(struct pop3_session *s)
{
	char mech[32];
	const char *ir = s->cmd.n_args > 1 ? s->cmd.args[1] : NULL;

	if (!pop3_login_allowed(s)) {
		pop3_err(s, "%s", plaintext_refused);
		return;
	}
	snprintf(mech, sizeof(mech), "%.*s",
	         (int)(s->cmd.arg_lens[0] < sizeof(mech) ? s->cmd.arg_lens[0] : 0), s->cmd.args[0]);
	s->sasl = sasl_new(mech);
	if (s->sasl == NULL) {
		pop3_err(s, "Unsupported authentication mechanism");
		return;
	}
	sasl_advance(s, ir, ir != NULL ? s->cmd.arg_lens[1] : 0);
}

void pop3_auth_line(struct pop3_session *s, const char *line, size_t len)
{
	s->ns.busy = true;
	sasl_advance(s, line, len);
	pop3_session_run(s, &pop3_cmd_none);
}
