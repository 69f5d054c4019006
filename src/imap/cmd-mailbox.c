/*
 * cmd-mailbox.c - CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE.
 *
 * RFC 9051 6.3.4-6.3.8, RFC 3501 6.3.3-6.3.7, RFC 6154 3 (CREATE with
 * USE, CREATE-SPECIAL-USE).
 *
 * Attacker control: mailbox names (decoded and length-checked by
 * imap_mailbox_arg) and the USE list.
 */
#include "imap/commands.h"

#include "base/mem.h"
#include "base/str.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <string.h>

static const struct {
	const char *name;
	unsigned bit;
} special_uses[] = {
        {"\\All", STORE_USE_ALL},       {"\\Archive", STORE_USE_ARCHIVE},
        {"\\Drafts", STORE_USE_DRAFTS}, {"\\Flagged", STORE_USE_FLAGGED},
        {"\\Junk", STORE_USE_JUNK},     {"\\Sent", STORE_USE_SENT},
        {"\\Trash", STORE_USE_TRASH},
};

void imap_write_special_use(struct imap_session *s, unsigned bits, bool *first)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(special_uses); i++) {
		if (bits & special_uses[i].bit) {
			imap_printf(s, "%s%s", *first ? "" : " ", special_uses[i].name);
			*first = false;
		}
	}
}

/* A name the store may hold: no empty levels, no wildcards, no control characters. */
static bool name_ok(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || name[0] == STORE_SEP || strstr(name, "//") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f || c == '*' || c == '%')
			return false;
	}
	return true;
}

/* RFC 6154 3: CREATE name (USE (\Sent ...)). Returns false after a reply. */
static bool parse_use(struct imap_session *s, unsigned *bits_r)
{
	const struct imap_arg *opts, *list;
	size_t i, j;

	*bits_r = 0;
	if (s->n_args == 1)
		return true;
	opts = &s->args[1];
	if (s->n_args != 2 || opts->type != IMAP_ARG_LIST || opts->list_count != 2 ||
	    !imap_arg_atom_eq(&opts->list[0], "USE") || opts->list[1].type != IMAP_ARG_LIST) {
		imap_bad(s, "Invalid CREATE parameters");
		return false;
	}
	list = opts->list[1].list;
	for (i = 0; i < opts->list[1].list_count; i++) {
		for (j = 0; j < N_ELEMENTS(special_uses); j++) {
			if (imap_arg_atom_eq(&list[i], special_uses[j].name))
				break;
		}
		if (j == N_ELEMENTS(special_uses)) {
			imap_tagged(s, "NO [USEATTR] Unsupported special-use attribute");
			return false;
		}
		*bits_r |= special_uses[j].bit;
	}
	return true;
}

/* Creates the superior names of name that are missing ("a/b/c": "a", "a/b"). */
static int create_parents(struct imap_session *s, char *name)
{
	char *p = name;
	int ret;

	while ((p = strchr(p, STORE_SEP)) != NULL) {
		*p = '\0';
		ret = store_mailbox_create(s->ns.store, s->user_id, name, 0);
		*p = STORE_SEP;
		if (ret < 0 && ret != STORE_ERR_EXISTS)
			return ret;
		p++;
	}
	return STORE_OK;
}

/* RFC 3501 6.3.3: superior names are created too ("a/b/c" makes "a" and "a/b"). */
static int create_with_parents(struct imap_session *s, char *name, unsigned use)
{
	int ret = create_parents(s, name);

	return ret < 0 ? ret : store_mailbox_create(s->ns.store, s->user_id, name, use);
}

void imap_cmd_create(struct imap_session *s)
{
	const char *arg = imap_mailbox_arg(s, 0);
	unsigned use;
	char *name;
	size_t len;
	int ret;

	if (arg == NULL || !parse_use(s, &use))
		return;
	name = imap_arena_strndup(&s->arena, arg, strlen(arg));
	len = strlen(name);
	/* RFC 9051 6.3.4: a trailing separator only says a child may follow. */
	if (len > 0 && name[len - 1] == STORE_SEP)
		name[len - 1] = '\0';
	if (str_eq_ci(name, "INBOX")) {
		imap_tagged(s, "NO [ALREADYEXISTS] INBOX always exists");
		return;
	}
	if (!name_ok(name)) {
		imap_tagged(s, "NO [CANNOT] Invalid mailbox name");
		return;
	}
	ret = create_with_parents(s, name, use);
	if (ret < 0)
		imap_store_error(s, ret, NULL);
	else
		imap_tagged(s, "OK CREATE completed");
}

void imap_cmd_delete(struct imap_session *s)
{
	const char *name = imap_mailbox_arg(s, 0);
	int ret;

	if (name == NULL)
		return;
	if (str_eq_ci(name, "INBOX")) {
		imap_tagged(s, "NO [CANNOT] INBOX cannot be deleted");
		return;
	}
	ret = store_mailbox_delete(s->ns.store, s->user_id, name);
	if (ret < 0) {
		imap_store_error(s, ret, NULL);
		return;
	}
	if (s->view != NULL && strcmp(s->view->name, name) == 0)
		imap_session_unselect(s);
	imap_tagged(s, "OK DELETE completed");
}

void imap_cmd_rename(struct imap_session *s)
{
	const char *from = imap_mailbox_arg(s, 0), *to;
	int ret;

	if (from == NULL || (to = imap_mailbox_arg(s, 1)) == NULL)
		return;
	if (!name_ok(to) || str_eq_ci(to, "INBOX")) {
		imap_tagged(s, "NO [CANNOT] Invalid new mailbox name");
		return;
	}
	ret = store_mailbox_rename(s->ns.store, s->user_id, from, to);
	if (ret < 0) {
		imap_store_error(s, ret, NULL);
		return;
	}
	/*
	 * RFC 9051 6.3.6: superior names the new name needs are created too.
	 * XXX in a second transaction, best effort: the rename itself is done.
	 */
	(void)create_parents(s, imap_arena_strndup(&s->arena, to, strlen(to)));
	imap_tagged(s, "OK RENAME completed");
}

static void subscribe(struct imap_session *s, bool on)
{
	const char *name = imap_mailbox_arg(s, 0);
	int ret;

	if (name == NULL)
		return;
	if (s->n_args != 1) {
		imap_bad(s, "Expected one mailbox name");
		return;
	}
	ret = store_mailbox_subscribe(s->ns.store, s->user_id, name, on);
	if (ret < 0)
		imap_store_error(s, ret, NULL);
	else
		imap_tagged(s, "OK %s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

void imap_cmd_subscribe(struct imap_session *s)
{
	subscribe(s, true);
}

void imap_cmd_unsubscribe(struct imap_session *s)
{
	subscribe(s, false);
}
