/*
 * cmd-copy.c - COPY, MOVE and their UID forms (RFC 9051 6.4.7 / 6.4.8,
 * RFC 6851 MOVE, RFC 4315 COPYUID).
 *
 * MOVE is one store transaction (copy + expunge): a message is never in
 * both mailboxes or in neither. Its untagged OK [COPYUID] goes before the
 * EXPUNGE replies, which come from the sync after the command.
 */
#include "imap/commands.h"

#include "base/buf.h"
#include "imap/msgset.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <stdlib.h>

static void do_copy(struct imap_session *s, bool move)
{
	const char *cmd = move ? "MOVE" : "COPY", *name;
	struct store_mailbox box = {0};
	struct store_uid_range *ranges;
	uint32_t *seqs, *src = NULL, *dst = NULL, uidvalidity = 0;
	size_t n, n_ranges = 0, n_done = 0;
	struct buf a, b;
	int ret;

	if (s->n_args != 2) {
		imap_bad(s, "Expected a message set and a mailbox");
		return;
	}
	if (imap_msgset(s, &s->args[0], &seqs, &n) < 0 || (name = imap_mailbox_arg(s, 1)) == NULL)
		return;
	if (move && s->view->readonly) {
		imap_tagged(s, "NO [READ-ONLY] Mailbox is read-only");
		return;
	}
	ret = store_mailbox_get(s->ns.store, s->user_id, name, &box);
	if (ret == STORE_ERR_NOTFOUND) {
		imap_tagged(s, "NO [TRYCREATE] No such mailbox");
		return;
	}
	ranges = imap_msgset_uid_ranges(s, seqs, n, &n_ranges);
	if (ret == STORE_OK && n_ranges > 0)
		ret = store_copy(s->ns.store, s->view->mailbox_id, ranges, n_ranges, box.id, move,
		                 &src, &dst, &n_done, &uidvalidity);
	store_mailbox_deinit(&box);
	if (ret < 0) {
		imap_store_error(s, ret, NULL);
		return;
	}
	if (n_done == 0) {
		imap_tagged(s, "OK %s completed", cmd);
		return;
	}
	buf_init(&a, 0);
	buf_init(&b, 0);
	imap_seqset_write(&a, src, n_done);
	imap_seqset_write(&b, dst, n_done);
	if (move) {
		imap_untagged(s, "OK [COPYUID %u %s %s] Moved", uidvalidity, a.data, b.data);
		imap_tagged(s, "OK MOVE completed");
	} else {
		imap_tagged(s, "OK [COPYUID %u %s %s] COPY completed", uidvalidity, a.data, b.data);
	}
	buf_deinit(&a);
	buf_deinit(&b);
	free(src);
	free(dst);
}

void imap_cmd_copy(struct imap_session *s)
{
	do_copy(s, false);
}

void imap_cmd_move(struct imap_session *s)
{
	do_copy(s, true);
}
