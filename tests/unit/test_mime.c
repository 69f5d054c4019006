/*
 * test_mime.c - unit tests of src/mime/: structure and offsets, ENVELOPE,
 * BODYSTRUCTURE, BODY[section], RFC 2047 / 2231 decoding, dates, addresses, SEARCH
 * text, broken input and limits.
 */
#include "mime/mime.h"

#include "base/mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* RFC 3501 7.4.2-like simple message. */
static const char msg_simple[] = "Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\n"
                                 "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
                                 "Subject: afternoon\r\n"
                                 " meeting\r\n"
                                 "To: mooch@owatagu.siam.edu\r\n"
                                 "Message-Id: <B27397-0100000@Blurdybloop.COM>\r\n"
                                 "MIME-Version: 1.0\r\n"
                                 "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"
                                 "\r\n"
                                 "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n"
                                 "Second line\r\n";

static const char msg_nested[] = "From: a@example.com\r\n"
                                 "To: b@example.com\r\n"
                                 "Subject: nested\r\n"
                                 "MIME-Version: 1.0\r\n"
                                 "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
                                 "\r\n"
                                 "This is a preamble.\r\n"
                                 "--outer\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "\r\n"
                                 "Part one.\r\n"
                                 "--outer\r\n"
                                 "Content-Type: multipart/alternative; boundary=inner\r\n"
                                 "\r\n"
                                 "--inner\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "Plain\r\n"
                                 "two lines\r\n"
                                 "--inner\r\n"
                                 "Content-Type: text/html; charset=\"us-ascii\"\r\n"
                                 "Content-Transfer-Encoding: quoted-printable\r\n"
                                 "\r\n"
                                 "<p>Html</p>\r\n"
                                 "--inner--\r\n"
                                 "--outer\r\n"
                                 "Content-Type: image/png; name=\"a.png\"\r\n"
                                 "Content-Disposition: attachment; filename=\"a.png\"\r\n"
                                 "Content-Transfer-Encoding: base64\r\n"
                                 "Content-ID: <img1@x>\r\n"
                                 "Content-Description: A picture\r\n"
                                 "\r\n"
                                 "iVBORw0KGgo=\r\n"
                                 "--outer--\r\n"
                                 "Epilogue.\r\n";

static const char msg_rfc822[] = "From: Outer <outer@example.org>\r\n"
                                 "Subject: fwd\r\n"
                                 "Content-Type: multipart/mixed; boundary=b1\r\n"
                                 "\r\n"
                                 "--b1\r\n"
                                 "\r\n"
                                 "See attached.\r\n"
                                 "--b1\r\n"
                                 "Content-Type: message/rfc822\r\n"
                                 "Content-Disposition: inline\r\n"
                                 "\r\n"
                                 "From: Inner <inner@example.net>\r\n"
                                 "To: x@y.z\r\n"
                                 "Subject: inner subject\r\n"
                                 "Date: Tue, 1 Jan 2019 10:00:00 +0100\r\n"
                                 "Message-ID: <inner@example.net>\r\n"
                                 "Content-Type: multipart/mixed; boundary=b2\r\n"
                                 "\r\n"
                                 "--b2\r\n"
                                 "Content-Type: text/plain\r\n"
                                 "\r\n"
                                 "inner body\r\n"
                                 "--b2\r\n"
                                 "Content-Type: application/pdf\r\n"
                                 "\r\n"
                                 "PDF\r\n"
                                 "--b2--\r\n"
                                 "--b1--\r\n";

static struct mime_message *parse_str(const char *s)
{
	return mime_parse(s, strlen(s));
}

static char *envelope_of(const char *s)
{
	struct mime_message *m = parse_str(s);
	struct buf b;

	buf_init(&b, 0);
	mime_write_envelope(&b, m);
	mime_message_free(&m);
	assert_null(m);
	return buf_steal(&b, NULL);
}

static char *bodystructure_of(const char *s, bool extended)
{
	struct mime_message *m = parse_str(s);
	struct buf b;

	buf_init(&b, 0);
	mime_write_bodystructure(&b, m, extended);
	mime_message_free(&m);
	return buf_steal(&b, NULL);
}

#define ASSERT_ENVELOPE(msg, expected)                                                             \
	do {                                                                                       \
		char *_s = envelope_of(msg);                                                       \
		assert_string_equal(_s, expected);                                                 \
		free(_s);                                                                          \
	} while (0)

#define ASSERT_BODYSTRUCTURE(msg, ext, expected)                                                   \
	do {                                                                                       \
		char *_s = bodystructure_of(msg, ext);                                             \
		assert_string_equal(_s, expected);                                                 \
		free(_s);                                                                          \
	} while (0)

/* Fetches a section given as "1.2.HEADER" style text; returns -1 or 0, text in *r. */
static int section_of(struct mime_message *m, const char *spec, const char *const *fields,
                      size_t n_fields, char **r)
{
	uint32_t path[16];
	struct mime_section sec = {.path = path, .kind = MIME_SECTION_ALL};
	const char *p = spec;
	struct buf b;
	int ret;

	while (*p >= '0' && *p <= '9') {
		path[sec.depth++] = (uint32_t)strtoul(p, (char **)&p, 10);
		if (*p == '.')
			p++;
	}
	if (strcmp(p, "HEADER") == 0)
		sec.kind = MIME_SECTION_HEADER;
	else if (strcmp(p, "TEXT") == 0)
		sec.kind = MIME_SECTION_TEXT;
	else if (strcmp(p, "MIME") == 0)
		sec.kind = MIME_SECTION_MIME;
	else if (strcmp(p, "HEADER.FIELDS") == 0)
		sec.kind = MIME_SECTION_HEADER_FIELDS;
	else if (strcmp(p, "HEADER.FIELDS.NOT") == 0)
		sec.kind = MIME_SECTION_HEADER_FIELDS_NOT;
	else
		assert_string_equal(p, "");
	if (sec.depth == 0)
		sec.path = NULL;
	sec.fields = fields;
	sec.n_fields = n_fields;
	buf_init(&b, 0);
	ret = mime_get_section(m, &sec, &b);
	if (ret < 0)
		assert_int_equal(b.len, 0);
	*r = buf_steal(&b, NULL);
	return ret;
}

static void assert_section(struct mime_message *m, const char *spec, const char *expected)
{
	char *s;

	assert_int_equal(section_of(m, spec, NULL, 0, &s), 0);
	assert_string_equal(s, expected);
	free(s);
}

static void assert_no_section(struct mime_message *m, const char *spec)
{
	char *s;

	assert_int_equal(section_of(m, spec, NULL, 0, &s), -1);
	free(s);
}

static void assert_fields(struct mime_message *m, const char *spec, const char *const *f, size_t n,
                          const char *expected)
{
	char *s;

	assert_int_equal(section_of(m, spec, f, n, &s), 0);
	assert_string_equal(s, expected);
	free(s);
}

static char *decode(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	mime_decode_header_value(s, strlen(s), &b);
	return buf_steal(&b, NULL);
}

#define ASSERT_DECODED(in, expected)                                                               \
	do {                                                                                       \
		char *_s = decode(in);                                                             \
		assert_string_equal(_s, expected);                                                 \
		free(_s);                                                                          \
	} while (0)

static void test_simple_message(void **state)
{
	struct mime_message *m = parse_str(msg_simple);
	const char *want_f[] = {"subject", "FROM", "x-none"};
	const char *not_f[] = {"Date", "From", "Subject", "To", "Message-ID", "MIME-Version"};
	size_t start, len;
	char *s;

	ASSERT_ENVELOPE(msg_simple,
	                "(\"Mon, 7 Feb 1994 21:52:25 -0800 (PST)\" \"afternoon meeting\" "
	                "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) "
	                "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) "
	                "((\"Fred Foobar\" NIL \"foobar\" \"Blurdybloop.COM\")) "
	                "((NIL NIL \"mooch\" \"owatagu.siam.edu\")) NIL NIL NIL "
	                "\"<B27397-0100000@Blurdybloop.COM>\")");
	ASSERT_BODYSTRUCTURE(msg_simple, true,
	                     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 68 2 "
	                     "NIL NIL NIL NIL)");
	ASSERT_BODYSTRUCTURE(
	        msg_simple, false,
	        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 68 2)");

	assert_section(m, "", msg_simple);
	assert_section(m, "TEXT",
	               "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\nSecond line\r\n");
	assert_section(m, "1",
	               "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\nSecond line\r\n");
	assert_int_equal(section_of(m, "HEADER", NULL, 0, &s), 0);
	assert_int_equal(strlen(s), strlen(msg_simple) - 68);
	assert_memory_equal(s, msg_simple, strlen(s));
	assert_string_equal(s + strlen(s) - 4, "\r\n\r\n");
	free(s);
	/* the MIME header of part 1 of a non-multipart message is the message header */
	assert_int_equal(section_of(m, "1.MIME", NULL, 0, &s), 0);
	assert_int_equal(strlen(s), strlen(msg_simple) - 68);
	free(s);
	assert_fields(m, "HEADER.FIELDS", want_f, 3,
	              "From: Fred Foobar <foobar@Blurdybloop.COM>\r\n"
	              "Subject: afternoon\r\n meeting\r\n\r\n");
	assert_fields(m, "HEADER.FIELDS.NOT", not_f, 6,
	              "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n");
	assert_fields(m, "HEADER.FIELDS", not_f, 0, "\r\n");
	assert_no_section(m, "2");
	assert_no_section(m, "0");
	assert_no_section(m, "1.1");
	assert_no_section(m, "1.HEADER");
	assert_no_section(m, "1.TEXT");
	assert_no_section(m, "MIME");

	{
		uint32_t one = 1;
		struct mime_section sec = {.path = &one, .depth = 1, .kind = MIME_SECTION_ALL};

		assert_int_equal(mime_section_range(m, &sec, &start, &len), 1);
		assert_int_equal(start, strlen(msg_simple) - 68);
		assert_int_equal(len, 68);
		sec.kind = MIME_SECTION_HEADER_FIELDS;
		assert_int_equal(mime_section_range(m, &sec, &start, &len), -1);
		sec.depth = 0;
		assert_int_equal(mime_section_range(m, &sec, &start, &len), 0);
		sec.kind = MIME_SECTION_HEADER;
		assert_int_equal(mime_section_range(m, &sec, &start, &len), 1);
		assert_int_equal(start, 0);
		assert_int_equal(len, strlen(msg_simple) - 68);
		one = 7;
		sec.depth = 1;
		sec.kind = MIME_SECTION_ALL;
		assert_int_equal(mime_section_range(m, &sec, &start, &len), -1);
	}
	mime_message_free(&m);
	mime_message_free(&m); /* NULL is fine */
}

static void test_nested_multipart(void **state)
{
	struct mime_message *m = parse_str(msg_nested);
	const char *ct[] = {"content-type"};
	char *s;

	ASSERT_BODYSTRUCTURE(
	        msg_nested, true,
	        "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 9 0 NIL NIL NIL NIL)"
	        "((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 16 1 NIL NIL NIL "
	        "NIL)(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"quoted-printable\" 11 "
	        "0 "
	        "NIL NIL NIL NIL) \"alternative\" (\"boundary\" \"inner\") NIL NIL NIL)"
	        "(\"image\" \"png\" (\"name\" \"a.png\") \"<img1@x>\" \"A picture\" \"base64\" 12 "
	        "NIL (\"attachment\" (\"filename\" \"a.png\")) NIL NIL) \"mixed\" "
	        "(\"boundary\" \"outer\") NIL NIL NIL)");
	ASSERT_BODYSTRUCTURE(
	        msg_nested, false,
	        "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7BIT\" 9 0)"
	        "((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 16 1)"
	        "(\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL \"quoted-printable\" 11 0) "
	        "\"alternative\")(\"image\" \"png\" (\"name\" \"a.png\") \"<img1@x>\" "
	        "\"A picture\" \"base64\" 12) \"mixed\")");
	ASSERT_ENVELOPE(msg_nested,
	                "(NIL \"nested\" ((NIL NIL \"a\" \"example.com\")) "
	                "((NIL NIL \"a\" \"example.com\")) ((NIL NIL \"a\" \"example.com\")) "
	                "((NIL NIL \"b\" \"example.com\")) NIL NIL NIL NIL)");

	assert_section(m, "1", "Part one.");
	assert_section(m, "1.MIME", "Content-Type: text/plain; charset=utf-8\r\n\r\n");
	assert_section(m, "2.1", "Plain\r\ntwo lines");
	assert_section(m, "2.2", "<p>Html</p>");
	assert_section(m, "2.2.MIME",
	               "Content-Type: text/html; charset=\"us-ascii\"\r\n"
	               "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	assert_section(m, "3", "iVBORw0KGgo=");
	assert_int_equal(section_of(m, "2", NULL, 0, &s), 0);
	assert_int_equal(strlen(s), 178);
	assert_true(strncmp(s, "--inner\r\n", 9) == 0);
	assert_string_equal(s + 178 - 11, "\r\n--inner--");
	free(s);
	assert_fields(m, "2.MIME", ct, 1,
	              "Content-Type: multipart/alternative; boundary=inner\r\n\r\n");
	assert_int_equal(section_of(m, "TEXT", NULL, 0, &s), 0);
	assert_true(strncmp(s, "This is a preamble.\r\n--outer\r\n", 30) == 0);
	assert_string_equal(s + strlen(s) - 11, "Epilogue.\r\n");
	free(s);
	assert_no_section(m, "4");
	assert_no_section(m, "1.1");
	assert_no_section(m, "2.3");
	assert_no_section(m, "2.HEADER");
	assert_no_section(m, "2.TEXT");
	assert_no_section(m, "3.HEADER.FIELDS");
	assert_no_section(m, "2.1.1");
	mime_message_free(&m);
}

static void test_message_rfc822(void **state)
{
	struct mime_message *m = parse_str(msg_rfc822);
	const char *f[] = {"SUBJECT", "to"};
	char *s;

	ASSERT_BODYSTRUCTURE(
	        msg_rfc822, true,
	        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 13 0 NIL NIL NIL "
	        "NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 281 "
	        "(\"Tue, 1 Jan 2019 10:00:00 +0100\" \"inner subject\" "
	        "((\"Inner\" NIL \"inner\" \"example.net\")) ((\"Inner\" NIL \"inner\" "
	        "\"example.net\")) ((\"Inner\" NIL \"inner\" \"example.net\")) "
	        "((NIL NIL \"x\" \"y.z\")) NIL NIL NIL \"<inner@example.net>\") "
	        "((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 10 0 NIL NIL NIL "
	        "NIL)(\"application\" \"pdf\" NIL NIL NIL \"7BIT\" 3 NIL NIL NIL NIL) \"mixed\" "
	        "(\"boundary\" \"b2\") NIL NIL NIL) 15 NIL (\"inline\" NIL) NIL NIL) \"mixed\" "
	        "(\"boundary\" \"b1\") NIL NIL NIL)");
	ASSERT_ENVELOPE(msg_rfc822,
	                "(NIL \"fwd\" ((\"Outer\" NIL \"outer\" \"example.org\")) "
	                "((\"Outer\" NIL \"outer\" \"example.org\")) "
	                "((\"Outer\" NIL \"outer\" \"example.org\")) NIL NIL NIL NIL NIL)");

	assert_section(m, "1", "See attached.");
	assert_section(m, "1.MIME", "\r\n");
	assert_section(m, "2.MIME",
	               "Content-Type: message/rfc822\r\n"
	               "Content-Disposition: inline\r\n\r\n");
	assert_section(m, "2.1", "inner body");
	assert_section(m, "2.1.MIME", "Content-Type: text/plain\r\n\r\n");
	assert_section(m, "2.2", "PDF");
	assert_int_equal(section_of(m, "2.HEADER", NULL, 0, &s), 0);
	assert_true(strncmp(s, "From: Inner <inner@example.net>\r\n", 33) == 0);
	assert_string_equal(s + strlen(s) - 4, "\r\n\r\n");
	assert_int_equal(strlen(s), 185);
	free(s);
	assert_int_equal(section_of(m, "2.TEXT", NULL, 0, &s), 0);
	assert_int_equal(strlen(s), 281 - 185);
	assert_true(strncmp(s, "--b2\r\n", 6) == 0);
	assert_string_equal(s + strlen(s) - 6, "--b2--");
	free(s);
	assert_int_equal(section_of(m, "2", NULL, 0, &s), 0);
	assert_int_equal(strlen(s), 281);
	free(s);
	assert_fields(m, "2.HEADER.FIELDS", f, 2, "To: x@y.z\r\nSubject: inner subject\r\n\r\n");
	assert_fields(m, "HEADER.FIELDS", f, 2, "Subject: fwd\r\n\r\n");
	assert_fields(m, "2.HEADER.FIELDS.NOT", f, 2,
	              "From: Inner <inner@example.net>\r\n"
	              "Date: Tue, 1 Jan 2019 10:00:00 +0100\r\n"
	              "Message-ID: <inner@example.net>\r\n"
	              "Content-Type: multipart/mixed; boundary=b2\r\n\r\n");
	assert_no_section(m, "2.3");
	assert_no_section(m, "2.2.1");
	assert_no_section(m, "1.HEADER");
	assert_no_section(m, "2.1.HEADER");
	assert_no_section(m, "3");
	mime_message_free(&m);
}

static void test_message_rfc822_single(void **state)
{
	static const char msg[] = "Subject: outer\n"
	                          "Content-Type: message/rfc822\n"
	                          "\n"
	                          "Subject: inner\n"
	                          "Content-Type: text/plain; charset=utf-8\n"
	                          "\n"
	                          "body\n";
	struct mime_message *m = parse_str(msg);

	ASSERT_BODYSTRUCTURE(
	        msg, false,
	        "(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 61 (NIL \"inner\" NIL NIL "
	        "NIL NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"utf-8\") "
	        "NIL NIL \"7BIT\" 5 1) 4)");
	assert_section(m, "1", msg + 45);
	assert_section(m, "1.1", "body\n");
	assert_section(m, "1.HEADER",
	               "Subject: inner\nContent-Type: text/plain; charset=utf-8\n\n");
	assert_section(m, "1.TEXT", "body\n");
	assert_section(m, "1.1.MIME",
	               "Subject: inner\nContent-Type: text/plain; charset=utf-8\n\n");
	assert_no_section(m, "1.2");
	assert_no_section(m, "1.1.1");
	mime_message_free(&m);
}

static void test_missing_headers(void **state)
{
	struct mime_message *m;
	time_t t;
	int tz;

	/* no header at all: the blank line is the whole header */
	m = parse_str("\r\nonly body\r\n");
	assert_section(m, "HEADER", "\r\n");
	assert_section(m, "TEXT", "only body\r\n");
	assert_false(mime_sent_date(m, &t, &tz));
	mime_message_free(&m);
	ASSERT_ENVELOPE("\r\nonly body\r\n", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	ASSERT_BODYSTRUCTURE("\r\nonly body\r\n", true,
	                     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 11 1 "
	                     "NIL NIL NIL NIL)");
	/* header only, no blank line: empty body */
	m = parse_str("Subject: x\r\nFrom: a@b");
	assert_section(m, "HEADER", "Subject: x\r\nFrom: a@b");
	assert_section(m, "TEXT", "");
	mime_message_free(&m);
	ASSERT_BODYSTRUCTURE(
	        "Subject: x\r\nFrom: a@b", false,
	        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)");
	ASSERT_ENVELOPE("Subject: x\r\nFrom: a@b",
	                "(NIL \"x\" ((NIL NIL \"a\" \"b\")) "
	                "((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	                "NIL NIL NIL NIL NIL)");
	/* empty input */
	m = mime_parse("", 0);
	assert_section(m, "", "");
	assert_section(m, "HEADER", "");
	assert_section(m, "1", "");
	mime_message_free(&m);
	ASSERT_BODYSTRUCTURE(
	        "", false, "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)");
	/* broken Content-Type takes the default; an empty Sender falls back to From */
	ASSERT_BODYSTRUCTURE(
	        "Content-Type: garbage\r\n\r\nx", false,
	        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1 0)");
	ASSERT_BODYSTRUCTURE(
	        "Content-Type: /plain\r\n\r\nx", false,
	        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1 0)");
	ASSERT_ENVELOPE("From: a@b\r\nSender:\r\nReply-To: \r\n\r\n",
	                "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	                "((NIL NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)");
	/* multipart without boundary: one empty part, as Dovecot writes it */
	ASSERT_BODYSTRUCTURE(
	        "Content-Type: multipart/mixed\r\n\r\nabc\r\n", false,
	        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) "
	        "\"mixed\")");
	m = parse_str("Content-Type: multipart/mixed\r\n\r\nabc\r\n");
	assert_no_section(m, "1");
	assert_section(m, "TEXT", "abc\r\n");
	mime_message_free(&m);
}

static void test_missing_final_boundary(void **state)
{
	static const char msg[] = "Content-Type: multipart/mixed; boundary=\"A\"\r\n"
	                          "\r\n"
	                          "--A\r\n"
	                          "Content-Type: multipart/alternative; boundary=\"B\"\r\n"
	                          "\r\n"
	                          "--B\r\n"
	                          "\r\n"
	                          "one\r\n"
	                          "--A\r\n"
	                          "\r\n"
	                          "two\r\n"
	                          "three";
	struct mime_message *m = parse_str(msg);

	assert_section(m, "1.1", "one");
	assert_section(m, "2", "two\r\nthree");
	assert_no_section(m, "3");
	assert_no_section(m, "1.2");
	mime_message_free(&m);
	ASSERT_BODYSTRUCTURE(
	        msg, false,
	        "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3 0) "
	        "\"alternative\")(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL "
	        "\"7BIT\" 10 1) \"mixed\")");

	/* no boundary line at all: the multipart has no parts */
	m = parse_str("Content-Type: multipart/mixed; boundary=zz\r\n\r\nnothing\r\n");
	assert_no_section(m, "1");
	mime_message_free(&m);
	/* a boundary inside a part header ends the part; boundary with trailing junk */
	m = parse_str("Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
	              "Content-Type: text/plain\r\n--zz  \r\n\r\nsecond\r\n--zz--junk\r\nepi");
	assert_section(m, "1", "");
	assert_section(m, "1.MIME", "Content-Type: text/plain\r\n");
	assert_section(m, "2", "second");
	assert_no_section(m, "3");
	mime_message_free(&m);
}

static void test_bare_lf(void **state)
{
	static const char msg[] = "From: a@b\n"
	                          "Subject: lf\n"
	                          "Content-Type: multipart/mixed; boundary=x\n"
	                          "\n"
	                          "--x\n"
	                          "Content-Type: text/plain\n"
	                          "\n"
	                          "line1\n"
	                          "line2\n"
	                          "\n"
	                          "--x\n"
	                          "Content-Type: text/plain; charset=\"iso-8859-1\"\r\n"
	                          "\r\n"
	                          "mixed\r\n"
	                          "--x--\n";
	struct mime_message *m = parse_str(msg);
	const char *f[] = {"subject"};

	assert_section(m, "1", "line1\nline2\n");
	assert_section(m, "1.MIME", "Content-Type: text/plain\n\n");
	assert_section(m, "2", "mixed");
	assert_fields(m, "HEADER.FIELDS", f, 1, "Subject: lf\n\r\n");
	mime_message_free(&m);
	ASSERT_BODYSTRUCTURE(
	        msg, false,
	        "((\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 12 2)"
	        "(\"text\" \"plain\" (\"charset\" \"iso-8859-1\") NIL NIL \"7BIT\" 5 0) "
	        "\"mixed\")");
}

static void test_encoded_words(void **state)
{
	static const char msg[] = "Subject: =?UTF-8?B?w6l0w6k=?= =?utf-8?q?_d=C3=A9j=C3=A0?=\r\n"
	                          "\t=?ISO-8859-1?Q?caf=E9?=\r\n"
	                          "X-Other: a\r\n"
	                          "subject: second =?utf-8?q?one?=\r\n"
	                          "\r\n";
	struct mime_message *m = parse_str(msg);
	struct buf b;

	ASSERT_DECODED("=?UTF-8?B?w6l0w6k=?=", "\xC3\xA9t\xC3\xA9");
	ASSERT_DECODED("=?UTF-8?Q?caf=C3=A9_au_lait?=", "caf\xC3\xA9 au lait");
	/* RFC 2047 6.2: white space between adjacent encoded words is dropped */
	ASSERT_DECODED("=?utf-8?q?a?= =?utf-8?q?b?=", "ab");
	ASSERT_DECODED("=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab");
	ASSERT_DECODED("=?utf-8?q?a?= x =?utf-8?q?b?=", "a x b");
	ASSERT_DECODED("x =?utf-8?q?a?= y", "x a y");
	/* a character split across two words survives */
	ASSERT_DECODED("=?utf-8?b?ww==?= =?utf-8?b?qQ==?=", "\xC3\xA9");
	ASSERT_DECODED("=?UTF-8?B?w6k=?= =?ISO-8859-1?Q?=E9?=", "\xC3\xA9\xC3\xA9");
	ASSERT_DECODED("=?iso-8859-15?q?=A4?=", "\xE2\x82\xAC");
	ASSERT_DECODED("=?windows-1252?Q?=93hi=94?=", "\xE2\x80\x9Chi\xE2\x80\x9D");
	ASSERT_DECODED("=?koi8-r?b?8NLJ18XU?=", "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
	ASSERT_DECODED("=?utf-8*en?q?lang?=", "lang");
	/* unknown charset: read as UTF-8; invalid bytes replaced */
	ASSERT_DECODED("=?x-unknown?q?ok=FF?=", "ok\xEF\xBF\xBD");
	ASSERT_DECODED("=?../../etc?q?x?=", "x");
	ASSERT_DECODED("raw \xE9t\xC3\xA9", "raw \xEF\xBF\xBDt\xC3\xA9");
	/* not encoded words */
	ASSERT_DECODED("=?utf-8?x?abc?=", "=?utf-8?x?abc?=");
	ASSERT_DECODED("=?utf-8?q?abc", "=?utf-8?q?abc");
	ASSERT_DECODED("a =? b ?= c", "a =? b ?= c");
	ASSERT_DECODED("  folded\r\n   value  ", "folded   value");
	ASSERT_DECODED("", "");

	buf_init(&b, 0);
	assert_true(mime_header_decoded(m, "SUBJECT", &b));
	assert_string_equal(b.data, "\xC3\xA9t\xC3\xA9 d\xC3\xA9j\xC3\xA0"
	                            "caf\xC3\xA9\nsecond one");
	buf_reset(&b);
	assert_false(mime_header_decoded(m, "From", &b));
	assert_int_equal(b.len, 0);
	mime_headers_decoded(m, &b);
	assert_string_equal(b.data, "Subject: \xC3\xA9t\xC3\xA9 d\xC3\xA9j\xC3\xA0"
	                            "caf\xC3\xA9\nX-Other: a\nsubject: second one\n");
	buf_deinit(&b);
	/* output stops at the buffer maximum */
	buf_init(&b, 5);
	assert_true(mime_header_decoded(m, "subject", &b));
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "\xC3\xA9t\xC3\xA9", 5);
	buf_deinit(&b);
	mime_message_free(&m);
	/* the envelope keeps the raw value */
	ASSERT_ENVELOPE("Subject: =?utf-8?q?a?=\r\n\r\n",
	                "(NIL \"=?utf-8?q?a?=\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

static void test_rfc2231(void **state)
{
	static const char msg[] =
	        "Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n--q\r\n"
	        "Content-Type: application/octet-stream;\r\n"
	        " name*0*=UTF-8''%E2%82%AC%20rate;\r\n"
	        " name*1=\" report\"; name*2*=%2Epdf\r\n"
	        "Content-Disposition: attachment;\r\n"
	        " filename*=iso-8859-1'fr'caf%E9.txt; filename=\"plain.txt\"\r\n"
	        "\r\nx\r\n--q\r\n"
	        "Content-Type: text/plain; format=flowed; CHARSET=\"utf-8\"; a=\"q\\\"uote\"\r\n"
	        "Content-Disposition: inline\r\n"
	        "Content-Language: en-GB\r\n"
	        "Content-Location: http://x/y\r\n"
	        "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n"
	        "\r\ny\r\n--q--\r\n";

	ASSERT_BODYSTRUCTURE(
	        msg, true,
	        "((\"application\" \"octet-stream\" (\"name\" {19}\r\n"
	        "\xE2\x82\xAC rate report.pdf) NIL NIL \"7BIT\" 1 NIL "
	        "(\"attachment\" (\"filename\" {9}\r\ncaf\xC3\xA9.txt)) NIL NIL)"
	        "(\"text\" \"plain\" (\"format\" \"flowed\" \"CHARSET\" \"utf-8\" "
	        "\"a\" \"q\\\"uote\") NIL NIL \"7BIT\" 1 0 "
	        "\"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"inline\" NIL) \"en-GB\" \"http://x/y\") "
	        "\"mixed\" (\"boundary\" \"q\") NIL NIL NIL)");
	ASSERT_BODYSTRUCTURE(
	        "Content-Type: text/plain; a=1; b=2\r\nContent-Language: en, fr\r\n"
	        "Content-Transfer-Encoding: Quoted-Printable\r\n\r\n",
	        true,
	        "(\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\" \"a\" \"1\" \"b\" \"2\") "
	        "NIL NIL \"Quoted-Printable\" 0 0 NIL NIL (\"en\" \"fr\") NIL)");
	/* sections out of order, a duplicate section, an unquoted value with spaces */
	ASSERT_BODYSTRUCTURE(
	        "Content-Type: image/gif; n*2=c; n*0=a; n*1=b; n*1=x; m=my file.gif\r\n"
	        "\r\n",
	        false,
	        "(\"image\" \"gif\" (\"n\" \"abc\" \"m\" \"my file.gif\") NIL NIL "
	        "\"7BIT\" 0)");
}

static void assert_date(const char *s, time_t want, int want_tz)
{
	time_t t = 0;
	int tz = -1;

	assert_true(mime_parse_date(s, strlen(s), &t, &tz));
	assert_int_equal(t, want);
	assert_int_equal(tz, want_tz);
}

static void assert_bad_date(const char *s)
{
	time_t t;
	int tz;

	assert_false(mime_parse_date(s, strlen(s), &t, &tz));
}

static void test_dates(void **state)
{
	struct mime_message *m;
	time_t t;
	int tz;

	/* 1994-02-08 05:52:25 UTC = 760686745 */
	assert_date("Mon, 7 Feb 1994 21:52:25 -0800 (PST)", 760686745, -480);
	assert_date("Mon, 7 Feb 1994 21:52:25 -0800", 760686745, -480);
	assert_date("7 Feb 1994 21:52:25 -0800", 760686745, -480);
	assert_date("Mon,7 Feb 94 21:52:25 PST", 760686745, -480);
	assert_date("  Mon ,  07  feb  1994  21:52:25  -0800  ", 760686745, -480);
	assert_date("Tue, 8 Feb 1994 05:52:25 GMT", 760686745, 0);
	assert_date("Tue, 8 Feb 1994 05:52:25 +0000", 760686745, 0);
	assert_date("Tue, 8 Feb 1994 05:52 +0000", 760686720, 0);
	assert_date("Tue, 8 Feb 094 05:52:25 UT", 760686745, 0);
	assert_date("Tue (the day), 8 (comment) Feb 1994 05:52:25 Z", 760686745, 0);
	assert_date("Tue, 8 February 1994 05:52:25", 760686745, 0);
	assert_date("Tue, 8 Feb 1994 05:52:25 A", 760686745, 0); /* military: -0000 */
	assert_date("Tue, 8 Feb 1994 07:22:25 +0130", 760686745, 90);
	assert_date("Thu, 01 Jan 1970 00:00:00 +0000", 0, 0);
	assert_date("Sat, 1 Jan 2000 00:00:00 EDT", 946699200, -240);
	assert_date("1 Jan 49 00:00:00 +0000", 2493072000, 0);
	assert_date("1 Jan 50 00:00:00 +0000", -631152000, 0);
	assert_date("Wed, 29 Feb 2040 23:59:60 +0000", 2214172799, 0);
	assert_bad_date("");
	assert_bad_date("yesterday");
	assert_bad_date("Mon, 32 Feb 1994 21:52:25 -0800");
	assert_bad_date("Mon, 7 Foo 1994 21:52:25 -0800");
	assert_bad_date("Mon, 7 Feb 1994 24:52:25 -0800");
	assert_bad_date("Mon, 7 Feb 1994");
	assert_bad_date("Mon, 7 Feb 19945 21:52:25 -0800");
	assert_bad_date("Mon, 7 Feb 1994 21:5x:25");

	m = parse_str("Date: Sun, 6 Nov 1994 08:49:37 +0000\r\n\r\n");
	assert_true(mime_sent_date(m, &t, &tz));
	assert_int_equal(t, 784111777);
	assert_int_equal(tz, 0);
	mime_message_free(&m);
	m = parse_str("Date: garbage\r\n\r\n");
	assert_false(mime_sent_date(m, &t, &tz));
	mime_message_free(&m);
}

/* RFC 5322 3.5/3.6: a line that is neither a field nor a continuation starts the body. */
static void test_header_without_blank_line(void **state)
{
	static const char msg[] = "From: a@example.org\r\n"
	                          "Subject: no blank line\r\n"
	                          "this line is the body\r\n"
	                          "Date: not a field any more\r\n";
	static const char obs[] = "Subject : obsolete space before the colon\r\n"
	                          "\tand a continuation\r\n"
	                          "\r\n"
	                          "body\r\n";
	static const char mbox[] = "From someone@example.org Fri Apr  6 16:46:09 2001\r\n"
	                           "Subject: after an mbox separator\r\n"
	                           "\r\n"
	                           "body\r\n";
	struct mime_message *m = parse_str(msg);

	assert_section(m, "TEXT", "this line is the body\r\nDate: not a field any more\r\n");
	assert_section(m, "HEADER", "From: a@example.org\r\nSubject: no blank line\r\n");
	mime_message_free(&m);
	ASSERT_ENVELOPE(msg, "(NIL \"no blank line\" ((NIL NIL \"a\" \"example.org\")) "
	                     "((NIL NIL \"a\" \"example.org\")) ((NIL NIL \"a\" \"example.org\")) "
	                     "NIL NIL NIL NIL NIL)");
	m = parse_str(obs);
	assert_section(m, "TEXT", "body\r\n");
	mime_message_free(&m);
	ASSERT_ENVELOPE(obs, "(NIL \"obsolete space before the colon\tand a continuation\" "
	                     "NIL NIL NIL NIL NIL NIL NIL NIL)");
	m = parse_str(mbox);
	assert_section(m, "TEXT", "body\r\n");
	mime_message_free(&m);
	ASSERT_ENVELOPE(mbox, "(NIL \"after an mbox separator\" NIL NIL NIL NIL NIL NIL NIL NIL)");
	/* in a part: the non-field line is body, not skipped up to the next blank line */
	m = parse_str("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	              "--b\r\nand \r\n--b\r\nContent-Type: text/html\r\n\r\nx\r\n--b--\r\n");
	assert_section(m, "1", "and ");
	assert_section(m, "1.MIME", "");
	assert_section(m, "2", "x");
	mime_message_free(&m);
}

/* RFC 2046 5.1.1 prefix matching: of several open boundaries the longest match wins. */
static void test_prefix_boundaries(void **state)
{
	static const char outer_longer[] =
	        "Content-Type: multipart/mixed; boundary=\"==part==\"\r\n\r\n"
	        "--==part==\r\n"
	        "Content-Type: multipart/alternative; boundary=\"==p\"\r\n\r\n"
	        "--==p\r\n\r\nalt one\r\n"
	        "--==p\r\n\r\nalt two\r\n"
	        "--==part==\r\n\r\nouter two\r\n"
	        "--==part==--\r\n";
	static const char inner_longer[] =
	        "Content-Type: multipart/mixed; boundary=abc\r\n\r\n"
	        "--abc\r\n"
	        "Content-Type: multipart/alternative; boundary=abcdef\r\n\r\n"
	        "--abcdef\r\n\r\none\r\n"
	        "--abcdef\r\n\r\ntwo\r\n"
	        "--abcdef--\r\n"
	        "--abc\r\n\r\nthree\r\n"
	        "--abc--\r\n";
	struct mime_message *m = parse_str(outer_longer);

	/* "--==part==" starts with "--==p" too, but ends the inner multipart */
	assert_section(m, "1.1", "alt one");
	assert_section(m, "1.2", "alt two");
	assert_no_section(m, "1.3");
	assert_section(m, "2", "outer two");
	mime_message_free(&m);
	m = parse_str(inner_longer);
	assert_section(m, "1.1", "one");
	assert_section(m, "1.2", "two");
	assert_no_section(m, "1.3");
	assert_section(m, "2", "three");
	mime_message_free(&m);
	/* the same boundary reused by a nested multipart: the innermost takes it */
	m = parse_str("Content-Type: multipart/mixed; boundary=x\r\n\r\n"
	              "--x\r\nContent-Type: multipart/alternative; boundary=x\r\n\r\n"
	              "--x\r\n\r\na\r\n--x\r\n\r\nb\r\n--x--\r\n"
	              "--x\r\n\r\nc\r\n--x--\r\n");
	assert_section(m, "1.1", "a");
	assert_section(m, "1.2", "b");
	assert_section(m, "2", "c");
	mime_message_free(&m);
}

/* RFC 2045 5.1: a comment after an unquoted value is not part of it. */
static void test_param_comments(void **state)
{
	static const char msg[] =
	        "Content-Type: multipart/mixed; boundary=simple (a comment)\r\n\r\n"
	        "--simple\r\n"
	        "Content-Type: text/plain; charset=us-ascii (Plain; text); "
	        "name=my file.txt\r\n\r\n"
	        "one\r\n"
	        "--simple--\r\n";
	struct mime_message *m = parse_str(msg);

	assert_section(m, "1", "one");
	mime_message_free(&m);
	/* RFC 3282: Content-Language tags with comments around them */
	ASSERT_BODYSTRUCTURE("Content-Language: en (English), (Swiss) de-CH\r\n\r\nx", true,
	                     "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 1 0 "
	                     "NIL NIL (\"en\" \"de-CH\") NIL)");
	ASSERT_BODYSTRUCTURE(
	        msg, true,
	        "((\"text\" \"plain\" (\"charset\" \"us-ascii\" \"name\" \"my file.txt\") "
	        "NIL NIL \"7BIT\" 3 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"simple\") "
	        "NIL NIL NIL)");
}

/* Decoded content of path (given as "1.2"); returns the result, bytes in *b. */
static int binary_of(struct mime_message *m, const char *spec, struct buf *b)
{
	uint32_t path[16];
	size_t depth = 0;
	const char *p = spec;

	while (*p >= '0' && *p <= '9') {
		path[depth++] = (uint32_t)strtoul(p, (char **)&p, 10);
		if (*p == '.')
			p++;
	}
	buf_reset(b);
	return mime_get_binary(m, depth > 0 ? path : NULL, depth, b);
}

#define ASSERT_BINARY(m, spec, expected, n)                                                        \
	do {                                                                                       \
		assert_int_equal(binary_of(m, spec, &b), 0);                                       \
		assert_int_equal(b.len, n);                                                        \
		assert_memory_equal(b.data, expected, n);                                          \
	} while (0)

/* RFC 3516 / RFC 9051 6.4.5 BINARY: the content of leaf parts, decoded. */
static void test_binary(void **state)
{
	static const char msg[] =
	        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	        "--b\r\nContent-Type: application/octet-stream\r\n"
	        "Content-Transfer-Encoding: Base64 (comment)\r\n\r\n"
	        "AP8A\r\n/wAB\r\n"
	        "--b\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: "
	        "quoted-printable\r\n\r\n"
	        "caf=C3=A9 =3D  \r\nsoft=\r\nbreak=0Abare lf\n=\r\n"
	        "--b\r\nContent-Type: text/plain\r\n\r\nline\nline\r\n"
	        "--b\r\nContent-Type: application/x-thing\r\nContent-Transfer-Encoding: "
	        "x-uuencode\r\n"
	        "\r\nbegin 644 x\r\n"
	        "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner\r\n"
	        "--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n"
	        "--c\r\n\r\nalt\r\n--c--\r\n"
	        "--b\r\nContent-Type: application/octet-stream\r\n"
	        "Content-Transfer-Encoding: binary\r\n\r\n"
	        "a\0b\n\r\n"
	        "--b--\r\n";
	struct mime_message *m = mime_parse(msg, sizeof(msg) - 1);
	struct buf b;

	buf_init(&b, 0);
	ASSERT_BINARY(m, "1", "\x00\xff\x00\xff\x00\x01", 6);
	/* QP: trailing white space dropped, soft breaks joined, every line end CRLF */
	ASSERT_BINARY(m, "2", "caf\xc3\xa9 =\r\nsoftbreak\r\nbare lf\r\n", 29);
	ASSERT_BINARY(m, "3", "line\r\nline", 10); /* text: CRLF whatever is stored */
	assert_int_equal(binary_of(m, "4", &b), MIME_BINARY_UNKNOWN_CTE);
	assert_int_equal(binary_of(m, "5", &b), MIME_BINARY_NOT_LEAF);
	ASSERT_BINARY(m, "5.1", "inner", 5);
	assert_int_equal(binary_of(m, "6", &b), MIME_BINARY_NOT_LEAF);
	ASSERT_BINARY(m, "6.1", "alt", 3);
	ASSERT_BINARY(m, "7", "a\0b\n", 4); /* not text: bytes as they are, NUL kept */
	assert_int_equal(binary_of(m, "", &b), MIME_BINARY_NOT_LEAF);
	assert_int_equal(binary_of(m, "8", &b), MIME_BINARY_NO_PART);
	assert_int_equal(binary_of(m, "1.1", &b), MIME_BINARY_NO_PART);
	assert_int_equal(b.len, 0);
	/* out NULL: the same answers, nothing decoded */
	assert_int_equal(mime_get_binary(m, (const uint32_t[]){1}, 1, NULL), 0);
	assert_int_equal(mime_get_binary(m, (const uint32_t[]){4}, 1, NULL),
	                 MIME_BINARY_UNKNOWN_CTE);
	assert_int_equal(mime_get_binary(m, (const uint32_t[]){5}, 1, NULL), MIME_BINARY_NOT_LEAF);
	mime_message_free(&m);
	/* a single-part message: part 1 is its body */
	m = parse_str("Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n");
	ASSERT_BINARY(m, "1", "hello", 5);
	mime_message_free(&m);
	m = parse_str("Content-Type: message/rfc822\r\n\r\nSubject: x\r\n\r\ny");
	assert_int_equal(binary_of(m, "1", &b), MIME_BINARY_NOT_LEAF);
	mime_message_free(&m);
	buf_deinit(&b);
}

static void test_digest(void **state)
{
	static const char msg[] = "Content-Type: multipart/digest; boundary=d\r\n\r\n"
	                          "--d\r\n\r\nSubject: one\r\n\r\nfirst\r\n"
	                          "--d\r\nContent-Type: text/plain\r\n\r\nnot a message\r\n"
	                          "--d--\r\n";
	struct mime_message *m = parse_str(msg);

	assert_section(m, "1.HEADER", "Subject: one\r\n\r\n");
	assert_section(m, "1.1", "first");
	assert_section(m, "2", "not a message");
	assert_no_section(m, "2.HEADER");
	mime_message_free(&m);
	ASSERT_BODYSTRUCTURE(
	        msg, false,
	        "((\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 21 "
	        "(NIL \"one\" NIL NIL NIL NIL NIL NIL NIL NIL) "
	        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 5 0) 2)"
	        "(\"text\" \"plain\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 13 0) "
	        "\"digest\")");
	/* message/rfc822 in base64 is not parsed: written as a basic part */
	ASSERT_BODYSTRUCTURE("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64"
	                     "\r\n\r\nU3ViamVjdDogeA0KDQo=\r\n",
	                     false, "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 22)");
}

static void test_addresses(void **state)
{
	ASSERT_ENVELOPE(
	        "From: \"Doe, John\" <john@example.com>, Mary Smith "
	        "<@relay1,@relay2:mary@x.test>\r\n"
	        "To: undisclosed-recipients:;\r\n"
	        "Cc: Team: alice@a.example, \"Bob \\\"B\\\"\" <bob@b.example>;, carol@c.example "
	        "(Carol C)\r\n"
	        "Bcc: no-domain, <>, =?utf-8?q?Jos=C3=A9?= <jose@d.example>, @x, a@[1.2.3.4]\r\n"
	        "Reply-To: ,,\r\n"
	        "In-Reply-To: <a@b>\r\n\r\n",
	        "(NIL NIL ((\"Doe, John\" NIL \"john\" \"example.com\")(\"Mary Smith\" "
	        "\"@relay1,@relay2\" \"mary\" \"x.test\")) ((\"Doe, John\" NIL \"john\" "
	        "\"example.com\")(\"Mary Smith\" \"@relay1,@relay2\" \"mary\" \"x.test\")) "
	        "((\"Doe, John\" NIL \"john\" \"example.com\")(\"Mary Smith\" \"@relay1,@relay2\" "
	        "\"mary\" \"x.test\")) ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) "
	        "((NIL NIL \"Team\" NIL)(NIL NIL \"alice\" \"a.example\")(\"Bob \\\"B\\\"\" NIL "
	        "\"bob\" \"b.example\")(NIL NIL NIL NIL)(\"Carol C\" NIL \"carol\" \"c.example\")) "
	        "((NIL NIL \"no-domain\" \"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" "
	        "\"MISSING_DOMAIN\")(\"=?utf-8?q?Jos=C3=A9?=\" NIL \"jose\" \"d.example\")"
	        "(NIL NIL \"MISSING_MAILBOX\" \"x\")(NIL NIL \"a\" \"[1.2.3.4]\")) "
	        "\"<a@b>\" NIL)");
	{
		struct mime_address *a;
		size_t n = mime_address_parse("A (c) . B <x . y@z>, g: ;", 25, &a);

		assert_int_equal(n, 3);
		assert_string_equal(a[0].name, "A . B");
		assert_string_equal(a[0].mailbox, "x.y");
		assert_string_equal(a[0].domain, "z");
		assert_null(a[0].route);
		assert_string_equal(a[1].mailbox, "g");
		assert_null(a[1].domain);
		assert_null(a[2].mailbox);
		mime_address_list_free(&a, n);
		assert_null(a);
		n = mime_address_parse("  ", 2, &a);
		assert_int_equal(n, 0);
		assert_null(a);
		n = mime_address_parse("unclosed: a@b", 13, &a);
		assert_int_equal(n, 3);
		assert_null(a[2].mailbox);
		mime_address_list_free(&a, n);
	}
}

static void test_literals(void **state)
{
	/* 8-bit, CR and NUL force a literal; NUL is dropped from it */
	ASSERT_ENVELOPE("Subject: caf\xC3\xA9\r\nMessage-ID: a\rb\r\n\r\n",
	                "(NIL {5}\r\ncaf\xC3\xA9 NIL NIL NIL NIL NIL NIL NIL {3}\r\na\rb)");
	{
		static const char msg[] = "Subject: a\0b\\\"\r\n\r\n";
		struct mime_message *m = mime_parse(msg, sizeof(msg) - 1);
		struct buf b;

		buf_init(&b, 0);
		mime_write_envelope(&b, m);
		assert_string_equal(b.data, "(NIL {4}\r\nab\\\" NIL NIL NIL NIL NIL NIL NIL NIL)");
		buf_deinit(&b);
		mime_message_free(&m);
	}
	ASSERT_ENVELOPE("Subject: say \"hi\" \\o/\r\n\r\n",
	                "(NIL \"say \\\"hi\\\" \\\\o/\" NIL NIL NIL NIL NIL NIL NIL NIL)");
}

static void test_body_text(void **state)
{
	static const char msg[] =
	        "Subject: t\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
	        "--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
	        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	        "caf=E9 soft=\r\nbreak =3D x=\r\n"
	        "--b\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: "
	        "base64\r\n"
	        "\r\nPGI+w6k8L2I+\r\n"
	        "--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: "
	        "base64\r\n\r\nAAAA\r\n"
	        "--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\ninner \xFF\r\n"
	        "--b--\r\n";
	struct mime_message *m = parse_str(msg);
	struct buf b;

	buf_init(&b, 0);
	mime_body_text(m, &b);
	assert_string_equal(b.data,
	                    "caf\xC3\xA9 softbreak = x\n<b>\xC3\xA9</b>\ninner \xEF\xBF\xBD\n");
	buf_deinit(&b);
	buf_init(&b, 4);
	mime_body_text(m, &b);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "caf\xC3", 4);
	buf_deinit(&b);
	mime_message_free(&m);
}

/* Nesting far past MIME_MAX_DEPTH: deeper levels are opaque, nothing breaks. */
static void test_deep_nesting(void **state)
{
	struct buf msg, b;
	struct mime_message *m;
	uint32_t path[MIME_MAX_DEPTH + 8];
	struct mime_section sec = {.path = path, .kind = MIME_SECTION_ALL};
	size_t start, len;

	buf_init(&msg, 0);
	for (int i = 0; i < 200; i++)
		buf_printf(&msg, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n",
		           i, i);
	buf_puts(&msg, "\r\nleaf\r\n");
	for (int i = 199; i >= 0; i--)
		buf_printf(&msg, "--b%d--\r\n", i);
	m = mime_parse(msg.data, msg.len);
	for (size_t i = 0; i < N_ELEMENTS(path); i++)
		path[i] = 1;
	sec.depth = MIME_MAX_DEPTH - 1;
	assert_int_equal(mime_section_range(m, &sec, &start, &len), 1);
	sec.depth = MIME_MAX_DEPTH;
	assert_int_equal(mime_section_range(m, &sec, &start, &len), -1);
	buf_init(&b, 0);
	mime_write_bodystructure(&b, m, true);
	assert_true(b.len > 0 && b.data[0] == '(');
	buf_deinit(&b);
	mime_message_free(&m);

	/* message/rfc822 nested the same way */
	buf_reset(&msg);
	for (int i = 0; i < 100; i++)
		buf_puts(&msg, "Content-Type: message/rfc822\r\n\r\n");
	buf_puts(&msg, "\r\nbody\r\n");
	m = mime_parse(msg.data, msg.len);
	buf_init(&b, 0);
	mime_write_bodystructure(&b, m, false);
	mime_write_envelope(&b, m);
	buf_deinit(&b);
	sec.depth = 5;
	sec.kind = MIME_SECTION_HEADER;
	assert_int_equal(mime_section_range(m, &sec, &start, &len), 1);
	assert_int_equal(start, 5 * 32);
	mime_message_free(&m);
	buf_deinit(&msg);
}

/* More parts than MIME_MAX_PARTS: the rest is not recorded. */
static void test_many_parts(void **state)
{
	struct buf msg;
	struct mime_message *m;
	uint32_t n;
	struct mime_section sec = {.path = &n, .depth = 1, .kind = MIME_SECTION_ALL};
	size_t start, len;

	buf_init(&msg, 0);
	buf_puts(&msg, "Content-Type: multipart/mixed; boundary=p\r\n\r\n");
	for (int i = 0; i < MIME_MAX_PARTS + 100; i++)
		buf_printf(&msg, "--p\r\n\r\n%d\r\n", i + 1);
	buf_puts(&msg, "--p--\r\n");
	m = mime_parse(msg.data, msg.len);
	n = MIME_MAX_PARTS - 1;
	assert_int_equal(mime_section_range(m, &sec, &start, &len), 1);
	assert_int_equal(len, 4);
	assert_memory_equal(msg.data + start, "4999", 4);
	n = MIME_MAX_PARTS;
	assert_int_equal(mime_section_range(m, &sec, &start, &len), -1);
	mime_message_free(&m);
	buf_deinit(&msg);
}

/* Many lines that look like boundaries of many open multiparts: still linear. */
static void test_linear_time(void **state)
{
	struct buf msg;
	struct mime_message *m;
	clock_t c0;

	buf_init(&msg, 0);
	for (int i = 0; i < 30; i++)
		buf_printf(&msg,
		           "Content-Type: multipart/mixed; boundary=\"%070d\"\r\n\r\n--%070d\r\n",
		           i, i);
	buf_puts(&msg, "\r\n");
	for (int i = 0; i < 100000; i++)
		buf_puts(&msg,
		         "--0000000000000000000000000000000000000000000000000000000000000000000"
		         "0x\r\n");
	c0 = clock();
	m = mime_parse(msg.data, msg.len);
	assert_true((double)(clock() - c0) / CLOCKS_PER_SEC < 2.0);
	mime_message_free(&m);
	buf_deinit(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_simple_message),
	        cmocka_unit_test(test_nested_multipart),
	        cmocka_unit_test(test_message_rfc822),
	        cmocka_unit_test(test_message_rfc822_single),
	        cmocka_unit_test(test_missing_headers),
	        cmocka_unit_test(test_missing_final_boundary),
	        cmocka_unit_test(test_bare_lf),
	        cmocka_unit_test(test_encoded_words),
	        cmocka_unit_test(test_rfc2231),
	        cmocka_unit_test(test_dates),
	        cmocka_unit_test(test_digest),
	        cmocka_unit_test(test_header_without_blank_line),
	        cmocka_unit_test(test_prefix_boundaries),
	        cmocka_unit_test(test_param_comments),
	        cmocka_unit_test(test_binary),
	        cmocka_unit_test(test_addresses),
	        cmocka_unit_test(test_literals),
	        cmocka_unit_test(test_body_text),
	        cmocka_unit_test(test_deep_nesting),
	        cmocka_unit_test(test_many_parts),
	        cmocka_unit_test(test_linear_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
