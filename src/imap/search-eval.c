/*
 * search-eval.c - SEARCH programs evaluated against the selected mailbox;
 * see search-eval.h for the semantics chosen and the RFC sections.
 *
 * The parsed tree is compiled into a tree of eval nodes that carry what
 * evaluation needs ready-made: resolved sets, store flag bits, days since the
 * epoch, folded patterns with their KMP tables, and the "level" (view, meta,
 * parsed message, body text) the subtree needs. Evaluation is three-valued:
 * a key whose level is not loaded yet answers UNKNOWN, and the next level is
 * loaded only while the root is UNKNOWN.
 *
 * Limits: IMAP_SEARCH_TEXT_MAX (decoded text per message and buffer),
 * SEARCH_ENVELOPE_DATE_MAX (Date: value read back from the ENVELOPE).
 * Attacker control: the program and the message bytes; patterns are at most
 * the command's size, and the work per message is linear in its size.
 */
#include "imap/search-eval.h"

#include "base/buf.h"
#include "base/mem.h"
#include "imap/search-parse.h"
#include "imap/seqset.h"
#include "imap/view.h"
#include "mime/mime.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest Date: value taken from a stored ENVELOPE (real ones are ~40 bytes). */
#define SEARCH_ENVELOPE_DATE_MAX 256

enum tri { TRI_FALSE, TRI_TRUE, TRI_UNKNOWN };

/* What a key needs, in the order the passes make it available. */
enum level { LEVEL_VIEW, LEVEL_META, LEVEL_MIME, LEVEL_BODY };

/* A substring pattern: ASCII-folded bytes and the KMP failure table. */
struct pattern {
	char *folded;
	uint32_t *fail;
	size_t len;
};

struct enode {
	enum imap_search_key key;
	enum level cost; /* the highest level the subtree needs */
	struct enode *child, *next;
	struct imap_seqset set;     /* SEQSET, UIDSET: resolved */
	bool saved;                 /* SEQSET, UIDSET: "$" */
	unsigned flags;             /* FLAG: store bits (0 with recent) */
	bool recent;                /* FLAG: \Recent */
	struct imap_search_str str; /* KEYWORD */
	int64_t day;                /* dates: days since 1970-01-01 */
	uint64_t number;            /* LARGER, SMALLER, MODSEQ */
	const char *field;          /* header keys: NUL-terminated name, NULL never matches */
	struct pattern pat;         /* header keys, BODY, TEXT */
	uint64_t memo_serial;       /* message the memo belongs to */
	enum tri memo;
};

/* The message being evaluated. */
struct emsg {
	size_t idx; /* seq - 1 */
	uint32_t uid;
	bool gone; /* expunged from the store meanwhile */
	struct store_message_meta meta;
	bool meta_borrowed; /* given by a store scan: not ours to free */
	int64_t day, sent_day;
	bool have_days; /* day and sent_day computed (only date keys need them) */
	char *data;
	size_t size;
	struct mime_message *mime;
	bool have_headers, have_body;
};

struct imap_search_eval {
	struct enode *root;
	const struct imap_view *view;
	struct store *store;
	const uint32_t *saved;
	size_t n_saved;
	uint64_t serial; /* counts messages evaluated, for memos */
	struct emsg msg;
	struct buf headers, body;
	size_t n_parsed;
};

/* --- small helpers --- */

static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static enum tri tri_of(bool b)
{
	return b ? TRI_TRUE : TRI_FALSE;
}

/* The calendar day of t as seen in the zone tz_minutes east of UTC. */
static int64_t day_of(time_t t, int tz_minutes)
{
	int64_t x = (int64_t)t + (int64_t)tz_minutes * 60;
	int64_t q = x / 86400;

	return x % 86400 < 0 ? q - 1 : q;
}

static bool saved_contains(const struct imap_search_eval *ev, uint32_t uid)
{
	size_t lo = 0, hi = ev->n_saved;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ev->saved[mid] < uid)
			lo = mid + 1;
		else if (ev->saved[mid] > uid)
			hi = mid;
		else
			return true;
	}
	return false;
}

/*
 * Whether the space-separated list has the keyword (case-insensitive, as flags
 * are). The parser takes keywords as atoms only, so they hold no NUL.
 */
static bool keyword_in(const char *list, const struct imap_search_str *kw)
{
	const char *p = list, *end;

	if (list == NULL || kw->len == 0)
		return false;
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		end = strchrnul(p, ' ');
		if ((size_t)(end - p) == kw->len && strncasecmp(p, kw->data, kw->len) == 0)
			return true;
		p = end;
	}
	return false;
}

/* --- patterns --- */

static bool pattern_init(struct pattern *p, const struct imap_search_str *s,
                         struct imap_arena *arena)
{
	size_t i, k = 0;

	p->len = s->len;
	p->folded = imap_arena_alloc(arena, s->len + 1);
	p->fail = imap_arena_alloc_array(arena, s->len + 1, sizeof(*p->fail));
	if (p->folded == NULL || p->fail == NULL || s->len > UINT32_MAX)
		return false;
	for (i = 0; i < s->len; i++)
		p->folded[i] = fold(s->data[i]);
	for (i = 1; i < s->len; i++) {
		while (k > 0 && p->folded[i] != p->folded[k])
			k = p->fail[k - 1];
		if (p->folded[i] == p->folded[k])
			k++;
		p->fail[i] = (uint32_t)k;
	}
	return true;
}

/* Whether the pattern occurs in hay[0..n), ignoring ASCII case; linear time. */
static bool pattern_find(const struct pattern *p, const char *hay, size_t n)
{
	size_t i, k = 0;

	if (p->len == 0)
		return true;
	for (i = 0; i < n; i++) {
		char c = fold(hay[i]);

		while (k > 0 && c != p->folded[k])
			k = p->fail[k - 1];
		if (c == p->folded[k] && ++k == p->len)
			return true;
	}
	return false;
}

/* --- compiling --- */

struct compile_ctx {
	const struct imap_view *view;
	struct imap_arena *arena;
};

static unsigned store_flag_of(unsigned search_flag)
{
	switch (search_flag) {
	case IMAP_SEARCH_FLAG_ANSWERED:
		return STORE_FLAG_ANSWERED;
	case IMAP_SEARCH_FLAG_DELETED:
		return STORE_FLAG_DELETED;
	case IMAP_SEARCH_FLAG_DRAFT:
		return STORE_FLAG_DRAFT;
	case IMAP_SEARCH_FLAG_FLAGGED:
		return STORE_FLAG_FLAGGED;
	case IMAP_SEARCH_FLAG_SEEN:
		return STORE_FLAG_SEEN;
	}
	return 0;
}

static const char *header_name(enum imap_search_key key)
{
	switch (key) {
	case IMAP_SKEY_BCC:
		return "Bcc";
	case IMAP_SKEY_CC:
		return "Cc";
	case IMAP_SKEY_FROM:
		return "From";
	case IMAP_SKEY_SUBJECT:
		return "Subject";
	case IMAP_SKEY_TO:
		return "To";
	default:
		return NULL;
	}
}

static bool compile_set(struct compile_ctx *c, const struct imap_search_node *n, struct enode *e)
{
	const struct imap_view *v = c->view;
	uint32_t max;

	if (n->u.set.saved) {
		e->saved = true;
		return true;
	}
	if (n->key == IMAP_SKEY_UIDSET)
		max = v->count > 0 ? v->uids[v->count - 1] : 0;
	else
		max = v->count > UINT32_MAX ? UINT32_MAX : (uint32_t)v->count;
	return imap_seqset_resolve(&n->u.set, max, c->arena, &e->set) == 0;
}

static bool compile_header(struct compile_ctx *c, const struct imap_search_node *n, struct enode *e)
{
	const struct imap_search_str *value = &n->u.str;

	/* From the decoded headers the store keeps (LEVEL_META); else from a parse. */
	e->cost = LEVEL_META;
	if (n->key == IMAP_SKEY_HEADER) {
		value = &n->u.header.value;
		if (memchr(n->u.header.field.data, '\0', n->u.header.field.len) == NULL) {
			e->field = imap_arena_strndup(c->arena, n->u.header.field.data,
			                              n->u.header.field.len);
			if (e->field == NULL)
				return false;
		}
	} else {
		e->field = header_name(n->key);
	}
	return pattern_init(&e->pat, value, c->arena);
}

static struct enode *compile_node(struct compile_ctx *c, const struct imap_search_node *n);

static bool compile_children(struct compile_ctx *c, const struct imap_search_node *n,
                             struct enode *e)
{
	struct enode **tail = &e->child;
	const struct imap_search_node *ch;

	e->cost = LEVEL_VIEW;
	for (ch = n->child; ch != NULL; ch = ch->next) {
		if ((*tail = compile_node(c, ch)) == NULL)
			return false;
		if ((*tail)->cost > e->cost)
			e->cost = (*tail)->cost;
		tail = &(*tail)->next;
	}
	return true;
}

static bool compile_leaf(struct compile_ctx *c, const struct imap_search_node *n, struct enode *e)
{
	const struct imap_date *d = &n->u.date;

	switch (n->key) {
	case IMAP_SKEY_SEQSET:
	case IMAP_SKEY_UIDSET:
		return compile_set(c, n, e);
	case IMAP_SKEY_FLAG:
		e->recent = n->u.flag == IMAP_SEARCH_FLAG_RECENT;
		e->flags = store_flag_of(n->u.flag);
		return true;
	case IMAP_SKEY_KEYWORD:
		e->str = n->u.str;
		return true;
	case IMAP_SKEY_MODSEQ:
		e->number = n->u.modseq.value;
		return true;
	case IMAP_SKEY_BEFORE:
	case IMAP_SKEY_ON:
	case IMAP_SKEY_SINCE:
	case IMAP_SKEY_SENTBEFORE:
	case IMAP_SKEY_SENTON:
	case IMAP_SKEY_SENTSINCE:
		e->cost = LEVEL_META;
		e->day = mime_days_from_civil(d->year, d->month, d->day);
		return true;
	case IMAP_SKEY_LARGER:
	case IMAP_SKEY_SMALLER:
		e->cost = LEVEL_META;
		e->number = n->u.number;
		return true;
	case IMAP_SKEY_BODY:
	case IMAP_SKEY_TEXT:
		e->cost = LEVEL_BODY;
		return pattern_init(&e->pat, &n->u.str, c->arena);
	case IMAP_SKEY_BCC:
	case IMAP_SKEY_CC:
	case IMAP_SKEY_FROM:
	case IMAP_SKEY_SUBJECT:
	case IMAP_SKEY_TO:
	case IMAP_SKEY_HEADER:
		return compile_header(c, n, e);
	default:
		return true; /* ALL */
	}
}

static struct enode *compile_node(struct compile_ctx *c, const struct imap_search_node *n)
{
	struct enode *e = imap_arena_alloc(c->arena, sizeof(*e));
	bool ok;

	if (e == NULL)
		return NULL;
	e->key = n->key;
	e->cost = LEVEL_VIEW;
	if (n->key == IMAP_SKEY_AND || n->key == IMAP_SKEY_OR || n->key == IMAP_SKEY_NOT)
		ok = compile_children(c, n, e);
	else
		ok = compile_leaf(c, n, e);
	return ok ? e : NULL;
}

struct imap_search_eval *imap_search_eval_new(const struct imap_search *search,
                                              const struct imap_view *view, struct store *store,
                                              const uint32_t *saved, size_t n_saved,
                                              struct imap_arena *arena)
{
	struct compile_ctx c = {.view = view, .arena = arena};
	struct imap_search_eval *ev;
	struct enode *root = compile_node(&c, search->root);

	if (root == NULL)
		return NULL;
	ev = xcalloc(1, sizeof(*ev));
	ev->root = root;
	ev->view = view;
	ev->store = store;
	ev->saved = saved;
	ev->n_saved = saved != NULL ? n_saved : 0;
	buf_init(&ev->headers, IMAP_SEARCH_TEXT_MAX);
	buf_init(&ev->body, IMAP_SEARCH_TEXT_MAX);
	return ev;
}

static void msg_reset(struct imap_search_eval *ev)
{
	struct emsg *m = &ev->msg;

	if (!m->meta_borrowed)
		store_message_meta_deinit(&m->meta);
	mime_message_free(&m->mime);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

void imap_search_eval_free(struct imap_search_eval **_ev)
{
	struct imap_search_eval *ev = *_ev;

	if (ev == NULL)
		return;
	msg_reset(ev);
	buf_deinit(&ev->headers);
	buf_deinit(&ev->body);
	XFREE(*_ev);
}

size_t imap_search_eval_parsed(const struct imap_search_eval *ev)
{
	return ev->n_parsed;
}

/* --- loading a message, level by level --- */

/*
 * The Date: value as the ENVELOPE stored it: its first element, a quoted
 * string or a literal. Copied (unescaped) into out; false if NIL or odd.
 */
static bool envelope_date(const char *env, char out[SEARCH_ENVELOPE_DATE_MAX], size_t *len_r)
{
	const char *p = env;
	size_t n = 0, lit = 0;

	if (p == NULL || *p++ != '(')
		return false;
	if (*p == '"') {
		for (p++; *p != '"' && *p != '\0'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (n == SEARCH_ENVELOPE_DATE_MAX)
				return false;
			out[n++] = *p;
		}
		*len_r = n;
		return *p == '"';
	}
	if (*p++ != '{')
		return false;
	while (*p >= '0' && *p <= '9' && lit <= SEARCH_ENVELOPE_DATE_MAX)
		lit = lit * 10 + (size_t)(*p++ - '0');
	if (lit > SEARCH_ENVELOPE_DATE_MAX || strncmp(p, "}\r\n", 3) != 0 ||
	    strnlen(p + 3, lit) != lit)
		return false;
	memcpy(out, p + 3, lit);
	*len_r = lit;
	return true;
}

static void compute_days(struct emsg *m)
{
	if (m->have_days)
		return;
	m->have_days = true;
	char date[SEARCH_ENVELOPE_DATE_MAX];
	size_t len;
	time_t t;
	int tz;

	m->day = day_of(m->meta.internaldate, m->meta.internaldate_tz);
	if (envelope_date(m->meta.envelope, date, &len) && mime_parse_date(date, len, &t, &tz))
		m->sent_day = day_of(t, tz);
	else /* store.h: sent_date is the internal date when Date: is absent or broken */
		m->sent_day = day_of(m->meta.sent_date, m->meta.internaldate_tz);
}

/* Makes level available for the current message. Returns 0 or STORE_ERR_*. */
static int load_level(struct imap_search_eval *ev, enum level level)
{
	struct emsg *m = &ev->msg;
	int ret = 0;

	if (level == LEVEL_META) {
		ret = store_message_meta(ev->store, ev->view->mailbox_id, m->uid, &m->meta);
	} else if (level == LEVEL_MIME) {
		ret = store_message_data(ev->store, m->meta.message_id, &m->data, &m->size);
		if (ret == 0) {
			m->mime = mime_parse(m->data, m->size);
			ev->n_parsed++;
		}
	}
	/* LEVEL_BODY: the text is decoded lazily, only for the keys that ask. */
	if (ret == STORE_ERR_NOTFOUND) {
		m->gone = true;
		ret = 0;
	}
	return ret;
}

/* --- evaluating --- */

/*
 * The decoded header lines: kept by the store since delivery, or (for
 * messages stored without them) from the parsed message. NULL while neither
 * is available at this level.
 */
static const char *headers_text(struct imap_search_eval *ev, enum level level, size_t *len_r)
{
	struct emsg *m = &ev->msg;

	if (m->meta.headers != NULL) {
		*len_r = strlen(m->meta.headers);
		return m->meta.headers;
	}
	if (level < LEVEL_MIME)
		return NULL;
	if (!m->have_headers) {
		buf_reset(&ev->headers);
		mime_headers_decoded(m->mime, &ev->headers);
		m->have_headers = true;
	}
	*len_r = ev->headers.len;
	return ev->headers.data != NULL ? ev->headers.data : "";
}

static const struct buf *body_text(struct imap_search_eval *ev)
{
	if (!ev->msg.have_body) {
		buf_reset(&ev->body);
		mime_body_text(ev->msg.mime, &ev->body);
		ev->msg.have_body = true;
	}
	return &ev->body;
}

/* Whether a field named e->field has a value containing the pattern. */
static enum tri header_match(struct imap_search_eval *ev, const struct enode *e, enum level level)
{
	size_t len, name_len = e->field ? strlen(e->field) : 0;
	const char *p = headers_text(ev, level, &len), *end;

	if (e->field == NULL)
		return TRI_FALSE;
	if (p == NULL)
		return TRI_UNKNOWN;
	for (end = p + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t line = eol ? (size_t)(eol - p) : (size_t)(end - p);

		/* Each line is "Name: value". */
		if (line >= name_len + 2 && strncasecmp(p, e->field, name_len) == 0 &&
		    p[name_len] == ':' && p[name_len + 1] == ' ' &&
		    pattern_find(&e->pat, p + name_len + 2, line - name_len - 2))
			return TRI_TRUE;
		p += line + 1;
	}
	return TRI_FALSE;
}

static bool buf_match(const struct pattern *p, const struct buf *b)
{
	return pattern_find(p, b->data, b->len);
}

/* TEXT: the headers alone can say yes before the body is decoded. */
static enum tri text_match(struct imap_search_eval *ev, const struct enode *e, enum level level)
{
	size_t len;
	const char *h = headers_text(ev, level, &len);

	if (h != NULL && pattern_find(&e->pat, h, len))
		return TRI_TRUE;
	if (level < LEVEL_BODY)
		return TRI_UNKNOWN;
	return tri_of(buf_match(&e->pat, body_text(ev)));
}

static enum tri eval_view_key(struct imap_search_eval *ev, const struct enode *e)
{
	const struct imap_view *v = ev->view;
	const struct emsg *m = &ev->msg;

	switch (e->key) {
	case IMAP_SKEY_SEQSET:
		if (e->saved)
			return tri_of(saved_contains(ev, m->uid));
		return tri_of(m->idx < UINT32_MAX &&
		              imap_seqset_resolved_contains(&e->set, (uint32_t)m->idx + 1));
	case IMAP_SKEY_UIDSET:
		return tri_of(e->saved ? saved_contains(ev, m->uid)
		                       : imap_seqset_resolved_contains(&e->set, m->uid));
	case IMAP_SKEY_FLAG:
		if (e->recent)
			return tri_of(m->uid >= v->recent_uid);
		return tri_of((v->flags[m->idx] & e->flags) != 0);
	case IMAP_SKEY_KEYWORD:
		return tri_of(keyword_in(v->keywords[m->idx], &e->str));
	case IMAP_SKEY_MODSEQ:
		return tri_of(v->modseqs[m->idx] >= e->number);
	default:
		return TRI_TRUE; /* ALL */
	}
}

static enum tri eval_meta_key(struct imap_search_eval *ev, const struct enode *e)
{
	struct emsg *m = &ev->msg;

	compute_days(m);
	switch (e->key) {
	case IMAP_SKEY_BEFORE:
		return tri_of(m->day < e->day);
	case IMAP_SKEY_ON:
		return tri_of(m->day == e->day);
	case IMAP_SKEY_SINCE:
		return tri_of(m->day >= e->day);
	case IMAP_SKEY_SENTBEFORE:
		return tri_of(m->sent_day < e->day);
	case IMAP_SKEY_SENTON:
		return tri_of(m->sent_day == e->day);
	case IMAP_SKEY_SENTSINCE:
		return tri_of(m->sent_day >= e->day);
	case IMAP_SKEY_LARGER:
		return tri_of(m->meta.size > e->number);
	default: /* SMALLER */
		return tri_of(m->meta.size < e->number);
	}
}

static enum tri eval_leaf(struct imap_search_eval *ev, struct enode *e, enum level level)
{
	enum tri r;

	if (e->cost == LEVEL_VIEW)
		return eval_view_key(ev, e);
	if (level < LEVEL_META)
		return TRI_UNKNOWN;
	if (e->memo_serial == ev->serial)
		return e->memo;
	if (e->key == IMAP_SKEY_TEXT)
		r = text_match(ev, e, level);
	else if (e->key == IMAP_SKEY_BODY)
		r = level < LEVEL_BODY ? TRI_UNKNOWN : tri_of(buf_match(&e->pat, body_text(ev)));
	else if (e->key == IMAP_SKEY_HEADER || header_name(e->key) != NULL)
		r = header_match(ev, e, level);
	else
		r = eval_meta_key(ev, e);
	if (r != TRI_UNKNOWN) {
		e->memo_serial = ev->serial;
		e->memo = r;
	}
	return r;
}

/* Kleene logic: FALSE decides an AND, TRUE an OR, UNKNOWN otherwise stays. */
static enum tri eval_node(struct imap_search_eval *ev, struct enode *e, enum level level)
{
	struct enode *ch;
	enum tri r, acc;

	switch (e->key) {
	case IMAP_SKEY_AND:
	case IMAP_SKEY_OR:
		acc = e->key == IMAP_SKEY_AND ? TRI_TRUE : TRI_FALSE;
		for (ch = e->child; ch != NULL; ch = ch->next) {
			r = eval_node(ev, ch, level);
			if (r == TRI_UNKNOWN)
				acc = TRI_UNKNOWN;
			else if ((r == TRI_TRUE) == (e->key == IMAP_SKEY_OR))
				return r;
		}
		return acc;
	case IMAP_SKEY_NOT:
		r = eval_node(ev, e->child, level);
		return r == TRI_UNKNOWN ? r : tri_of(r == TRI_FALSE);
	default:
		return eval_leaf(ev, e, level);
	}
}

static int match(struct imap_search_eval *ev, size_t seq, const struct store_message_meta *meta)
{
	struct emsg *m = &ev->msg;
	enum level level = LEVEL_VIEW;
	enum tri r;
	int ret = 0;

	ASSERT(seq >= 1 && seq <= ev->view->count);
	msg_reset(ev);
	ev->serial++;
	m->idx = seq - 1;
	m->uid = ev->view->uids[m->idx];
	if (meta != NULL) {
		m->meta = *meta;
		m->meta_borrowed = true;
	}
	while ((r = eval_node(ev, ev->root, level)) == TRI_UNKNOWN) {
		ASSERT(level < LEVEL_BODY); /* nothing is unknown once the body is there */
		level++;
		if (level == LEVEL_META && meta != NULL)
			continue;
		if ((ret = load_level(ev, level)) < 0 || m->gone)
			break; /* RFC 2180 4.1: an expunged message's data matches nothing */
	}
	if (r != TRI_UNKNOWN)
		ret = r == TRI_TRUE;
	msg_reset(ev);
	return ret;
}

int imap_search_eval_match(struct imap_search_eval *ev, size_t seq)
{
	return match(ev, seq, NULL);
}

int imap_search_eval_match_meta(struct imap_search_eval *ev, size_t seq,
                                const struct store_message_meta *meta)
{
	return match(ev, seq, meta);
}

bool imap_search_eval_needs_meta(const struct imap_search_eval *ev)
{
	return ev->root->cost >= LEVEL_META;
}
