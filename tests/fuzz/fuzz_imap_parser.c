/*
 * fuzz_imap_parser.c - libFuzzer target for the pure IMAP parsers.
 *
 * Runs the tokenizer on the input, then the FETCH and SEARCH parsers on its
 * arguments, the sequence-set parser on every atom and the modified UTF-7
 * converters on every string, and checks properties that must hold:
 *  - a resolved set agrees with membership on the parsed set, iterates exactly
 *    imap_seqset_count() values, and its written form parses to the same set;
 *  - a name that decodes from modified UTF-7 encodes back to the same bytes,
 *    and an encoded UTF-8 name decodes back to itself.
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_imap_parser.c
 *        src/imap/{parser,seqset,mutf7,fetch-parse,search-parse}.c src/base/[a-z]*.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "imap/fetch-parse.h"
#include "imap/mutf7.h"
#include "imap/parser.h"
#include "imap/search-parse.h"
#include "imap/seqset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 65536
#define FUZZ_SET_MAX   50u
#define FUZZ_ITER_MAX  100000u

static void fuzz_seqset_written(const struct imap_seqset *res, struct imap_arena *arena)
{
	struct imap_seqset again;
	const char *error;
	struct buf b;

	buf_init(&b, 0);
	if (!imap_seqset_write_ranges(&b, res))
		abort();
	if (b.len > 0) {
		if (imap_seqset_parse(b.data, b.len, arena, &again, &error) < 0)
			abort();
		if (again.count != res->count || again.n_star != 0 ||
		    memcmp(again.ranges, res->ranges, res->count * sizeof(*res->ranges)) != 0)
			abort();
	}
	buf_deinit(&b);
}

static void fuzz_seqset(const char *s, size_t len, struct imap_arena *arena)
{
	struct imap_seqset set, res;
	struct imap_seqset_iter it;
	const char *error;
	uint32_t n, max, prev = 0;
	uint64_t iterated = 0;

	if (imap_seqset_parse(s, len, arena, &set, &error) < 0 || set.saved)
		return;
	for (max = 0; max <= FUZZ_SET_MAX; max += 7) {
		if (imap_seqset_resolve(&set, max, arena, &res) < 0)
			return;
		for (n = 1; n <= FUZZ_SET_MAX + 2; n++) {
			if (imap_seqset_contains(&set, n, max) !=
			    imap_seqset_contains(&res, n, max))
				abort();
		}
		if (imap_seqset_count(&res) <= FUZZ_ITER_MAX) {
			imap_seqset_iter_init(&it, &res);
			while (imap_seqset_iter_next(&it, &n)) {
				if ((iterated > 0 && n <= prev) ||
				    !imap_seqset_contains(&res, n, max))
					abort();
				prev = n;
				iterated++;
			}
			if (iterated != imap_seqset_count(&res))
				abort();
			iterated = 0;
		}
		fuzz_seqset_written(&res, arena);
	}
}

static void fuzz_mutf7(const char *s, size_t len)
{
	struct buf utf8, back;
	const char *error;

	buf_init(&utf8, 0);
	buf_init(&back, 0);
	if (imap_mutf7_to_utf8(s, len, &utf8, &error) == 0) {
		if (imap_utf8_to_mutf7(utf8.data ? utf8.data : "", utf8.len, &back, &error) < 0)
			abort();
		if (back.len != len || (len > 0 && memcmp(back.data, s, len) != 0))
			abort();
	}
	buf_reset(&utf8);
	buf_reset(&back);
	if (imap_utf8_to_mutf7(s, len, &utf8, &error) == 0) {
		if (imap_mutf7_to_utf8(utf8.data ? utf8.data : "", utf8.len, &back, &error) < 0)
			abort();
		if (back.len != len || (len > 0 && memcmp(back.data, s, len) != 0))
			abort();
	}
	buf_deinit(&utf8);
	buf_deinit(&back);
}

static void fuzz_args(const struct imap_arg *args, size_t n, struct imap_arena *arena)
{
	struct imap_fetch fetch;
	struct imap_search search;
	const char *error;

	for (size_t i = 0; i < n; i++) {
		if (args[i].type == IMAP_ARG_LIST) {
			fuzz_args(args[i].list, args[i].list_count, arena);
			continue;
		}
		if (args[i].type == IMAP_ARG_ATOM)
			fuzz_seqset(args[i].str, args[i].len, arena);
		fuzz_mutf7(args[i].str, args[i].len);
		(void)imap_arg_astring(&args[i], arena);
	}
	(void)imap_fetch_parse(args, n, arena, &fetch, &error);
	(void)imap_search_parse(args, n, arena, &search, &error);
	if (n > 0) {
		(void)imap_fetch_parse(args + 1, n - 1, arena, &fetch, &error);
		(void)imap_search_parse(args + 1, n - 1, arena, &search, &error);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *error, *nl;
	struct imap_command cmd;
	struct imap_arena arena;
	struct imap_arg *args;
	size_t n_args;
	uint64_t lit_size;
	bool nonsync, lit8;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	imap_arena_init(&arena, 0);
	nl = memchr(s, '\n', size);
	(void)imap_line_literal(s, nl != NULL ? (size_t)(nl - s) : size, &lit_size, &nonsync,
	                        &lit8);
	if (imap_parse_command(s, size, &cmd, &arena, &error) == 0) {
		if (cmd.tag == NULL || cmd.tag_len == 0 || cmd.name_len == 0)
			abort();
		fuzz_args(cmd.args, cmd.n_args, &arena);
	} else if (error == NULL) {
		abort();
	}
	imap_arena_clear(&arena);
	if (imap_parse_args(s, size, 0, &arena, &args, &n_args, &error) == 0)
		fuzz_args(args, n_args, &arena);
	imap_arena_clear(&arena);
	return 0;
}
