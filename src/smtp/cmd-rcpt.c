/*
 * cmd-rcpt.c - RCPT TO (RFC 5321 4.1.1.3) with the DSN parameters NOTIFY and
 * ORCPT (RFC 3461 4.1, 4.2), kept with the recipient for the outbound queue.
 *
 * Who a recipient is comes from delivery_resolve: an account, an alias, a
 * sub-address or a catch-all of a hosted domain is accepted; a hosted domain
 * without any gets 550 5.1.1; another domain is relayed only for an
 * authenticated session (554 5.7.1 otherwise: never an open relay).
 * RCPT TO:<Postmaster> without a domain reaches postmaster@hostname
 * (RFC 5321 4.5.1). A sealed account without a usable key gets 451 4.7.1
 * (zero-access sealing: its mail is never stored in plain).
 *
 * Limits: [smtp] max_recipients (452 4.5.3, RFC 5321 4.5.3.1.8).
 * Attacker control: the path and the parameters.
 */
#include "smtp/commands.h"

#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/str.h"
#include "delivery/delivery.h"
#include "smtp/server.h"
#include "smtp/txn.h"
#include "store/store.h"

#include <stdio.h>
#include <string.h>

/* RFC 3461 4.2: ORCPT's xtext is at most 500 characters. */
#define SMTP_ORCPT_MAX 500

/* RFC 3461 4.1: NEVER alone, or a list of SUCCESS, FAILURE and DELAY. */
static bool notify_ok(const char *p, size_t len)
{
	static const char *const words[] = {"SUCCESS", "FAILURE", "DELAY"};
	size_t start = 0, i, end;

	if (str_eqn_ci(p, len, "NEVER"))
		return true;
	while (start < len) {
		const char *comma = memchr(p + start, ',', len - start);

		end = comma != NULL ? (size_t)(comma - p) : len;
		for (i = 0; i < N_ELEMENTS(words); i++) {
			if (str_eqn_ci(p + start, end - start, words[i]))
				break;
		}
		if (i == N_ELEMENTS(words))
			return false;
		start = end + 1;
	}
	return len > 0 && p[len - 1] != ',';
}

/* RFC 3461 4.2: ORCPT=addr-type;xtext. */
static bool orcpt_ok(const char *p, size_t len)
{
	const char *semi = memchr(p, ';', len);
	char decoded[SMTP_ORCPT_MAX + 1];

	return semi != NULL && semi > p && len <= SMTP_ORCPT_MAX &&
	       smtp_xtext_decode(semi + 1, len - (size_t)(semi + 1 - p), decoded, sizeof(decoded));
}

/* Checks the parameters; writes the refusal and returns false when one is bad. */
static bool rcpt_params(struct smtp_session *s, const struct smtp_param **notify_r,
                        const struct smtp_param **orcpt_r)
{
	size_t i;

	*notify_r = *orcpt_r = NULL;
	for (i = 0; i < s->cmd.n_params; i++) {
		const struct smtp_param *p = &s->cmd.params[i];

		if (str_eqn_ci(p->key, p->key_len, "NOTIFY") && p->value != NULL &&
		    notify_ok(p->value, p->value_len)) {
			*notify_r = p;
		} else if (str_eqn_ci(p->key, p->key_len, "ORCPT") && p->value != NULL &&
		           orcpt_ok(p->value, p->value_len)) {
			*orcpt_r = p;
		} else {
			smtp_reply(s, "555 5.5.4 Unsupported or malformed parameter %.*s",
			           (int)p->key_len, p->key);
			return false;
		}
	}
	return true;
}

/* The recipient's canonical address; false (with the reply written) when bad. */
static bool rcpt_address(struct smtp_session *s, char *out, size_t size)
{
	if (s->cmd.postmaster) {
		snprintf(out, size, "postmaster@%s", smtp_hostname(s));
		str_lower(out);
		return true;
	}
	if (smtp_address_canonical(&s->cmd, out, size) == 0) {
		smtp_reply(s, "501 5.1.3 Bad recipient address syntax");
		return false;
	}
	if (s->cmd.utf8 && !s->txn->smtputf8) {
		smtp_reply(s, "553 5.6.7 Non-ASCII address requires SMTPUTF8");
		return false;
	}
	return true;
}

/* Writes the refusal for a recipient that resolved to nobody we deliver to. */
static bool rcpt_accepted(struct smtp_session *s, const char *address,
                          const struct delivery_resolved *where)
{
	if (where->kind == DELIVERY_UNKNOWN) {
		smtp_reply(s, "550 5.1.1 <%s>: Recipient address rejected: User unknown", address);
		return false;
	}
	if (where->kind == DELIVERY_REMOTE && s->user == NULL) {
		smtp_reply(s, "554 5.7.1 <%s>: Relay access denied", address);
		return false;
	}
	return true;
}

/*
 * A sealed account without a usable key gets 451 4.7.1 now, for this
 * recipient alone (the others of the transaction are not held back by it).
 */
static bool rcpt_sealable(struct smtp_session *s, const char *address,
                          const struct delivery_resolved *where)
{
	for (size_t i = 0; i < where->n_accounts; i++) {
		int ret = delivery_sealable(s->ns.store, &where->accounts[i]);

		if (ret == DELIVERY_ERR_NOKEY) {
			smtp_reply(s,
			           "451 4.7.1 <%s>: The recipient's mail cannot be sealed now, "
			           "try again later",
			           address);
			return false;
		}
		if (ret == DELIVERY_ERR_SEAL) {
			smtp_reply(s, "451 4.3.0 Temporary failure, try again later");
			return false;
		}
		if (ret < 0) {
			smtp_store_error(s, "rcpt");
			return false;
		}
	}
	return true;
}

static char *param_dup(const struct smtp_param *p)
{
	return p != NULL ? xstrndup(p->value, p->value_len) : NULL;
}

void smtp_cmd_rcpt(struct smtp_session *s)
{
	const struct config *cfg = s->server->deps.config;
	char address[SMTP_ADDRESS_MAX + 1];
	const struct smtp_param *notify, *orcpt;
	struct delivery_resolved where;
	char *n, *o;

	if (s->txn->n_rcpts >= cfg->smtp_max_recipients) {
		smtp_reply(s, "452 4.5.3 Too many recipients");
		return;
	}
	if (!rcpt_address(s, address, sizeof(address)) || !rcpt_params(s, &notify, &orcpt))
		return;
	if (smtp_txn_has_rcpt(s->txn, address)) {
		smtp_reply(s, "250 2.1.5 Ok");
		return;
	}
	if (delivery_resolve(s->ns.store, address, &where) < 0) {
		smtp_store_error(s, "rcpt");
		return;
	}
	if (!rcpt_accepted(s, address, &where) || !rcpt_sealable(s, address, &where)) {
		delivery_resolved_deinit(&where);
		return;
	}
	n = param_dup(notify);
	o = param_dup(orcpt);
	smtp_txn_add_rcpt(s->txn, address, n, o, &where);
	free(n);
	free(o);
	smtp_session_enter_state(s, SMTP_STATE_RCPT);
	smtp_reply(s, "250 2.1.5 Ok");
}
