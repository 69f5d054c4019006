/*
 * test_imap_parser.c - unit tests of the pure IMAP parsers: tokenizer and
 * arena (imap/parser), sequence sets, modified UTF-7, FETCH attributes and
 * SEARCH programs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/buf.h"
#include "base/mem.h"
#include "imap/fetch-parse.h"
#include "imap/mutf7.h"
#include "imap/parser.h"
#include "imap/search-parse.h"
#include "imap/seqset.h"

static struct imap_arena t_arena;

static int t_setup(void **state)
{
	imap_arena_init(&t_arena, 0);
	return 0;
}

static int t_teardown(void **state)
{
	imap_arena_clear(&t_arena);
	return 0;
}

static int t_parse_len(const char *s, size_t len, struct imap_command *cmd, const char **error)
{
	*error = NULL;
	return imap_parse_command(s, len, cmd, &t_arena, error);
}

static int t_parse(const char *s, struct imap_command *cmd, const char **error)
{
	return t_parse_len(s, strlen(s), cmd, error);
}

/* The error of a command that must fail. */
static const char *t_parse_error_len(const char *s, size_t len)
{
	struct imap_command cmd;
	const char *error = NULL;

	assert_int_equal(t_parse_len(s, len, &cmd, &error), -1);
	assert_non_null(error);
	return error;
}

static const char *t_parse_error(const char *s)
{
	return t_parse_error_len(s, strlen(s));
}

static void t_assert_arg(const struct imap_arg *arg, enum imap_arg_type type, const char *value)
{
	assert_int_equal(arg->type, type);
	assert_int_equal(arg->len, strlen(value));
	assert_memory_equal(arg->str, value, arg->len);
}

/* ---- tokenizer ---- */

static void test_parse_simple(void **state)
{
	struct imap_command cmd;
	const char *error;

	assert_int_equal(t_parse("a001 NOOP\r\n", &cmd, &error), 0);
	assert_int_equal(cmd.tag_len, 4);
	assert_memory_equal(cmd.tag, "a001", 4);
	assert_int_equal(cmd.name_len, 4);
	assert_memory_equal(cmd.name, "NOOP", 4);
	assert_false(cmd.uid);
	assert_int_equal(cmd.n_args, 0);

	assert_int_equal(t_parse("A2 login joe \"se\\\"cr\\\\et\"\r\n", &cmd, &error), 0);
	assert_memory_equal(cmd.name, "login", 5);
	assert_int_equal(cmd.n_args, 2);
	t_assert_arg(&cmd.args[0], IMAP_ARG_ATOM, "joe");
	t_assert_arg(&cmd.args[1], IMAP_ARG_STRING, "se\"cr\\et");
	assert_int_equal(cmd.args[1].str[cmd.args[1].len], '\0');

	/* LF alone, no final line end, trailing spaces, runs of spaces */
	assert_int_equal(t_parse("t SELECT INBOX\n", &cmd, &error), 0);
	assert_int_equal(cmd.n_args, 1);
	assert_int_equal(t_parse("t SELECT INBOX", &cmd, &error), 0);
	assert_int_equal(cmd.n_args, 1);
	assert_int_equal(t_parse("t LIST  \"\"   *  \r\n", &cmd, &error), 0);
	assert_int_equal(cmd.n_args, 2);
	t_assert_arg(&cmd.args[0], IMAP_ARG_STRING, "");
	t_assert_arg(&cmd.args[1], IMAP_ARG_ATOM, "*");
	/* tag with ']' (ASTRING-CHAR) */
	assert_int_equal(t_parse("a]1 NOOP\r\n", &cmd, &error), 0);
	assert_int_equal(cmd.tag_len, 3);
}

static void test_parse_uid(void **state)
{
	struct imap_command cmd;
	const char *error;

	assert_int_equal(t_parse("a UID FETCH 1:* (FLAGS)\r\n", &cmd, &error), 0);
	assert_true(cmd.uid);
	assert_int_equal(cmd.name_len, 5);
	assert_memory_equal(cmd.name, "FETCH", 5);
	assert_int_equal(cmd.n_args, 2);
	t_assert_arg(&cmd.args[0], IMAP_ARG_ATOM, "1:*");
	assert_int_equal(cmd.args[1].type, IMAP_ARG_LIST);
	assert_int_equal(cmd.args[1].list_count, 1);
	t_assert_arg(&cmd.args[1].list[0], IMAP_ARG_ATOM, "FLAGS");

	assert_int_equal(t_parse("a uid expunge 3\r\n", &cmd, &error), 0);
	assert_true(cmd.uid);
	assert_memory_equal(cmd.name, "expunge", 7);
	assert_string_equal(t_parse_error("a UID\r\n"), "Missing command after UID");
}

static void test_parse_lists_and_atoms(void **state)
{
	struct imap_command cmd;
	const char *error;
	const struct imap_arg *l;

	assert_int_equal(
	        t_parse("a STORE 1 +FLAGS.SILENT (\\Seen \\Deleted $Junk)\r\n", &cmd, &error), 0);
	assert_int_equal(cmd.n_args, 3);
	t_assert_arg(&cmd.args[1], IMAP_ARG_ATOM, "+FLAGS.SILENT");
	l = &cmd.args[2];
	assert_int_equal(l->type, IMAP_ARG_LIST);
	assert_int_equal(l->list_count, 3);
	t_assert_arg(&l->list[0], IMAP_ARG_ATOM, "\\Seen");
	t_assert_arg(&l->list[2], IMAP_ARG_ATOM, "$Junk");

	assert_int_equal(t_parse("a X (() (a (b)) nil NIL \"NIL\")\r\n", &cmd, &error), 0);
	l = &cmd.args[0];
	assert_int_equal(l->list_count, 5);
	assert_int_equal(l->list[0].type, IMAP_ARG_LIST);
	assert_int_equal(l->list[0].list_count, 0);
	assert_int_equal(l->list[1].list[1].list[0].type, IMAP_ARG_ATOM);
	t_assert_arg(&l->list[2], IMAP_ARG_NIL, "nil");
	t_assert_arg(&l->list[3], IMAP_ARG_NIL, "NIL");
	t_assert_arg(&l->list[4], IMAP_ARG_STRING, "NIL");

	/* one atom with a section containing spaces, parentheses and quotes */
	assert_int_equal(
	        t_parse("a FETCH 1 (UID BODY.PEEK[HEADER.FIELDS (From \"To\" \"a]b\")]<0.100>)\r\n",
	                &cmd, &error),
	        0);
	l = &cmd.args[1];
	assert_int_equal(l->list_count, 2);
	t_assert_arg(&l->list[1], IMAP_ARG_ATOM,
	             "BODY.PEEK[HEADER.FIELDS (From \"To\" \"a]b\")]<0.100>");
	/* unterminated '[' is an ordinary atom char */
	assert_int_equal(t_parse("a SELECT foo[bar\r\n", &cmd, &error), 0);
	t_assert_arg(&cmd.args[0], IMAP_ARG_ATOM, "foo[bar");
	/* LIST wildcards, '~' mailbox */
	assert_int_equal(t_parse("a LIST \"\" ~peter/%/*\r\n", &cmd, &error), 0);
	t_assert_arg(&cmd.args[1], IMAP_ARG_ATOM, "~peter/%/*");
	/* 8-bit bytes in quoted strings */
	assert_int_equal(t_parse("a SELECT \"Entw\xc3\xbcrfe\"\r\n", &cmd, &error), 0);
	t_assert_arg(&cmd.args[0], IMAP_ARG_STRING, "Entw\xc3\xbcrfe");
}

static void test_parse_literals(void **state)
{
	static const char cmd1[] = "a LOGIN {3}\r\nj\0e {4+}\r\n\r\n\"x ~{2}\r\n\0\xff\r\n";
	struct imap_command cmd;
	const char *error;

	assert_int_equal(t_parse_len(cmd1, sizeof(cmd1) - 1, &cmd, &error), 0);
	assert_int_equal(cmd.n_args, 3);
	assert_int_equal(cmd.args[0].type, IMAP_ARG_LITERAL);
	assert_int_equal(cmd.args[0].len, 3);
	assert_memory_equal(cmd.args[0].str, "j\0e", 3);
	assert_false(cmd.args[0].nonsync);
	assert_false(cmd.args[0].literal8);
	assert_true(cmd.args[1].nonsync);
	assert_memory_equal(cmd.args[1].str, "\r\n\"x", 4);
	assert_true(cmd.args[2].literal8);
	assert_memory_equal(cmd.args[2].str, "\0\xff", 2);
	/* NUL inside a literal: no C string copy */
	assert_null(imap_arg_astring(&cmd.args[0], &t_arena));
	assert_string_equal(imap_arg_astring(&cmd.args[1], &t_arena), "\r\n\"x");

	/* literal inside a list, LF only after marker, empty literal */
	assert_int_equal(t_parse("a X ({0}\n {1}\r\n))\r\n", &cmd, &error), 0);
	assert_int_equal(cmd.args[0].list_count, 2);
	assert_int_equal(cmd.args[0].list[0].len, 0);
	t_assert_arg(&cmd.args[0].list[1], IMAP_ARG_LITERAL, ")");
}

static void test_parse_errors(void **state)
{
	char deep[256];
	size_t i, n = 0;

	assert_string_equal(t_parse_error("\r\n"), "Missing tag");
	assert_string_equal(t_parse_error(""), "Missing tag");
	assert_string_equal(t_parse_error(" NOOP\r\n"), "Missing tag");
	assert_string_equal(t_parse_error("a+b NOOP\r\n"), "Invalid tag");
	assert_string_equal(t_parse_error("* NOOP\r\n"), "Invalid tag");
	assert_string_equal(t_parse_error("a\r\n"), "Missing command");
	assert_string_equal(t_parse_error("a \r\n"), "Missing command");
	assert_string_equal(t_parse_error("a NO(OP\r\n"), "Invalid command name");
	assert_string_equal(t_parse_error("a LOGIN \"joe\r\n"), "Unterminated quoted string");
	assert_string_equal(t_parse_error("a LOGIN \"joe"), "Unterminated quoted string");
	assert_string_equal(t_parse_error("a LOGIN \"jo\\e\"\r\n"),
	                    "Invalid escape in quoted string");
	assert_string_equal(t_parse_error_len("a LOGIN j\0e x\r\n", 15), "NUL byte in command");
	assert_string_equal(t_parse_error_len("a LOGIN \"j\0e\" x\r\n", 17), "NUL byte in command");
	assert_string_equal(t_parse_error_len("a\0 NOOP\r\n", 9), "NUL byte in command");
	assert_string_equal(t_parse_error("a LOGIN j\xc3\xa9 x\r\n"),
	                    "8-bit byte outside a string");
	assert_string_equal(t_parse_error("a LOGIN j\x01 x\r\n"), "Invalid character in atom");
	assert_string_equal(t_parse_error("a LOGIN {3x}\r\nabc\r\n"), "Invalid literal");
	assert_string_equal(t_parse_error("a LOGIN {}\r\n\r\n"), "Invalid literal");
	assert_string_equal(t_parse_error("a LOGIN {12345678901}\r\n"), "Invalid literal");
	assert_string_equal(t_parse_error("a LOGIN {3} abc\r\n"), "Missing CRLF after literal");
	assert_string_equal(t_parse_error("a LOGIN {10}\r\nabc\r\n"),
	                    "Literal longer than command");
	assert_string_equal(t_parse_error("a LOGIN {3}\r\nabcd\r\n"), "Invalid character in atom");
	assert_string_equal(t_parse_error("a X (a b\r\n"), "Missing ')'");
	assert_string_equal(t_parse_error("a X a)\r\n"), "Unexpected ')'");
	assert_string_equal(t_parse_error("a X a\"b\"\r\n"), "Missing space between arguments");
	assert_string_equal(t_parse_error("a X (a)(b)\r\n"), "Missing space between arguments");
	assert_string_equal(t_parse_error("a X \\\r\n"), "Invalid character in atom");
	assert_string_equal(t_parse_error("a X a\\b\r\n"), "Invalid character in atom");
	assert_string_equal(t_parse_error("a NOOP\r\nb NOOP\r\n"),
	                    "Unexpected line break in command");
	assert_string_equal(t_parse_error("a X b\rc\r\n"), "Unexpected line break in command");

	/* nesting: exactly the limit is fine, one more is refused */
	n = (size_t)snprintf(deep, sizeof(deep), "a X ");
	for (i = 0; i < IMAP_PARSER_MAX_DEPTH; i++)
		deep[n++] = '(';
	for (i = 0; i < IMAP_PARSER_MAX_DEPTH; i++)
		deep[n++] = ')';
	deep[n] = '\0';
	{
		struct imap_command cmd;
		const char *error;

		assert_int_equal(t_parse(deep, &cmd, &error), 0);
	}
	memmove(deep + 5, deep + 4, n - 3);
	deep[4] = '(';
	deep[n + 1] = ')';
	deep[n + 2] = '\0';
	assert_string_equal(t_parse_error(deep), "Too deep nesting");
}

static void test_parse_limits(void **state)
{
	struct buf b;
	struct imap_command cmd;
	const char *error;
	struct imap_arena small;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "a X");
	for (i = 0; i < IMAP_PARSER_MAX_ARGS; i++)
		buf_puts(&b, " x");
	assert_int_equal(t_parse_len(b.data, b.len, &cmd, &error), 0);
	assert_int_equal(cmd.n_args, IMAP_PARSER_MAX_ARGS);
	buf_puts(&b, " y");
	assert_string_equal(t_parse_error_len(b.data, b.len), "Too many arguments");
	buf_deinit(&b);

	/* a small arena: a large quoted string no longer fits */
	imap_arena_init(&small, 256);
	assert_int_equal(imap_parse_command("a X \"abc\"\r\n", 11, &cmd, &small, &error), 0);
	buf_init(&b, 0);
	buf_puts(&b, "a X \"");
	for (i = 0; i < 1000; i++)
		buf_putc(&b, 'q');
	buf_puts(&b, "\"\r\n");
	assert_int_equal(imap_parse_command(b.data, b.len, &cmd, &small, &error), -1);
	assert_string_equal(error, "Command too large");
	/* the tag is still reported for the BAD */
	assert_int_equal(cmd.tag_len, 1);
	buf_deinit(&b);
	imap_arena_clear(&small);

	buf_init(&b, 0);
	for (i = 0; i < IMAP_TAG_MAX_LEN + 1; i++)
		buf_putc(&b, 't');
	buf_puts(&b, " NOOP\r\n");
	assert_string_equal(t_parse_error_len(b.data, b.len), "Tag too long");
	buf_deinit(&b);
}

static void test_arena(void **state)
{
	struct imap_arena a;
	char *p, *q;
	size_t i;

	imap_arena_init(&a, 100000);
	p = imap_arena_alloc(&a, 10);
	assert_non_null(p);
	assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(p[i], 0);
	q = imap_arena_alloc(&a, 50000); /* a block of its own */
	assert_non_null(q);
	memset(q, 'x', 50000);
	p = imap_arena_alloc(&a, 10); /* still from the first block */
	assert_non_null(p);
	assert_null(imap_arena_alloc(&a, 60000));
	assert_null(imap_arena_alloc_array(&a, SIZE_MAX / 2, 4));
	assert_string_equal(imap_arena_strndup(&a, "hello", 3), "hel");
	imap_arena_clear(&a);
	assert_int_equal(a.used, 0);
	assert_non_null(imap_arena_alloc(&a, 60000));
	imap_arena_clear(&a);
}

static void test_arg_helpers(void **state)
{
	struct imap_command cmd;
	const char *error;

	assert_int_equal(t_parse("a X atom \"q\" {1}\r\nl nil (x)\r\n", &cmd, &error), 0);
	assert_string_equal(imap_arg_astring(&cmd.args[0], &t_arena), "atom");
	assert_string_equal(imap_arg_astring(&cmd.args[1], &t_arena), "q");
	assert_string_equal(imap_arg_astring(&cmd.args[2], &t_arena), "l");
	assert_string_equal(imap_arg_astring(&cmd.args[3], &t_arena), "nil");
	assert_null(imap_arg_astring(&cmd.args[4], &t_arena));
	assert_true(imap_arg_is_astring(&cmd.args[0]));
	assert_false(imap_arg_is_string(&cmd.args[0]));
	assert_true(imap_arg_is_string(&cmd.args[1]));
	assert_true(imap_arg_is_string(&cmd.args[2]));
	assert_false(imap_arg_is_astring(&cmd.args[4]));
	assert_true(imap_arg_atom_eq(&cmd.args[0], "ATOM"));
	assert_false(imap_arg_atom_eq(&cmd.args[0], "ATO"));
	assert_false(imap_arg_atom_eq(&cmd.args[1], "q"));
	assert_true(imap_arg_atom_eq(&cmd.args[3], "NIL"));
}

static void test_line_literal(void **state)
{
	uint64_t size;
	bool nonsync, lit8;

	assert_true(imap_line_literal("a LOGIN {5}", 11, &size, &nonsync, &lit8));
	assert_int_equal(size, 5);
	assert_false(nonsync);
	assert_false(lit8);
	assert_true(imap_line_literal("a APPEND x ~{9999999999+}", 25, &size, &nonsync, &lit8));
	assert_int_equal(size, 9999999999ULL);
	assert_true(nonsync);
	assert_true(lit8);
	assert_true(imap_line_literal("{0}", 3, &size, &nonsync, &lit8));
	assert_int_equal(size, 0);
	assert_false(imap_line_literal("a LOGIN {12345678901}", 21, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("a LOGIN {}", 10, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("a LOGIN {5", 10, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("a LOGIN {+}", 11, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("a LOGIN {5}x", 12, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("a LOGIN {-5}", 12, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("}", 1, &size, &nonsync, &lit8));
	assert_false(imap_line_literal("", 0, &size, &nonsync, &lit8));
}

/* ---- sequence sets ---- */

static struct imap_seqset t_set(const char *s)
{
	struct imap_seqset set;
	const char *error = NULL;

	assert_int_equal(imap_seqset_parse(s, strlen(s), &t_arena, &set, &error), 0);
	return set;
}

static const char *t_set_error(const char *s)
{
	struct imap_seqset set;
	const char *error = NULL;

	assert_int_equal(imap_seqset_parse(s, strlen(s), &t_arena, &set, &error), -1);
	return error;
}

/* Resolved set as text. */
static void t_assert_resolved(const char *s, uint32_t max, const char *expect)
{
	struct imap_seqset set = t_set(s), res;
	struct buf b;

	assert_int_equal(imap_seqset_resolve(&set, max, &t_arena, &res), 0);
	buf_init(&b, 0);
	assert_true(imap_seqset_write_ranges(&b, &res));
	assert_string_equal(b.len ? b.data : "", expect);
	buf_deinit(&b);
}

static void test_seqset_parse(void **state)
{
	struct imap_seqset set = t_set("9,1:5,7,3:2,6");

	/* normalized: 1:7 merged, 9 */
	assert_int_equal(set.count, 2);
	assert_int_equal(set.n_star, 0);
	assert_int_equal(set.ranges[0].first, 1);
	assert_int_equal(set.ranges[0].last, 7);
	assert_int_equal(set.ranges[1].first, 9);
	assert_int_equal(set.ranges[1].last, 9);

	set = t_set("5:1");
	assert_int_equal(set.ranges[0].first, 1);
	assert_int_equal(set.ranges[0].last, 5);

	set = t_set("1:5,7,9:*");
	assert_int_equal(set.count, 3);
	assert_int_equal(set.n_star, 1);
	assert_int_equal(set.ranges[2].first, 9);
	assert_int_equal(set.ranges[2].last, IMAP_SEQ_STAR);

	set = t_set("*");
	assert_int_equal(set.count, 1);
	assert_int_equal(set.ranges[0].first, IMAP_SEQ_STAR);
	set = t_set("$");
	assert_true(set.saved);
	assert_int_equal(set.count, 0);
	set = t_set("4294967295");
	assert_int_equal(set.ranges[0].first, UINT32_MAX);

	assert_string_equal(t_set_error("0"), "Sequence number 0 is invalid");
	assert_string_equal(t_set_error("1:0"), "Sequence number 0 is invalid");
	assert_string_equal(t_set_error("1:"), "Invalid sequence set");
	assert_string_equal(t_set_error("a"), "Invalid sequence set");
	assert_string_equal(t_set_error(""), "Empty sequence set");
	assert_string_equal(t_set_error("1,"), "Invalid sequence set");
	assert_string_equal(t_set_error(",1"), "Invalid sequence set");
	assert_string_equal(t_set_error("1,,2"), "Invalid sequence set");
	assert_string_equal(t_set_error("1:2:3"), "Invalid sequence set");
	assert_string_equal(t_set_error("1 2"), "Invalid sequence set");
	assert_string_equal(t_set_error("$,1"), "Invalid sequence set");
	assert_string_equal(t_set_error("$$"), "Invalid sequence set");
	assert_string_equal(t_set_error("-1"), "Invalid sequence set");
	assert_string_equal(t_set_error("4294967296"), "Sequence number too large");
}

static void test_seqset_limit(void **state)
{
	struct buf b;
	struct imap_seqset set;
	const char *error;
	size_t i;

	buf_init(&b, 0);
	buf_puts(&b, "1");
	for (i = 1; i < IMAP_SEQSET_MAX_RANGES; i++)
		buf_printf(&b, ",%zu", 2 * i + 1);
	assert_int_equal(imap_seqset_parse(b.data, b.len, &t_arena, &set, &error), 0);
	assert_int_equal(set.count, IMAP_SEQSET_MAX_RANGES);
	buf_puts(&b, ",1");
	assert_int_equal(imap_seqset_parse(b.data, b.len, &t_arena, &set, &error), -1);
	assert_string_equal(error, "Too many ranges in sequence set");
	buf_deinit(&b);
}

static void test_seqset_resolve_contains(void **state)
{
	struct imap_seqset set = t_set("1:3,10:*");

	t_assert_resolved("1:3,10:*", 20, "1:3,10:20");
	t_assert_resolved("1:3,10:*", 5, "1:3,5:10");
	t_assert_resolved("*", 7, "7");
	t_assert_resolved("*:4", 7, "4:7");
	t_assert_resolved("1:*", 0, "");
	t_assert_resolved("1,3,*", 0, "1,3");
	t_assert_resolved("1:*,2", 3, "1:3");
	t_assert_resolved("4,*", 3, "3:4");
	t_assert_resolved("4294967295,1:4294967294", 9, "1:4294967295");

	assert_true(imap_seqset_contains(&set, 1, 20));
	assert_true(imap_seqset_contains(&set, 3, 20));
	assert_false(imap_seqset_contains(&set, 4, 20));
	assert_true(imap_seqset_contains(&set, 15, 20));
	assert_true(imap_seqset_contains(&set, 20, 20));
	assert_false(imap_seqset_contains(&set, 21, 20));
	/* 10:* with max 5 is 5:10 */
	assert_true(imap_seqset_contains(&set, 5, 5));
	assert_false(imap_seqset_contains(&set, 4, 5));
	assert_false(imap_seqset_contains(&set, 12, 0));
	set = t_set("$");
	assert_false(imap_seqset_contains(&set, 1, 10));
}

static void test_seqset_iter_write(void **state)
{
	struct imap_seqset set = t_set("7,1:3,*"), res;
	struct imap_seqset_iter it;
	uint32_t n, got[16], nums[] = {1, 2, 3, 3, 5, 7, 8, 9, 4294967294u, 4294967295u};
	size_t count = 0;
	struct buf b;

	assert_int_equal(imap_seqset_resolve(&set, 9, &t_arena, &res), 0);
	assert_int_equal(imap_seqset_count(&res), 5);
	imap_seqset_iter_init(&it, &res);
	while (imap_seqset_iter_next(&it, &n))
		got[count++] = n;
	assert_int_equal(count, 5);
	assert_int_equal(got[0], 1);
	assert_int_equal(got[2], 3);
	assert_int_equal(got[3], 7);
	assert_int_equal(got[4], 9);
	assert_false(imap_seqset_iter_next(&it, &n));

	buf_init(&b, 0);
	assert_true(imap_seqset_write(&b, nums, N_ELEMENTS(nums)));
	assert_string_equal(b.data, "1:3,5,7:9,4294967294:4294967295");
	buf_reset(&b);
	assert_true(imap_seqset_write(&b, nums, 0));
	assert_int_equal(b.len, 0);
	assert_true(imap_seqset_write(&b, nums + 4, 1));
	assert_string_equal(b.data, "5");
	buf_deinit(&b);
	/* no room: false, no abort */
	buf_init(&b, 30);
	assert_false(imap_seqset_write(&b, nums, N_ELEMENTS(nums)));
	assert_true(b.len <= 30);
	buf_deinit(&b);
	/* round trip: written text parses back to the same set */
	buf_init(&b, 0);
	imap_seqset_write(&b, nums, N_ELEMENTS(nums));
	set = t_set(b.data);
	assert_int_equal(set.count, 4);
	assert_int_equal(set.ranges[3].last, 4294967295u);
	buf_deinit(&b);
}

/* ---- modified UTF-7 ---- */

static void t_mutf7_pair(const char *utf8, const char *mutf7)
{
	struct buf b;
	const char *error = NULL;

	buf_init(&b, 0);
	assert_int_equal(imap_utf8_to_mutf7(utf8, strlen(utf8), &b, &error), 0);
	assert_string_equal(b.len ? b.data : "", mutf7);
	buf_reset(&b);
	assert_int_equal(imap_mutf7_to_utf8(mutf7, strlen(mutf7), &b, &error), 0);
	assert_string_equal(b.len ? b.data : "", utf8);
	assert_true(imap_mutf7_is_valid(mutf7, strlen(mutf7)));
	buf_deinit(&b);
}

static const char *t_mutf7_error(const char *mutf7)
{
	struct buf b;
	const char *error = NULL;

	buf_init(&b, 0);
	buf_puts(&b, "keep");
	assert_int_equal(imap_mutf7_to_utf8(mutf7, strlen(mutf7), &b, &error), -1);
	assert_string_equal(b.data, "keep"); /* unchanged on error */
	buf_deinit(&b);
	assert_false(imap_mutf7_is_valid(mutf7, strlen(mutf7)));
	return error;
}

static const char *t_utf8_error(const char *utf8)
{
	struct buf b;
	const char *error = NULL;

	buf_init(&b, 0);
	assert_int_equal(imap_utf8_to_mutf7(utf8, strlen(utf8), &b, &error), -1);
	assert_int_equal(b.len, 0);
	buf_deinit(&b);
	return error;
}

static void test_mutf7_roundtrip(void **state)
{
	t_mutf7_pair("", "");
	t_mutf7_pair("INBOX", "INBOX");
	t_mutf7_pair("Entw\xc3\xbcrfe", "Entw&APw-rfe");
	t_mutf7_pair("\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-");
	t_mutf7_pair("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	             "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
	t_mutf7_pair("Tom & Jerry", "Tom &- Jerry");
	t_mutf7_pair("&&", "&-&-");
	t_mutf7_pair("Gel\xc3\xb6scht", "Gel&APY-scht");
	t_mutf7_pair("\xd0\x9e\xd1\x82\xd0\xbf\xd1\x80\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xb5\xd0\xbd\xd0"
	             "\xbd\xd1\x8b\xd0\xb5",
	             "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-");
	/* astral plane: surrogate pair (U+1F600) */
	t_mutf7_pair("\xf0\x9f\x98\x80", "&2D3eAA-");
	t_mutf7_pair("a\xc3\xa9\xc3\xa9", "a&AOkA6Q-");
	t_mutf7_pair("\xc3\xa9-", "&AOk--");
}

static void test_mutf7_errors(void **state)
{
	struct buf b;
	const char *error;
	char big[IMAP_MUTF7_MAX_INPUT + 2];

	assert_string_equal(t_mutf7_error("a&b"), "Unterminated '&' in mailbox name");
	assert_string_equal(t_mutf7_error("&"), "Unterminated '&' in mailbox name");
	assert_string_equal(t_mutf7_error("&APw"), "Unterminated '&' in mailbox name");
	assert_string_equal(t_mutf7_error("&AP!-"), "Invalid modified BASE64 in mailbox name");
	assert_string_equal(t_mutf7_error("&AP/-"), "Invalid modified BASE64 in mailbox name");
	assert_string_equal(t_mutf7_error("&APw=-"), "Invalid modified BASE64 in mailbox name");
	/* padding bits not zero: "APx" */
	assert_string_equal(t_mutf7_error("&APx-"), "Non-zero padding bits in mailbox name");
	/* an extra base64 char beyond the minimum */
	assert_string_equal(t_mutf7_error("&APwA-"), "Non-minimal modified BASE64 in mailbox name");
	assert_string_equal(t_mutf7_error("&A-"), "Non-minimal modified BASE64 in mailbox name");
	/* 'a' (U+0061) encoded */
	assert_string_equal(t_mutf7_error("&AGE-"), "Printable character encoded in mailbox name");
	assert_string_equal(t_mutf7_error("&ACY-"), "Printable character encoded in mailbox name");
	assert_string_equal(t_mutf7_error("&AAo-"), "Control character in mailbox name");
	/* lone high surrogate, lone low surrogate, reversed pair */
	assert_string_equal(t_mutf7_error("&2D0-"), "Invalid UTF-16 surrogate in mailbox name");
	assert_string_equal(t_mutf7_error("&3gA-"), "Invalid UTF-16 surrogate in mailbox name");
	assert_string_equal(t_mutf7_error("&3gDYPQ-"), "Invalid UTF-16 surrogate in mailbox name");
	assert_string_equal(t_mutf7_error("&2D0AYQ-"), "Invalid UTF-16 surrogate in mailbox name");
	assert_string_equal(t_mutf7_error("&AOk-&AOk-"),
	                    "Non-minimal modified UTF-7: adjacent encoded runs");
	assert_string_equal(t_mutf7_error("Entw\xc3\xbcrfe"),
	                    "8-bit byte in modified UTF-7 mailbox name");
	assert_string_equal(t_mutf7_error("a\tb"), "Control character in mailbox name");

	assert_string_equal(t_utf8_error("\xc3"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("\xc0\xaf"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("\xe0\x80\xaf"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("\xed\xa0\x80"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("\xf4\x90\x80\x80"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("\xff"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("a\x80"), "Invalid UTF-8 in mailbox name");
	assert_string_equal(t_utf8_error("a\nb"), "Control character in mailbox name");

	memset(big, 'a', sizeof(big));
	buf_init(&b, 0);
	assert_int_equal(imap_mutf7_to_utf8(big, IMAP_MUTF7_MAX_INPUT, &b, &error), 0);
	buf_reset(&b);
	assert_int_equal(imap_mutf7_to_utf8(big, IMAP_MUTF7_MAX_INPUT + 1, &b, &error), -1);
	assert_string_equal(error, "Mailbox name too long");
	assert_int_equal(imap_utf8_to_mutf7(big, IMAP_MUTF7_MAX_INPUT + 1, &b, &error), -1);
	buf_deinit(&b);
	/* too little room in the output buffer: an error, not an abort */
	buf_init(&b, 10);
	assert_int_equal(imap_utf8_to_mutf7("abcdef", 6, &b, &error), -1);
	assert_string_equal(error, "Mailbox name too long");
	buf_deinit(&b);
}

/* ---- FETCH ---- */

static int t_fetch_ret(const char *atts, struct imap_fetch *fetch, const char **error)
{
	struct imap_command cmd;
	static char line[1024]; /* atoms point into it */

	snprintf(line, sizeof(line), "a FETCH 1 %s\r\n", atts);
	assert_int_equal(t_parse(line, &cmd, error), 0);
	return imap_fetch_parse(cmd.args + 1, cmd.n_args - 1, &t_arena, fetch, error);
}

static struct imap_fetch t_fetch(const char *atts)
{
	struct imap_fetch fetch;
	const char *error = NULL;

	if (t_fetch_ret(atts, &fetch, &error) != 0)
		fail_msg("fetch %s: %s", atts, error);
	return fetch;
}

static const char *t_fetch_error(const char *atts)
{
	struct imap_fetch fetch;
	const char *error = NULL;

	assert_int_equal(t_fetch_ret(atts, &fetch, &error), -1);
	assert_non_null(error);
	return error;
}

static void test_fetch_simple(void **state)
{
	struct imap_fetch f = t_fetch("FAST");

	assert_int_equal(f.n_items, 3);
	assert_int_equal(f.items[0].kind, IMAP_FETCH_FLAGS);
	assert_int_equal(f.items[1].kind, IMAP_FETCH_INTERNALDATE);
	assert_int_equal(f.items[2].kind, IMAP_FETCH_RFC822_SIZE);
	assert_string_equal(f.items[2].name, "RFC822.SIZE");
	f = t_fetch("all");
	assert_int_equal(f.n_items, 4);
	assert_int_equal(f.items[3].kind, IMAP_FETCH_ENVELOPE);
	f = t_fetch("FULL");
	assert_int_equal(f.n_items, 5);
	assert_int_equal(f.items[4].kind, IMAP_FETCH_BODY);
	assert_string_equal(f.items[4].name, "BODY");

	f = t_fetch("(uid flags bodystructure MODSEQ ENVELOPE body INTERNALDATE)");
	assert_int_equal(f.n_items, 7);
	assert_int_equal(f.items[0].kind, IMAP_FETCH_UID);
	assert_string_equal(f.items[0].name, "UID");
	assert_int_equal(f.items[2].kind, IMAP_FETCH_BODYSTRUCTURE);
	assert_int_equal(f.items[3].kind, IMAP_FETCH_MODSEQ);
	assert_int_equal(f.items[5].kind, IMAP_FETCH_BODY);

	f = t_fetch("(RFC822 RFC822.HEADER RFC822.TEXT)");
	assert_int_equal(f.items[0].kind, IMAP_FETCH_BODY_SECTION);
	assert_int_equal(f.items[0].section.kind, IMAP_SECTION_ALL);
	assert_false(f.items[0].peek);
	assert_string_equal(f.items[0].name, "RFC822");
	assert_int_equal(f.items[1].section.kind, IMAP_SECTION_HEADER);
	assert_true(f.items[1].peek);
	assert_string_equal(f.items[1].name, "RFC822.HEADER");
	assert_int_equal(f.items[2].section.kind, IMAP_SECTION_TEXT);
	assert_false(f.items[2].peek);
}

static void test_fetch_sections(void **state)
{
	struct imap_fetch f = t_fetch("(BODY[] BODY.PEEK[HEADER] body[1.2.TEXT]<0.100>)");
	const struct imap_fetch_item *it = f.items;

	assert_int_equal(f.n_items, 3);
	assert_int_equal(it[0].kind, IMAP_FETCH_BODY_SECTION);
	assert_false(it[0].peek);
	assert_int_equal(it[0].section.kind, IMAP_SECTION_ALL);
	assert_int_equal(it[0].section.path_len, 0);
	assert_string_equal(it[0].name, "BODY[]");
	assert_true(it[1].peek);
	assert_int_equal(it[1].section.kind, IMAP_SECTION_HEADER);
	assert_string_equal(it[1].name, "BODY[HEADER]");
	assert_int_equal(it[2].section.path_len, 2);
	assert_int_equal(it[2].section.path[0], 1);
	assert_int_equal(it[2].section.path[1], 2);
	assert_int_equal(it[2].section.kind, IMAP_SECTION_TEXT);
	assert_true(it[2].partial);
	assert_int_equal(it[2].origin, 0);
	assert_int_equal(it[2].count, 100);
	assert_string_equal(it[2].name, "BODY[1.2.TEXT]<0>");

	f = t_fetch("BODY.PEEK[HEADER.FIELDS (From \"To\" x-Spam)]<10.5>");
	it = f.items;
	assert_int_equal(it[0].section.kind, IMAP_SECTION_HEADER_FIELDS);
	assert_int_equal(it[0].section.n_fields, 3);
	assert_string_equal(it[0].section.fields[0], "FROM");
	assert_string_equal(it[0].section.fields[1], "TO");
	assert_string_equal(it[0].section.fields[2], "X-SPAM");
	assert_string_equal(it[0].name, "BODY[HEADER.FIELDS (FROM TO X-SPAM)]<10>");
	assert_int_equal(it[0].origin, 10);

	f = t_fetch("BODY[3.HEADER.FIELDS.NOT (\"a]b\" \"c\\\\d\")]");
	it = f.items;
	assert_int_equal(it[0].section.kind, IMAP_SECTION_HEADER_FIELDS_NOT);
	assert_int_equal(it[0].section.path_len, 1);
	assert_string_equal(it[0].section.fields[0], "A]B");
	assert_string_equal(it[0].section.fields[1], "C\\D");
	assert_string_equal(it[0].name, "BODY[3.HEADER.FIELDS.NOT (\"A]B\" \"C\\\\D\")]");

	f = t_fetch("(BODY[1.MIME] BODY[2] BODY[4.1.HEADER])");
	it = f.items;
	assert_int_equal(it[0].section.kind, IMAP_SECTION_MIME);
	assert_string_equal(it[0].name, "BODY[1.MIME]");
	assert_int_equal(it[1].section.kind, IMAP_SECTION_ALL);
	assert_int_equal(it[1].section.path[0], 2);
	assert_string_equal(it[1].name, "BODY[2]");
	assert_string_equal(it[2].name, "BODY[4.1.HEADER]");

	f = t_fetch("(BINARY[1.2]<5.9> BINARY.PEEK[] BINARY.SIZE[3])");
	it = f.items;
	assert_int_equal(it[0].kind, IMAP_FETCH_BINARY);
	assert_false(it[0].peek);
	assert_string_equal(it[0].name, "BINARY[1.2]<5>");
	assert_int_equal(it[0].count, 9);
	assert_int_equal(it[1].kind, IMAP_FETCH_BINARY);
	assert_true(it[1].peek);
	assert_string_equal(it[1].name, "BINARY[]");
	assert_int_equal(it[2].kind, IMAP_FETCH_BINARY_SIZE);
	assert_string_equal(it[2].name, "BINARY.SIZE[3]");

	f = t_fetch("BODY[]<9223372036854775807.9223372036854775807>");
	assert_int_equal(f.items[0].origin, IMAP_FETCH_NUMBER64_MAX);
}

static void test_fetch_modifiers(void **state)
{
	struct imap_fetch f = t_fetch("(FLAGS) (CHANGEDSINCE 12345 VANISHED)");

	assert_int_equal(f.n_items, 1);
	assert_true(f.changedsince_set);
	assert_int_equal(f.changedsince, 12345);
	assert_true(f.vanished);
	f = t_fetch("FLAGS (changedsince 1)");
	assert_false(f.vanished);
	assert_int_equal(f.changedsince, 1);

	assert_string_equal(t_fetch_error("FLAGS (VANISHED)"), "VANISHED requires CHANGEDSINCE");
	assert_string_equal(t_fetch_error("FLAGS (CHANGEDSINCE 0)"), "Invalid CHANGEDSINCE value");
	assert_string_equal(t_fetch_error("FLAGS (CHANGEDSINCE x)"), "Invalid CHANGEDSINCE value");
	assert_string_equal(t_fetch_error("FLAGS (CHANGEDSINCE)"), "Invalid CHANGEDSINCE value");
	assert_string_equal(t_fetch_error("FLAGS (CHANGEDSINCE 9223372036854775808)"),
	                    "Invalid CHANGEDSINCE value");
	assert_string_equal(t_fetch_error("FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)"),
	                    "Invalid FETCH modifier");
	assert_string_equal(t_fetch_error("FLAGS (FOO)"), "Invalid FETCH modifier");
	assert_string_equal(t_fetch_error("FLAGS ()"), "Invalid FETCH modifiers");
	assert_string_equal(t_fetch_error("FLAGS CHANGEDSINCE"), "Invalid FETCH modifiers");
	assert_string_equal(t_fetch_error("FLAGS (CHANGEDSINCE 1) x"), "Too many FETCH arguments");
}

static void test_fetch_errors(void **state)
{
	struct imap_fetch f;
	const char *error;
	char line[2048];
	size_t n, i;

	assert_string_equal(t_fetch_error("FOO"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("(FLAGS FOO)"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("(FLAGS ALL)"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("()"), "Empty FETCH attribute list");
	assert_string_equal(t_fetch_error("\"FLAGS\""), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("(FLAGS (UID))"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("BODY[HEADER"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("BODYX[]"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("BODY.PEEK"), "Invalid FETCH attribute");
	assert_string_equal(t_fetch_error("BODY[FOO]"), "Invalid section");
	assert_string_equal(t_fetch_error("BODY[MIME]"), "Invalid section");
	assert_string_equal(t_fetch_error("BODY[0]"), "Invalid section part number");
	assert_string_equal(t_fetch_error("BODY[1.0.TEXT]"), "Invalid section part number");
	assert_string_equal(t_fetch_error("BODY[4294967296]"), "Invalid section part number");
	assert_string_equal(t_fetch_error("BODY[1.]"), "Invalid section");
	assert_string_equal(t_fetch_error("BODY[1..2]"), "Invalid section");
	assert_string_equal(t_fetch_error("BODY[1x]"), "Invalid section");
	assert_string_equal(t_fetch_error("BODY[TEXT ]"), "Invalid section");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS]"), "Missing header field list");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS ()]"), "Invalid header field list");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS From]"), "Invalid header field list");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS (a:b)]"),
	                    "Invalid header field name");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS (\"\")]"),
	                    "Invalid header field name");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS (\"a b\")]"),
	                    "Invalid header field name");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS ((a))]"),
	                    "Invalid header field name");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS (a) (b)]"),
	                    "Invalid header field list");
	assert_string_equal(t_fetch_error("BODY[HEADER.FIELDS (a\"b\")]"),
	                    "Missing space between arguments");
	assert_string_equal(t_fetch_error("BODY[]<0>"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]<0.0>"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]<.5>"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]<1.5"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]<a.5>"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]x"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]<1.2>[]"), "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BODY[]<9223372036854775808.1>"),
	                    "Invalid partial fetch");
	assert_string_equal(t_fetch_error("BINARY[TEXT]"), "Invalid BINARY section");
	assert_string_equal(t_fetch_error("BINARY[1.MIME]"), "Invalid BINARY section");
	assert_string_equal(t_fetch_error("BINARY.SIZE[1]<0.1>"), "Invalid partial fetch");

	/* part path depth: the limit passes, one more fails */
	n = (size_t)snprintf(line, sizeof(line), "BODY[1");
	for (i = 1; i < IMAP_SECTION_MAX_DEPTH; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, ".1");
	snprintf(line + n, sizeof(line) - n, "]");
	f = t_fetch(line);
	assert_int_equal(f.items[0].section.path_len, IMAP_SECTION_MAX_DEPTH);
	snprintf(line + n, sizeof(line) - n, ".1]");
	assert_string_equal(t_fetch_error(line), "Section part path too deep");

	/* too many items */
	n = (size_t)snprintf(line, sizeof(line), "(");
	for (i = 0; i < IMAP_FETCH_MAX_ITEMS + 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "UID ");
	snprintf(line + n - 1, sizeof(line) - n + 1, ")");
	assert_string_equal(t_fetch_error(line), "Too many FETCH attributes");

	assert_int_equal(imap_fetch_parse(NULL, 0, &t_arena, &f, &error), -1);
	assert_string_equal(error, "Missing FETCH attributes");
}

/* ---- SEARCH ---- */

static void t_dump_node(struct buf *b, const struct imap_search_node *n);

static void t_dump_children(struct buf *b, const struct imap_search_node *c)
{
	buf_putc(b, '(');
	for (; c != NULL; c = c->next) {
		t_dump_node(b, c);
		if (c->next != NULL)
			buf_putc(b, ' ');
	}
	buf_putc(b, ')');
}

/* A compact text form of a search tree for assertions. */
static void t_dump_node(struct buf *b, const struct imap_search_node *n)
{
	static const char *const names[] = {
	        "ALL",     "AND",     "OR",     "NOT",   "SEQ",        "UID",    "FLAG",
	        "KEYWORD", "BEFORE",  "ON",     "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE",
	        "LARGER",  "SMALLER", "BCC",    "BODY",  "CC",         "FROM",   "SUBJECT",
	        "TEXT",    "TO",      "HEADER", "MODSEQ"};

	buf_puts(b, names[n->key]);
	switch (n->key) {
	case IMAP_SKEY_AND:
	case IMAP_SKEY_OR:
	case IMAP_SKEY_NOT:
		t_dump_children(b, n->child);
		break;
	case IMAP_SKEY_SEQSET:
	case IMAP_SKEY_UIDSET:
		if (n->u.set.saved)
			buf_puts(b, ":$");
		else
			buf_printf(b, ":%zu", n->u.set.count);
		break;
	case IMAP_SKEY_FLAG:
		buf_printf(b, ":%u", n->u.flag);
		break;
	case IMAP_SKEY_BEFORE:
	case IMAP_SKEY_ON:
	case IMAP_SKEY_SINCE:
	case IMAP_SKEY_SENTBEFORE:
	case IMAP_SKEY_SENTON:
	case IMAP_SKEY_SENTSINCE:
		buf_printf(b, ":%04u-%02u-%02u", n->u.date.year, n->u.date.month, n->u.date.day);
		break;
	case IMAP_SKEY_LARGER:
	case IMAP_SKEY_SMALLER:
		buf_printf(b, ":%llu", (unsigned long long)n->u.number);
		break;
	case IMAP_SKEY_HEADER:
		buf_printf(b, ":%.*s=%.*s", (int)n->u.header.field.len, n->u.header.field.data,
		           (int)n->u.header.value.len, n->u.header.value.data);
		break;
	case IMAP_SKEY_MODSEQ:
		buf_printf(b, ":%.*s/%d/%llu", (int)n->u.modseq.entry.len, n->u.modseq.entry.data,
		           (int)n->u.modseq.type, (unsigned long long)n->u.modseq.value);
		break;
	case IMAP_SKEY_ALL:
		break;
	default:
		buf_printf(b, ":%.*s", (int)n->u.str.len, n->u.str.data);
		break;
	}
}

static int t_search_ret(const char *prog, struct imap_search *s, const char **error)
{
	struct imap_command cmd;
	static char line[4096]; /* atoms point into it */

	snprintf(line, sizeof(line), "a SEARCH %s\r\n", prog);
	assert_int_equal(t_parse(line, &cmd, error), 0);
	return imap_search_parse(cmd.args, cmd.n_args, &t_arena, s, error);
}

/* Parses and dumps; the dump skips the root "AND(...)" wrapper. */
static void t_assert_search(const char *prog, const char *expect)
{
	struct imap_search s;
	const char *error = NULL;
	struct buf b;

	if (t_search_ret(prog, &s, &error) != IMAP_SEARCH_OK)
		fail_msg("search %s: %s", prog, error);
	assert_int_equal(s.root->key, IMAP_SKEY_AND);
	buf_init(&b, 0);
	t_dump_children(&b, s.root->child);
	assert_string_equal(b.data, expect);
	buf_deinit(&b);
}

static const char *t_search_error(const char *prog, int expect_ret)
{
	struct imap_search s;
	const char *error = NULL;

	assert_int_equal(t_search_ret(prog, &s, &error), expect_ret);
	assert_non_null(error);
	return error;
}

static void test_search_keys(void **state)
{
	t_assert_search("ALL", "(ALL)");
	t_assert_search("answered deleted draft flagged seen recent",
	                "(FLAG:1 FLAG:2 FLAG:4 FLAG:8 FLAG:16 FLAG:32)");
	t_assert_search("UNANSWERED UNDELETED UNDRAFT UNFLAGGED UNSEEN",
	                "(NOT(FLAG:1) NOT(FLAG:2) NOT(FLAG:4) NOT(FLAG:8) NOT(FLAG:16))");
	t_assert_search("NEW OLD", "(AND(FLAG:32 NOT(FLAG:16)) NOT(FLAG:32))");
	t_assert_search("KEYWORD $Junk UNKEYWORD foo", "(KEYWORD:$Junk NOT(KEYWORD:foo))");
	t_assert_search("BCC a CC \"b c\" FROM {3}\r\nx y TO d SUBJECT e BODY f TEXT nil",
	                "(BCC:a CC:b c FROM:x y TO:d SUBJECT:e BODY:f TEXT:nil)");
	t_assert_search("BEFORE 1-Feb-2024 ON \"29-feb-2024\" SINCE 31-Dec-1999",
	                "(BEFORE:2024-02-01 ON:2024-02-29 SINCE:1999-12-31)");
	t_assert_search("SENTBEFORE 01-Jan-2000 SENTON 9-Sep-2009 SENTSINCE 2-Mar-2000",
	                "(SENTBEFORE:2000-01-01 SENTON:2009-09-09 SENTSINCE:2000-03-02)");
	t_assert_search("LARGER 100 SMALLER 9223372036854775807",
	                "(LARGER:100 SMALLER:9223372036854775807)");
	t_assert_search("HEADER X-Spam yes HEADER \"Message-ID\" \"\"",
	                "(HEADER:X-Spam=yes HEADER:Message-ID=)");
	t_assert_search("1:5,7 UID 1:* $ UID $", "(SEQ:2 UID:1 SEQ:$ UID:$)");
	t_assert_search("*", "(SEQ:1)");
	t_assert_search("OR SEEN (FLAGGED DELETED)", "(OR(FLAG:16 AND(FLAG:8 FLAG:2)))");
	t_assert_search("NOT OR 1 2 NOT NOT ALL", "(NOT(OR(SEQ:1 SEQ:1)) NOT(NOT(ALL)))");
	t_assert_search("MODSEQ 0 MODSEQ \"/flags/\\\\draft\" all 620162338",
	                "(MODSEQ:/0/0 MODSEQ:/flags/\\draft/3/620162338)");
	t_assert_search("MODSEQ \"/flags/$x\" PRIV 5 MODSEQ \"/flags/y\" shared 6",
	                "(MODSEQ:/flags/$x/1/5 MODSEQ:/flags/y/2/6)");
}

static void test_search_strings_literal(void **state)
{
	static const char line[] = "a SEARCH SUBJECT {3}\r\nx\0y\r\n";
	struct imap_command cmd;
	struct imap_search s;
	const char *error;

	assert_int_equal(t_parse_len(line, sizeof(line) - 1, &cmd, &error), 0);
	assert_int_equal(imap_search_parse(cmd.args, cmd.n_args, &t_arena, &s, &error), 0);
	assert_int_equal(s.root->child->key, IMAP_SKEY_SUBJECT);
	assert_int_equal(s.root->child->u.str.len, 3);
	assert_memory_equal(s.root->child->u.str.data, "x\0y", 3);
}

static void test_search_prefix(void **state)
{
	struct imap_search s;
	const char *error;

	assert_int_equal(t_search_ret("CHARSET UTF-8 SUBJECT x", &s, &error), 0);
	assert_false(s.esearch);
	assert_int_equal(t_search_ret("charset \"us-ascii\" ALL", &s, &error), 0);
	assert_int_equal(t_search_ret("RETURN (MIN MAX) CHARSET UTF-8 ALL", &s, &error), 0);
	assert_true(s.esearch);
	assert_int_equal(s.return_opts, IMAP_SEARCH_RETURN_MIN | IMAP_SEARCH_RETURN_MAX);
	assert_int_equal(t_search_ret("RETURN () ALL", &s, &error), 0);
	assert_int_equal(s.return_opts, IMAP_SEARCH_RETURN_ALL);
	assert_int_equal(t_search_ret("RETURN (count save all) 1:*", &s, &error), 0);
	assert_int_equal(s.return_opts, IMAP_SEARCH_RETURN_COUNT | IMAP_SEARCH_RETURN_SAVE |
	                                        IMAP_SEARCH_RETURN_ALL);
	assert_false(s.uses_saved);
	assert_false(s.has_modseq);
	assert_int_equal(t_search_ret("OR $ MODSEQ 5 ALL", &s, &error), 0);
	assert_true(s.uses_saved);
	assert_true(s.has_modseq);

	assert_string_equal(t_search_error("CHARSET ISO-8859-1 ALL", IMAP_SEARCH_BADCHARSET),
	                    "Unsupported charset");
	assert_string_equal(t_search_error("CHARSET", IMAP_SEARCH_ERROR), "Invalid CHARSET");
	assert_string_equal(t_search_error("CHARSET (a) ALL", IMAP_SEARCH_ERROR),
	                    "Invalid CHARSET");
	assert_string_equal(t_search_error("CHARSET UTF-8", IMAP_SEARCH_ERROR),
	                    "Missing search key");
	assert_string_equal(t_search_error("RETURN (FOO) ALL", IMAP_SEARCH_ERROR),
	                    "Unknown RETURN option");
	assert_string_equal(t_search_error("RETURN MIN ALL", IMAP_SEARCH_ERROR),
	                    "Invalid RETURN options");
	assert_string_equal(t_search_error("RETURN ()", IMAP_SEARCH_ERROR), "Missing search key");
	/* RETURN after CHARSET is not the grammar */
	assert_string_equal(t_search_error("CHARSET UTF-8 RETURN () ALL", IMAP_SEARCH_ERROR),
	                    "Unknown search key");

	/* keys only (SORT/THREAD) */
	{
		struct imap_command cmd;

		assert_int_equal(t_parse("a X CHARSET UTF-8\r\n", &cmd, &error), 0);
		assert_int_equal(imap_search_parse_keys(cmd.args, cmd.n_args, &t_arena, &s, &error),
		                 IMAP_SEARCH_ERROR);
		assert_string_equal(error, "Unknown search key");
	}
}

static void test_search_errors(void **state)
{
	struct buf b;
	struct imap_command cmd;
	struct imap_search s;
	const char *error;
	size_t i;

	assert_string_equal(t_search_error("", IMAP_SEARCH_ERROR), "Missing search key");
	assert_string_equal(t_search_error("FOO", IMAP_SEARCH_ERROR), "Unknown search key");
	assert_string_equal(t_search_error("\"ALL\"", IMAP_SEARCH_ERROR), "Invalid search key");
	assert_string_equal(t_search_error("()", IMAP_SEARCH_ERROR), "Missing search key");
	assert_string_equal(t_search_error("SUBJECT", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");
	assert_string_equal(t_search_error("SUBJECT (a)", IMAP_SEARCH_ERROR),
	                    "Invalid search string");
	assert_string_equal(t_search_error("HEADER", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");
	assert_string_equal(t_search_error("HEADER x", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");
	assert_string_equal(t_search_error("HEADER \"\" x", IMAP_SEARCH_ERROR),
	                    "Invalid header field name");
	assert_string_equal(t_search_error("OR SEEN", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");
	assert_string_equal(t_search_error("NOT", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");
	assert_string_equal(t_search_error("(SEEN FOO)", IMAP_SEARCH_ERROR), "Unknown search key");
	assert_string_equal(t_search_error("0", IMAP_SEARCH_ERROR), "Sequence number 0 is invalid");
	assert_string_equal(t_search_error("1:", IMAP_SEARCH_ERROR), "Invalid sequence set");
	assert_string_equal(t_search_error("UID a", IMAP_SEARCH_ERROR), "Invalid sequence set");
	assert_string_equal(t_search_error("UID \"1\"", IMAP_SEARCH_ERROR), "Invalid sequence set");
	assert_string_equal(t_search_error("UID", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");
	assert_string_equal(t_search_error("LARGER x", IMAP_SEARCH_ERROR), "Invalid search number");
	assert_string_equal(t_search_error("LARGER -1", IMAP_SEARCH_ERROR),
	                    "Invalid search number");
	assert_string_equal(t_search_error("SMALLER 9223372036854775808", IMAP_SEARCH_ERROR),
	                    "Invalid search number");
	assert_string_equal(t_search_error("KEYWORD \\Seen", IMAP_SEARCH_ERROR),
	                    "Invalid search keyword");
	assert_string_equal(t_search_error("KEYWORD \"x\"", IMAP_SEARCH_ERROR),
	                    "Invalid search keyword");
	assert_string_equal(t_search_error("MODSEQ x", IMAP_SEARCH_ERROR), "Invalid MODSEQ value");
	assert_string_equal(t_search_error("MODSEQ \"/flags/x\" foo 1", IMAP_SEARCH_ERROR),
	                    "Invalid MODSEQ entry type");
	assert_string_equal(t_search_error("MODSEQ \"/other/x\" all 1", IMAP_SEARCH_ERROR),
	                    "Invalid MODSEQ entry name");
	assert_string_equal(t_search_error("MODSEQ \"/flags/x\" all", IMAP_SEARCH_ERROR),
	                    "Missing search key argument");

	/* dates */
	static const char *const bad_dates[] = {
	        "32-Jan-2024", "0-Jan-2024", "29-Feb-2023", "29-Feb-1900", "31-Apr-2024",
	        "1-Foo-2024",  "1-Jan-24",   "1-Jan-20245", "1 Jan 2024",  "001-Jan-2024",
	        "1-Jan-",      "",           "x-Jan-2024",  "1-Jan-2o24",  "-Jan-2024"};
	for (i = 0; i < N_ELEMENTS(bad_dates); i++) {
		char prog[64];

		snprintf(prog, sizeof(prog), "SINCE \"%s\"", bad_dates[i]);
		assert_string_equal(t_search_error(prog, IMAP_SEARCH_ERROR), "Invalid search date");
	}
	assert_string_equal(t_search_error("SINCE {10}\r\n1-Jan-2024", IMAP_SEARCH_ERROR),
	                    "Invalid search date");
	t_assert_search("ON 29-Feb-2000", "(ON:2000-02-29)");

	/* depth: NOT chains are bounded */
	buf_init(&b, 0);
	buf_puts(&b, "a SEARCH");
	for (i = 0; i < IMAP_SEARCH_MAX_DEPTH - 1; i++)
		buf_puts(&b, " NOT");
	buf_puts(&b, " ALL\r\n");
	assert_int_equal(t_parse_len(b.data, b.len, &cmd, &error), 0);
	assert_int_equal(imap_search_parse(cmd.args, cmd.n_args, &t_arena, &s, &error), 0);
	buf_reset(&b);
	buf_puts(&b, "a SEARCH");
	for (i = 0; i < IMAP_SEARCH_MAX_DEPTH; i++)
		buf_puts(&b, " NOT");
	buf_puts(&b, " ALL\r\n");
	assert_int_equal(t_parse_len(b.data, b.len, &cmd, &error), 0);
	assert_int_equal(imap_search_parse(cmd.args, cmd.n_args, &t_arena, &s, &error), -1);
	assert_string_equal(error, "Search program too deeply nested");

	/* node count */
	buf_reset(&b);
	buf_puts(&b, "a SEARCH");
	for (i = 0; i < IMAP_SEARCH_MAX_NODES; i++)
		buf_puts(&b, " SEEN");
	buf_puts(&b, "\r\n");
	assert_int_equal(t_parse_len(b.data, b.len, &cmd, &error), 0);
	assert_int_equal(imap_search_parse(cmd.args, cmd.n_args, &t_arena, &s, &error), -1);
	assert_string_equal(error, "Search program too large");
	buf_deinit(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_parse_simple, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_parse_uid, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_parse_lists_and_atoms, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_parse_literals, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_parse_errors, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_parse_limits, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_arena, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_arg_helpers, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_line_literal, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_seqset_parse, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_seqset_limit, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_seqset_resolve_contains, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_seqset_iter_write, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_mutf7_roundtrip, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_mutf7_errors, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_fetch_simple, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_fetch_sections, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_fetch_modifiers, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_fetch_errors, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_search_keys, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_search_strings_literal, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_search_prefix, t_setup, t_teardown),
	        cmocka_unit_test_setup_teardown(test_search_errors, t_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
