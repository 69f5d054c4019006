/*
 * cmd-status.c - STATUS, and the STATUS responses of LIST-STATUS.
 *
 * RFC 9051 6.3.11 (MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE),
 * RFC 3501 6.3.10 (RECENT), RFC 7162 3.1.2.2 (HIGHESTMODSEQ), RFC 8438
 * (STATUS=SIZE), RFC 5819 (LIST-STATUS).
 *
 * Attacker control: the mailbox name and the item list.
 */
#include "imap/status.h"

#include "imap/commands.h"
#include "imap/session.h"
#include "store/store.h"

static const struct {
	const char *name;
	unsigned bit;
} status_items[] = {
        {"MESSAGES", IMAP_STATUS_MESSAGES}, {"RECENT", IMAP_STATUS_RECENT},
        {"UIDNEXT", IMAP_STATUS_UIDNEXT},   {"UIDVALIDITY", IMAP_STATUS_UIDVALIDITY},
        {"UNSEEN", IMAP_STATUS_UNSEEN},     {"DELETED", IMAP_STATUS_DELETED},
        {"SIZE", IMAP_STATUS_SIZE},         {"HIGHESTMODSEQ", IMAP_STATUS_HIGHESTMODSEQ},
};

bool imap_status_items_parse(const struct imap_arg *list, unsigned *items_r)
{
	size_t i, j;

	*items_r = 0;
	if (list->type != IMAP_ARG_LIST || list->list_count == 0)
		return false;
	for (i = 0; i < list->list_count; i++) {
		for (j = 0; j < sizeof(status_items) / sizeof(status_items[0]); j++) {
			if (imap_arg_atom_eq(&list->list[i], status_items[j].name))
				break;
		}
		if (j == sizeof(status_items) / sizeof(status_items[0]))
			return false;
		*items_r |= status_items[j].bit;
	}
	return true;
}

static unsigned long long value_of(const struct store_status *st, unsigned bit)
{
	switch (bit) {
	case IMAP_STATUS_MESSAGES:
		return st->messages;
	case IMAP_STATUS_RECENT:
		return st->recent;
	case IMAP_STATUS_UIDNEXT:
		return st->uidnext;
	case IMAP_STATUS_UIDVALIDITY:
		return st->uidvalidity;
	case IMAP_STATUS_UNSEEN:
		return st->unseen;
	case IMAP_STATUS_DELETED:
		return st->deleted;
	case IMAP_STATUS_SIZE:
		return st->size;
	default:
		return st->highestmodseq;
	}
}

int imap_write_status(struct imap_session *s, const char *name, uint64_t mailbox_id, unsigned items)
{
	struct store_status st;
	size_t j;
	bool first = true;
	int ret = store_mailbox_status(s->ns.store, mailbox_id, &st);

	if (ret < 0)
		return ret;
	imap_printf(s, "* STATUS ");
	imap_write_mailbox(s, name);
	imap_printf(s, " (");
	for (j = 0; j < sizeof(status_items) / sizeof(status_items[0]); j++) {
		if (items & status_items[j].bit) {
			imap_printf(s, "%s%s %llu", first ? "" : " ", status_items[j].name,
			            value_of(&st, status_items[j].bit));
			first = false;
		}
	}
	imap_printf(s, ")\r\n");
	return 0;
}

void imap_cmd_status(struct imap_session *s)
{
	const char *name = imap_mailbox_arg(s, 0);
	struct store_mailbox box = {0};
	unsigned items;
	int ret;

	if (name == NULL)
		return;
	if (s->n_args != 2 || !imap_status_items_parse(&s->args[1], &items)) {
		imap_bad(s, "Invalid STATUS items");
		return;
	}
	if (items & IMAP_STATUS_HIGHESTMODSEQ)
		s->condstore = true; /* RFC 7162 3.1: a CONDSTORE-enabling command */
	ret = store_mailbox_get(s->ns.store, s->user_id, name, &box);
	if (ret == STORE_OK)
		ret = imap_write_status(s, box.name, box.id, items);
	store_mailbox_deinit(&box);
	if (ret < 0)
		imap_store_error(s, ret, NULL);
	else
		imap_tagged(s, "OK STATUS completed");
}
