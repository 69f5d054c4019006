/*
 * cmd-store.c - STORE and UID STORE (RFC 9051 6.4.6, RFC 3501 6.4.6) with
 * CONDSTORE's UNCHANGEDSINCE and [MODIFIED] (RFC 7162 3.1.3).
 *
 * Attacker control: the sequence set, modifiers and flag list.
 */
#include "imap/commands.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "imap/msgset.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

struct store_req {
	enum store_flags_mode mode;
	bool silent;
	uint64_t unchangedsince;
	unsigned flags;
	const char *keywords;
};

static bool parse_action(const char *a, struct store_req *r)
{
	const char *p = a;

	r->mode = STORE_FLAGS_SET;
	if (*p == '+' || *p == '-')
		r->mode = *p++ == '+' ? STORE_FLAGS_ADD : STORE_FLAGS_REMOVE;
	if (str_eq_ci(p, "FLAGS"))
		r->silent = false;
	else if (str_eq_ci(p, "FLAGS.SILENT"))
		r->silent = true;
	else
		return false;
	return true;
}

/* Parses everything after the sequence set. Returns false after a BAD. */
static bool parse_store(struct imap_session *s, struct store_req *r)
{
	size_t i = 1;
	const char *action;
	struct imap_arg single;

	memset(r, 0, sizeof(*r));
	if (i < s->n_args && s->args[i].type == IMAP_ARG_LIST) {
		const struct imap_arg *m = &s->args[i];
		if (m->list_count != 2 || !imap_arg_atom_eq(&m->list[0], "UNCHANGEDSINCE") ||
		    m->list[1].type != IMAP_ARG_ATOM ||
		    !str_to_u64(m->list[1].str, m->list[1].len, UINT64_MAX >> 1,
		                &r->unchangedsince)) {
			imap_bad(s, "Invalid STORE modifier");
			return false;
		}
		s->condstore = true; /* RFC 7162 3.1: CONDSTORE-enabling */
		i++;
	}
	action = imap_arg_atom(s, i);
	if (action == NULL || !parse_action(action, r) || i + 2 > s->n_args) {
		imap_bad(s, "Invalid STORE action");
		return false;
	}
	i++;
	if (s->args[i].type == IMAP_ARG_LIST) {
		if (i + 1 != s->n_args ||
		    !imap_parse_flag_list(s, &s->args[i], &r->flags, &r->keywords)) {
			imap_bad(s, "Invalid flags");
			return false;
		}
		return true;
	}
	/* RFC 9051 6.4.6: flags may also come without parentheses. */
	single.type = IMAP_ARG_LIST;
	single.list = (struct imap_arg *)&s->args[i];
	single.list_count = s->n_args - i;
	if (!imap_parse_flag_list(s, &single, &r->flags, &r->keywords)) {
		imap_bad(s, "Invalid flags");
		return false;
	}
	return true;
}

static void apply_changes(struct imap_view *v, const struct store_change *ch, size_t n)
{
	size_t i, seq;

	for (i = 0; i < n; i++) {
		seq = imap_view_seq(v, ch[i].uid);
		if (seq == 0)
			continue;
		v->flags[seq - 1] = ch[i].flags;
		free(v->keywords[seq - 1]);
		v->keywords[seq - 1] = ch[i].keywords ? xstrdup(ch[i].keywords) : NULL;
		v->modseqs[seq - 1] = ch[i].modseq;
	}
}

static void write_modified(struct imap_session *s, const uint32_t *failed, size_t n)
{
	struct buf set;
	uint32_t *nums = xcalloc(n + 1, sizeof(*nums));
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		uint32_t num = s->uid ? failed[i] : (uint32_t)imap_view_seq(s->view, failed[i]);
		if (num != 0)
			nums[k++] = num;
	}
	buf_init(&set, 0);
	imap_seqset_write(&set, nums, k);
	imap_tagged(s, "OK [MODIFIED %s] Conditional STORE failed for some messages",
	            set.data ? set.data : "");
	buf_deinit(&set);
	free(nums);
}

/* RFC 7162 3.1.3 / 3.2.4: with CONDSTORE even a silent STORE reports new MODSEQs. */
static void write_silent_modseqs(struct imap_session *s, const struct store_change *ch, size_t n)
{
	size_t i, seq;

	for (i = 0; i < n; i++) {
		seq = imap_view_seq(s->view, ch[i].uid);
		if (seq != 0)
			imap_printf(s, "* %zu FETCH (UID %u MODSEQ (%llu))\r\n", seq, ch[i].uid,
			            (unsigned long long)ch[i].modseq);
	}
}

void imap_cmd_store(struct imap_session *s)
{
	struct store_req r;
	struct store_change *changes = NULL;
	struct store_uid_range *ranges;
	uint32_t *seqs, *failed = NULL;
	size_t n, n_ranges = 0, n_changes = 0, n_failed = 0, i;
	int ret;

	if (imap_msgset(s, s->n_args > 0 ? &s->args[0] : NULL, &seqs, &n) < 0 ||
	    !parse_store(s, &r))
		return;
	if (s->view->readonly) {
		imap_tagged(s, "NO [READ-ONLY] Mailbox is read-only");
		return;
	}
	ranges = imap_msgset_uid_ranges(s, seqs, n, &n_ranges);
	if (n_ranges > 0) {
		ret = store_flags(s->ns.store, s->view->mailbox_id, ranges, n_ranges, r.mode,
		                  r.flags, r.keywords, r.unchangedsince, &changes, &n_changes,
		                  &failed, &n_failed);
		if (ret < 0) {
			imap_store_error(s, ret, NULL);
			return;
		}
	}
	apply_changes(s->view, changes, n_changes);
	for (i = 0; i < n && !r.silent; i++)
		imap_write_fetch_flags(s, seqs[i]);
	if (r.silent && s->condstore)
		write_silent_modseqs(s, changes, n_changes);
	store_changes_array_free(&changes, n_changes);
	if (n_failed > 0)
		write_modified(s, failed, n_failed);
	else
		imap_tagged(s, "OK STORE completed");
	free(failed);
}
