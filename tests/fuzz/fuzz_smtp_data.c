/*
 * fuzz_smtp_data.c - libFuzzer target for the DATA reader.
 *
 * Input: byte 0 picks the limit, byte 1 the line maximum, bytes 2-5 the chunk
 * sizes (cycled; 0 means "the rest"), the rest is the text after DATA. The
 * text is read in one feed and in those chunks, and checked:
 *  - consumed <= len, out.len <= limit, size >= out.len, too_big iff
 *    size > limit, and every byte is consumed unless the end was found;
 *  - the end is found exactly after the first CRLF "." CRLF (counting the
 *    start as a line start), never at a bare-LF or bare-CR variant;
 *  - one feed and the chunked feeds give the same bytes, flags and state.
 * Build: clang -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc
 *        tests/fuzz/fuzz_smtp_data.c src/smtp/data.c src/base/[a-z]*.c -lsodium
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "smtp/data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_HEADER    6
#define FUZZ_MAX_INPUT (1 << 20)

struct fuzz_run {
	struct smtp_data d;
	struct buf out;
	size_t consumed;
	bool end;
};

static void fuzz_feed(struct fuzz_run *r, const char *in, size_t len, uint64_t limit,
                      size_t line_max, const uint8_t *sizes, size_t n_sizes)
{
	size_t k = 0;

	smtp_data_init(&r->d, limit, line_max);
	buf_init(&r->out, 0);
	r->consumed = 0;
	r->end = false;
	while (r->consumed < len && !r->end) {
		size_t n = len - r->consumed, step = n_sizes > 0 ? sizes[k++ % n_sizes] : 0, got;

		if (step > 0 && step < n)
			n = step;
		got = smtp_data_feed(&r->d, in + r->consumed, n, &r->out, &r->end);
		if (got > n || (!r->end && got != n))
			abort();
		r->consumed += got;
		if (r->out.len > limit)
			abort();
	}
}

/* Where the end must be: after the first CRLF "." CRLF, the start counting as CRLF. */
static size_t fuzz_expected_end(const char *in, size_t len, bool *found_r)
{
	const char *p;

	*found_r = true;
	if (len >= 3 && memcmp(in, ".\r\n", 3) == 0)
		return 3;
	p = memmem(in, len, "\r\n.\r\n", 5);
	*found_r = p != NULL;
	return p != NULL ? (size_t)(p - in) + 5 : len;
}

static void fuzz_check(const struct fuzz_run *r, size_t len, uint64_t limit, size_t end, bool found)
{
	if (r->consumed > len || r->end != found || r->consumed != end)
		abort();
	if (r->out.len > limit || r->d.size < r->out.len || r->d.too_big != (r->d.size > limit))
		abort();
	if (!r->d.too_big && r->d.size != r->out.len)
		abort();
}

static void fuzz_same(const struct fuzz_run *a, const struct fuzz_run *b)
{
	if (a->consumed != b->consumed || a->end != b->end || a->out.len != b->out.len)
		abort();
	if (a->out.len > 0 && memcmp(a->out.data, b->out.data, a->out.len) != 0)
		abort();
	if (a->d.state != b->d.state || a->d.size != b->d.size || a->d.line_len != b->d.line_len ||
	    a->d.bare_lf != b->d.bare_lf || a->d.bare_cr != b->d.bare_cr || a->d.nul != b->d.nul ||
	    a->d.has_8bit != b->d.has_8bit || a->d.too_big != b->d.too_big ||
	    a->d.line_too_long != b->d.line_too_long)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t one[] = {1};
	struct fuzz_run whole, chunked, bytes;
	uint64_t limit;
	size_t line_max, len, end;
	const char *in;
	bool found;

	if (size < FUZZ_HEADER || size > FUZZ_MAX_INPUT)
		return 0;
	/* 255 means "no practical limit"; small limits cut inside the message. */
	limit = data[0] == 255 ? UINT64_MAX : data[0];
	line_max = data[1] % 80;
	in = (const char *)data + FUZZ_HEADER;
	len = size - FUZZ_HEADER;
	end = fuzz_expected_end(in, len, &found);

	fuzz_feed(&whole, in, len, limit, line_max, NULL, 0);
	fuzz_check(&whole, len, limit, end, found);
	fuzz_feed(&chunked, in, len, limit, line_max, data + 2, 4);
	fuzz_check(&chunked, len, limit, end, found);
	fuzz_same(&whole, &chunked);
	if (len <= 4096) {
		fuzz_feed(&bytes, in, len, limit, line_max, one, 1);
		fuzz_same(&whole, &bytes);
		buf_deinit(&bytes.out);
	}
	buf_deinit(&whole.out);
	buf_deinit(&chunked.out);
	return 0;
}
