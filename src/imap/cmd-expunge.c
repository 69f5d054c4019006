/*
 * cmd-expunge.c - EXPUNGE and UID EXPUNGE (RFC 9051 6.4.3, RFC 4315 2.1).
 *
 * The store removes the entries; the untagged EXPUNGE (or VANISHED) replies
 * come from the sync that follows every command (sync.c), the same path
 * that tells other sessions.
 */
#include "imap/commands.h"

#include "imap/msgset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <stdlib.h>

void imap_cmd_expunge(struct imap_session *s)
{
	struct store_uid_range *ranges = NULL;
	uint32_t *seqs, *gone = NULL;
	size_t n, n_ranges = 0, n_gone = 0;
	int ret;

	if (s->uid) {
		if (s->n_args != 1 || imap_msgset(s, &s->args[0], &seqs, &n) < 0) {
			if (s->n_args != 1)
				imap_bad(s, "UID EXPUNGE expects a UID set");
			return;
		}
		ranges = imap_msgset_uid_ranges(s, seqs, n, &n_ranges);
		if (n_ranges == 0) {
			imap_tagged(s, "OK UID EXPUNGE completed");
			return;
		}
	} else if (s->n_args != 0) {
		imap_bad(s, "EXPUNGE takes no arguments");
		return;
	}
	if (s->view->readonly) {
		imap_tagged(s, "NO [READ-ONLY] Mailbox is read-only");
		return;
	}
	ret = store_expunge(s->ns.store, s->view->mailbox_id, ranges, n_ranges, &gone, &n_gone);
	free(gone);
	if (ret < 0)
		imap_store_error(s, ret, NULL);
	else
		imap_tagged(s, "OK %sEXPUNGE completed", s->uid ? "UID " : "");
}
