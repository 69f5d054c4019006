/*
 * test_smtp_data.c - unit tests of the DATA reader (smtp/data): unstuffing,
 * the end-of-data line, the SMTP smuggling sequences that must not end the
 * data, flags, the size limit and line length, bytes pipelined after the end,
 * and that any split of the input into chunks gives the same result. Random
 * inputs are checked against a reference written from the rules as a whole
 * (find the first CRLF "." CRLF, then unstuff), not as a state machine.
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
#include "smtp/data.h"

#define T_LIMIT    (1u << 20)
#define T_LINE_MAX 998

/* Everything a feed produces. */
struct t_result {
	struct smtp_data d;
	struct buf out;
	size_t consumed;
	bool end;
};

static void t_result_init(struct t_result *r, uint64_t limit, size_t line_max)
{
	smtp_data_init(&r->d, limit, line_max);
	buf_init(&r->out, 0);
	r->consumed = 0;
	r->end = false;
}

/* Feeds in chunks of the given sizes (cycled; 0 means the rest) until the end. */
static void t_feed_chunks(struct t_result *r, const char *in, size_t len, const size_t *sizes,
                          size_t n_sizes)
{
	size_t k = 0;

	while (r->consumed < len && !r->end) {
		size_t n = len - r->consumed, step = sizes[k++ % n_sizes], got;

		if (step > 0 && step < n)
			n = step;
		got = smtp_data_feed(&r->d, in + r->consumed, n, &r->out, &r->end);
		assert_true(got <= n);
		/* Only the end stops consumption short of a chunk. */
		if (!r->end)
			assert_int_equal(got, n);
		r->consumed += got;
	}
}

static void t_run(struct t_result *r, const char *in, size_t len, uint64_t limit, size_t line_max)
{
	static const size_t all[] = {0};

	t_result_init(r, limit, line_max);
	t_feed_chunks(r, in, len, all, 1);
}

static void t_assert_same(const struct t_result *a, const struct t_result *b)
{
	assert_int_equal(a->consumed, b->consumed);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->out.len, b->out.len);
	if (a->out.len > 0)
		assert_memory_equal(a->out.data, b->out.data, a->out.len);
	assert_int_equal(a->d.state, b->d.state);
	assert_int_equal(a->d.line_len, b->d.line_len);
	assert_int_equal(a->d.size, b->d.size);
	assert_int_equal(a->d.bare_lf, b->d.bare_lf);
	assert_int_equal(a->d.bare_cr, b->d.bare_cr);
	assert_int_equal(a->d.nul, b->d.nul);
	assert_int_equal(a->d.has_8bit, b->d.has_8bit);
	assert_int_equal(a->d.too_big, b->d.too_big);
	assert_int_equal(a->d.line_too_long, b->d.line_too_long);
}

/*
 * One feed, then every split into two chunks, then one byte at a time, then
 * random chunk sizes: all must agree. Returns the one-feed result.
 */
static void t_run_all_splits(struct t_result *whole, const char *in, size_t len, uint64_t limit,
                             size_t line_max)
{
	struct t_result r;
	static const size_t one[] = {1};
	size_t sizes[8];

	t_run(whole, in, len, limit, line_max);
	for (size_t cut = 0; cut <= len; cut++) {
		size_t two[] = {cut, 0};

		t_result_init(&r, limit, line_max);
		if (cut > 0)
			t_feed_chunks(&r, in, len, two, 2);
		else
			t_feed_chunks(&r, in, len, two + 1, 1);
		t_assert_same(whole, &r);
		buf_deinit(&r.out);
	}
	t_result_init(&r, limit, line_max);
	t_feed_chunks(&r, in, len, one, 1);
	t_assert_same(whole, &r);
	buf_deinit(&r.out);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < N_ELEMENTS(sizes); i++)
			sizes[i] = 1 + (size_t)rand() % 17;
		t_result_init(&r, limit, line_max);
		t_feed_chunks(&r, in, len, sizes, N_ELEMENTS(sizes));
		t_assert_same(whole, &r);
		buf_deinit(&r.out);
	}
}

/* Runs a complete message: checks the output and that every split agrees. */
static void t_message(const char *in, const char *expected, struct t_result *r)
{
	size_t len = strlen(in);

	t_run_all_splits(r, in, len, T_LIMIT, T_LINE_MAX);
	assert_true(r->end);
	assert_int_equal(r->consumed, len);
	assert_int_equal(r->out.len, strlen(expected));
	assert_memory_equal(r->out.data, expected, r->out.len);
	assert_int_equal(r->d.size, strlen(expected));
}

/* ---- unstuffing and the end ---- */

static void test_simple(void **state)
{
	struct t_result r;

	t_message("Subject: hi\r\n\r\nHello\r\n.\r\n", "Subject: hi\r\n\r\nHello\r\n", &r);
	assert_false(r.d.bare_lf || r.d.bare_cr || r.d.nul || r.d.has_8bit);
	assert_false(r.d.too_big || r.d.line_too_long);
	buf_deinit(&r.out);
}

static void test_empty(void **state)
{
	struct t_result r;

	/* The data starts at a line start: ".\r\n" at once is an empty message. */
	t_message(".\r\n", "", &r);
	assert_int_equal(r.d.size, 0);
	buf_deinit(&r.out);
	t_message("\r\n.\r\n", "\r\n", &r);
	buf_deinit(&r.out);
}

static void test_unstuff(void **state)
{
	struct t_result r;

	/* RFC 5321 4.5.2: the first "." of a line goes; the rest stays. */
	t_message("..\r\n..x\r\n.x\r\n...\r\nx.\r\n x\r\n.\r\n",
	          ".\r\n.x\r\nx\r\n..\r\nx.\r\n x\r\n", &r);
	buf_deinit(&r.out);
	t_message("...\r\n.\r\n", "..\r\n", &r);
	buf_deinit(&r.out);
	/* Only after CRLF: a dot after a bare LF or CR is text. */
	t_message("a\n..\r\n.\r\n", "a\n..\r\n", &r);
	assert_true(r.d.bare_lf);
	buf_deinit(&r.out);
}

static void test_end_only_at_line_start(void **state)
{
	static const char *const partial[] = {
	        "a.\r\n",       " .\r\n",      "\r\n..\r\n",       "x\r\n .\r\n",
	        "x\r\n.. \r\n", "x\r\n.x\r\n", "x\r\n. \r\n",      "x\r\n.",
	        "x\r\n.\r",     "x\r\n.\rx\n", "x\r\n\r\n.\t\r\n",
	};
	struct t_result r;

	for (size_t i = 0; i < N_ELEMENTS(partial); i++) {
		t_run_all_splits(&r, partial[i], strlen(partial[i]), T_LIMIT, T_LINE_MAX);
		assert_false(r.end);
		assert_int_equal(r.consumed, strlen(partial[i]));
		buf_deinit(&r.out);
	}
	/* A held-back ".\r" is not output until the next byte decides. */
	t_run(&r, "x\r\n.\r", 5, T_LIMIT, T_LINE_MAX);
	assert_int_equal(r.out.len, 3);
	assert_int_equal(r.d.size, 3);
	assert_false(r.d.bare_cr);
	buf_deinit(&r.out);
}

/* ---- SMTP smuggling ---- */

static void test_smuggling(void **state)
{
	static const struct {
		const char *in;
		const char *out;
		bool bare_lf, bare_cr;
	} cases[] = {
	        {"Hi\n.\nMAIL FROM:<x>\r\n.\r\n", "Hi\n.\nMAIL FROM:<x>\r\n", true, false},
	        {"Hi\n.\r\nMAIL FROM:<x>\r\n.\r\n", "Hi\n.\r\nMAIL FROM:<x>\r\n", true, false},
	        {"Hi\r.\rMAIL FROM:<x>\r\n.\r\n", "Hi\r.\rMAIL FROM:<x>\r\n", false, true},
	        {"Hi\r.\r\nMAIL FROM:<x>\r\n.\r\n", "Hi\r.\r\nMAIL FROM:<x>\r\n", false, true},
	        {"Hi\r\n.\rMAIL FROM:<x>\r\n.\r\n", "Hi\r\n\rMAIL FROM:<x>\r\n", false, true},
	        {"Hi\r\n.\r.\r\n.\r\n", "Hi\r\n\r.\r\n", false, true},
	        {"Hi\r\n.\nMAIL FROM:<x>\r\n.\r\n", "Hi\r\n\nMAIL FROM:<x>\r\n", true, false},
	        {"Hi\n.\rMAIL FROM:<x>\r\n.\r\n", "Hi\n.\rMAIL FROM:<x>\r\n", true, true},
	        {"Hi\n.\r\r\n.\r\n", "Hi\n.\r\r\n", true, true},
	        {"Hi\r\r\n.\r\n", "Hi\r\r\n", false, true},
	        {"Hi\r\n\n.\n\r\n.\r\n", "Hi\r\n\n.\n\r\n", true, false},
	        {".\nX\r\n.\r\n", "\nX\r\n", true, false},
	        {"\n.\r\n.\r\n", "\n.\r\n", true, false},
	        {".\r.\r\n.\r\n", "\r.\r\n", false, true},
	        {"\r\n.\r\r\n.\r\n", "\r\n\r\r\n", false, true},
	};
	struct t_result r;

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		t_message(cases[i].in, cases[i].out, &r);
		assert_int_equal(r.d.bare_lf, cases[i].bare_lf);
		assert_int_equal(r.d.bare_cr, cases[i].bare_cr);
		buf_deinit(&r.out);
	}
}

/* Each smuggling sequence alone, with nothing after it: never an end. */
static void test_smuggling_no_end(void **state)
{
	static const char *const seqs[] = {
	        "x\n.\n", "x\n.\r\n", "x\r.\r",           "x\r\n.\rQ",        "x\r\n.\n",
	        "x\n.\r", "x\r.\r\n", "x\n.\r\nQUIT\r\n", "x\r\n.\nQUIT\r\n",
	};
	struct t_result r;

	for (size_t i = 0; i < N_ELEMENTS(seqs); i++) {
		t_run_all_splits(&r, seqs[i], strlen(seqs[i]), T_LIMIT, T_LINE_MAX);
		assert_false(r.end);
		assert_int_equal(r.consumed, strlen(seqs[i]));
		assert_true(r.d.bare_lf || r.d.bare_cr);
		buf_deinit(&r.out);
	}
}

/* ---- flags ---- */

static void test_flags(void **state)
{
	struct t_result r;
	char line[64];

	t_message("a\x80\r\n.\r\n", "a\x80\r\n", &r);
	assert_true(r.d.has_8bit);
	assert_false(r.d.nul);
	buf_deinit(&r.out);
	/* A NUL or an 8-bit byte at every offset of a line, across word boundaries. */
	for (size_t pos = 0; pos < 40; pos++) {
		memset(line, 'a', sizeof(line));
		memcpy(line + 40, "\r\n.\r\n", 6);
		line[pos] = '\0';
		t_run_all_splits(&r, line, 45, T_LIMIT, T_LINE_MAX);
		assert_true(r.end);
		assert_true(r.d.nul);
		assert_false(r.d.has_8bit);
		assert_int_equal(r.out.len, 42);
		assert_memory_equal(r.out.data, line, 42);
		buf_deinit(&r.out);
		line[pos] = (char)0xff;
		t_run(&r, line, 45, T_LIMIT, T_LINE_MAX);
		assert_true(r.d.has_8bit);
		assert_false(r.d.nul);
		buf_deinit(&r.out);
	}
	/* A NUL is still seen after 8-bit text has turned its check off. */
	t_message("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xxxxxxxxxxxxxxxx"
	          "\r\n.\r\n",
	          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xxxxxxxxxxxxxxxx"
	          "\r\n",
	          &r);
	assert_true(r.d.has_8bit);
	assert_false(r.d.nul);
	buf_deinit(&r.out);
	memset(line, 'a', sizeof(line));
	memcpy(line, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 8);
	line[37] = '\0';
	memcpy(line + 40, "\r\n.\r\n", 6);
	t_run_all_splits(&r, line, 45, T_LIMIT, T_LINE_MAX);
	assert_true(r.d.has_8bit);
	assert_true(r.d.nul);
	buf_deinit(&r.out);
}

/* A NUL at the very start is data, not the end of a C string. */
static void test_nul_bytes(void **state)
{
	static const char in[] = "\0\0\0\0\0\0\0\0\0xyz\xc3\xa9\0\r\n.\r\n";
	struct t_result r;

	t_run_all_splits(&r, in, sizeof(in) - 1, T_LIMIT, T_LINE_MAX);
	assert_true(r.end);
	assert_true(r.d.nul);
	assert_true(r.d.has_8bit);
	assert_int_equal(r.out.len, sizeof(in) - 1 - 3);
	assert_memory_equal(r.out.data, in, r.out.len);
	buf_deinit(&r.out);
}

/* ---- limits ---- */

static void test_limit(void **state)
{
	static const char in[] = "0123456789\r\n.\r\n"; /* a message of 12 bytes */
	struct t_result r;

	t_run_all_splits(&r, in, 15, 12, T_LINE_MAX);
	assert_true(r.end);
	assert_false(r.d.too_big);
	assert_int_equal(r.out.len, 12);
	assert_int_equal(r.d.size, 12);
	buf_deinit(&r.out);

	t_run_all_splits(&r, in, 15, 11, T_LINE_MAX);
	assert_true(r.end);
	assert_true(r.d.too_big);
	assert_int_equal(r.consumed, 15);
	assert_int_equal(r.out.len, 11);
	assert_memory_equal(r.out.data, "0123456789\r", 11);
	assert_int_equal(r.d.size, 12);
	buf_deinit(&r.out);

	t_run_all_splits(&r, in, 15, 5, T_LINE_MAX);
	assert_true(r.d.too_big);
	assert_int_equal(r.out.len, 5);
	assert_memory_equal(r.out.data, "01234", 5);
	assert_int_equal(r.d.size, 12);
	buf_deinit(&r.out);

	t_run_all_splits(&r, in, 15, 0, T_LINE_MAX);
	assert_true(r.end);
	assert_true(r.d.too_big);
	assert_int_equal(r.out.len, 0);
	assert_int_equal(r.d.size, 12);
	buf_deinit(&r.out);

	/* An empty message fits a limit of 0. */
	t_run(&r, ".\r\n", 3, 0, T_LINE_MAX);
	assert_true(r.end);
	assert_false(r.d.too_big);
	buf_deinit(&r.out);

	/* Removed dots do not count. */
	t_run_all_splits(&r, "..ab\r\n.\r\n", 9, 5, T_LINE_MAX);
	assert_false(r.d.too_big);
	assert_int_equal(r.d.size, 5);
	buf_deinit(&r.out);
}

/* The limit is on d->size: a caller that empties out between feeds gets the rest. */
static void test_limit_drained(void **state)
{
	struct smtp_data d;
	struct buf out;
	bool end;

	smtp_data_init(&d, 6, T_LINE_MAX);
	buf_init(&out, 6);
	assert_int_equal(smtp_data_feed(&d, "abcd", 4, &out, &end), 4);
	assert_false(end);
	assert_int_equal(out.len, 4);
	buf_reset(&out);
	assert_int_equal(smtp_data_feed(&d, "efgh\r\n.\r\n", 9, &out, &end), 9);
	assert_true(end);
	assert_int_equal(out.len, 2);
	assert_memory_equal(out.data, "ef", 2);
	assert_true(d.too_big);
	assert_int_equal(d.size, 10);
	buf_deinit(&out);
}

static void test_line_max(void **state)
{
	struct t_result r;

	/* RFC 5321 4.5.3.1.6: line_max bytes are fine, one more is not. */
	t_run_all_splits(&r, "0123456789\r\n.\r\n", 15, T_LIMIT, 10);
	assert_true(r.end);
	assert_false(r.d.line_too_long);
	buf_deinit(&r.out);
	t_run_all_splits(&r, "0123456789a\r\n.\r\n", 16, T_LIMIT, 10);
	assert_true(r.d.line_too_long);
	buf_deinit(&r.out);
	/* The length is per line: many short lines are fine. */
	t_run_all_splits(&r, "0123456789\r\n0123456789\r\n\r\n.\r\n", 29, T_LIMIT, 10);
	assert_false(r.d.line_too_long);
	buf_deinit(&r.out);
	/* A stuffed dot does not count. */
	t_run_all_splits(&r, "..123456789\r\n.\r\n", 16, T_LIMIT, 10);
	assert_false(r.d.line_too_long);
	buf_deinit(&r.out);
	t_run_all_splits(&r, "..1234567890\r\n.\r\n", 17, T_LIMIT, 10);
	assert_true(r.d.line_too_long);
	buf_deinit(&r.out);
	/* Bare LF and bare CR do not end a line: they are part of it. */
	t_run_all_splits(&r, "01234\n6789\r\n.\r\n", 15, T_LIMIT, 10);
	assert_false(r.d.line_too_long);
	buf_deinit(&r.out);
	t_run_all_splits(&r, "01234\n6789a\r\n.\r\n", 16, T_LIMIT, 10);
	assert_true(r.d.line_too_long);
	buf_deinit(&r.out);
	t_run_all_splits(&r, "01234\r6789a\r\n.\r\n", 16, T_LIMIT, 10);
	assert_true(r.d.line_too_long);
	buf_deinit(&r.out);
	t_run_all_splits(&r, "01234\r678\r\n.\r\n", 14, T_LIMIT, 10);
	assert_false(r.d.line_too_long);
	buf_deinit(&r.out);
	/* The last line before the end, and an unfinished one. */
	t_run(&r, "0123456789", 10, T_LIMIT, 10);
	assert_int_equal(r.d.line_len, 10);
	assert_false(r.d.line_too_long);
	buf_deinit(&r.out);
	t_run(&r, "0123456789a", 11, T_LIMIT, 10);
	assert_true(r.d.line_too_long);
	buf_deinit(&r.out);
}

/* ---- the end and what follows it ---- */

static void test_pipelined(void **state)
{
	static const char in[] = "Hi\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<a@b>\r\n";
	struct smtp_data d;
	struct t_result r;
	struct buf out;
	bool end;

	t_run_all_splits(&r, in, sizeof(in) - 1, T_LIMIT, T_LINE_MAX);
	assert_true(r.end);
	assert_int_equal(r.consumed, 7);
	assert_int_equal(r.out.len, 4);
	buf_deinit(&r.out);

	t_run_all_splits(&r, ".\r\nQUIT\r\n", 9, T_LIMIT, T_LINE_MAX);
	assert_true(r.end);
	assert_int_equal(r.consumed, 3);
	assert_int_equal(r.out.len, 0);
	buf_deinit(&r.out);

	/* After the end, nothing more is consumed. */
	smtp_data_init(&d, T_LIMIT, T_LINE_MAX);
	buf_init(&out, 0);
	assert_int_equal(smtp_data_feed(&d, in, sizeof(in) - 1, &out, &end), 7);
	assert_true(end);
	end = false;
	assert_int_equal(smtp_data_feed(&d, in + 7, sizeof(in) - 1 - 7, &out, &end), 0);
	assert_true(end);
	assert_int_equal(out.len, 4);
	/* An empty feed before the end consumes nothing and does not end. */
	smtp_data_init(&d, T_LIMIT, T_LINE_MAX);
	assert_int_equal(smtp_data_feed(&d, "", 0, &out, &end), 0);
	assert_false(end);
	buf_deinit(&out);
}

/* ---- chunking and the reference ---- */

/* A large message: long lines, stuffed dots, 8-bit, split in random chunks. */
static void test_large_chunks(void **state)
{
	struct t_result whole, r;
	struct buf in, expected;
	size_t sizes[16];

	buf_init(&in, 0);
	buf_init(&expected, 0);
	for (int i = 0; i < 20000; i++) {
		int n = rand() % 120;

		if (i % 7 == 0) {
			buf_putc(&in, '.');
			buf_putc(&in, '.');
			buf_putc(&expected, '.');
		}
		for (int k = 0; k < n; k++) {
			char c = (char)(' ' + rand() % 95);

			if (i % 11 == 0 && k == n / 2)
				c = (char)0xc3;
			/* The client's side of RFC 5321 4.5.2. */
			if (k == 0 && c == '.' && i % 7 != 0)
				buf_putc(&in, '.');
			buf_putc(&in, c);
			buf_putc(&expected, c);
		}
		buf_puts(&in, "\r\n");
		buf_puts(&expected, "\r\n");
	}
	buf_puts(&in, ".\r\nQUIT\r\n");
	t_run(&whole, in.data, in.len, T_LIMIT * 4, T_LINE_MAX);
	assert_true(whole.end);
	assert_int_equal(whole.consumed, in.len - 6);
	assert_int_equal(whole.out.len, expected.len);
	assert_memory_equal(whole.out.data, expected.data, expected.len);
	assert_true(whole.d.has_8bit);
	assert_false(whole.d.bare_lf || whole.d.bare_cr || whole.d.nul || whole.d.line_too_long);
	for (int round = 0; round < 50; round++) {
		for (size_t i = 0; i < N_ELEMENTS(sizes); i++)
			sizes[i] = 1 + (size_t)rand() % (round < 25 ? 9 : 5000);
		t_result_init(&r, T_LIMIT * 4, T_LINE_MAX);
		t_feed_chunks(&r, in.data, in.len, sizes, N_ELEMENTS(sizes));
		t_assert_same(&whole, &r);
		buf_deinit(&r.out);
	}
	buf_deinit(&whole.out);
	buf_deinit(&in);
	buf_deinit(&expected);
}

struct t_ref {
	struct buf msg; /* the whole message, unstuffed */
	size_t consumed;
	bool bare_lf, bare_cr, nul, has_8bit;
	size_t longest_line;
};

/*
 * The rules applied to the input as a whole: the data ends at the first
 * CRLF "." CRLF (the data starts as if after a CRLF); a "." that starts a line
 * (offset 0 or after CRLF) is removed; a LF not after CR and a CR not before
 * LF are bare; lines are what lies between CRLFs.
 */
static bool t_reference(const char *in, size_t len, struct t_ref *ref)
{
	struct buf pre;
	const char *end;
	size_t raw, line = 0;

	buf_init(&pre, 0);
	buf_puts(&pre, "\r\n");
	buf_append(&pre, in, len);
	end = memmem(pre.data, pre.len, "\r\n.\r\n", 5);
	if (end == NULL) {
		buf_deinit(&pre);
		return false;
	}
	raw = (size_t)(end - pre.data); /* message bytes of in, before unstuffing */
	ref->consumed = raw + 3;
	buf_deinit(&pre);
	ref->bare_lf = ref->bare_cr = ref->nul = ref->has_8bit = false;
	ref->longest_line = 0;
	buf_init(&ref->msg, 0);
	for (size_t i = 0; i < ref->consumed; i++) {
		unsigned char c = (unsigned char)in[i];

		ref->bare_lf |= c == '\n' && (i == 0 || in[i - 1] != '\r');
		ref->bare_cr |= c == '\r' && in[i + 1] != '\n';
		ref->nul |= c == 0;
		ref->has_8bit |= c >= 0x80;
		if (i >= raw)
			continue;
		if (c == '.' && (i == 0 || (i >= 2 && in[i - 2] == '\r' && in[i - 1] == '\n')))
			continue;
		buf_putc(&ref->msg, (char)c);
	}
	for (size_t i = 0; i < ref->msg.len; i++) {
		if (ref->msg.data[i] == '\r' && i + 1 < ref->msg.len &&
		    ref->msg.data[i + 1] == '\n') {
			i++;
			line = 0;
			continue;
		}
		line++;
		if (line > ref->longest_line)
			ref->longest_line = line;
	}
	return true;
}

static void test_random_against_reference(void **state)
{
	static const char alphabet[] = {'.',  '.', '\r', '\r', '\n',
	                                '\n', 'a', 'b',  '\0', (char)0xc3};
	char in[64];

	for (int iter = 0; iter < 3000; iter++) {
		size_t len = (size_t)rand() % 40, line_max = (size_t)rand() % 6;
		uint64_t limit = (uint64_t)(rand() % 30);
		struct t_result r;
		struct t_ref ref;

		for (size_t i = 0; i < len; i++)
			in[i] = alphabet[rand() % N_ELEMENTS(alphabet)];
		memcpy(in + len, "\r\n.\r\nX", 6);
		len += 6;
		assert_true(t_reference(in, len, &ref));
		t_run_all_splits(&r, in, len, limit, line_max);
		assert_true(r.end);
		assert_int_equal(r.consumed, ref.consumed);
		assert_int_equal(r.d.size, ref.msg.len);
		assert_int_equal(r.d.too_big, ref.msg.len > limit);
		assert_int_equal(r.out.len, ref.msg.len > limit ? limit : ref.msg.len);
		if (r.out.len > 0)
			assert_memory_equal(r.out.data, ref.msg.data, r.out.len);
		assert_int_equal(r.d.bare_lf, ref.bare_lf);
		assert_int_equal(r.d.bare_cr, ref.bare_cr);
		assert_int_equal(r.d.nul, ref.nul);
		assert_int_equal(r.d.has_8bit, ref.has_8bit);
		assert_int_equal(r.d.line_too_long, ref.longest_line > line_max);
		buf_deinit(&r.out);
		buf_deinit(&ref.msg);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_simple),
	        cmocka_unit_test(test_empty),
	        cmocka_unit_test(test_unstuff),
	        cmocka_unit_test(test_end_only_at_line_start),
	        cmocka_unit_test(test_smuggling),
	        cmocka_unit_test(test_smuggling_no_end),
	        cmocka_unit_test(test_flags),
	        cmocka_unit_test(test_nul_bytes),
	        cmocka_unit_test(test_limit),
	        cmocka_unit_test(test_limit_drained),
	        cmocka_unit_test(test_line_max),
	        cmocka_unit_test(test_pipelined),
	        cmocka_unit_test(test_large_chunks),
	        cmocka_unit_test(test_random_against_reference),
	};

	srand(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
