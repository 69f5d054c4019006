/*
 * maildrop.c - the messages of a POP3 session: loaded once at login from the
 * INBOX (store_entry_sizes, one statement), marked by DELE, expunged at QUIT
 * (store_remove, one durable transaction).
 *
 * RFC 1939 5 (message numbers, sizes), 6 (UPDATE), 7 (UIDL).
 * Limits and attacker control: see maildrop.h.
 */
#include "pop3/maildrop.h"

#include "base/mem.h"
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>

int pop3_maildrop_load(struct store *s, uint64_t user_id, struct pop3_maildrop **drop_r)
{
	struct store_mailbox box = {0};
	struct store_entry_size *sizes = NULL;
	struct pop3_maildrop *d;
	size_t n = 0, i;
	int ret;

	*drop_r = NULL;
	if ((ret = store_mailbox_get(s, user_id, "INBOX", &box)) < 0)
		return ret;
	ret = store_entry_sizes(s, box.id, &sizes, &n);
	if (ret < 0) {
		store_mailbox_deinit(&box);
		return ret;
	}
	d = xcalloc(1, sizeof(*d));
	d->mailbox_id = box.id;
	d->uidvalidity = box.uidvalidity;
	d->msgs = xcalloc(n + 1, sizeof(*d->msgs));
	for (i = 0; i < n; i++) {
		d->msgs[i].uid = sizes[i].uid;
		d->msgs[i].message_id = sizes[i].message_id;
		d->msgs[i].size = sizes[i].size;
		d->size_total += sizes[i].size;
	}
	d->n = n;
	free(sizes);
	store_mailbox_deinit(&box);
	*drop_r = d;
	return STORE_OK;
}

void pop3_maildrop_free(struct pop3_maildrop **_drop)
{
	struct pop3_maildrop *d = *_drop;

	if (d == NULL)
		return;
	free(d->msgs);
	XFREE(*_drop);
}

struct pop3_message *pop3_maildrop_get(struct pop3_maildrop *d, uint32_t msg)
{
	if (msg == 0 || msg > d->n || d->msgs[msg - 1].deleted)
		return NULL;
	return &d->msgs[msg - 1];
}

void pop3_maildrop_uidl(const struct pop3_maildrop *d, const struct pop3_message *m,
                        char out[POP3_UIDL_LEN + 1])
{
	snprintf(out, POP3_UIDL_LEN + 1, "%08X%08X", m->uid, d->uidvalidity);
}

void pop3_maildrop_undelete(struct pop3_maildrop *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		d->msgs[i].deleted = false;
	d->n_deleted = 0;
	d->size_deleted = 0;
}

int pop3_maildrop_commit(struct store *s, struct pop3_maildrop *d)
{
	struct store_uid_range *ranges;
	uint32_t *expunged = NULL;
	size_t i, n = 0, n_expunged = 0;
	int ret;

	if (d->n_deleted == 0)
		return STORE_OK;
	/* Ascending UIDs; neighbours share a range. */
	ranges = xcalloc(d->n_deleted, sizeof(*ranges));
	for (i = 0; i < d->n; i++) {
		uint32_t uid = d->msgs[i].uid;

		if (!d->msgs[i].deleted)
			continue;
		if (n > 0 && ranges[n - 1].hi + 1 == uid) {
			ranges[n - 1].hi = uid;
		} else {
			ranges[n].lo = ranges[n].hi = uid;
			n++;
		}
	}
	ret = store_remove(s, d->mailbox_id, ranges, n, &expunged, &n_expunged);
	free(expunged);
	free(ranges);
	return ret;
}
