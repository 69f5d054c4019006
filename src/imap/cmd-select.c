/*
 * cmd-select.c - SELECT, EXAMINE, CLOSE and UNSELECT.
 *
 * RFC 9051 6.3.2 / 6.3.3, RFC 3501 6.3.1 / 6.3.2 (FLAGS, EXISTS, RECENT,
 * UNSEEN, PERMANENTFLAGS, UIDVALIDITY, UIDNEXT), RFC 7162 3.1.2.1
 * (HIGHESTMODSEQ), 3.2.5 (SELECT ... (QRESYNC ...)), 3.2.11 ([CLOSED]),
 * RFC 9051 6.4.1 / RFC 3691 (UNSELECT), RFC 9051 6.4.2 (CLOSE).
 *
 * Attacker control: the mailbox name and the QRESYNC parameters (numbers
 * and UID sets, parsed with bounds).
 */
#include "imap/commands.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "imap/response.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

struct qresync_param {
	bool given;
	uint32_t uidvalidity;
	uint64_t modseq;
	struct imap_seqset known; /* empty: all */
	bool has_known;
};

void imap_session_unselect(struct imap_session *s)
{
	imap_view_free(&s->view);
	XFREE(s->saved);
	s->n_saved = 0;
	if (s->state == IMAP_STATE_SELECTED)
		imap_session_enter_state(s, IMAP_STATE_AUTH);
}

static bool parse_u64(const struct imap_arg *a, uint64_t max, uint64_t *v_r)
{
	return a->type == IMAP_ARG_ATOM && str_to_u64(a->str, a->len, max, v_r);
}

/* RFC 7162 3.2.5: (QRESYNC (uidvalidity modseq [known-uids [seq-match-data]])) */
static bool parse_qresync(struct imap_session *s, const struct imap_arg *list, size_t n,
                          struct qresync_param *q)
{
	uint64_t v;

	if (n < 2 || !parse_u64(&list[0], UINT32_MAX, &v) || v == 0)
		return false;
	q->uidvalidity = (uint32_t)v;
	if (!parse_u64(&list[1], UINT64_MAX >> 1, &q->modseq) || q->modseq == 0)
		return false;
	if (n >= 3) {
		if (list[2].type != IMAP_ARG_ATOM ||
		    imap_seqset_parse(list[2].str, list[2].len, &s->arena, &q->known, NULL) < 0)
			return false;
		q->has_known = true;
	}
	/* The sequence-match data only helps servers without an expunge log; ours has one. */
	q->given = true;
	return n <= 4;
}

/* Parses SELECT's optional parameter list. Returns false after a BAD. */
static bool parse_select_params(struct imap_session *s, struct qresync_param *q)
{
	const struct imap_arg *list;
	size_t i;

	if (s->n_args == 1)
		return true;
	if (s->n_args != 2 || s->args[1].type != IMAP_ARG_LIST) {
		imap_bad(s, "Invalid SELECT parameters");
		return false;
	}
	list = s->args[1].list;
	for (i = 0; i < s->args[1].list_count; i++) {
		if (imap_arg_atom_eq(&list[i], "CONDSTORE")) {
			s->condstore = true;
		} else if (imap_arg_atom_eq(&list[i], "QRESYNC") && i + 1 < s->args[1].list_count &&
		           list[i + 1].type == IMAP_ARG_LIST) {
			if (!s->qresync) {
				imap_bad(s, "QRESYNC must be enabled first");
				return false;
			}
			if (!parse_qresync(s, list[i + 1].list, list[i + 1].list_count, q)) {
				imap_bad(s, "Invalid QRESYNC parameters");
				return false;
			}
			i++;
		} else {
			imap_bad(s, "Unknown SELECT parameter");
			return false;
		}
	}
	return true;
}

/* Builds the view from the store; returns a STORE_* code. */
static int load_view(struct imap_session *s, const struct store_mailbox *box, bool readonly)
{
	struct store_entry *entries = NULL;
	size_t n = 0, i;
	struct imap_view *v;
	int ret;

	ret = store_entries(s->ns.store, box->id, &entries, &n);
	if (ret < 0)
		return ret;
	v = imap_view_new(box->id, box->name, readonly);
	v->uidvalidity = box->uidvalidity;
	v->modseq = box->highestmodseq;
	v->recent_uid = box->recent_uid;
	imap_view_reserve(v, n);
	for (i = 0; i < n; i++) {
		imap_view_append(v, entries[i].uid, entries[i].flags, entries[i].keywords,
		                 entries[i].modseq);
		entries[i].keywords = NULL;
	}
	if (box->uidnext > v->uidnext)
		v->uidnext = box->uidnext;
	store_entries_free(&entries, n);
	/* A durable write only when messages arrived since the last read-write SELECT. */
	if (!readonly && box->recent_uid < box->uidnext &&
	    store_mailbox_take_recent(s->ns.store, box->id, &v->recent_uid) < 0)
		v->recent_uid = box->recent_uid;
	s->view = v;
	return STORE_OK;
}

static void write_flag_lists(struct imap_session *s)
{
	char *kw = imap_view_keywords(s->view);

	imap_untagged(s, "FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s)",
	              *kw ? " " : "", kw);
	if (s->view->readonly)
		imap_untagged(s, "OK [PERMANENTFLAGS ()] Read-only mailbox");
	else
		imap_untagged(
		        s,
		        "OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft%s%s "
		        "\\*)] Flags permitted",
		        *kw ? " " : "", kw);
	free(kw);
}

static void write_select_data(struct imap_session *s)
{
	const struct imap_view *v = s->view;
	size_t i;

	write_flag_lists(s);
	imap_untagged(s, "%zu EXISTS", v->count);
	if (!s->rev2) {
		imap_untagged(s, "%u RECENT", imap_view_recent_count(v));
		for (i = 0; i < v->count; i++) {
			if (!(v->flags[i] & STORE_FLAG_SEEN)) {
				imap_untagged(s, "OK [UNSEEN %zu] First unseen", i + 1);
				break;
			}
		}
	}
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", v->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] Predicted next UID", v->uidnext);
	imap_untagged(s, "OK [HIGHESTMODSEQ %llu] Highest", (unsigned long long)v->modseq);
}

/* RFC 7162 3.2.5.2: what changed since the client's last sync. */
static void write_qresync(struct imap_session *s, const struct qresync_param *q)
{
	struct store_changes ch;
	size_t i;

	if (q->uidvalidity != s->view->uidvalidity ||
	    store_changes_since(s->ns.store, s->view->mailbox_id, q->modseq, &ch) < 0)
		return;
	imap_write_vanished_earlier(s, &ch, q->has_known ? &q->known : NULL, UINT32_MAX);
	for (i = 0; i < ch.n_changed; i++) {
		size_t seq = imap_view_seq(s->view, ch.changed[i].uid);
		if (seq != 0)
			imap_write_fetch_flags(s, seq);
	}
	store_changes_deinit(&ch);
}

static void do_select(struct imap_session *s, bool readonly)
{
	const char *name = imap_mailbox_arg(s, 0);
	struct qresync_param q = {0};
	struct store_mailbox box = {0};
	bool had = s->view != NULL;
	int ret;

	if (name == NULL || !parse_select_params(s, &q))
		return;
	/* RFC 9051 6.3.2: a failed SELECT leaves no mailbox selected. */
	imap_session_unselect(s);
	if (had && (s->qresync || s->rev2))
		imap_untagged(s, "OK [CLOSED] Previous mailbox closed");
	ret = store_mailbox_get(s->ns.store, s->user_id, name, &box);
	if (ret == STORE_OK)
		ret = load_view(s, &box, readonly);
	store_mailbox_deinit(&box);
	if (ret < 0) {
		imap_store_error(s, ret, NULL);
		return;
	}
	imap_session_enter_state(s, IMAP_STATE_SELECTED);
	write_select_data(s);
	if (q.given)
		write_qresync(s, &q);
	imap_tagged(s, "OK [%s] %s completed", readonly ? "READ-ONLY" : "READ-WRITE",
	            readonly ? "EXAMINE" : "SELECT");
}

void imap_cmd_select(struct imap_session *s)
{
	do_select(s, false);
}

void imap_cmd_examine(struct imap_session *s)
{
	do_select(s, true);
}

void imap_cmd_close(struct imap_session *s)
{
	uint32_t *gone = NULL;
	size_t n = 0;

	if (s->n_args != 0) {
		imap_bad(s, "CLOSE takes no arguments");
		return;
	}
	/* RFC 9051 6.4.2: expunge silently, unless the mailbox is read-only. */
	if (!s->view->readonly)
		store_expunge(s->ns.store, s->view->mailbox_id, NULL, 0, &gone, &n);
	free(gone);
	imap_session_unselect(s);
	imap_tagged(s, "OK CLOSE completed");
}

void imap_cmd_unselect(struct imap_session *s)
{
	if (s->n_args != 0) {
		imap_bad(s, "UNSELECT takes no arguments");
		return;
	}
	imap_session_unselect(s);
	imap_tagged(s, "OK UNSELECT completed");
}
