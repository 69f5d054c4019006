/*
 * resolve.c - who a recipient address is, and which addresses an account may
 * send as.
 *
 * Order of lookup for local@domain in a hosted domain: the account; an alias
 * of that address; with "+tag" in the local part (RFC 5233 sub-addressing,
 * the separator Postfix and Dovecot default to), the account and alias
 * without the tag; the catch-all alias "@domain". Alias targets are accounts
 * only, so there are no loops to detect.
 *
 * Limits: DELIVERY_ACCOUNTS_MAX accounts per address. Attacker control: the
 * address (already syntax-checked and lowercased by the protocol).
 */
#include "delivery/delivery.h"

#include "base/mem.h"
#include "base/str.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static int add_account(struct store *s, const char *address, struct delivery_resolved *r)
{
	struct store_user u = {0};
	struct store_mailbox box = {0};
	int ret;

	ret = store_user_lookup(s, address, &u);
	if (ret < 0)
		return ret;
	ret = store_mailbox_get(s, u.id, "INBOX", &box);
	if (ret == STORE_OK && r->n_accounts < DELIVERY_ACCOUNTS_MAX) {
		r->accounts = xreallocarray(r->accounts, r->n_accounts + 1, sizeof(*r->accounts));
		r->accounts[r->n_accounts].user_id = u.id;
		r->accounts[r->n_accounts].inbox_id = box.id;
		r->accounts[r->n_accounts].protect_subject = u.protect_subject;
		r->accounts[r->n_accounts].address = u.address;
		u.address = NULL; /* now owned by r */
		r->n_accounts++;
	}
	store_mailbox_deinit(&box);
	store_user_deinit(&u);
	return ret;
}

/* The address as an account or an alias; *found_r tells whether it was one. */
static int lookup(struct store *s, const char *address, struct delivery_resolved *r, bool *found_r)
{
	char **targets = NULL;
	size_t n = 0, i;
	int ret;

	*found_r = false;
	ret = add_account(s, address, r);
	if (ret != STORE_ERR_NOTFOUND) {
		*found_r = ret == STORE_OK;
		return ret;
	}
	ret = store_alias_targets(s, address, &targets, &n);
	if (ret == STORE_ERR_NOTFOUND)
		return STORE_OK;
	for (i = 0; i < n && ret == STORE_OK; i++) {
		ret = add_account(s, targets[i], r);
		if (ret == STORE_ERR_NOTFOUND)
			ret = STORE_OK; /* deleted meanwhile */
	}
	str_list_free(&targets, n);
	*found_r = ret == STORE_OK && r->n_accounts > 0;
	return ret;
}

/* "local+tag@domain" without the tag, or NULL when there is none. */
static char *strip_tag(const char *address)
{
	const char *at = strrchr(address, '@'), *plus = strchr(address, '+');

	if (at == NULL || plus == NULL || plus > at || plus == address)
		return NULL;
	return xasprintf("%.*s%s", (int)(plus - address), address, at);
}

static int resolve_hosted(struct store *s, const char *address, struct delivery_resolved *r)
{
	char *base = strip_tag(address);
	const char *at = strrchr(address, '@');
	bool found = false;
	int ret;

	ret = lookup(s, address, r, &found);
	if (ret == STORE_OK && !found && base != NULL)
		ret = lookup(s, base, r, &found);
	if (ret == STORE_OK && !found)
		ret = lookup(s, at, r, &found); /* catch-all "@domain" */
	free(base);
	r->kind = found ? DELIVERY_LOCAL : DELIVERY_UNKNOWN;
	return ret;
}

int delivery_resolve(struct store *s, const char *address, struct delivery_resolved *r)
{
	const char *at = strrchr(address, '@');
	int ret;

	memset(r, 0, sizeof(*r));
	if (at == NULL || at[1] == '\0') {
		r->kind = DELIVERY_UNKNOWN;
		return STORE_OK;
	}
	ret = store_domain_exists(s, at + 1);
	if (ret < 0)
		return ret;
	if (ret == 0) {
		r->kind = DELIVERY_REMOTE;
		return STORE_OK;
	}
	ret = resolve_hosted(s, address, r);
	if (ret < 0)
		delivery_resolved_deinit(r);
	return ret;
}

void delivery_resolved_deinit(struct delivery_resolved *r)
{
	for (size_t i = 0; i < r->n_accounts; i++)
		free(r->accounts[i].address);
	XFREE(r->accounts);
	r->n_accounts = 0;
}

static int alias_reaches(struct store *s, const char *alias, const char *account)
{
	char **targets = NULL;
	size_t n = 0, i;
	int ret = store_alias_targets(s, alias, &targets, &n);

	if (ret == STORE_ERR_NOTFOUND)
		return 0;
	if (ret < 0)
		return ret;
	for (i = 0; i < n && ret == 0; i++)
		ret = strcmp(targets[i], account) == 0;
	str_list_free(&targets, n);
	return ret;
}

int delivery_sender_owned(struct store *s, const char *account, const char *address)
{
	char *base;
	int ret;

	if (address[0] == '@' || strchr(address, '@') == NULL)
		return 0;
	if (strcmp(account, address) == 0)
		return 1;
	base = strip_tag(address);
	ret = base != NULL && strcmp(account, base) == 0;
	if (ret == 0)
		ret = alias_reaches(s, address, account);
	if (ret == 0 && base != NULL)
		ret = alias_reaches(s, base, account);
	free(base);
	return ret;
}
