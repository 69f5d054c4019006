/*
 * search-parse.c - SEARCH program to a key tree (RFC 3501/9051 6.4.4 and
 * section 9 "search-key", RFC 4466 2.6 / RFC 4731 / RFC 5182 RETURN, RFC 7162
 * 3.1.5 MODSEQ).
 *
 * Limits: IMAP_SEARCH_MAX_DEPTH, IMAP_SEARCH_MAX_NODES, and the seqset limits.
 * Attacker control: all arguments. Recursion depth is bounded by
 * IMAP_SEARCH_MAX_DEPTH (NOT NOT NOT ... does not nest lists, so the
 * tokenizer's depth limit does not cover it).
 */
#include "imap/search-parse.h"

#include <string.h>

#include "base/mem.h"
#include "base/str.h"

enum search_syntax {
	SYN_NONE,      /* ALL */
	SYN_FLAG,      /* ANSWERED ... */
	SYN_UNFLAG,    /* UNANSWERED ... */
	SYN_STRING,    /* BCC x ... */
	SYN_DATE,      /* BEFORE d ... */
	SYN_NUMBER,    /* LARGER n, SMALLER n */
	SYN_KEYWORD,   /* KEYWORD k */
	SYN_UNKEYWORD, /* UNKEYWORD k */
	SYN_HEADER,    /* HEADER f v */
	SYN_NOT,
	SYN_OR,
	SYN_UID,
	SYN_NEW,
	SYN_OLD,
	SYN_MODSEQ,
};

static const struct {
	const char *name;
	enum search_syntax syntax;
	enum imap_search_key key;
	unsigned flag;
} search_keys[] = {
        {"ALL", SYN_NONE, IMAP_SKEY_ALL, 0},
        {"ANSWERED", SYN_FLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_ANSWERED},
        {"DELETED", SYN_FLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_DELETED},
        {"DRAFT", SYN_FLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_DRAFT},
        {"FLAGGED", SYN_FLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_FLAGGED},
        {"SEEN", SYN_FLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_SEEN},
        {"RECENT", SYN_FLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_RECENT},
        {"UNANSWERED", SYN_UNFLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_ANSWERED},
        {"UNDELETED", SYN_UNFLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_DELETED},
        {"UNDRAFT", SYN_UNFLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_DRAFT},
        {"UNFLAGGED", SYN_UNFLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_FLAGGED},
        {"UNSEEN", SYN_UNFLAG, IMAP_SKEY_FLAG, IMAP_SEARCH_FLAG_SEEN},
        {"BCC", SYN_STRING, IMAP_SKEY_BCC, 0},
        {"BODY", SYN_STRING, IMAP_SKEY_BODY, 0},
        {"CC", SYN_STRING, IMAP_SKEY_CC, 0},
        {"FROM", SYN_STRING, IMAP_SKEY_FROM, 0},
        {"SUBJECT", SYN_STRING, IMAP_SKEY_SUBJECT, 0},
        {"TEXT", SYN_STRING, IMAP_SKEY_TEXT, 0},
        {"TO", SYN_STRING, IMAP_SKEY_TO, 0},
        {"BEFORE", SYN_DATE, IMAP_SKEY_BEFORE, 0},
        {"ON", SYN_DATE, IMAP_SKEY_ON, 0},
        {"SINCE", SYN_DATE, IMAP_SKEY_SINCE, 0},
        {"SENTBEFORE", SYN_DATE, IMAP_SKEY_SENTBEFORE, 0},
        {"SENTON", SYN_DATE, IMAP_SKEY_SENTON, 0},
        {"SENTSINCE", SYN_DATE, IMAP_SKEY_SENTSINCE, 0},
        {"LARGER", SYN_NUMBER, IMAP_SKEY_LARGER, 0},
        {"SMALLER", SYN_NUMBER, IMAP_SKEY_SMALLER, 0},
        {"KEYWORD", SYN_KEYWORD, IMAP_SKEY_KEYWORD, 0},
        {"UNKEYWORD", SYN_UNKEYWORD, IMAP_SKEY_KEYWORD, 0},
        {"HEADER", SYN_HEADER, IMAP_SKEY_HEADER, 0},
        {"NOT", SYN_NOT, IMAP_SKEY_NOT, 0},
        {"OR", SYN_OR, IMAP_SKEY_OR, 0},
        {"UID", SYN_UID, IMAP_SKEY_UIDSET, 0},
        {"NEW", SYN_NEW, IMAP_SKEY_AND, 0},
        {"OLD", SYN_OLD, IMAP_SKEY_NOT, 0},
        {"MODSEQ", SYN_MODSEQ, IMAP_SKEY_MODSEQ, 0},
};

struct search_ctx {
	struct imap_arena *arena;
	struct imap_search *search;
	const struct imap_arg *args;
	size_t n_args;
	size_t pos; /* next argument in args */
	size_t n_nodes;
	const char *error;
};

static struct imap_search_node *search_fail(struct search_ctx *ctx, const char *error)
{
	if (ctx->error == NULL)
		ctx->error = error;
	return NULL;
}

static struct imap_search_node *node_new(struct search_ctx *ctx, enum imap_search_key key)
{
	struct imap_search_node *node;

	if (ctx->n_nodes >= IMAP_SEARCH_MAX_NODES)
		return search_fail(ctx, "Search program too large");
	node = imap_arena_alloc(ctx->arena, sizeof(*node));
	if (node == NULL)
		return search_fail(ctx, "Command too large");
	ctx->n_nodes++;
	node->key = key;
	return node;
}

/* A node with the given key over one child. */
static struct imap_search_node *node_wrap(struct search_ctx *ctx, enum imap_search_key key,
                                          struct imap_search_node *child)
{
	struct imap_search_node *node;

	if (child == NULL || (node = node_new(ctx, key)) == NULL)
		return NULL;
	node->child = child;
	return node;
}

static struct imap_search_node *flag_node(struct search_ctx *ctx, unsigned flag, bool negate)
{
	struct imap_search_node *node = node_new(ctx, IMAP_SKEY_FLAG);

	if (node != NULL)
		node->u.flag = flag;
	return negate ? node_wrap(ctx, IMAP_SKEY_NOT, node) : node;
}

static const struct imap_arg *next_arg(struct search_ctx *ctx)
{
	if (ctx->pos == ctx->n_args) {
		search_fail(ctx, "Missing search key argument");
		return NULL;
	}
	return &ctx->args[ctx->pos++];
}

static bool number64(const struct imap_arg *arg, uint64_t *v_r)
{
	return arg->type == IMAP_ARG_ATOM &&
	       str_to_u64(arg->str, arg->len, IMAP_SEARCH_NUMBER64_MAX, v_r);
}

bool imap_date_parse(const char *s, size_t len, struct imap_date *date_r)
{
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	static const uint8_t days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	size_t dlen = len >= 2 && s[1] == '-' ? 1 : 2; /* date-day = 1*2DIGIT */
	uint64_t day, year;
	unsigned m;

	if (len != dlen + 9 || s[dlen] != '-' || s[dlen + 4] != '-' ||
	    !str_to_u64(s, dlen, 31, &day) || day == 0 || !str_to_u64(s + dlen + 5, 4, 9999, &year))
		return false;
	for (m = 0; m < 12 && !str_eqn_ci(s + dlen + 1, 3, months[m]); m++)
		;
	if (m == 12 || day > days[m])
		return false;
	if (m == 1 && day == 29 && (year % 4 != 0 || (year % 100 == 0 && year % 400 != 0)))
		return false;
	*date_r = (struct imap_date){(uint16_t)year, (uint8_t)(m + 1), (uint8_t)day};
	return true;
}

static struct imap_search_node *parse_string(struct search_ctx *ctx, enum imap_search_key key)
{
	const struct imap_arg *arg = next_arg(ctx);
	struct imap_search_node *node;

	if (arg == NULL)
		return NULL;
	if (!imap_arg_is_astring(arg))
		return search_fail(ctx, "Invalid search string");
	node = node_new(ctx, key);
	if (node != NULL)
		node->u.str = (struct imap_search_str){arg->str, arg->len};
	return node;
}

static struct imap_search_node *parse_header(struct search_ctx *ctx)
{
	const struct imap_arg *field = next_arg(ctx);
	struct imap_search_node *node;

	if (field == NULL)
		return NULL;
	if (!imap_arg_is_astring(field) || field->len == 0)
		return search_fail(ctx, "Invalid header field name");
	node = parse_string(ctx, IMAP_SKEY_HEADER);
	if (node != NULL) {
		node->u.header.value = node->u.str;
		node->u.header.field = (struct imap_search_str){field->str, field->len};
	}
	return node;
}

static struct imap_search_node *parse_date(struct search_ctx *ctx, enum imap_search_key key)
{
	const struct imap_arg *arg = next_arg(ctx);
	struct imap_search_node *node;
	struct imap_date date;

	if (arg == NULL)
		return NULL;
	if ((arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_STRING) ||
	    !imap_date_parse(arg->str, arg->len, &date))
		return search_fail(ctx, "Invalid search date");
	node = node_new(ctx, key);
	if (node != NULL)
		node->u.date = date;
	return node;
}

static struct imap_search_node *parse_number(struct search_ctx *ctx, enum imap_search_key key)
{
	const struct imap_arg *arg = next_arg(ctx);
	struct imap_search_node *node;
	uint64_t v;

	if (arg == NULL)
		return NULL;
	if (!number64(arg, &v))
		return search_fail(ctx, "Invalid search number");
	node = node_new(ctx, key);
	if (node != NULL)
		node->u.number = v;
	return node;
}

static struct imap_search_node *parse_keyword(struct search_ctx *ctx, bool negate)
{
	const struct imap_arg *arg = next_arg(ctx);
	struct imap_search_node *node;

	if (arg == NULL)
		return NULL;
	/* flag-keyword = atom: no '\' (system flags) and no ']' */
	if ((arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL) ||
	    memchr(arg->str, '\\', arg->len) != NULL || memchr(arg->str, ']', arg->len) != NULL)
		return search_fail(ctx, "Invalid search keyword");
	node = node_new(ctx, IMAP_SKEY_KEYWORD);
	if (node != NULL)
		node->u.str = (struct imap_search_str){arg->str, arg->len};
	return negate ? node_wrap(ctx, IMAP_SKEY_NOT, node) : node;
}

static struct imap_search_node *set_node(struct search_ctx *ctx, enum imap_search_key key,
                                         const struct imap_arg *arg)
{
	struct imap_search_node *node;
	struct imap_seqset set;
	const char *error;

	if (arg->type != IMAP_ARG_ATOM)
		return search_fail(ctx, "Invalid sequence set");
	if (imap_seqset_parse(arg->str, arg->len, ctx->arena, &set, &error) < 0)
		return search_fail(ctx, error);
	node = node_new(ctx, key);
	if (node != NULL)
		node->u.set = set;
	ctx->search->uses_saved |= set.saved;
	return node;
}

static struct imap_search_node *parse_uid(struct search_ctx *ctx)
{
	const struct imap_arg *arg = next_arg(ctx);

	return arg == NULL ? NULL : set_node(ctx, IMAP_SKEY_UIDSET, arg);
}

/* RFC 7162 3.1.5: MODSEQ ["/flags/<flag>" priv|shared|all] <valzer>. */
static struct imap_search_node *parse_modseq(struct search_ctx *ctx)
{
	static const char *const types[] = {"priv", "shared", "all"};
	const struct imap_arg *arg = next_arg(ctx), *type;
	struct imap_search_node *node = node_new(ctx, IMAP_SKEY_MODSEQ);
	size_t i;

	if (arg == NULL || node == NULL)
		return NULL;
	if (arg->type == IMAP_ARG_STRING) {
		if (arg->len <= 7 || !str_eqn_ci(arg->str, 7, "/flags/"))
			return search_fail(ctx, "Invalid MODSEQ entry name");
		if ((type = next_arg(ctx)) == NULL)
			return NULL;
		for (i = 0; i < N_ELEMENTS(types) && !imap_arg_atom_eq(type, types[i]); i++)
			;
		if (i == N_ELEMENTS(types))
			return search_fail(ctx, "Invalid MODSEQ entry type");
		node->u.modseq.entry = (struct imap_search_str){arg->str, arg->len};
		node->u.modseq.type = IMAP_MODSEQ_ENTRY_PRIV + (enum imap_modseq_entry_type)i;
		if ((arg = next_arg(ctx)) == NULL)
			return NULL;
	}
	if (!number64(arg, &node->u.modseq.value))
		return search_fail(ctx, "Invalid MODSEQ value");
	ctx->search->has_modseq = true;
	return node;
}

static struct imap_search_node *parse_key(struct search_ctx *ctx, unsigned depth);

/* Reads keys from the current position until the end of args; links them. */
static struct imap_search_node *parse_key_list(struct search_ctx *ctx, unsigned depth)
{
	struct imap_search_node *and = node_new(ctx, IMAP_SKEY_AND), **tail;

	if (and == NULL)
		return NULL;
	if (ctx->pos == ctx->n_args)
		return search_fail(ctx, "Missing search key");
	for (tail = &and->child; ctx->pos < ctx->n_args; tail = &(*tail)->next) {
		*tail = parse_key(ctx, depth);
		if (*tail == NULL)
			return NULL;
	}
	return and;
}

static struct imap_search_node *parse_paren(struct search_ctx *ctx, const struct imap_arg *arg,
                                            unsigned depth)
{
	struct search_ctx sub = *ctx;
	struct imap_search_node *node;

	sub.args = arg->list;
	sub.n_args = arg->list_count;
	sub.pos = 0;
	node = parse_key_list(&sub, depth);
	ctx->n_nodes = sub.n_nodes;
	ctx->error = sub.error;
	return node;
}

static struct imap_search_node *parse_or(struct search_ctx *ctx, unsigned depth)
{
	struct imap_search_node *a, *node;

	if ((a = parse_key(ctx, depth)) == NULL || (a->next = parse_key(ctx, depth)) == NULL)
		return NULL;
	node = node_wrap(ctx, IMAP_SKEY_OR, a);
	return node;
}

static struct imap_search_node *parse_named_key(struct search_ctx *ctx, size_t k, unsigned depth)
{
	struct imap_search_node *node;

	switch (search_keys[k].syntax) {
	case SYN_NONE:
		return node_new(ctx, search_keys[k].key);
	case SYN_FLAG:
	case SYN_UNFLAG:
		return flag_node(ctx, search_keys[k].flag, search_keys[k].syntax == SYN_UNFLAG);
	case SYN_STRING:
		return parse_string(ctx, search_keys[k].key);
	case SYN_DATE:
		return parse_date(ctx, search_keys[k].key);
	case SYN_NUMBER:
		return parse_number(ctx, search_keys[k].key);
	case SYN_KEYWORD:
	case SYN_UNKEYWORD:
		return parse_keyword(ctx, search_keys[k].syntax == SYN_UNKEYWORD);
	case SYN_HEADER:
		return parse_header(ctx);
	case SYN_NOT:
		return node_wrap(ctx, IMAP_SKEY_NOT, parse_key(ctx, depth));
	case SYN_OR:
		return parse_or(ctx, depth);
	case SYN_UID:
		return parse_uid(ctx);
	case SYN_NEW:
		node = flag_node(ctx, IMAP_SEARCH_FLAG_RECENT, false);
		if (node == NULL ||
		    (node->next = flag_node(ctx, IMAP_SEARCH_FLAG_SEEN, true)) == NULL)
			return NULL;
		return node_wrap(ctx, IMAP_SKEY_AND, node);
	case SYN_OLD:
		return flag_node(ctx, IMAP_SEARCH_FLAG_RECENT, true);
	case SYN_MODSEQ:
		return parse_modseq(ctx);
	}
	return search_fail(ctx, "Invalid search key");
}

static struct imap_search_node *parse_key(struct search_ctx *ctx, unsigned depth)
{
	const struct imap_arg *arg = next_arg(ctx);
	size_t k;

	if (arg == NULL)
		return NULL;
	if (depth + 1 > IMAP_SEARCH_MAX_DEPTH)
		return search_fail(ctx, "Search program too deeply nested");
	if (arg->type == IMAP_ARG_LIST)
		return parse_paren(ctx, arg, depth + 1);
	if (arg->type != IMAP_ARG_ATOM || arg->len == 0)
		return search_fail(ctx, "Invalid search key");
	if ((arg->str[0] >= '0' && arg->str[0] <= '9') || arg->str[0] == '*' || arg->str[0] == '$')
		return set_node(ctx, IMAP_SKEY_SEQSET, arg);
	for (k = 0; k < N_ELEMENTS(search_keys); k++) {
		if (imap_arg_atom_eq(arg, search_keys[k].name))
			return parse_named_key(ctx, k, depth + 1);
	}
	return search_fail(ctx, "Unknown search key");
}

/* RFC 4466 2.6: RETURN (opt ...); RFC 4731 MIN MAX ALL COUNT, RFC 5182 SAVE. */
static int parse_return(struct search_ctx *ctx, const struct imap_arg *list)
{
	static const char *const opts[] = {"MIN", "MAX", "ALL", "COUNT", "SAVE"};
	size_t i, o;

	if (list->type != IMAP_ARG_LIST) {
		search_fail(ctx, "Invalid RETURN options");
		return -1;
	}
	ctx->search->esearch = true;
	for (i = 0; i < list->list_count; i++) {
		for (o = 0; o < N_ELEMENTS(opts) && !imap_arg_atom_eq(&list->list[i], opts[o]); o++)
			;
		if (o == N_ELEMENTS(opts)) {
			search_fail(ctx, "Unknown RETURN option");
			return -1;
		}
		ctx->search->return_opts |= 1u << o;
	}
	if (list->list_count == 0)
		ctx->search->return_opts = IMAP_SEARCH_RETURN_ALL;
	return 0;
}

/* CHARSET x: UTF-8 and US-ASCII only. */
static int parse_charset(struct search_ctx *ctx)
{
	const struct imap_arg *arg = ctx->pos < ctx->n_args ? next_arg(ctx) : NULL;

	if (arg == NULL || !imap_arg_is_astring(arg)) {
		search_fail(ctx, "Invalid CHARSET");
		return IMAP_SEARCH_ERROR;
	}
	if ((arg->len == 5 && str_eqn_ci(arg->str, 5, "UTF-8")) ||
	    (arg->len == 8 && str_eqn_ci(arg->str, 8, "US-ASCII")))
		return IMAP_SEARCH_OK;
	search_fail(ctx, "Unsupported charset");
	return IMAP_SEARCH_BADCHARSET;
}

static int search_finish(struct search_ctx *ctx, struct imap_search *search_r, const char **error_r)
{
	search_r->root = parse_key_list(ctx, 0);
	if (search_r->root != NULL)
		return IMAP_SEARCH_OK;
	*error_r = ctx->error;
	memset(search_r, 0, sizeof(*search_r));
	return IMAP_SEARCH_ERROR;
}

int imap_search_parse_keys(const struct imap_arg *args, size_t n_args, struct imap_arena *arena,
                           struct imap_search *search_r, const char **error_r)
{
	struct search_ctx ctx = {
	        .arena = arena, .search = search_r, .args = args, .n_args = n_args};

	memset(search_r, 0, sizeof(*search_r));
	return search_finish(&ctx, search_r, error_r);
}

int imap_search_parse(const struct imap_arg *args, size_t n_args, struct imap_arena *arena,
                      struct imap_search *search_r, const char **error_r)
{
	struct search_ctx ctx = {
	        .arena = arena, .search = search_r, .args = args, .n_args = n_args};
	int ret;

	memset(search_r, 0, sizeof(*search_r));
	if (n_args >= 2 && imap_arg_atom_eq(&args[0], "RETURN")) {
		if (parse_return(&ctx, &args[1]) < 0) {
			*error_r = ctx.error;
			return IMAP_SEARCH_ERROR;
		}
		ctx.pos = 2;
	}
	if (ctx.pos < n_args && imap_arg_atom_eq(&args[ctx.pos], "CHARSET")) {
		ctx.pos++;
		ret = parse_charset(&ctx);
		if (ret != IMAP_SEARCH_OK) {
			*error_r = ctx.error;
			memset(search_r, 0, sizeof(*search_r));
			return ret;
		}
	}
	return search_finish(&ctx, search_r, error_r);
}
