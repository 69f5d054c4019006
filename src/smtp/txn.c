/*
 * txn.c - the SMTP mail transaction: recipients, message bytes, and the
 * commit that writes the trace header and hands the message to delivery.
 *
 * RFC 5321 4.4 (trace information: the Received header), RFC 3848 and
 * RFC 6531 4.3 (the "with" protocol names), RFC 3461 (DSN parameters kept
 * with queued recipients).
 *
 * Limits: see txn.h. Attacker control: the envelope and the message; the
 * HELO name in the trace header was checked to be printable ASCII.
 */
#include "smtp/txn.h"

#include "base/mem.h"
#include "crypto/random.h"
#include "mime/mime.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct smtp_txn *smtp_txn_new(const char *sender, uint64_t limit)
{
	struct smtp_txn *t = xcalloc(1, sizeof(*t));

	crypto_random_hex(t->id, SMTP_TXN_ID_LEN / 2);
	t->sender = xstrdup(sender);
	buf_init(&t->message, (size_t)limit);
	return t;
}

void smtp_txn_rollback(struct smtp_txn **_t)
{
	struct smtp_txn *t = *_t;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_rcpts; i++) {
		free(t->rcpts[i].address);
		free(t->rcpts[i].notify);
		free(t->rcpts[i].orcpt);
		delivery_resolved_deinit(&t->rcpts[i].where);
	}
	free(t->rcpts);
	free(t->sender);
	free(t->ret);
	free(t->envid);
	buf_wipe(&t->message); /* the plaintext of mail that may have been sealed */
	XFREE(*_t);
}

void smtp_txn_add_rcpt(struct smtp_txn *t, const char *address, const char *notify,
                       const char *orcpt, struct delivery_resolved *where)
{
	struct smtp_rcpt *r;

	t->rcpts = xreallocarray(t->rcpts, t->n_rcpts + 1, sizeof(*t->rcpts));
	r = &t->rcpts[t->n_rcpts++];
	r->address = xstrdup(address);
	r->notify = notify != NULL ? xstrdup(notify) : NULL;
	r->orcpt = orcpt != NULL ? xstrdup(orcpt) : NULL;
	r->where = *where;
	memset(where, 0, sizeof(*where));
	if (r->where.kind == DELIVERY_REMOTE)
		t->n_remote++;
}

bool smtp_txn_has_rcpt(const struct smtp_txn *t, const char *address)
{
	size_t i;

	for (i = 0; i < t->n_rcpts; i++) {
		if (strcmp(t->rcpts[i].address, address) == 0)
			return true;
	}
	return false;
}

/* RFC 5321 4.4 Received header; "for" only with one recipient (no recipient list leaks). */
static void write_received(const struct smtp_txn *t, const struct smtp_trace *tr, struct buf *out)
{
	char date[MIME_DATE_LEN + 1];

	mime_format_date(time(NULL), date);
	buf_printf(out, "Received: from %s ([%s])\r\n\tby %s (Tresor) with %s id %s", tr->helo,
	           tr->peer_ip, tr->hostname, tr->protocol, t->id);
	if (tr->tls != NULL)
		buf_printf(out, "\r\n\t(%s)", tr->tls);
	if (t->n_rcpts == 1)
		buf_printf(out, "\r\n\tfor <%s>", t->rcpts[0].address);
	buf_printf(out, ";\r\n\t%s\r\n", date);
}

/* The locals and remotes of the transaction as delivery wants them. */
static void split_rcpts(const struct smtp_txn *t, struct delivery_message *m)
{
	struct delivery_account *locals = NULL;
	struct delivery_remote *remotes = xcalloc(t->n_remote + 1, sizeof(*remotes));
	size_t i, j, n_locals = 0, n_remotes = 0;

	for (i = 0; i < t->n_rcpts; i++) {
		const struct smtp_rcpt *r = &t->rcpts[i];

		if (r->where.kind == DELIVERY_REMOTE) {
			remotes[n_remotes].address = r->address;
			remotes[n_remotes].notify = r->notify;
			remotes[n_remotes++].orcpt = r->orcpt;
			continue;
		}
		locals = xreallocarray(locals, n_locals + r->where.n_accounts + 1, sizeof(*locals));
		for (j = 0; j < r->where.n_accounts; j++)
			locals[n_locals++] = r->where.accounts[j];
	}
	m->locals = locals;
	m->n_locals = n_locals;
	m->remotes = remotes;
	m->n_remotes = n_remotes;
}

int smtp_txn_commit(struct smtp_txn **_t, struct store *s, const struct smtp_trace *trace,
                    const char *id_domain)
{
	struct smtp_txn *t = *_t;
	struct delivery_message m = {0};
	struct buf head;
	int ret;

	buf_init(&head, 0);
	write_received(t, trace, &head);
	if (id_domain != NULL)
		delivery_missing_headers(t->message.data, t->message.len, id_domain, time(NULL),
		                         &head);
	m.head = head.data;
	m.head_len = head.len;
	m.body = t->message.data;
	m.body_len = t->message.len;
	m.sender = t->sender;
	m.user = trace->user;
	m.ret = t->ret;
	m.envid = t->envid;
	split_rcpts(t, &m);
	ret = delivery_commit(s, &m);
	free((void *)m.locals);
	free((void *)m.remotes);
	buf_deinit(&head);
	smtp_txn_rollback(_t);
	return ret;
}
