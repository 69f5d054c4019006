/*
 * deliver.c - storing an accepted message: once for all local accounts, and
 * in the outbound queue for remote recipients, in one durable transaction
 * (store_deliver_queue), so that an SMTP 250 covers every recipient or none.
 *
 * RFC 5321 4.4: the final delivery adds Return-Path with the reverse-path;
 * the copy queued for other servers does not carry it.
 *
 * Limits: the message size is bounded by the protocol ([smtp]
 * max_message_size); DELIVERY_ACCOUNTS_MAX local targets per recipient.
 * Attacker control: the message bytes and envelope (syntax-checked by SMTP).
 */
#include "delivery/delivery.h"

#include "base/mem.h"
#include "store/prepare.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* One entry per distinct INBOX: a message for an alias and its account is stored once. */
static size_t unique_targets(const struct delivery_message *m, struct store_new_entry *targets)
{
	size_t n = 0, i, j;

	for (i = 0; i < m->n_locals; i++) {
		for (j = 0; j < n; j++) {
			if (targets[j].mailbox_id == m->locals[i].inbox_id)
				break;
		}
		if (j == n) {
			memset(&targets[n], 0, sizeof(targets[n]));
			targets[n++].mailbox_id = m->locals[i].inbox_id;
		}
	}
	return n;
}

static struct store_queue_rcpt *queue_rcpts(const struct delivery_message *m)
{
	struct store_queue_rcpt *r = xcalloc(m->n_remotes, sizeof(*r));
	size_t i;

	/* The store only reads these; the casts drop const for the shared struct. */
	for (i = 0; i < m->n_remotes; i++) {
		r[i].address = (char *)m->remotes[i].address;
		r[i].notify = (char *)m->remotes[i].notify;
		r[i].orcpt = (char *)m->remotes[i].orcpt;
	}
	return r;
}

/* What the store keeps beside the local copy; nothing to compute without local targets. */
static void prepare(struct store_prepared *p, const struct buf *local, size_t n_targets)
{
	if (n_targets > 0) {
		store_prepare(p, local->data, local->len, time(NULL), 0);
		return;
	}
	memset(p, 0, sizeof(*p));
	p->msg.data = local->data;
	p->msg.size = local->len;
}

int delivery_commit(struct store *s, const struct delivery_message *m)
{
	struct store_new_entry *targets = xcalloc(m->n_locals + 1, sizeof(*targets));
	struct store_queue_rcpt *rcpts = NULL;
	struct store_queue_new queue = {0};
	struct store_prepared prep;
	struct buf local;
	uint32_t *uids;
	uint64_t queue_id = 0;
	size_t n = unique_targets(m, targets), rp_len;
	int ret;

	/* The one copy of the message: Return-Path, the server's lines, the bytes received. */
	buf_init(&local, 0);
	buf_printf(&local, "Return-Path: <%s>\r\n", m->sender);
	rp_len = local.len;
	buf_append(&local, m->head, m->head_len);
	buf_append(&local, m->body, m->body_len);
	if (m->n_remotes > 0) {
		rcpts = queue_rcpts(m);
		queue.sender = m->sender;
		queue.user = m->user;
		queue.ret = m->ret;
		queue.envid = m->envid;
		queue.rcpts = rcpts;
		queue.n_rcpts = m->n_remotes;
		queue.data = local.data + rp_len; /* no Return-Path for other servers */
		queue.size = local.len - rp_len;
	}
	uids = xcalloc(n + 1, sizeof(*uids));
	prepare(&prep, &local, n);
	ret = store_deliver_queue(s, &prep.msg, targets, n, uids, m->n_remotes > 0 ? &queue : NULL,
	                          &queue_id);
	store_prepared_deinit(&prep);
	buf_deinit(&local);
	free(uids);
	free(rcpts);
	free(targets);
	return ret;
}
