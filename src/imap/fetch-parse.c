/*
 * fetch-parse.c - FETCH attributes to items (RFC 3501/9051 6.4.5 and section 9
 * "fetch-att", "section", "partial"; RFC 3516 BINARY; RFC 7162 MODSEQ,
 * CHANGEDSINCE, VANISHED; RFC 4466 fetch modifiers).
 *
 * A sectioned attribute arrives as ONE atom from the tokenizer, e.g.
 * BODY.PEEK[1.2.HEADER.FIELDS (From "To")]<0.100>; this file splits it into
 * prefix, section and partial, and tokenizes the header list again with
 * imap_parse_args().
 *
 * Limits: IMAP_FETCH_MAX_ITEMS, IMAP_SECTION_MAX_DEPTH, IMAP_FETCH_MAX_FIELDS,
 * IMAP_FETCH_FIELD_MAX_LEN, IMAP_FETCH_NUMBER64_MAX.
 * Attacker control: all arguments.
 */
#include "imap/fetch-parse.h"

#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"

struct fetch_simple {
	const char *name;
	enum imap_fetch_kind kind;
};

static const struct fetch_simple fetch_simple_atts[] = {
        {"FLAGS", IMAP_FETCH_FLAGS},
        {"UID", IMAP_FETCH_UID},
        {"INTERNALDATE", IMAP_FETCH_INTERNALDATE},
        {"RFC822.SIZE", IMAP_FETCH_RFC822_SIZE},
        {"ENVELOPE", IMAP_FETCH_ENVELOPE},
        {"BODY", IMAP_FETCH_BODY},
        {"BODYSTRUCTURE", IMAP_FETCH_BODYSTRUCTURE},
        {"MODSEQ", IMAP_FETCH_MODSEQ},
};

/* RFC 3501 6.4.5: RFC822* are equivalent to BODY sections. */
static const struct {
	const char *name;
	enum imap_section_kind section;
	bool peek;
} fetch_rfc822_atts[] = {
        {"RFC822", IMAP_SECTION_ALL, false},
        {"RFC822.HEADER", IMAP_SECTION_HEADER, true},
        {"RFC822.TEXT", IMAP_SECTION_TEXT, false},
};

static const struct {
	const char *prefix;
	const char *echo;
	enum imap_fetch_kind kind;
	bool peek;
} fetch_section_atts[] = {
        {"BODY", "BODY", IMAP_FETCH_BODY_SECTION, false},
        {"BODY.PEEK", "BODY", IMAP_FETCH_BODY_SECTION, true},
        {"BINARY", "BINARY", IMAP_FETCH_BINARY, false},
        {"BINARY.PEEK", "BINARY", IMAP_FETCH_BINARY, true},
        {"BINARY.SIZE", "BINARY.SIZE", IMAP_FETCH_BINARY_SIZE, true},
};

static const char *const fetch_section_names[] = {
        [IMAP_SECTION_ALL] = "",
        [IMAP_SECTION_HEADER] = "HEADER",
        [IMAP_SECTION_HEADER_FIELDS] = "HEADER.FIELDS",
        [IMAP_SECTION_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
        [IMAP_SECTION_TEXT] = "TEXT",
        [IMAP_SECTION_MIME] = "MIME",
};

struct fetch_ctx {
	struct imap_arena *arena;
	struct imap_fetch *fetch;
	size_t cap;
	const char *error;
};

static int fetch_fail(struct fetch_ctx *ctx, const char *error)
{
	if (ctx->error == NULL)
		ctx->error = error;
	return -1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static struct imap_fetch_item *fetch_add(struct fetch_ctx *ctx, enum imap_fetch_kind kind)
{
	struct imap_fetch_item *item;

	if (ctx->fetch->n_items == ctx->cap) {
		fetch_fail(ctx, "Too many FETCH attributes");
		return NULL;
	}
	item = &ctx->fetch->items[ctx->fetch->n_items++];
	item->kind = kind;
	return item;
}

/* Header field name chars (RFC 5322 ftext: printable US-ASCII except ':'). */
static bool field_name_valid(const char *s, size_t len)
{
	if (len == 0 || len > IMAP_FETCH_FIELD_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ':')
			return false;
	}
	return true;
}

static int parse_field_list(struct fetch_ctx *ctx, const char *s, size_t len,
                            struct imap_section *section)
{
	struct imap_arg *args;
	const char **fields;
	size_t n, i;
	const char *error;

	if (imap_parse_args(s, len, 0, ctx->arena, &args, &n, &error) < 0)
		return fetch_fail(ctx, error);
	if (n != 1 || args[0].type != IMAP_ARG_LIST || args[0].list_count == 0)
		return fetch_fail(ctx, "Invalid header field list");
	if (args[0].list_count > IMAP_FETCH_MAX_FIELDS)
		return fetch_fail(ctx, "Too many header fields");
	n = args[0].list_count;
	fields = imap_arena_alloc_array(ctx->arena, n, sizeof(*fields));
	if (fields == NULL)
		return fetch_fail(ctx, "Command too large");
	for (i = 0; i < n; i++) {
		const struct imap_arg *a = &args[0].list[i];
		char *f;

		if (a->type == IMAP_ARG_LIST || !field_name_valid(a->str, a->len))
			return fetch_fail(ctx, "Invalid header field name");
		f = imap_arena_strndup(ctx->arena, a->str, a->len);
		if (f == NULL)
			return fetch_fail(ctx, "Command too large");
		for (char *c = f; *c != '\0'; c++)
			*c = (*c >= 'a' && *c <= 'z') ? (char)(*c - 'a' + 'A') : *c;
		fields[i] = f;
	}
	section->fields = fields;
	section->n_fields = n;
	return 0;
}

/* Reads the part numbers "1.2." at the start of s; *s_r moves past them. */
static int parse_part_path(struct fetch_ctx *ctx, const char **s_r, const char *end,
                           struct imap_section *section)
{
	uint32_t path[IMAP_SECTION_MAX_DEPTH];
	const char *s = *s_r;
	size_t n = 0;

	while (s < end && is_digit(*s)) {
		const char *q = s;
		uint64_t v;

		while (q < end && is_digit(*q))
			q++;
		if (!str_to_u64(s, (size_t)(q - s), UINT32_MAX, &v) || v == 0)
			return fetch_fail(ctx, "Invalid section part number");
		if (n == IMAP_SECTION_MAX_DEPTH)
			return fetch_fail(ctx, "Section part path too deep");
		path[n++] = (uint32_t)v;
		s = q;
		if (s == end)
			break;
		if (*s != '.' || s + 1 == end)
			return fetch_fail(ctx, "Invalid section");
		s++;
	}
	if (n > 0) {
		uint32_t *copy = imap_arena_alloc_array(ctx->arena, n, sizeof(*copy));

		if (copy == NULL)
			return fetch_fail(ctx, "Command too large");
		memcpy(copy, path, n * sizeof(*copy));
		section->path = copy;
		section->path_len = n;
	}
	*s_r = s;
	return 0;
}

static bool text_eq(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && str_eqn_ci(s, len, word);
}

/* The section-text after the part path: HEADER, HEADER.FIELDS (...), TEXT, MIME. */
static int parse_section_text(struct fetch_ctx *ctx, const char *s, const char *end,
                              struct imap_section *section)
{
	const char *sp = memchr(s, ' ', (size_t)(end - s));
	size_t word_len = (size_t)((sp != NULL ? sp : end) - s);

	if (text_eq(s, word_len, "HEADER.FIELDS"))
		section->kind = IMAP_SECTION_HEADER_FIELDS;
	else if (text_eq(s, word_len, "HEADER.FIELDS.NOT"))
		section->kind = IMAP_SECTION_HEADER_FIELDS_NOT;
	else if (sp != NULL)
		return fetch_fail(ctx, "Invalid section");
	else if (text_eq(s, word_len, "HEADER"))
		section->kind = IMAP_SECTION_HEADER;
	else if (text_eq(s, word_len, "TEXT"))
		section->kind = IMAP_SECTION_TEXT;
	else if (text_eq(s, word_len, "MIME") && section->path_len > 0)
		section->kind = IMAP_SECTION_MIME;
	else
		return fetch_fail(ctx, "Invalid section");
	if (section->kind == IMAP_SECTION_HEADER_FIELDS ||
	    section->kind == IMAP_SECTION_HEADER_FIELDS_NOT) {
		if (sp == NULL)
			return fetch_fail(ctx, "Missing header field list");
		return parse_field_list(ctx, sp + 1, (size_t)(end - sp - 1), section);
	}
	return 0;
}

static int parse_section(struct fetch_ctx *ctx, const char *s, const char *end, bool binary,
                         struct imap_section *section)
{
	section->kind = IMAP_SECTION_ALL;
	if (parse_part_path(ctx, &s, end, section) < 0)
		return -1;
	if (s == end)
		return 0;
	if (binary)
		return fetch_fail(ctx, "Invalid BINARY section");
	return parse_section_text(ctx, s, end, section);
}

/* Reads a number64 in s[0..len). */
static bool number64(const char *s, size_t len, uint64_t *v_r)
{
	return str_to_u64(s, len, IMAP_FETCH_NUMBER64_MAX, v_r);
}

/* "<origin.count>" (RFC 9051 "partial"). */
static int parse_partial(struct fetch_ctx *ctx, const char *s, const char *end,
                         struct imap_fetch_item *item)
{
	const char *dot;

	if (s == end)
		return 0;
	if (item->kind == IMAP_FETCH_BINARY_SIZE || *s != '<' || end[-1] != '>' || end - s < 5)
		return fetch_fail(ctx, "Invalid partial fetch");
	s++;
	end--;
	dot = memchr(s, '.', (size_t)(end - s));
	if (dot == NULL || !number64(s, (size_t)(dot - s), &item->origin) ||
	    !number64(dot + 1, (size_t)(end - dot - 1), &item->count) || item->count == 0)
		return fetch_fail(ctx, "Invalid partial fetch");
	item->partial = true;
	return 0;
}

/* Finds the ']' closing the section that starts after '[' at s (quote-aware). */
static const char *section_close(const char *s, const char *end)
{
	bool quoted = false;

	for (; s < end; s++) {
		if (quoted && *s == '\\' && s + 1 < end)
			s++;
		else if (*s == '"')
			quoted = !quoted;
		else if (!quoted && *s == ']')
			return s;
	}
	return NULL;
}

static void put_field(struct buf *b, const char *f)
{
	if (strpbrk(f, "(){%*\"\\]") == NULL) {
		buf_puts(b, f);
		return;
	}
	buf_putc(b, '"');
	for (; *f != '\0'; f++) {
		if (*f == '"' || *f == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *f);
	}
	buf_putc(b, '"');
}

/* Builds the response name, e.g. BODY[1.HEADER.FIELDS (FROM)]<0>. */
static int section_name(struct fetch_ctx *ctx, const char *echo, struct imap_fetch_item *item)
{
	const struct imap_section *sec = &item->section;
	struct buf b;
	size_t i;

	buf_init(&b, 0);
	buf_printf(&b, "%s[", echo);
	for (i = 0; i < sec->path_len; i++)
		buf_printf(&b, "%s%u", i > 0 ? "." : "", sec->path[i]);
	if (sec->path_len > 0 && sec->kind != IMAP_SECTION_ALL)
		buf_putc(&b, '.');
	buf_puts(&b, fetch_section_names[sec->kind]);
	for (i = 0; i < sec->n_fields; i++) {
		buf_puts(&b, i == 0 ? " (" : " ");
		put_field(&b, sec->fields[i]);
	}
	buf_puts(&b, sec->n_fields > 0 ? ")]" : "]");
	if (item->partial)
		buf_printf(&b, "<%llu>", (unsigned long long)item->origin);
	item->name = imap_arena_strndup(ctx->arena, b.data, b.len);
	buf_deinit(&b);
	return item->name == NULL ? fetch_fail(ctx, "Command too large") : 0;
}

static int parse_sectioned(struct fetch_ctx *ctx, const char *s, size_t len, const char *open)
{
	const char *end = s + len, *close = section_close(open + 1, end);
	struct imap_fetch_item *item;
	size_t i;

	for (i = 0; i < N_ELEMENTS(fetch_section_atts); i++) {
		if (text_eq(s, (size_t)(open - s), fetch_section_atts[i].prefix))
			break;
	}
	if (i == N_ELEMENTS(fetch_section_atts) || close == NULL)
		return fetch_fail(ctx, "Invalid FETCH attribute");
	item = fetch_add(ctx, fetch_section_atts[i].kind);
	if (item == NULL)
		return -1;
	item->peek = fetch_section_atts[i].peek;
	if (parse_section(ctx, open + 1, close, item->kind != IMAP_FETCH_BODY_SECTION,
	                  &item->section) < 0 ||
	    parse_partial(ctx, close + 1, end, item) < 0)
		return -1;
	return section_name(ctx, fetch_section_atts[i].echo, item);
}

static int parse_att(struct fetch_ctx *ctx, const struct imap_arg *arg)
{
	const char *open;
	struct imap_fetch_item *item;
	size_t i;

	if (arg->type != IMAP_ARG_ATOM)
		return fetch_fail(ctx, "Invalid FETCH attribute");
	open = memchr(arg->str, '[', arg->len);
	if (open != NULL)
		return parse_sectioned(ctx, arg->str, arg->len, open);
	for (i = 0; i < N_ELEMENTS(fetch_simple_atts); i++) {
		if (imap_arg_atom_eq(arg, fetch_simple_atts[i].name)) {
			item = fetch_add(ctx, fetch_simple_atts[i].kind);
			if (item == NULL)
				return -1;
			item->name = fetch_simple_atts[i].name;
			return 0;
		}
	}
	for (i = 0; i < N_ELEMENTS(fetch_rfc822_atts); i++) {
		if (imap_arg_atom_eq(arg, fetch_rfc822_atts[i].name)) {
			item = fetch_add(ctx, IMAP_FETCH_BODY_SECTION);
			if (item == NULL)
				return -1;
			item->peek = fetch_rfc822_atts[i].peek;
			item->section.kind = fetch_rfc822_atts[i].section;
			item->name = fetch_rfc822_atts[i].name;
			return 0;
		}
	}
	return fetch_fail(ctx, "Invalid FETCH attribute");
}

/* RFC 3501 6.4.5 macros; they are valid only alone, not inside a list. */
static int parse_macro(struct fetch_ctx *ctx, const struct imap_arg *arg, bool *matched_r)
{
	static const char *const fast[] = {"FLAGS", "INTERNALDATE", "RFC822.SIZE"};
	struct imap_arg att = {.type = IMAP_ARG_ATOM};
	size_t i;
	bool all = imap_arg_atom_eq(arg, "ALL"), full = imap_arg_atom_eq(arg, "FULL");

	*matched_r = all || full || imap_arg_atom_eq(arg, "FAST");
	if (!*matched_r)
		return 0;
	for (i = 0; i < N_ELEMENTS(fast) + (all ? 1 : full ? 2 : 0); i++) {
		att.str = i < N_ELEMENTS(fast) ? fast[i] : i == 3 ? "ENVELOPE" : "BODY";
		att.len = strlen(att.str);
		if (parse_att(ctx, &att) < 0)
			return -1;
	}
	return 0;
}

static int parse_modifiers(struct fetch_ctx *ctx, const struct imap_arg *arg)
{
	struct imap_fetch *fetch = ctx->fetch;
	size_t i;

	if (arg->type != IMAP_ARG_LIST || arg->list_count == 0)
		return fetch_fail(ctx, "Invalid FETCH modifiers");
	for (i = 0; i < arg->list_count; i++) {
		const struct imap_arg *m = &arg->list[i];

		if (imap_arg_atom_eq(m, "CHANGEDSINCE") && !fetch->changedsince_set) {
			if (++i == arg->list_count || arg->list[i].type != IMAP_ARG_ATOM ||
			    !number64(arg->list[i].str, arg->list[i].len, &fetch->changedsince) ||
			    fetch->changedsince == 0)
				return fetch_fail(ctx, "Invalid CHANGEDSINCE value");
			fetch->changedsince_set = true;
		} else if (imap_arg_atom_eq(m, "VANISHED") && !fetch->vanished) {
			fetch->vanished = true;
		} else {
			return fetch_fail(ctx, "Invalid FETCH modifier");
		}
	}
	if (fetch->vanished && !fetch->changedsince_set)
		return fetch_fail(ctx, "VANISHED requires CHANGEDSINCE");
	return 0;
}

static int parse_fetch(struct fetch_ctx *ctx, const struct imap_arg *args, size_t n_args)
{
	bool macro;
	size_t i;

	if (n_args == 0)
		return fetch_fail(ctx, "Missing FETCH attributes");
	if (n_args > 2)
		return fetch_fail(ctx, "Too many FETCH arguments");
	if (args[0].type == IMAP_ARG_LIST) {
		if (args[0].list_count == 0)
			return fetch_fail(ctx, "Empty FETCH attribute list");
		for (i = 0; i < args[0].list_count; i++) {
			if (parse_att(ctx, &args[0].list[i]) < 0)
				return -1;
		}
	} else {
		if (parse_macro(ctx, &args[0], &macro) < 0)
			return -1;
		if (!macro && parse_att(ctx, &args[0]) < 0)
			return -1;
	}
	return n_args == 2 ? parse_modifiers(ctx, &args[1]) : 0;
}

int imap_fetch_parse(const struct imap_arg *args, size_t n_args, struct imap_arena *arena,
                     struct imap_fetch *fetch_r, const char **error_r)
{
	struct fetch_ctx ctx = {.arena = arena, .fetch = fetch_r};

	memset(fetch_r, 0, sizeof(*fetch_r));
	ctx.cap = n_args > 0 && args[0].type == IMAP_ARG_LIST ? args[0].list_count : 5;
	if (ctx.cap > IMAP_FETCH_MAX_ITEMS)
		ctx.cap = IMAP_FETCH_MAX_ITEMS;
	fetch_r->items = imap_arena_alloc_array(arena, ctx.cap + 1, sizeof(*fetch_r->items));
	if (fetch_r->items == NULL)
		fetch_fail(&ctx, "Command too large");
	else if (parse_fetch(&ctx, args, n_args) == 0)
		return 0;
	*error_r = ctx.error;
	memset(fetch_r, 0, sizeof(*fetch_r));
	return -1;
}
