/*
 * cmd-search.c - SEARCH and UID SEARCH: the command, its results and the
 * saved result.
 *
 * RFC 9051 6.4.4 and RFC 3501 6.4.4 (SEARCH, untagged SEARCH for IMAP4rev1,
 * ESEARCH for IMAP4rev2), RFC 4731 (RETURN MIN MAX ALL COUNT and the ESEARCH
 * response), RFC 5182 / RFC 9051 6.4.4.1 (RETURN SAVE, "$"), RFC 7162 3.1.5,
 * 3.1.6 and 3.1.10 (MODSEQ key, "(MODSEQ n)" and ESEARCH "MODSEQ n"),
 * RFC 9051 7.5.1 / RFC 2180 (no EXPUNGE after SEARCH: the session holds them
 * back because the command table marks SEARCH IMAP_CMD_NO_EXPUNGE).
 * The program is parsed by search-parse.c and evaluated by search-eval.c.
 *
 * Limits: the program (search-parse.h), the decoded text per message
 * (IMAP_SEARCH_TEXT_MAX); results hold one number per message of the view.
 * Attacker control: every argument. Runs on a worker thread.
 */
#include "imap/commands.h"

#include "base/buf.h"
#include "base/log.h"
#include "base/mem.h"
#include "imap/search-eval.h"
#include "imap/search-parse.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "net/conn.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

#define RETURN_RESULT_OPTS                                                                         \
	(IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX | IMAP_SEARCH_RETURN_ALL |                \
	 IMAP_SEARCH_RETURN_COUNT)

/* The outcome of a search: matching sequence numbers, ascending. */
struct search_result {
	uint32_t *seqs;
	size_t count;
	size_t parsed; /* messages read and parsed */
};

/* Whether the raw arguments ask RETURN (... SAVE ...), for a search that failed to parse. */
static bool args_ask_save(const struct imap_session *s)
{
	const struct imap_arg *list;
	size_t i;

	if (s->n_args < 2 || !imap_arg_atom_eq(&s->args[0], "RETURN") ||
	    s->args[1].type != IMAP_ARG_LIST)
		return false;
	list = &s->args[1];
	for (i = 0; i < list->list_count; i++) {
		if (imap_arg_atom_eq(&list->list[i], "SAVE"))
			return true;
	}
	return false;
}

/* RFC 5182 2.1: a SEARCH with SAVE that ends in NO empties the saved result. */
static void saved_clear(struct imap_session *s)
{
	XFREE(s->saved);
	s->n_saved = 0;
}

struct scan_ctx {
	const struct imap_view *view;
	struct imap_search_eval *ev;
	struct search_result *res;
};

/* One entry of the store's scan: evaluate it if this session's view has it. */
static int scan_one(void *ctx, uint32_t uid, const struct store_message_meta *meta)
{
	struct scan_ctx *sc = ctx;
	size_t seq = imap_view_seq(sc->view, uid);
	int ret;

	if (seq == 0)
		return 0; /* arrived after the view was last synced */
	ret = imap_search_eval_match_meta(sc->ev, seq, meta);
	if (ret > 0)
		sc->res->seqs[sc->res->count++] = (uint32_t)seq;
	return ret < 0 ? ret : 0;
}

/* Evaluates every message of the view. Returns 0, a STORE_ERR_*, or 1 if too large. */
static int run_search(struct imap_session *s, const struct imap_search *search,
                      struct search_result *res)
{
	const struct imap_view *v = s->view;
	struct imap_search_eval *ev;
	size_t seq;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	ev = imap_search_eval_new(search, v, s->ns.store, s->saved, s->n_saved, &s->arena);
	if (ev == NULL)
		return 1;
	res->seqs = xcalloc(v->count + 1, sizeof(*res->seqs));
	if (imap_search_eval_needs_meta(ev)) {
		/*
		 * One store scan in UID order instead of a query per message. Messages
		 * of the view that the store no longer has are not visited: they match
		 * nothing (RFC 2180 4.1).
		 */
		struct scan_ctx sc = {v, ev, res};

		ret = store_message_meta_scan(s->ns.store, v->mailbox_id, scan_one, &sc);
	} else {
		for (seq = 1; seq <= v->count && ret >= 0; seq++) {
			ret = imap_search_eval_match(ev, seq);
			if (ret > 0)
				res->seqs[res->count++] = (uint32_t)seq;
		}
		ret = ret < 0 ? ret : 0;
	}
	res->parsed = imap_search_eval_parsed(ev);
	imap_search_eval_free(&ev);
	return ret;
}

/* What the client sees for result i: a UID or a sequence number. */
static uint32_t result_num(const struct imap_session *s, const struct search_result *res, size_t i)
{
	uint32_t seq = res->seqs[i];

	return s->uid ? s->view->uids[seq - 1] : seq;
}

static uint64_t result_modseq(const struct imap_session *s, const struct search_result *res,
                              size_t i)
{
	return s->view->modseqs[res->seqs[i] - 1];
}

/*
 * RFC 4731 3.2 / RFC 5182 2.4: with MIN and/or MAX alone, only those messages
 * are "returned" (for MODSEQ) and saved; otherwise all matches are.
 */
static bool only_min_max(unsigned opts)
{
	return (opts & (IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX)) != 0 &&
	       (opts & (IMAP_SEARCH_RETURN_ALL | IMAP_SEARCH_RETURN_COUNT)) == 0;
}

/* Whether result i is one of the messages returned/saved under opts. */
static bool result_selected(const struct search_result *res, size_t i, unsigned opts)
{
	if (!only_min_max(opts))
		return true;
	return ((opts & IMAP_SEARCH_RETURN_MIN) && i == 0) ||
	       ((opts & IMAP_SEARCH_RETURN_MAX) && i == res->count - 1);
}

static uint64_t highest_modseq(const struct imap_session *s, const struct search_result *res,
                               unsigned opts)
{
	uint64_t max = 0;
	size_t i;

	for (i = 0; i < res->count; i++) {
		if (result_selected(res, i, opts) && result_modseq(s, res, i) > max)
			max = result_modseq(s, res, i);
	}
	return max;
}

/* RFC 5182 2.1 and 2.4: the new search result variable (UIDs, ascending). */
static void save_result(struct imap_session *s, const struct search_result *res, unsigned opts)
{
	size_t i;

	saved_clear(s);
	if (res->count == 0)
		return;
	s->saved = xcalloc(res->count, sizeof(*s->saved));
	for (i = 0; i < res->count; i++) {
		if (result_selected(res, i, opts))
			s->saved[s->n_saved++] = s->view->uids[res->seqs[i] - 1];
	}
}

/* IMAP4rev1 "* SEARCH n n n [(MODSEQ m)]" (RFC 3501 7.2.5, RFC 7162 3.1.6). */
static void write_search(struct imap_session *s, const struct imap_search *search,
                         const struct search_result *res)
{
	struct buf line;
	size_t i;

	buf_init(&line, 0);
	buf_puts(&line, "* SEARCH");
	for (i = 0; i < res->count; i++)
		buf_printf(&line, " %u", result_num(s, res, i));
	if (search->has_modseq && res->count > 0)
		buf_printf(&line, " (MODSEQ %llu)", (unsigned long long)highest_modseq(s, res, 0));
	buf_puts(&line, "\r\n");
	imap_write(s, line.data, line.len);
	buf_deinit(&line);
}

/* ALL: the result as a compact sequence set. */
static void write_all(struct imap_session *s, struct buf *line, const struct search_result *res)
{
	uint32_t *nums = xcalloc(res->count, sizeof(*nums));
	size_t i;
	bool ok;

	for (i = 0; i < res->count; i++)
		nums[i] = result_num(s, res, i);
	buf_puts(line, " ALL ");
	ok = imap_seqset_write(line, nums, res->count);
	ASSERT(ok); /* the line's maximum holds any 32-bit set of a view */
	free(nums);
}

/* The tag as an IMAP quoted string (tags carry no '"' or '\' in practice; escape anyway). */
static void write_tag(struct buf *line, const char *tag)
{
	buf_puts(line, "* ESEARCH (TAG \"");
	for (; *tag != '\0'; tag++) {
		if (*tag == '"' || *tag == '\\')
			buf_putc(line, '\\');
		buf_putc(line, *tag);
	}
	buf_puts(line, "\")");
}

/* RFC 4731 / RFC 9051 7.3.4: "* ESEARCH (TAG "t") [UID] [MIN n] [MAX n] [COUNT n] [ALL set]". */
static void write_esearch(struct imap_session *s, const struct imap_search *search,
                          const struct search_result *res, unsigned opts)
{
	struct buf line;

	buf_init(&line, 0);
	write_tag(&line, s->tag);
	if (s->uid)
		buf_puts(&line, " UID");
	if (res->count > 0 && (opts & IMAP_SEARCH_RETURN_MIN))
		buf_printf(&line, " MIN %u", result_num(s, res, 0));
	if (res->count > 0 && (opts & IMAP_SEARCH_RETURN_MAX))
		buf_printf(&line, " MAX %u", result_num(s, res, res->count - 1));
	if (opts & IMAP_SEARCH_RETURN_COUNT)
		buf_printf(&line, " COUNT %zu", res->count);
	if (res->count > 0 && (opts & IMAP_SEARCH_RETURN_ALL))
		write_all(s, &line, res);
	if (search->has_modseq && res->count > 0)
		buf_printf(&line, " MODSEQ %llu", (unsigned long long)highest_modseq(s, res, opts));
	buf_puts(&line, "\r\n");
	imap_write(s, line.data, line.len);
	buf_deinit(&line);
}

static void reply(struct imap_session *s, const struct imap_search *search,
                  const struct search_result *res)
{
	/* RFC 9051 6.4.4: no RETURN means ALL; ESEARCH always for IMAP4rev2. */
	unsigned opts = search->esearch ? search->return_opts : IMAP_SEARCH_RETURN_ALL;

	if (!search->esearch && !s->rev2)
		write_search(s, search, res);
	else if ((opts & RETURN_RESULT_OPTS) != 0)
		write_esearch(s, search, res, opts);
	/* else RETURN (SAVE) alone: RFC 9051 6.4.4 SAVE suppresses the ESEARCH response. */
	if (opts & IMAP_SEARCH_RETURN_SAVE)
		save_result(s, res, opts);
	imap_tagged(s, "OK SEARCH completed");
}

void imap_cmd_search(struct imap_session *s)
{
	struct imap_search search;
	struct search_result res;
	const char *error = "Invalid SEARCH";
	int ret = imap_search_parse(s->args, s->n_args, &s->arena, &search, &error);

	if (ret == IMAP_SEARCH_BADCHARSET) {
		if (args_ask_save(s))
			saved_clear(s);
		imap_tagged(s, "NO [BADCHARSET (UTF-8 US-ASCII)] %s", error);
		return;
	}
	if (ret != IMAP_SEARCH_OK) {
		imap_bad(s, error); /* RFC 5182 2.1: BAD leaves the saved result alone */
		return;
	}
	if (search.has_modseq)
		s->condstore = true; /* RFC 7162 3.1: a CONDSTORE-enabling command */
	ret = run_search(s, &search, &res);
	if (ret != 0) {
		if (search.return_opts & IMAP_SEARCH_RETURN_SAVE)
			saved_clear(s);
		if (ret > 0)
			imap_tagged(s, "NO [LIMIT] Search program too large");
		else
			imap_store_error(s, ret, NULL);
	} else {
		log_debug("imap session=%s cmd=SEARCH messages=%zu matched=%zu parsed=%zu",
		          s->ns.conn->id, s->view->count, res.count, res.parsed);
		reply(s, &search, &res);
	}
	free(res.seqs);
}
