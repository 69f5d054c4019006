/*
 * msgset.c - sequence sets resolved against the selected mailbox; see
 * msgset.h.
 *
 * Attacker control: the set (already parsed and bounded by seqset.c). Work
 * is bounded by the number of messages in the view and ranges in the set,
 * never by the numeric size of a range ("1:4294967295" costs what the
 * mailbox holds).
 */
#include "imap/msgset.h"

#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <string.h>

static int from_saved(struct imap_session *s, uint32_t **seqs_r, size_t *n_r)
{
	const struct imap_view *v = s->view;
	uint32_t *seqs = imap_arena_alloc_array(&s->arena, s->n_saved + 1, sizeof(*seqs));
	size_t i, n = 0, seq;

	if (seqs == NULL) {
		imap_bad(s, "Too many messages");
		return -1;
	}
	for (i = 0; i < s->n_saved; i++) {
		seq = imap_view_seq(v, s->saved[i]);
		if (seq != 0)
			seqs[n++] = (uint32_t)seq;
	}
	*seqs_r = seqs;
	*n_r = n;
	return 0;
}

int imap_msgset(struct imap_session *s, const struct imap_arg *arg, uint32_t **seqs_r, size_t *n_r)
{
	const struct imap_view *v = s->view;
	struct imap_seqset set, res;
	const char *error = "Invalid sequence set";
	uint32_t *seqs, max;
	size_t i, n = 0;

	if (arg == NULL || arg->type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(arg->str, arg->len, &s->arena, &set, &error) < 0) {
		imap_bad(s, error);
		return -1;
	}
	if (set.saved)
		return from_saved(s, seqs_r, n_r);
	max = s->uid ? (v->count ? v->uids[v->count - 1] : 0) : (uint32_t)v->count;
	if (imap_seqset_resolve(&set, max, &s->arena, &res) < 0) {
		imap_bad(s, "Sequence set too large");
		return -1;
	}
	if (!s->uid && res.count > 0 && res.ranges[res.count - 1].last > v->count) {
		imap_bad(s, "Invalid sequence number: beyond the last message");
		return -1;
	}
	seqs = imap_arena_alloc_array(&s->arena, v->count + 1, sizeof(*seqs));
	if (seqs == NULL) {
		imap_bad(s, "Too many messages");
		return -1;
	}
	for (i = 0; i < v->count; i++) {
		if (imap_seqset_resolved_contains(&res, s->uid ? v->uids[i] : (uint32_t)(i + 1)))
			seqs[n++] = (uint32_t)(i + 1);
	}
	*seqs_r = seqs;
	*n_r = n;
	return 0;
}

struct store_uid_range *imap_msgset_uid_ranges(struct imap_session *s, const uint32_t *seqs,
                                               size_t n, size_t *n_ranges_r)
{
	struct store_uid_range *r = imap_arena_alloc_array(&s->arena, n + 1, sizeof(*r));
	size_t i, k = 0;

	if (r == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		uint32_t uid = s->view->uids[seqs[i] - 1];
		if (k > 0 && r[k - 1].hi + 1 == uid) {
			r[k - 1].hi = uid;
		} else {
			r[k].lo = r[k].hi = uid;
			k++;
		}
	}
	*n_ranges_r = k;
	return r;
}
