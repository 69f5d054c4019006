/*
 * parser.c - the pure IMAP command tokenizer and the per-command arena.
 *
 * RFC 3501 section 9 and RFC 9051 section 9 (tag, atom, quoted, literal, list),
 * RFC 7888 (non-synchronizing literals {N+}), RFC 3516 / RFC 9051 (literal8).
 * See parser.h for the deliberate deviations (sections inside atoms, UID).
 *
 * Limits: IMAP_PARSER_MAX_DEPTH, IMAP_PARSER_MAX_ARGS, IMAP_LITERAL_MAX_DIGITS,
 * IMAP_TAG_MAX_LEN, IMAP_COMMAND_NAME_MAX_LEN, and the arena maximum.
 *
 * Attacker control: the whole command buffer. Every read is bounded by the
 * buffer end; list elements are collected on a heap stack bounded by
 * IMAP_PARSER_MAX_ARGS and copied into the arena when their list closes.
 */
#include "imap/parser.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/str.h"

/* Size of an ordinary arena block; larger requests get a block of their own. */
#define IMAP_ARENA_BLOCK_SIZE 8192
#define IMAP_ARENA_ALIGN      alignof(max_align_t)

struct imap_arena_block {
	struct imap_arena_block *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void imap_arena_init(struct imap_arena *arena, size_t max)
{
	arena->blocks = NULL;
	arena->used = 0;
	arena->max = max == 0 ? IMAP_ARENA_DEFAULT_MAX : max;
}

void imap_arena_clear(struct imap_arena *arena)
{
	struct imap_arena_block *b = arena->blocks, *next;

	for (; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	arena->blocks = NULL;
	arena->used = 0;
}

static struct imap_arena_block *arena_add_block(struct imap_arena *arena, size_t size)
{
	struct imap_arena_block *b;

	if (size < IMAP_ARENA_BLOCK_SIZE)
		size = IMAP_ARENA_BLOCK_SIZE;
	b = xmalloc(sizeof(*b) + size);
	b->size = size;
	b->used = 0;
	/* Keep the block with free room at the head. */
	if (arena->blocks != NULL && size > IMAP_ARENA_BLOCK_SIZE) {
		b->next = arena->blocks->next;
		arena->blocks->next = b;
	} else {
		b->next = arena->blocks;
		arena->blocks = b;
	}
	return b;
}

void *imap_arena_alloc(struct imap_arena *arena, size_t size)
{
	struct imap_arena_block *b = arena->blocks;
	void *p;

	if (size == 0)
		size = 1;
	if (size > arena->max - arena->used)
		return NULL;
	size = (size + IMAP_ARENA_ALIGN - 1) & ~(IMAP_ARENA_ALIGN - 1);
	if (size > arena->max - arena->used)
		return NULL;
	if (b == NULL || b->size - b->used < size) {
		b = arena_add_block(arena, size);
		if (b != arena->blocks) {
			/* a big block of its own, linked second */
			b->used = size;
			arena->used += size;
			return memset(b->data, 0, size);
		}
	}
	p = b->data + b->used;
	b->used += size;
	arena->used += size;
	return memset(p, 0, size);
}

void *imap_arena_alloc_array(struct imap_arena *arena, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	return imap_arena_alloc(arena, n * size);
}

char *imap_arena_strndup(struct imap_arena *arena, const char *s, size_t len)
{
	char *p;

	if (len == SIZE_MAX)
		return NULL;
	p = imap_arena_alloc(arena, len + 1);
	if (p != NULL && len > 0)
		memcpy(p, s, len);
	return p;
}

/* ---- tokenizer ---- */

struct imap_parser {
	const char *p;
	const char *end;
	struct imap_arena *arena;
	struct imap_arg *stack; /* elements of the lists being parsed */
	size_t stack_len;
	size_t stack_cap;
	size_t n_total;
	const char *error;
};

static bool is_ctl(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

/* RFC 3501 ATOM-CHAR plus ']' (ASTRING-CHAR) and the list wildcards '*' '%'. */
static bool is_atom_char(unsigned char c)
{
	if (is_ctl(c) || c >= 0x80)
		return false;
	switch (c) {
	case '(':
	case ')':
	case '{':
	case ' ':
	case '"':
	case '\\':
		return false;
	default:
		return true;
	}
}

/* Tag: ASTRING-CHAR except '+' (RFC 3501 "tag"); no list wildcards. */
static bool is_tag_char(unsigned char c)
{
	return is_atom_char(c) && c != '+' && c != '*' && c != '%';
}

static int parser_fail(struct imap_parser *ps, const char *error)
{
	if (ps->error == NULL)
		ps->error = error;
	return -1;
}

/* The error for a byte that cannot appear where it was found. */
static int bad_char(struct imap_parser *ps, unsigned char c, const char *what)
{
	if (c == '\r' || c == '\n')
		return parser_fail(ps, "Unexpected line break in command");
	if (c == '\0')
		return parser_fail(ps, "NUL byte in command");
	if (c >= 0x80)
		return parser_fail(ps, "8-bit byte outside a string");
	return parser_fail(ps, what);
}

/* True at the final CRLF / LF of the buffer, or at its end. */
static bool at_line_end(const struct imap_parser *ps)
{
	size_t left = (size_t)(ps->end - ps->p);

	if (left == 0)
		return true;
	if (left == 1 && ps->p[0] == '\n')
		return true;
	return left == 2 && ps->p[0] == '\r' && ps->p[1] == '\n';
}

static void skip_spaces(struct imap_parser *ps)
{
	while (ps->p < ps->end && *ps->p == ' ')
		ps->p++;
}

static struct imap_arg *parser_push(struct imap_parser *ps)
{
	struct imap_arg *arg;

	if (ps->n_total >= IMAP_PARSER_MAX_ARGS) {
		parser_fail(ps, "Too many arguments");
		return NULL;
	}
	if (ps->stack_len == ps->stack_cap) {
		ps->stack_cap = ps->stack_cap == 0 ? 16 : ps->stack_cap * 2;
		ps->stack = xreallocarray(ps->stack, ps->stack_cap, sizeof(*ps->stack));
	}
	ps->n_total++;
	arg = &ps->stack[ps->stack_len++];
	memset(arg, 0, sizeof(*arg));
	return arg;
}

/* Moves the stack elements from base on into an arena array. */
static int parser_pop_list(struct imap_parser *ps, size_t base, struct imap_arg **list_r,
                           size_t *count_r)
{
	size_t n = ps->stack_len - base;

	*list_r = NULL;
	*count_r = n;
	if (n > 0) {
		*list_r = imap_arena_alloc_array(ps->arena, n, sizeof(**list_r));
		if (*list_r == NULL)
			return parser_fail(ps, "Command too large");
		memcpy(*list_r, ps->stack + base, n * sizeof(**list_r));
	}
	ps->stack_len = base;
	return 0;
}

/*
 * From just after '[', finds the ']' that closes a section: quoted strings are
 * skipped, control, 8-bit (outside quotes) and '{' bytes end the search.
 */
static const char *scan_section(const char *p, const char *end)
{
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ']')
			return p;
		if (c == '"') {
			for (p++; p < end && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < end && (p[1] == '"' || p[1] == '\\'))
					p++;
				else if (*p == '\0' || *p == '\r' || *p == '\n' || *p == '\\')
					return NULL;
			}
			if (p == end)
				return NULL;
			continue;
		}
		if (is_ctl(c) || c >= 0x80 || c == '{')
			return NULL;
	}
	return NULL;
}

static int parse_atom(struct imap_parser *ps, struct imap_arg *arg)
{
	const char *start = ps->p, *p = ps->p, *close;

	if (*p == '\\')
		p++;
	while (p < ps->end) {
		if (*p == '[' && (close = scan_section(p + 1, ps->end)) != NULL)
			p = close + 1;
		else if (is_atom_char((unsigned char)*p))
			p++;
		else
			break;
	}
	if (p == start)
		return bad_char(ps, (unsigned char)*p, "Invalid character in atom");
	if (p == start + 1 && *start == '\\')
		return parser_fail(ps, "Invalid character in atom"); /* a lone '\' */
	ps->p = p;
	arg->str = start;
	arg->len = (size_t)(p - start);
	arg->type = arg->len == 3 && str_eqn_ci(start, 3, "NIL") ? IMAP_ARG_NIL : IMAP_ARG_ATOM;
	return 0;
}

static int parse_quoted(struct imap_parser *ps, struct imap_arg *arg)
{
	const char *p = ps->p + 1;
	size_t len = 0, i;
	char *out;

	for (; p < ps->end && *p != '"'; p++, len++) {
		if (*p == '\r' || *p == '\n')
			return parser_fail(ps, "Unterminated quoted string");
		if (*p == '\0')
			return parser_fail(ps, "NUL byte in command");
		if (*p == '\\') {
			if (p + 1 == ps->end || (p[1] != '"' && p[1] != '\\'))
				return parser_fail(ps, "Invalid escape in quoted string");
			p++;
		}
	}
	if (p == ps->end)
		return parser_fail(ps, "Unterminated quoted string");
	out = imap_arena_alloc(ps->arena, len + 1);
	if (out == NULL)
		return parser_fail(ps, "Command too large");
	for (p = ps->p + 1, i = 0; i < len; p++, i++) {
		if (*p == '\\')
			p++;
		out[i] = *p;
	}
	ps->p = p + 1;
	arg->type = IMAP_ARG_STRING;
	arg->str = out;
	arg->len = len;
	return 0;
}

/*
 * Reads "{N}" / "{N+}" starting at p (at '{'); returns the byte after '}' or
 * NULL. Shared by the parser and imap_line_literal().
 */
static const char *scan_literal_marker(const char *p, const char *end, uint64_t *size_r,
                                       bool *nonsync_r)
{
	const char *digits;

	if (p == end || *p != '{')
		return NULL;
	digits = ++p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	if (p == digits || (size_t)(p - digits) > IMAP_LITERAL_MAX_DIGITS)
		return NULL;
	if (!str_to_u64(digits, (size_t)(p - digits), UINT64_MAX, size_r))
		return NULL;
	*nonsync_r = p < end && *p == '+';
	if (*nonsync_r)
		p++;
	if (p == end || *p != '}')
		return NULL;
	return p + 1;
}

static int parse_literal(struct imap_parser *ps, struct imap_arg *arg)
{
	const char *p = ps->p;
	uint64_t size;
	bool nonsync;

	arg->literal8 = *p == '~';
	if (arg->literal8)
		p++;
	p = scan_literal_marker(p, ps->end, &size, &nonsync);
	if (p == NULL)
		return parser_fail(ps, "Invalid literal");
	if (p < ps->end && *p == '\r')
		p++;
	if (p == ps->end || *p != '\n')
		return parser_fail(ps, "Missing CRLF after literal");
	p++;
	if (size > (uint64_t)(ps->end - p))
		return parser_fail(ps, "Literal longer than command");
	arg->type = IMAP_ARG_LITERAL;
	arg->nonsync = nonsync;
	arg->str = p;
	arg->len = (size_t)size;
	ps->p = p + size;
	return 0;
}

static int parse_elements(struct imap_parser *ps, unsigned depth, bool in_list);

static int parse_list(struct imap_parser *ps, struct imap_arg *arg_slot, unsigned depth)
{
	size_t base = ps->stack_len, idx = (size_t)(arg_slot - ps->stack);
	struct imap_arg *list;
	size_t count;

	if (depth + 1 > IMAP_PARSER_MAX_DEPTH)
		return parser_fail(ps, "Too deep nesting");
	ps->p++;
	if (parse_elements(ps, depth + 1, true) < 0)
		return -1;
	if (parser_pop_list(ps, base, &list, &count) < 0)
		return -1;
	/* the stack may have moved: address the slot by index */
	ps->stack[idx].type = IMAP_ARG_LIST;
	ps->stack[idx].list = list;
	ps->stack[idx].list_count = count;
	return 0;
}

static int parse_one(struct imap_parser *ps, unsigned depth)
{
	struct imap_arg *arg = parser_push(ps);
	char c = *ps->p;

	if (arg == NULL)
		return -1;
	if (c == '(')
		return parse_list(ps, arg, depth);
	if (c == '"')
		return parse_quoted(ps, arg);
	if (c == '{' || (c == '~' && ps->end - ps->p > 1 && ps->p[1] == '{'))
		return parse_literal(ps, arg);
	return parse_atom(ps, arg);
}

/* After an element: a space, ')', or the end of the line must follow. */
static int check_separator(struct imap_parser *ps)
{
	char c;

	if (ps->p == ps->end)
		return 0;
	c = *ps->p;
	if (c == ' ' || c == ')' || c == '\r' || c == '\n')
		return 0;
	if (c == '"' || c == '(' || c == '{')
		return parser_fail(ps, "Missing space between arguments");
	return bad_char(ps, (unsigned char)c, "Invalid character in atom");
}

static int parse_elements(struct imap_parser *ps, unsigned depth, bool in_list)
{
	for (;;) {
		skip_spaces(ps);
		if (at_line_end(ps))
			return in_list ? parser_fail(ps, "Missing ')'") : 0;
		if (*ps->p == '\r' || *ps->p == '\n')
			return parser_fail(ps, "Unexpected line break in command");
		if (*ps->p == ')') {
			if (!in_list)
				return parser_fail(ps, "Unexpected ')'");
			ps->p++;
			return 0;
		}
		if (parse_one(ps, depth) < 0 || check_separator(ps) < 0)
			return -1;
	}
}

static void parser_deinit(struct imap_parser *ps)
{
	XFREE(ps->stack);
}

static int parse_top_args(struct imap_parser *ps, unsigned depth, struct imap_arg **args_r,
                          size_t *n_args_r)
{
	if (parse_elements(ps, depth, false) < 0)
		return -1;
	return parser_pop_list(ps, 0, args_r, n_args_r);
}

int imap_parse_args(const char *data, size_t len, unsigned depth, struct imap_arena *arena,
                    struct imap_arg **args_r, size_t *n_args_r, const char **error_r)
{
	struct imap_parser ps = {.p = data, .end = data + len, .arena = arena};
	int ret = parse_top_args(&ps, depth, args_r, n_args_r);

	if (ret < 0)
		*error_r = ps.error;
	parser_deinit(&ps);
	return ret;
}

/* Reads a word of 'valid' bytes; returns its length (0 if none). */
static size_t scan_word(struct imap_parser *ps, bool (*valid)(unsigned char))
{
	const char *start = ps->p;

	while (ps->p < ps->end && valid((unsigned char)*ps->p))
		ps->p++;
	return (size_t)(ps->p - start);
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* Reads a command name that must end at a space or the line end. */
static int parse_name(struct imap_parser *ps, const char **name_r, size_t *len_r)
{
	*name_r = ps->p;
	*len_r = scan_word(ps, is_name_char);
	if (*len_r == 0 && at_line_end(ps))
		return parser_fail(ps, "Missing command");
	if (*len_r == 0 || *len_r > IMAP_COMMAND_NAME_MAX_LEN ||
	    (!at_line_end(ps) && *ps->p != ' '))
		return bad_char(ps, ps->p < ps->end ? (unsigned char)*ps->p : ' ',
		                "Invalid command name");
	return 0;
}

static int parse_tag(struct imap_parser *ps, struct imap_command *cmd)
{
	size_t len = scan_word(ps, is_tag_char);

	if (len == 0) {
		if (at_line_end(ps) || *ps->p == ' ')
			return parser_fail(ps, "Missing tag");
		return bad_char(ps, (unsigned char)*ps->p, "Invalid tag");
	}
	if (len > IMAP_TAG_MAX_LEN)
		return parser_fail(ps, "Tag too long");
	if (!at_line_end(ps) && *ps->p != ' ')
		return bad_char(ps, (unsigned char)*ps->p, "Invalid tag");
	cmd->tag = ps->p - len;
	cmd->tag_len = len;
	if (at_line_end(ps))
		return parser_fail(ps, "Missing command");
	ps->p++;
	return 0;
}

static int parse_command(struct imap_parser *ps, struct imap_command *cmd)
{
	if (parse_tag(ps, cmd) < 0 || parse_name(ps, &cmd->name, &cmd->name_len) < 0)
		return -1;
	if (cmd->name_len == 3 && str_eqn_ci(cmd->name, 3, "UID")) {
		cmd->uid = true;
		if (at_line_end(ps))
			return parser_fail(ps, "Missing command after UID");
		ps->p++;
		if (parse_name(ps, &cmd->name, &cmd->name_len) < 0)
			return -1;
	}
	return parse_top_args(ps, 0, &cmd->args, &cmd->n_args);
}

int imap_parse_command(const char *data, size_t len, struct imap_command *cmd_r,
                       struct imap_arena *arena, const char **error_r)
{
	struct imap_parser ps = {.p = data, .end = data + len, .arena = arena};
	int ret;

	memset(cmd_r, 0, sizeof(*cmd_r));
	ret = parse_command(&ps, cmd_r);
	if (ret < 0)
		*error_r = ps.error;
	parser_deinit(&ps);
	return ret;
}

/* ---- argument helpers ---- */

bool imap_arg_is_astring(const struct imap_arg *arg)
{
	return arg->type != IMAP_ARG_LIST;
}

bool imap_arg_is_string(const struct imap_arg *arg)
{
	return arg->type == IMAP_ARG_STRING || arg->type == IMAP_ARG_LITERAL;
}

const char *imap_arg_astring(const struct imap_arg *arg, struct imap_arena *arena)
{
	if (!imap_arg_is_astring(arg) || memchr(arg->str, '\0', arg->len) != NULL)
		return NULL;
	if (arg->type == IMAP_ARG_STRING)
		return arg->str; /* already a NUL-terminated arena copy */
	return imap_arena_strndup(arena, arg->str, arg->len);
}

bool imap_arg_atom_eq(const struct imap_arg *arg, const char *keyword)
{
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL)
		return false;
	return strlen(keyword) == arg->len && str_eqn_ci(arg->str, arg->len, keyword);
}

bool imap_line_literal(const char *line, size_t len, uint64_t *size_r, bool *nonsync_r,
                       bool *literal8_r)
{
	const char *end = line + len, *p;

	if (len < 3 || line[len - 1] != '}')
		return false;
	/* the '{' is the last one in the line: digits and '+' contain none */
	p = memrchr(line, '{', len);
	if (p == NULL || scan_literal_marker(p, end, size_r, nonsync_r) != end)
		return false;
	*literal8_r = p > line && p[-1] == '~';
	return true;
}
