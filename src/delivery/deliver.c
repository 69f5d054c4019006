/*
 * deliver.c - storing an accepted message: once for all local accounts
 * without keys, once sealed for each account with keys (delivery/seal.c), and
 * in the outbound queue for remote recipients, all in one durable transaction
 * (store_deliver_many), so that an SMTP 250 covers every recipient or none.
 * IMAP APPEND stores through here too, so that it seals the same way.
 *
 * RFC 5321 4.4: the final delivery adds Return-Path with the reverse-path;
 * the copy queued for other servers does not carry it. A sealed copy carries
 * it inside, with the trace fields, where only the account can read it.
 *
 * Limits: the message size is bounded by the protocol ([smtp]
 * max_message_size, [imap] append_limit); DELIVERY_ACCOUNTS_MAX local
 * targets per recipient. Attacker control: the message bytes and envelope
 * (syntax-checked by the protocol).
 */
#include "delivery/delivery.h"

#include "base/mem.h"
#include "store/prepare.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

/* A sealed copy for one account, with its metadata from the outer header. */
struct sealed_copy {
	struct buf data;
	struct store_prepared prep;
	struct store_new_entry target;
	uint32_t uid;
};

/* The distinct accounts of the message (an alias and its account get one copy). */
static size_t unique_accounts(const struct delivery_message *m,
                              const struct delivery_account **accounts)
{
	size_t n = 0, i, j;

	for (i = 0; i < m->n_locals; i++) {
		for (j = 0; j < n; j++) {
			if (accounts[j]->inbox_id == m->locals[i].inbox_id)
				break;
		}
		if (j == n)
			accounts[n++] = &m->locals[i];
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

/* What the store keeps beside a copy; nothing to compute for a queue-only copy. */
static void prepare(struct store_prepared *p, const char *data, size_t len, size_t n_targets,
                    time_t date, int tz, bool sealed)
{
	if (n_targets > 0) {
		store_prepare(p, data, len, date, tz);
	} else {
		memset(p, 0, sizeof(*p));
		p->msg.data = data;
		p->msg.size = len;
	}
	p->msg.sealed = sealed;
}

/*
 * Seals the message for each account with keys (copies[i]) and gathers the
 * others as the plain copy's targets. Returns 0 or the first failure.
 */
static int split_accounts(struct store *s, const struct delivery_account **accounts, size_t n,
                          const struct buf *plain, struct sealed_copy *copies, size_t *n_copies,
                          struct store_new_entry *plain_targets, size_t *n_plain)
{
	time_t now = time(NULL);
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++) {
		struct sealed_copy *c = &copies[*n_copies];
		bool sealed = false;

		buf_init(&c->data, 0);
		ret = delivery_seal(s, accounts[i], plain->data, plain->len, &c->data, &sealed);
		if (ret == 0 && sealed) {
			c->target.mailbox_id = accounts[i]->inbox_id;
			prepare(&c->prep, c->data.data, c->data.len, 1, now, 0, true);
			(*n_copies)++;
			continue;
		}
		buf_deinit(&c->data);
		if (ret == 0)
			plain_targets[(*n_plain)++].mailbox_id = accounts[i]->inbox_id;
	}
	return ret;
}

static void copies_free(struct sealed_copy *copies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		store_prepared_deinit(&copies[i].prep);
		buf_deinit(&copies[i].data);
	}
	free(copies);
}

/* The plain copy (when it has targets or is queued) and every sealed copy. */
static size_t deliveries(struct store_delivery *d, const struct store_prepared *plain,
                         const struct store_new_entry *plain_targets, size_t n_plain,
                         uint32_t *plain_uids, bool queued, struct sealed_copy *copies,
                         size_t n_copies)
{
	size_t n = 0;

	if (n_plain > 0 || queued)
		d[n++] = (struct store_delivery){&plain->msg, plain_targets, n_plain, plain_uids};
	for (size_t i = 0; i < n_copies; i++)
		d[n++] = (struct store_delivery){&copies[i].prep.msg, &copies[i].target, 1,
		                                 &copies[i].uid};
	return n;
}

static void fill_queue(const struct delivery_message *m, const struct buf *local, size_t rp_len,
                       struct store_queue_rcpt *rcpts, struct store_queue_new *queue)
{
	queue->sender = m->sender;
	queue->user = m->user;
	queue->ret = m->ret;
	queue->envid = m->envid;
	queue->rcpts = rcpts;
	queue->n_rcpts = m->n_remotes;
	queue->data = local->data + rp_len; /* no Return-Path for other servers */
	queue->size = local->len - rp_len;
}

int delivery_commit(struct store *s, const struct delivery_message *m)
{
	const struct delivery_account **accounts = xcalloc(m->n_locals + 1, sizeof(*accounts));
	struct store_new_entry *plain_targets = xcalloc(m->n_locals + 1, sizeof(*plain_targets));
	struct sealed_copy *copies = xcalloc(m->n_locals + 1, sizeof(*copies));
	struct store_delivery *d = xcalloc(m->n_locals + 2, sizeof(*d));
	uint32_t *uids = xcalloc(m->n_locals + 1, sizeof(*uids));
	struct store_queue_rcpt *rcpts = NULL;
	struct store_queue_new queue = {0};
	size_t n = unique_accounts(m, accounts), n_copies = 0, n_plain = 0, rp_len;
	struct store_prepared prep;
	struct buf local;
	int ret;

	/* The one plain copy: Return-Path, the server's lines, the bytes received. */
	buf_init(&local, 0);
	buf_printf(&local, "Return-Path: <%s>\r\n", m->sender);
	rp_len = local.len;
	buf_append(&local, m->head, m->head_len);
	buf_append(&local, m->body, m->body_len);
	if (m->n_remotes > 0) {
		rcpts = queue_rcpts(m);
		fill_queue(m, &local, rp_len, rcpts, &queue);
	}
	ret = split_accounts(s, accounts, n, &local, copies, &n_copies, plain_targets, &n_plain);
	prepare(&prep, local.data, local.len, n_plain, time(NULL), 0, false);
	if (ret == 0)
		ret = store_deliver_many(s, d,
		                         deliveries(d, &prep, plain_targets, n_plain, uids,
		                                    m->n_remotes > 0, copies, n_copies),
		                         m->n_remotes > 0 ? &queue : NULL, NULL);
	store_prepared_deinit(&prep);
	copies_free(copies, n_copies);
	buf_wipe(&local);
	free(d);
	free(uids);
	free(rcpts);
	free(plain_targets);
	free(accounts);
	return ret;
}

int delivery_append(struct store *s, const char *account, const struct store_new_entry *target,
                    const char *data, size_t len, time_t internaldate, int tz, uint32_t *uid_r)
{
	struct delivery_account a = {0};
	struct store_user u = {0};
	struct store_prepared prep;
	struct buf sealed;
	bool is_sealed = false;
	int ret;

	buf_init(&sealed, 0);
	ret = store_user_lookup(s, account, &u);
	if (ret == STORE_OK) {
		a.user_id = u.id;
		a.protect_subject = u.protect_subject;
		a.address = u.address;
		ret = delivery_seal(s, &a, data, len, &sealed, &is_sealed);
	}
	if (ret == 0) {
		prepare(&prep, is_sealed ? sealed.data : data, is_sealed ? sealed.len : len, 1,
		        internaldate, tz, is_sealed);
		ret = store_deliver(s, &prep.msg, target, 1, uid_r);
		store_prepared_deinit(&prep);
	}
	buf_deinit(&sealed);
	store_user_deinit(&u);
	return ret;
}
