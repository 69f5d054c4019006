/*
 * fuzz_mime.c - libFuzzer target for src/mime/: parses the input as a message and
 * runs every writer, the SEARCH decoders and BODY[section] lookups for a set of
 * paths and kinds, checking that mime_get_section and mime_section_range agree,
 * and decodes BINARY content of the same paths.
 * The input's first line is also fed to the date, address and RFC 2047 parsers.
 */
#include "mime/mime.h"

#include "base/mem.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint32_t fuzz_paths[][4] = {
        {0}, {1}, {2}, {3}, {1, 1}, {1, 2}, {2, 1}, {2, 2}, {1, 1, 1}, {2, 1, 2}, {3, 1, 1, 1},
};
static const size_t fuzz_depths[] = {0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4};

static void fuzz_sections(const struct mime_message *msg, const char *d, size_t size)
{
	static const char *const fields[] = {"Subject", "from", "CONTENT-TYPE"};
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < N_ELEMENTS(fuzz_paths); i++) {
		for (int k = MIME_SECTION_ALL; k <= MIME_SECTION_MIME; k++) {
			struct mime_section sec = {.path = fuzz_depths[i] ? fuzz_paths[i] : NULL,
			                           .depth = fuzz_depths[i],
			                           .kind = (enum mime_section_kind)k,
			                           .fields = fields,
			                           .n_fields = N_ELEMENTS(fields)};
			size_t start = 0, len = 0;
			int r = mime_section_range(msg, &sec, &start, &len);
			int g;

			buf_reset(&b);
			g = mime_get_section(msg, &sec, &b);
			ASSERT((r < 0) == (g < 0));
			if (r == 1) {
				ASSERT(start <= size && len <= size - start);
				ASSERT(b.len == len && memcmp(b.data, d + start, len) == 0);
			}
		}
		/* BINARY: decoded content, at most twice the body; a check-only call agrees. */
		buf_reset(&b);
		{
			const uint32_t *path = fuzz_depths[i] ? fuzz_paths[i] : NULL;
			int r1 = mime_get_binary(msg, path, fuzz_depths[i], &b);
			int r2 = mime_get_binary(msg, path, fuzz_depths[i], NULL);
			ASSERT(r1 == r2);
			ASSERT(r1 < 0 || b.len <= 2 * size + 2);
		}
	}
	buf_deinit(&b);
}

static void fuzz_line_parsers(const char *d, size_t size)
{
	const char *nl = memchr(d, '\n', size);
	size_t n = nl ? (size_t)(nl - d) : size;
	struct mime_address *addrs;
	struct buf b;
	time_t t;
	int tz;
	size_t na;

	(void)mime_parse_date(d, n, &t, &tz);
	na = mime_address_parse(d, n, &addrs);
	mime_address_list_free(&addrs, na);
	buf_init(&b, 0);
	mime_decode_header_value(d, n, &b);
	buf_deinit(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *d = (const char *)data;
	struct mime_message *msg = mime_parse(d, size);
	struct buf b;
	time_t t;
	int tz;

	buf_init(&b, 0);
	mime_write_envelope(&b, msg);
	mime_write_bodystructure(&b, msg, true);
	mime_write_bodystructure(&b, msg, false);
	buf_deinit(&b);
	buf_init(&b, 1 << 20);
	mime_body_text(msg, &b);
	mime_headers_decoded(msg, &b);
	(void)mime_header_decoded(msg, "subject", &b);
	(void)mime_sent_date(msg, &t, &tz);
	buf_deinit(&b);
	fuzz_sections(msg, d, size);
	mime_message_free(&msg);
	fuzz_line_parsers(d, size);
	return 0;
}
