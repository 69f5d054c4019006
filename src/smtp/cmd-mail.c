/*
 * cmd-mail.c - MAIL FROM (RFC 5321 4.1.1.2) with the parameters of the
 * extensions Tresor announces: SIZE (RFC 1870 6), BODY (RFC 6152, RFC 3030
 * 3), SMTPUTF8 (RFC 6531 3.4), RET and ENVID (RFC 3461 4.3, 4.4), AUTH
 * (RFC 4954 5, accepted and not used).
 *
 * Submission (RFC 6409 4.3, 6.1): authentication first (530), and the
 * reverse-path must be an address of the account or of an alias it owns
 * (553 5.7.1). The null reverse-path is refused there.
 *
 * Limits: SMTP_PATH_MAX per path, RFC 3461 4.4 100 bytes of ENVID.
 * Attacker control: the path and every parameter.
 */
#include "smtp/commands.h"

#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "delivery/delivery.h"
#include "smtp/server.h"
#include "smtp/txn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* RFC 3461 4.4: ENVID is at most 100 characters. */
#define SMTP_ENVID_MAX 100

struct mail_params {
	uint64_t size;
	enum smtp_body body;
	bool smtputf8;
	const struct smtp_param *ret, *envid;
};

static bool param_is(const struct smtp_param *p, const char *key)
{
	return str_eqn_ci(p->key, p->key_len, key);
}

static bool value_is(const struct smtp_param *p, const char *value)
{
	return p->value != NULL && str_eqn_ci(p->value, p->value_len, value);
}

/* Checks one parameter; writes the refusal and returns false when it is bad. */
static bool mail_param(struct smtp_session *s, const struct smtp_param *p, struct mail_params *mp)
{
	char xtext[SMTP_PATH_MAX + 1];

	if (param_is(p, "SIZE") && p->value != NULL &&
	    str_to_u64(p->value, p->value_len, UINT64_MAX, &mp->size))
		return true;
	if (param_is(p, "BODY") &&
	    (value_is(p, "7BIT") || value_is(p, "8BITMIME") || value_is(p, "BINARYMIME"))) {
		mp->body = value_is(p, "7BIT")       ? SMTP_BODY_7BIT
		           : value_is(p, "8BITMIME") ? SMTP_BODY_8BITMIME
		                                     : SMTP_BODY_BINARYMIME;
		return true;
	}
	if (param_is(p, "SMTPUTF8") && p->value == NULL) {
		mp->smtputf8 = true;
		return true;
	}
	if (param_is(p, "RET") && (value_is(p, "FULL") || value_is(p, "HDRS"))) {
		mp->ret = p;
		return true;
	}
	if (param_is(p, "ENVID") && p->value != NULL && p->value_len <= SMTP_ENVID_MAX &&
	    smtp_xtext_decode(p->value, p->value_len, xtext, sizeof(xtext))) {
		mp->envid = p;
		return true;
	}
	if (param_is(p, "AUTH") && p->value != NULL)
		return true;
	smtp_reply(s, "555 5.5.4 Unsupported or malformed parameter %.*s", (int)p->key_len, p->key);
	return false;
}

static bool mail_params(struct smtp_session *s, struct mail_params *mp)
{
	size_t i;

	memset(mp, 0, sizeof(*mp));
	for (i = 0; i < s->cmd.n_params; i++) {
		if (!mail_param(s, &s->cmd.params[i], mp))
			return false;
	}
	if (mp->size > s->server->deps.config->smtp_max_message_size) {
		/* RFC 1870 6.1: the declared size is over the limit. */
		smtp_reply(s, "552 5.3.4 Message size exceeds fixed maximum message size");
		return false;
	}
	if (s->cmd.utf8 && !mp->smtputf8) {
		smtp_reply(s, "553 5.6.7 Non-ASCII address requires SMTPUTF8");
		return false;
	}
	return true;
}

/* Submission: may the account send as sender? Writes the refusal when not. */
static bool sender_allowed(struct smtp_session *s, const char *sender)
{
	int ret;

	if (s->mode != SMTP_MODE_SUBMISSION)
		return true;
	if (s->user == NULL) {
		smtp_reply(s, "530 5.7.0 Authentication required");
		return false;
	}
	ret = sender[0] != '\0' ? delivery_sender_owned(s->ns.store, s->user, sender) : 0;
	if (ret < 0) {
		smtp_store_error(s, "sender");
		return false;
	}
	if (ret == 0) {
		smtp_reply(s, "553 5.7.1 <%s>: Sender address not owned by user %s", sender,
		           s->user);
		return false;
	}
	return true;
}

void smtp_cmd_mail(struct smtp_session *s)
{
	const struct config *cfg = s->server->deps.config;
	char sender[SMTP_ADDRESS_MAX + 1] = "";
	struct mail_params mp;
	struct smtp_txn *t;

	if (s->cmd.mailbox_len > 0 &&
	    smtp_address_canonical(&s->cmd, sender, sizeof(sender)) == 0) {
		smtp_reply(s, "501 5.1.7 Bad sender address syntax");
		return;
	}
	if (!mail_params(s, &mp) || !sender_allowed(s, sender))
		return;
	t = smtp_txn_new(sender, cfg->smtp_max_message_size);
	t->body = mp.body;
	t->smtputf8 = mp.smtputf8;
	if (mp.ret != NULL)
		t->ret = xstrndup(mp.ret->value, mp.ret->value_len);
	if (mp.envid != NULL)
		t->envid = xstrndup(mp.envid->value, mp.envid->value_len);
	s->txn = t;
	smtp_session_enter_state(s, SMTP_STATE_MAIL);
	smtp_reply(s, "250 2.1.0 Ok");
}
