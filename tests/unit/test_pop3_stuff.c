/*
 * test_pop3_stuff.c - unit tests of byte-stuffing for RETR and TOP
 * (pop3/stuff): doubled leading dots, CRLF line ends, the final line, TOP's
 * cut, and a round trip through the SMTP DATA reader (smtp/data), which must
 * give back every random CRLF message exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "base/buf.h"
#include "pop3/stuff.h"
#include "smtp/data.h"

#define ROUND_TRIPS 2000

/* pop3_stuff's output as a NUL-terminated string (freed by the caller). */
static char *stuffed(const char *in, size_t len, int64_t top)
{
	struct evbuffer *out = evbuffer_new();
	size_t n;
	char *s;

	pop3_stuff(in, len, top, out);
	n = evbuffer_get_length(out);
	s = malloc(n + 1);
	evbuffer_remove(out, s, n);
	s[n] = '\0';
	evbuffer_free(out);
	return s;
}

static void expect(const char *in, int64_t top, const char *want)
{
	char *got = stuffed(in, strlen(in), top);

	assert_string_equal(got, want);
	free(got);
}

static void test_dots_doubled(void **state)
{
	expect("a\r\n.b\r\n..c\r\n.\r\n", -1, "a\r\n..b\r\n...c\r\n..\r\n.\r\n");
	expect(".first\r\n", -1, "..first\r\n.\r\n");
	expect("no.dot\r\n", -1, "no.dot\r\n.\r\n");
}

static void test_line_ends(void **state)
{
	expect("a\nb\n", -1, "a\r\nb\r\n.\r\n");
	expect("last line", -1, "last line\r\n.\r\n");
	expect(".\n", -1, "..\r\n.\r\n");
	expect("", -1, ".\r\n");
	expect("a\r\n\r\n", -1, "a\r\n\r\n.\r\n");
}

static void test_top(void **state)
{
	const char *msg = "H: 1\r\nI: 2\r\n\r\nb1\r\n.b2\r\nb3\r\n";

	expect(msg, 0, "H: 1\r\nI: 2\r\n\r\n.\r\n");
	expect(msg, 2, "H: 1\r\nI: 2\r\n\r\nb1\r\n..b2\r\n.\r\n");
	expect(msg, 100, "H: 1\r\nI: 2\r\n\r\nb1\r\n..b2\r\nb3\r\n.\r\n");
	/* No blank line: everything is header. */
	expect("H: 1\r\nI: 2\r\n", 0, "H: 1\r\nI: 2\r\n.\r\n");
	/* LF-only message: the blank line is found too. */
	expect("H: 1\n\nb1\nb2\n", 1, "H: 1\r\n\r\nb1\r\n.\r\n");
}

/* A random message of CRLF lines, some starting with dots, some empty. */
static size_t random_message(char *out, size_t max)
{
	static const char alphabet[] = "..ab \t.x";
	size_t len = 0, lines = (size_t)(rand() % 20);

	for (size_t i = 0; i < lines && len + 64 < max; i++) {
		size_t n = (size_t)(rand() % 12);

		for (size_t j = 0; j < n; j++)
			out[len++] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
		out[len++] = '\r';
		out[len++] = '\n';
	}
	return len;
}

static void test_round_trip_through_data_reader(void **state)
{
	char msg[2048];

	srand(1939);
	for (int i = 0; i < ROUND_TRIPS; i++) {
		size_t len = random_message(msg, sizeof(msg));
		char *wire = stuffed(msg, len, -1);
		size_t wire_len = strlen(wire);
		struct smtp_data d;
		struct buf back;
		bool end = false;
		size_t used;

		smtp_data_init(&d, 1 << 20, 998);
		buf_init(&back, 0);
		used = smtp_data_feed(&d, wire, wire_len, &back, &end);
		assert_true(end);
		assert_int_equal(used, wire_len);
		assert_false(d.bare_lf || d.bare_cr);
		assert_int_equal(back.len, len);
		assert_memory_equal(back.data, msg, len);
		buf_deinit(&back);
		free(wire);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_dots_doubled),
	        cmocka_unit_test(test_line_ends),
	        cmocka_unit_test(test_top),
	        cmocka_unit_test(test_round_trip_through_data_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
