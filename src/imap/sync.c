/*
 * sync.c - bringing a session's view of its selected mailbox up to date and
 * telling the client: untagged EXPUNGE (or VANISHED with QRESYNC), FETCH
 * FLAGS for changed messages, then EXISTS (and RECENT for IMAP4rev1).
 *
 * RFC 9051 7.5.1 and RFC 2180 4: EXPUNGE responses are withheld during FETCH,
 * STORE and SEARCH by sequence number; then nothing is reported and the view
 * stays as it is, so sequence numbers never shift under the client's feet.
 * RFC 7162 3.2.4 (MODSEQ in FETCH), 3.2.10 (VANISHED), 3.2.5.2.
 *
 * Attacker control: none (the data comes from the store).
 */
#include "base/buf.h"
#include "base/mem.h"
#include "imap/response.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

void imap_write_fetch_flags(struct imap_session *s, size_t seq)
{
	const struct imap_view *v = s->view;
	size_t i = seq - 1;

	imap_printf(s, "* %zu FETCH (", seq);
	/* RFC 7162 3.2.4: after a CONDSTORE enabling command, UID and MODSEQ always. */
	if (s->uid || s->condstore)
		imap_printf(s, "UID %u ", v->uids[i]);
	imap_printf(s, "FLAGS ");
	imap_buf_flags(s->out, v->flags[i], v->keywords[i], v->uids[i] >= v->recent_uid);
	if (s->condstore)
		imap_printf(s, " MODSEQ (%llu)", (unsigned long long)v->modseqs[i]);
	imap_printf(s, ")\r\n");
}

/* Whether any UID expunged from the store is still in the view. */
static bool view_has_expunged(const struct imap_view *v, const struct store_changes *ch)
{
	size_t i;

	for (i = 0; i < ch->n_expunged; i++) {
		if (imap_view_seq(v, ch->expunged[i]) != 0)
			return true;
	}
	return false;
}

void imap_write_vanished(struct imap_session *s, const uint32_t *uids, size_t n, bool earlier)
{
	struct buf set;

	if (n == 0)
		return;
	buf_init(&set, 0);
	imap_seqset_write(&set, uids, n);
	imap_untagged(s, "VANISHED %s%s", earlier ? "(EARLIER) " : "", set.data);
	buf_deinit(&set);
}

void imap_write_vanished_earlier(struct imap_session *s, const struct store_changes *ch,
                                 const struct imap_seqset *filter, uint32_t filter_max)
{
	uint32_t *gone = xcalloc(ch->n_expunged + 1, sizeof(*gone));
	size_t i, n = 0;

	for (i = 0; i < ch->n_expunged; i++) {
		if (filter == NULL || imap_seqset_contains(filter, ch->expunged[i], filter_max))
			gone[n++] = ch->expunged[i];
	}
	imap_write_vanished(s, gone, n, true);
	free(gone);
}

static void report_expunges(struct imap_session *s, const struct store_changes *ch)
{
	struct imap_view *v = s->view;
	uint32_t *gone = xcalloc(ch->n_expunged + 1, sizeof(*gone));
	size_t i, n = 0, seq;

	for (i = 0; i < ch->n_expunged; i++) {
		seq = imap_view_seq(v, ch->expunged[i]);
		if (seq == 0)
			continue;
		imap_view_remove(v, seq);
		gone[n++] = ch->expunged[i];
		/* RFC 9051 7.5.1: each EXPUNGE counts with the numbers left after the previous. */
		if (!s->qresync)
			imap_untagged(s, "%zu EXPUNGE", seq);
	}
	if (s->qresync)
		imap_write_vanished(s, gone, n, false);
	free(gone);
}

static bool same_keywords(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static void report_flags(struct imap_session *s, const struct store_changes *ch)
{
	struct imap_view *v = s->view;
	size_t i, seq;

	for (i = 0; i < ch->n_changed; i++) {
		const struct store_change *c = &ch->changed[i];

		if (c->uid >= v->uidnext)
			continue;
		seq = imap_view_seq(v, c->uid);
		if (seq == 0)
			continue;
		if (v->flags[seq - 1] == c->flags &&
		    same_keywords(v->keywords[seq - 1], c->keywords) &&
		    (!s->condstore || v->modseqs[seq - 1] == c->modseq))
			continue;
		v->flags[seq - 1] = c->flags;
		free(v->keywords[seq - 1]);
		v->keywords[seq - 1] = c->keywords ? xstrdup(c->keywords) : NULL;
		v->modseqs[seq - 1] = c->modseq;
		imap_write_fetch_flags(s, seq);
	}
}

static void report_new(struct imap_session *s, const struct store_changes *ch)
{
	struct imap_view *v = s->view;
	size_t i, before = v->count;
	uint32_t first_new = v->uidnext;

	for (i = 0; i < ch->n_changed; i++) {
		const struct store_change *c = &ch->changed[i];

		if (c->uid >= first_new)
			imap_view_append(v, c->uid, c->flags,
			                 c->keywords ? xstrdup(c->keywords) : NULL, c->modseq);
	}
	if (v->count != before) {
		imap_untagged(s, "%zu EXISTS", v->count);
		if (!s->rev2)
			imap_untagged(s, "%u RECENT", imap_view_recent_count(v));
	}
}

void imap_session_sync(struct imap_session *s, bool allow_expunge)
{
	struct imap_view *v = s->view;
	struct store_changes ch;
	uint64_t generation;

	if (v == NULL)
		return;
	/* Read before the query: a change committed meanwhile moves it again. */
	generation = store_mailbox_generation(v->mailbox_id);
	if (generation == v->generation && generation != 0)
		return; /* nothing committed since the last sync */
	if (store_changes_since(s->ns.store, v->mailbox_id, v->modseq, &ch) < 0)
		return;
	if (!allow_expunge && view_has_expunged(v, &ch)) {
		store_changes_deinit(&ch);
		return; /* the generation stays: the next command syncs again */
	}
	v->generation = generation;
	report_expunges(s, &ch);
	report_flags(s, &ch);
	report_new(s, &ch);
	if (ch.uidnext > v->uidnext)
		v->uidnext = ch.uidnext;
	if (ch.highestmodseq > v->modseq)
		v->modseq = ch.highestmodseq;
	store_changes_deinit(&ch);
}
