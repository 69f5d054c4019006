/*
 * test_smtp_parser.c - unit tests of the pure SMTP command parser
 * (smtp/parser): verbs and their arguments, MAIL/RCPT paths (dot-strings,
 * quoted strings, source routes, address literals, UTF-8, length limits),
 * esmtp parameters, BDAT, xtext and the canonical address form.
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
#include "smtp/parser.h"

#define ERR_CHAR        "500 5.5.2 Invalid character in command"
#define ERR_MAIL_SYNTAX "501 5.5.4 Syntax: MAIL FROM:<address>"
#define ERR_RCPT_SYNTAX "501 5.5.4 Syntax: RCPT TO:<address>"
#define ERR_SENDER      "501 5.1.7 Bad sender address syntax"
#define ERR_RECIPIENT   "501 5.1.3 Bad recipient address syntax"
#define ERR_PARAM       "501 5.5.4 Bad parameter syntax"
#define ERR_PARAMS_MANY "501 5.5.4 Too many parameters"
#define ERR_BDAT        "501 5.5.4 Syntax: BDAT size [LAST]"

static int t_parse_len(const char *s, size_t len, struct smtp_command *cmd, const char **error)
{
	*error = "unset";
	return smtp_parse_command(s, len, cmd, error);
}

/* Parses a line that must succeed. */
static void t_ok(const char *s, struct smtp_command *cmd)
{
	const char *error;

	if (t_parse_len(s, strlen(s), cmd, &error) != 0)
		fail_msg("\"%s\" failed: %s", s, error);
	assert_null(error);
}

/* The reply for a line that must fail. */
static const char *t_err_len(const char *s, size_t len)
{
	struct smtp_command cmd;
	const char *error = NULL;

	assert_int_equal(t_parse_len(s, len, &cmd, &error), -1);
	assert_non_null(error);
	return error;
}

static const char *t_err(const char *s)
{
	return t_err_len(s, strlen(s));
}

static void t_assert_slice(const char *p, size_t len, const char *expected)
{
	assert_non_null(p);
	if (len != strlen(expected) || memcmp(p, expected, len) != 0)
		fail_msg("got \"%.*s\", expected \"%s\"", (int)len, p, expected);
}

/* The mailbox of "MAIL FROM:<path>" or "RCPT TO:<path>", which must parse. */
static void t_path_ok(const char *verb_kw, const char *path, struct smtp_command *cmd)
{
	char line[SMTP_COMMAND_LINE_MAX * 2];

	snprintf(line, sizeof(line), "%s%s", verb_kw, path);
	t_ok(line, cmd);
}

static const char *t_path_err(const char *verb_kw, const char *path)
{
	char line[SMTP_COMMAND_LINE_MAX * 2];

	snprintf(line, sizeof(line), "%s%s", verb_kw, path);
	return t_err(line);
}

static void t_canonical(const char *line, const char *expected)
{
	struct smtp_command cmd;
	char out[SMTP_ADDRESS_MAX + 1];
	size_t n;

	t_ok(line, &cmd);
	n = smtp_address_canonical(&cmd, out, sizeof(out));
	assert_int_equal(n, strlen(expected));
	assert_string_equal(out, expected);
}

static char *t_repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);

	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* A valid domain of exactly len octets: labels of at most 63 "a"s. */
static char *t_domain(size_t len)
{
	char *s = t_repeat('a', len);

	for (size_t i = 62; i < len - 1; i += 63)
		s[i] = '.';
	return s;
}

/* ---- verbs and their arguments ---- */

static void test_verbs(void **state)
{
	static const struct {
		const char *line;
		enum smtp_verb verb;
		size_t verb_len;
	} cases[] = {
	        {"HELO client.example", SMTP_VERB_HELO, 4},
	        {"ehlo client.example", SMTP_VERB_EHLO, 4},
	        {"Mail FROM:<>", SMTP_VERB_MAIL, 4},
	        {"rCpT TO:<a@b.example>", SMTP_VERB_RCPT, 4},
	        {"DATA", SMTP_VERB_DATA, 4},
	        {"bdat 10", SMTP_VERB_BDAT, 4},
	        {"RSET", SMTP_VERB_RSET, 4},
	        {"noop", SMTP_VERB_NOOP, 4},
	        {"QUIT", SMTP_VERB_QUIT, 4},
	        {"HELP", SMTP_VERB_HELP, 4},
	        {"VRFY alice", SMTP_VERB_VRFY, 4},
	        {"EXPN staff", SMTP_VERB_EXPN, 4},
	        {"StartTLS", SMTP_VERB_STARTTLS, 8},
	        {"AUTH PLAIN", SMTP_VERB_AUTH, 4},
	        {"XCLIENT ADDR=1.2.3.4", SMTP_VERB_UNKNOWN, 7},
	        {"MAILFROM:<>", SMTP_VERB_UNKNOWN, 11},
	        {"STARTTLSX", SMTP_VERB_UNKNOWN, 9},
	        {"HEL", SMTP_VERB_UNKNOWN, 3},
	        {"GET / HTTP/1.0", SMTP_VERB_UNKNOWN, 3},
	        {"", SMTP_VERB_UNKNOWN, 0},
	        /* RFC 5321 4.1.1: the verb is followed by SP, not HTAB. */
	        {"NOOP\tx", SMTP_VERB_UNKNOWN, 6},
	};
	struct smtp_command cmd;

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		t_ok(cases[i].line, &cmd);
		assert_int_equal(cmd.verb, cases[i].verb);
		assert_ptr_equal(cmd.verb_str, cases[i].line);
		assert_int_equal(cmd.verb_len, cases[i].verb_len);
	}
}

static void test_args(void **state)
{
	struct smtp_command cmd;

	t_ok("EHLO client.example", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "client.example");
	t_ok("HELO   client.example   ", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "client.example");
	t_ok("EHLO [192.0.2.1]", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "[192.0.2.1]");
	t_ok("AUTH PLAIN AGFsaWNlAHNlY3JldA==", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "PLAIN AGFsaWNlAHNlY3JldA==");
	t_ok("VRFY Alice Smith", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "Alice Smith");
	t_ok("EXPN staff", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "staff");
	t_ok("HELP MAIL", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "MAIL");
	t_ok("NOOP anything\tat all", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "anything\tat all");
	t_ok("XUNKNOWN some args", &cmd);
	t_assert_slice(cmd.arg, cmd.arg_len, "some args");
	/* No argument: NULL, including when only spaces follow. */
	t_ok("NOOP", &cmd);
	assert_null(cmd.arg);
	assert_int_equal(cmd.arg_len, 0);
	t_ok("HELP   ", &cmd);
	assert_null(cmd.arg);
	t_ok("DATA   ", &cmd);
	assert_int_equal(cmd.verb, SMTP_VERB_DATA);
	assert_null(cmd.arg);
	t_ok("QUIT", &cmd);
	assert_null(cmd.arg);
	t_ok("RSET", &cmd);
	t_ok("STARTTLS", &cmd);
	/* Nothing from a previous command is left behind. */
	t_ok("RCPT TO:<a@b.example> NOTIFY=NEVER", &cmd);
	t_ok("NOOP", &cmd);
	assert_null(cmd.mailbox);
	assert_int_equal(cmd.n_params, 0);
}

static void test_arg_errors(void **state)
{
	assert_string_equal(t_err("HELO"), "501 5.5.4 Syntax: HELO hostname");
	assert_string_equal(t_err("EHLO   "), "501 5.5.4 Syntax: EHLO hostname");
	assert_string_equal(t_err("AUTH"), "501 5.5.4 Syntax: AUTH mechanism [initial-response]");
	assert_string_equal(t_err("VRFY"), "501 5.5.4 Syntax: VRFY string");
	assert_string_equal(t_err("expn"), "501 5.5.4 Syntax: EXPN string");
	assert_string_equal(t_err("DATA x"), "501 5.5.4 Syntax: DATA");
	assert_string_equal(t_err("RSET now"), "501 5.5.4 Syntax: RSET");
	assert_string_equal(t_err("QUIT please"), "501 5.5.4 Syntax: QUIT");
	assert_string_equal(t_err("STARTTLS x"), "501 5.5.4 Syntax: STARTTLS");
	assert_string_equal(t_err("MAIL"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("RCPT"), ERR_RCPT_SYNTAX);
	assert_string_equal(t_err("BDAT"), ERR_BDAT);
}

static void test_control_chars(void **state)
{
	static const char *const lines[] = {
	        "NOOP a\rb", "NOOP a\nb",           "HELO x\x01", "\x1b[A",
	        "NOOP \x7f", "MAIL FROM:<a\x1f@b>", "QUIT\r",
	};

	for (size_t i = 0; i < N_ELEMENTS(lines); i++)
		assert_string_equal(t_err(lines[i]), ERR_CHAR);
	/* A NUL anywhere, even after what looks like a complete command. */
	assert_string_equal(t_err_len("QUIT\0", 5), ERR_CHAR);
	assert_string_equal(t_err_len("\0", 1), ERR_CHAR);
	assert_string_equal(t_err_len("RCPT TO:<a\0b@c>", 15), ERR_CHAR);
	/* Only len bytes are read: a NUL after them is not part of the line. */
	{
		struct smtp_command cmd;
		const char *error;

		assert_int_equal(t_parse_len("QUIT\0garbage", 4, &cmd, &error), 0);
		assert_int_equal(cmd.verb, SMTP_VERB_QUIT);
	}
}

/* ---- MAIL and RCPT ---- */

static void test_mail_from(void **state)
{
	struct smtp_command cmd;

	t_ok("MAIL FROM:<alice@example.org>", &cmd);
	assert_int_equal(cmd.verb, SMTP_VERB_MAIL);
	t_assert_slice(cmd.mailbox, cmd.mailbox_len, "alice@example.org");
	t_assert_slice(cmd.local, cmd.local_len, "alice");
	t_assert_slice(cmd.domain, cmd.domain_len, "example.org");
	assert_false(cmd.postmaster);
	assert_false(cmd.utf8);
	assert_int_equal(cmd.n_params, 0);

	/* The null reverse-path (RFC 5321 4.5.5). */
	t_ok("MAIL FROM:<>", &cmd);
	assert_non_null(cmd.mailbox);
	assert_int_equal(cmd.mailbox_len, 0);
	assert_null(cmd.domain);
	assert_null(cmd.local);
	t_ok("mail from:<> SIZE=10", &cmd);
	assert_int_equal(cmd.mailbox_len, 0);
	assert_int_equal(cmd.n_params, 1);

	/* Case, one space after the colon, trailing spaces. */
	t_ok("mail From:<a@b.example>", &cmd);
	t_ok("MAIL FROM: <a@b.example>", &cmd);
	t_assert_slice(cmd.mailbox, cmd.mailbox_len, "a@b.example");
	t_ok("MAIL FROM:<a@b.example>   ", &cmd);
	t_ok("MAIL   FROM:<a@b.example>", &cmd);

	assert_string_equal(t_err("MAIL FROM:  <a@b.example>"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM:a@b.example"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM <a@b.example>"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM:"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL TO:<a@b.example>"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROMX:<a@b.example>"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM:<a@b.example>x"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM:<>x"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM:<a@b.example>>"), ERR_MAIL_SYNTAX);
	assert_string_equal(t_err("MAIL FROM:<a@b.example"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<a>"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<@b.example>"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<a@>"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<a@b@c.example>"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<<a@b.example>>"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:< a@b.example>"), ERR_SENDER);
	assert_string_equal(t_err("MAIL FROM:<a@b.example >"), ERR_SENDER);
	/* <Postmaster> is a recipient form only. */
	assert_string_equal(t_err("MAIL FROM:<Postmaster>"), ERR_SENDER);
}

static void test_rcpt_to(void **state)
{
	struct smtp_command cmd;

	t_ok("RCPT TO:<bob@example.net>", &cmd);
	assert_int_equal(cmd.verb, SMTP_VERB_RCPT);
	t_assert_slice(cmd.mailbox, cmd.mailbox_len, "bob@example.net");
	t_ok("rcpt to: <bob@example.net>", &cmd);
	t_assert_slice(cmd.domain, cmd.domain_len, "example.net");

	/* RFC 5321 4.5.1: <Postmaster> without a domain, in any case. */
	t_ok("RCPT TO:<Postmaster>", &cmd);
	assert_true(cmd.postmaster);
	t_assert_slice(cmd.mailbox, cmd.mailbox_len, "Postmaster");
	t_assert_slice(cmd.local, cmd.local_len, "Postmaster");
	assert_null(cmd.domain);
	t_ok("RCPT TO:<POSTMASTER> NOTIFY=NEVER", &cmd);
	assert_true(cmd.postmaster);
	assert_int_equal(cmd.n_params, 1);
	t_ok("RCPT TO:<postmaster@example.org>", &cmd);
	assert_false(cmd.postmaster);
	t_assert_slice(cmd.domain, cmd.domain_len, "example.org");

	assert_string_equal(t_err("RCPT TO:<>"), ERR_RECIPIENT);
	assert_string_equal(t_err("RCPT TO:<Postmaster"), ERR_RECIPIENT);
	assert_string_equal(t_err("RCPT TO:<Postmasterx>"), ERR_RECIPIENT);
	assert_string_equal(t_err("RCPT TO:<@a.example:Postmaster>"), ERR_RECIPIENT);
	assert_string_equal(t_err("RCPT TO:<Postmaster>x"), ERR_RCPT_SYNTAX);
	assert_string_equal(t_err("RCPT FROM:<a@b.example>"), ERR_RCPT_SYNTAX);
	assert_string_equal(t_err("RCPT TO:bob@example.net"), ERR_RCPT_SYNTAX);
	assert_string_equal(t_err("RCPT TO"), ERR_RCPT_SYNTAX);
	assert_string_equal(t_err("RCPT TO:  <a@b.example>"), ERR_RCPT_SYNTAX);
	assert_string_equal(t_err("RCPT TO:<a@b.example"), ERR_RECIPIENT);
	assert_string_equal(t_err("RCPT TO:<bob>"), ERR_RECIPIENT);
}

static void test_local_parts(void **state)
{
	static const char *const good[] = {
	        "<a.b.c@x.example>",        "<!#$%&'*+-/=?^_`{|}~@x.example>",
	        "<\"john doe\"@x.example>", "<\"a\\\"b\"@x.example>",
	        "<\"a\\\\b\"@x.example>",   "<\"a>b\"@x.example>",
	        "<\"a@b\"@x.example>",      "<\"..\"@x.example>",
	        "<\"\"@x.example>",         "<\"a\\ b\"@x.example>",
	        "<\"a\\~\"@x.example>",
	};
	static const char *const bad[] = {
	        "<.a@x.example>",         "<a.@x.example>",     "<a..b@x.example>",
	        "<a b@x.example>",        "<a(b)@x.example>",   "<a,b@x.example>",
	        "<a[b]@x.example>",       "<a\\b@x.example>",   "<\"a@x.example>",
	        "<\"a\"b@x.example>",     "<a\"b\"@x.example>", "<\"a\\\"@x.example>",
	        "<\"a\"\"b\"@x.example>", "<\"a\"@@x.example>", "<\"a\"@x.example",
	        "<a:b@x.example>",        "<a;b@x.example>",    "<\"a\\\t\"@x.example>",
	        "<\"a\tb\"@x.example>",   "<a\tb@x.example>",
	};
	struct smtp_command cmd;

	for (size_t i = 0; i < N_ELEMENTS(good); i++) {
		t_path_ok("MAIL FROM:", good[i], &cmd);
		/* The local part is everything before the last "@", as sent. */
		assert_int_equal(cmd.local_len, strlen(good[i]) - strlen("<@x.example>"));
		assert_memory_equal(cmd.local, good[i] + 1, cmd.local_len);
		t_assert_slice(cmd.domain, cmd.domain_len, "x.example");
		assert_int_equal(cmd.mailbox_len, strlen(good[i]) - 2);
	}
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		const char *error = t_path_err("RCPT TO:", bad[i]);

		if (strcmp(error, ERR_RECIPIENT) != 0)
			fail_msg("%s: %s", bad[i], error);
	}
}

static void test_source_routes(void **state)
{
	static const char *const bad[] = {
	        "<@a.example,u@c.example>", "<@:u@c.example>",      "<@a.example:>",
	        "<@a.example;u@c.example>", "<@a.example,:u@c.ex>", "<@a.example,b:u@c.ex>",
	        "<@-a.example:u@c.ex>",     "<@[1.2.3.4]:u@c.ex>",  "<@a.example:@b:u@c.ex>",
	        "<@a.example:<>",
	};
	struct smtp_command cmd;

	t_ok("RCPT TO:<@a.example,@b.example:user@c.example>", &cmd);
	t_assert_slice(cmd.mailbox, cmd.mailbox_len, "user@c.example");
	t_assert_slice(cmd.local, cmd.local_len, "user");
	t_assert_slice(cmd.domain, cmd.domain_len, "c.example");
	t_ok("MAIL FROM:<@relay.example:\"x y\"@[192.0.2.1]> SIZE=5", &cmd);
	t_assert_slice(cmd.mailbox, cmd.mailbox_len, "\"x y\"@[192.0.2.1]");
	assert_int_equal(cmd.n_params, 1);
	/* A UTF-8 route is checked but dropped: the mailbox is ASCII. */
	t_ok("RCPT TO:<@b\xc3\xbc\x63her.example:u@c.example>", &cmd);
	assert_false(cmd.utf8);
	assert_string_equal(t_err("RCPT TO:<@b\xc3.example:u@c.example>"), ERR_RECIPIENT);
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		const char *error = t_path_err("MAIL FROM:", bad[i]);

		if (strcmp(error, ERR_SENDER) != 0)
			fail_msg("%s: %s", bad[i], error);
	}
}

static void test_domains(void **state)
{
	static const char *const good[] = {
	        "<a@example>", "<a@x-y.example>", "<a@x--y.example>",          "<a@123.example>",
	        "<a@1.2.3.4>", "<a@EXAMPLE.ORG>", "<a@xn--bcher-kva.example>",
	};
	static const char *const bad[] = {
	        "<a@-x.example>", "<a@x-.example>",  "<a@x..example>", "<a@x.example.>",
	        "<a@.x.example>", "<a@x_y.example>", "<a@x.example->", "<a@x y>",
	        "<a@x.-example>", "<a@x!.example>",  "<a@.>",
	};
	struct smtp_command cmd;
	char line[512], *label;

	for (size_t i = 0; i < N_ELEMENTS(good); i++)
		t_path_ok("RCPT TO:", good[i], &cmd);
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		const char *error = t_path_err("RCPT TO:", bad[i]);

		if (strcmp(error, ERR_RECIPIENT) != 0)
			fail_msg("%s: %s", bad[i], error);
	}
	/* RFC 1035 2.3.4: a label is at most 63 octets. */
	label = t_repeat('l', 63);
	snprintf(line, sizeof(line), "RCPT TO:<a@%s.example>", label);
	t_ok(line, &cmd);
	snprintf(line, sizeof(line), "RCPT TO:<a@%sl.example>", label);
	assert_string_equal(t_err(line), ERR_RECIPIENT);
	free(label);
}

static void test_address_literals(void **state)
{
	static const char *const good[] = {
	        "[192.0.2.1]",
	        "[0.0.0.0]",
	        "[255.255.255.255]",
	        "[IPv6:2001:db8::1]",
	        "[ipv6:::1]",
	        "[IPv6:2001:DB8:0:0:0:0:0:1]",
	        "[IPv6:::ffff:192.0.2.1]",
	        "[IPv6:fe80:0000:0000:0000:0204:61ff:fe9d:f156]",
	};
	static const char *const bad[] = {
	        "[192.0.2.256]",
	        "[192.0.2]",
	        "[192.0.2.1.5]",
	        "[192.0.2.1 ]",
	        "[2001:db8::1]",
	        "[IPv6:2001:db8::g]",
	        "[IPv6:192.0.2.1]",
	        "[IPv6:]",
	        "[IPv6:1:2:3:4:5:6:7:8:9]",
	        "[x-tag:foo]",
	        "[]",
	        "[192.0.2.1",
	        "[192.0.2.1]x",
	        "[[192.0.2.1]]",
	        "[IPv4:192.0.2.1]",
	        "[IPv6:2001:db8:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:0:1]",
	};
	struct smtp_command cmd;
	char path[128];

	for (size_t i = 0; i < N_ELEMENTS(good); i++) {
		snprintf(path, sizeof(path), "<postmaster@%s>", good[i]);
		t_path_ok("RCPT TO:", path, &cmd);
		t_assert_slice(cmd.domain, cmd.domain_len, good[i]);
		assert_false(cmd.postmaster);
	}
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		const char *error;

		snprintf(path, sizeof(path), "<a@%s>", bad[i]);
		error = t_path_err("MAIL FROM:", path);
		if (strcmp(error, ERR_SENDER) != 0)
			fail_msg("%s: %s", path, error);
	}
}

static void test_utf8_mailboxes(void **state)
{
	static const char *const good[] = {
	        "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a>",
	        "<user@b\xc3\xbc\x63her.example>",
	        "<j\xc3\xb6rg@example.org>",
	        "<\"j\xc3\xb6rg smith\"@example.org>",
	        "<\xf0\x9f\x98\x80@example.org>", /* U+1F600 */
	        "<\xf4\x8f\xbf\xbf@example.org>", /* U+10FFFF */
	        "<\xed\x9f\xbf@example.org>",     /* U+D7FF */
	        "<\xee\x80\x80@example.org>",     /* U+E000 */
	        "<a@\xc3\xa9-\xc3\xa9.example>",
	};
	static const char *const bad[] = {
	        "<\xc0\xaf@example.org>",         /* overlong "/" */
	        "<\xc1\xbf@example.org>",         /* overlong */
	        "<\xe0\x80\xaf@example.org>",     /* overlong */
	        "<\xe0\x9f\xbf@example.org>",     /* overlong */
	        "<\xf0\x80\x80\xaf@example.org>", /* overlong */
	        "<\xf0\x8f\xbf\xbf@example.org>", /* overlong */
	        "<\xed\xa0\x80@example.org>",     /* surrogate U+D800 */
	        "<\xed\xbf\xbf@example.org>",     /* surrogate U+DFFF */
	        "<\xf4\x90\x80\x80@example.org>", /* above U+10FFFF */
	        "<\xf5\x80\x80\x80@example.org>",
	        "<\xff@example.org>",
	        "<\x80@example.org>",            /* lone continuation */
	        "<a\xc3@example.org>",           /* truncated */
	        "<a\xe2\x82@example.org>",       /* truncated */
	        "<\"a\xc3\"@example.org>",       /* truncated, quoted */
	        "<\"a\\\xc3\xa9\"@example.org>", /* quoted-pair is ASCII only */
	        "<a@b\xc3.example>",             /* truncated, domain */
	        "<a@\xed\xa0\x80.example>",      /* surrogate, domain */
	        "<a@[\xc3\xa9]>",
	        "<a@b\xc3\xa9->", /* U-label ends with hyphen */
	        "<a@-\xc3\xa9.example>",
	        "<a@\xc3\xa9.\xe3\x80\x82.example>\xc3", /* truncated after the path */
	};
	struct smtp_command cmd;

	for (size_t i = 0; i < N_ELEMENTS(good); i++) {
		t_path_ok("MAIL FROM:", good[i], &cmd);
		assert_true(cmd.utf8);
		assert_int_equal(cmd.mailbox_len, strlen(good[i]) - 2);
	}
	t_ok("MAIL FROM:<ascii@example.org> ENVID=\xc3\xa9", &cmd);
	assert_false(cmd.utf8);
	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		const char *error = t_path_err("MAIL FROM:", bad[i]);

		if (strcmp(error, ERR_SENDER) != 0 && strcmp(error, ERR_MAIL_SYNTAX) != 0)
			fail_msg("%zu: %s", i, error);
	}
}

static void test_length_limits(void **state)
{
	struct smtp_command cmd;
	char line[1024], *local, *domain;

	/* RFC 5321 4.5.3.1.1: a local part of 64 octets, not 65. */
	local = t_repeat('l', 64);
	snprintf(line, sizeof(line), "MAIL FROM:<%s@x.example>", local);
	t_ok(line, &cmd);
	assert_int_equal(cmd.local_len, 64);
	snprintf(line, sizeof(line), "MAIL FROM:<%sl@x.example>", local);
	assert_string_equal(t_err(line), "501 5.1.7 Sender local part too long");
	snprintf(line, sizeof(line), "RCPT TO:<%sl@x.example>", local);
	assert_string_equal(t_err(line), "501 5.1.3 Recipient local part too long");
	/* Quotes count: they are octets of the local part as sent. */
	local[62] = '\0';
	snprintf(line, sizeof(line), "RCPT TO:<\"%s\"@x.example>", local);
	t_ok(line, &cmd);
	snprintf(line, sizeof(line), "RCPT TO:<\"%sl\"@x.example>", local);
	assert_string_equal(t_err(line), "501 5.1.3 Recipient local part too long");
	free(local);

	/* RFC 5321 4.5.3.1.3: the path, with its brackets, at most 256 octets. */
	local = t_repeat('l', 64);
	domain = t_domain(256 - 2 - 64 - 1);
	snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", local, domain);
	t_ok(line, &cmd);
	assert_int_equal(cmd.mailbox_len, 254);
	free(domain);
	domain = t_domain(256 - 2 - 64 - 1 + 1);
	snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", local, domain);
	assert_string_equal(t_err(line), "501 5.1.3 Recipient path too long");
	snprintf(line, sizeof(line), "MAIL FROM:<%s@%s>", local, domain);
	assert_string_equal(t_err(line), "501 5.1.7 Sender path too long");
	free(domain);
	/* A source route counts in the path. */
	domain = t_domain(256 - 2 - 64 - 1);
	snprintf(line, sizeof(line), "RCPT TO:<@r:%s@%s>", local, domain);
	assert_string_equal(t_err(line), "501 5.1.3 Recipient path too long");
	free(domain);
	free(local);

	/* RFC 5321 4.5.3.1.2: a domain of 255 octets is valid but cannot fit in a
	 * path; 256 is too long in itself. */
	domain = t_domain(255);
	snprintf(line, sizeof(line), "MAIL FROM:<a@%s>", domain);
	assert_string_equal(t_err(line), "501 5.1.7 Sender path too long");
	free(domain);
	domain = t_domain(256);
	snprintf(line, sizeof(line), "MAIL FROM:<a@%s>", domain);
	assert_string_equal(t_err(line), "501 5.1.7 Sender domain too long");
	snprintf(line, sizeof(line), "RCPT TO:<a@%s>", domain);
	assert_string_equal(t_err(line), "501 5.1.3 Recipient domain too long");
	free(domain);
}

/* ---- esmtp parameters ---- */

static void t_assert_param(const struct smtp_param *p, const char *key, const char *value)
{
	assert_non_null(p);
	t_assert_slice(p->key, p->key_len, key);
	if (value == NULL) {
		assert_null(p->value);
		assert_int_equal(p->value_len, 0);
	} else {
		t_assert_slice(p->value, p->value_len, value);
	}
}

static void test_params(void **state)
{
	struct smtp_command cmd;

	t_ok("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME SMTPUTF8", &cmd);
	assert_int_equal(cmd.n_params, 3);
	t_assert_param(&cmd.params[0], "SIZE", "1000");
	t_assert_param(&cmd.params[1], "BODY", "8BITMIME");
	t_assert_param(&cmd.params[2], "SMTPUTF8", NULL);
	t_assert_param(smtp_param_find(&cmd, "size"), "SIZE", "1000");
	t_assert_param(smtp_param_find(&cmd, "SmtpUtf8"), "SMTPUTF8", NULL);
	assert_null(smtp_param_find(&cmd, "SIZ"));
	assert_null(smtp_param_find(&cmd, "SIZE="));
	assert_null(smtp_param_find(&cmd, "AUTH"));

	/* Several spaces between parameters, and trailing ones. */
	t_ok("RCPT TO:<a@b.example>   NOTIFY=SUCCESS,FAILURE    ORCPT=rfc822;a+2Bb@x  ", &cmd);
	assert_int_equal(cmd.n_params, 2);
	t_assert_param(&cmd.params[0], "NOTIFY", "SUCCESS,FAILURE");
	t_assert_param(&cmd.params[1], "ORCPT", "rfc822;a+2Bb@x");
	/* Keywords: a letter or digit, then letters, digits and hyphens. */
	t_ok("MAIL FROM:<> X-FOO-=1 9K=~!<>", &cmd);
	t_assert_param(&cmd.params[0], "X-FOO-", "1");
	t_assert_param(&cmd.params[1], "9K", "~!<>");
	/* RFC 6531 3.3: UTF-8 in values. */
	t_ok("MAIL FROM:<> ENVID=\xc3\xa9t\xc3\xa9", &cmd);
	t_assert_param(&cmd.params[0], "ENVID", "\xc3\xa9t\xc3\xa9");
	/* Duplicates are the caller's business; find returns the first. */
	t_ok("MAIL FROM:<> SIZE=1 SIZE=2", &cmd);
	t_assert_param(smtp_param_find(&cmd, "SIZE"), "SIZE", "1");

	assert_string_equal(t_err("MAIL FROM:<> SIZE="), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> =1"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> -X=1"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> S_Z=1"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> K=a=b"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> K==b"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> K=a\tb"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> K=\xc3"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> K=\xed\xa0\x80"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<> K\xc3\xa9=1"), ERR_PARAM);
	assert_string_equal(t_err("RCPT TO:<a@b.example> NOTIFY=NEVER ="), ERR_PARAM);
	assert_string_equal(t_err("RCPT TO:<a@b.example> <x>"), ERR_PARAM);
	assert_string_equal(t_err("MAIL FROM:<a@b.example>SIZE=1"), ERR_MAIL_SYNTAX);
}

static void test_params_limit(void **state)
{
	struct smtp_command cmd;
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, "MAIL FROM:<a@b.example>");
	for (int i = 0; i < SMTP_PARAMS_MAX; i++)
		buf_printf(&b, " P%d=%d", i, i);
	t_ok(b.data, &cmd);
	assert_int_equal(cmd.n_params, SMTP_PARAMS_MAX);
	t_assert_param(&cmd.params[SMTP_PARAMS_MAX - 1], "P15", "15");
	buf_puts(&b, " ONE-MORE");
	assert_string_equal(t_err(b.data), ERR_PARAMS_MANY);
	buf_deinit(&b);
}

/* ---- BDAT ---- */

static void test_bdat(void **state)
{
	static const char *const bad[] = {
	        "BDAT x",
	        "BDAT -1",
	        "BDAT +1",
	        "BDAT 1x",
	        "BDAT 10 LASTX",
	        "BDAT 10 LAST x",
	        "BDAT 10 FIRST",
	        "BDAT 1 2",
	        "BDAT 0x10",
	        "BDAT LAST",
	        "BDAT 10\tLAST",
	        "BDAT 9223372036854775809",
	        "BDAT 99999999999999999999",
	        "BDAT 18446744073709551616",
	};
	struct smtp_command cmd;

	t_ok("BDAT 0", &cmd);
	assert_int_equal(cmd.bdat_size, 0);
	assert_false(cmd.bdat_last);
	t_ok("BDAT 1000 LAST", &cmd);
	assert_int_equal(cmd.bdat_size, 1000);
	assert_true(cmd.bdat_last);
	t_assert_slice(cmd.arg, cmd.arg_len, "1000 LAST");
	t_ok("bdat 42 last  ", &cmd);
	assert_int_equal(cmd.bdat_size, 42);
	assert_true(cmd.bdat_last);
	t_ok("BDAT 0 LaSt", &cmd);
	assert_true(cmd.bdat_last);
	t_ok("BDAT 007", &cmd);
	assert_int_equal(cmd.bdat_size, 7);
	/* 2^63 is the largest size accepted. */
	t_ok("BDAT 9223372036854775808", &cmd);
	assert_true(cmd.bdat_size == (uint64_t)1 << 63);
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		assert_string_equal(t_err(bad[i]), ERR_BDAT);
}

/* ---- xtext, RFC 3461 4 ---- */

static void test_xtext(void **state)
{
	char out[64];

	assert_true(smtp_xtext_decode("abc", 3, out, sizeof(out)));
	assert_string_equal(out, "abc");
	assert_true(smtp_xtext_decode("rfc822;a+2Bb@x", 14, out, sizeof(out)));
	assert_string_equal(out, "rfc822;a+b@x");
	assert_true(smtp_xtext_decode("+3D+20+7E+FF", 12, out, sizeof(out)));
	assert_string_equal(out, "= ~\xff");
	assert_true(smtp_xtext_decode("", 0, out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(smtp_xtext_decode("!~", 2, out, sizeof(out)));
	assert_string_equal(out, "!~");
	/* Only len bytes are read. */
	assert_true(smtp_xtext_decode("ab+", 2, out, sizeof(out)));
	assert_string_equal(out, "ab");

	assert_false(smtp_xtext_decode("+", 1, out, sizeof(out)));
	assert_false(smtp_xtext_decode("a+2", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("+2b", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("+GG", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("+ 2", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("+00", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("a=b", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("a b", 3, out, sizeof(out)));
	assert_false(smtp_xtext_decode("a\x7f", 2, out, sizeof(out)));
	assert_false(smtp_xtext_decode("\xc3\xa9", 2, out, sizeof(out)));
	assert_false(smtp_xtext_decode("a\0b", 3, out, sizeof(out)));

	/* The NUL must fit too. */
	assert_true(smtp_xtext_decode("abc", 3, out, 4));
	assert_string_equal(out, "abc");
	assert_false(smtp_xtext_decode("abc", 3, out, 3));
	assert_true(smtp_xtext_decode("+41+42", 6, out, 3));
	assert_string_equal(out, "AB");
	assert_false(smtp_xtext_decode("+41+42", 6, out, 2));
	assert_true(smtp_xtext_decode("", 0, out, 1));
	assert_false(smtp_xtext_decode("", 0, out, 0));
}

/* ---- canonical form ---- */

static void test_canonical(void **state)
{
	struct smtp_command cmd;
	char out[SMTP_ADDRESS_MAX + 1];

	t_canonical("MAIL FROM:<John.Doe@Example.ORG>", "john.doe@example.org");
	t_canonical("RCPT TO:<\"john.doe\"@x.example>", "john.doe@x.example");
	t_canonical("RCPT TO:<\"JOHN\"@X.example>", "john@x.example");
	t_canonical("RCPT TO:<\"a\\b\"@x.example>", "ab@x.example");
	t_canonical("RCPT TO:<\"John Doe\"@X.example>", "\"john doe\"@x.example");
	t_canonical("RCPT TO:<\"a\\ b\"@x.example>", "\"a b\"@x.example");
	t_canonical("RCPT TO:<\"a\\\\b\"@x.example>", "\"a\\\\b\"@x.example");
	t_canonical("RCPT TO:<\"a\\\"b\"@x.example>", "\"a\\\"b\"@x.example");
	t_canonical("RCPT TO:<\"a..b\"@x.example>", "\"a..b\"@x.example");
	t_canonical("RCPT TO:<\".a\"@x.example>", "\".a\"@x.example");
	t_canonical("RCPT TO:<\"\"@x.example>", "\"\"@x.example");
	t_canonical("RCPT TO:<\"a@b\"@x.example>", "\"a@b\"@x.example");
	t_canonical("RCPT TO:<@r.example,@s.example:U@X.example>", "u@x.example");
	t_canonical("RCPT TO:<U@[IPv6:2001:DB8::A]>", "u@[ipv6:2001:db8::a]");
	t_canonical("RCPT TO:<U@[192.0.2.1]>", "u@[192.0.2.1]");
	/* Only ASCII is lowercased; UTF-8 bytes are kept as sent. */
	t_canonical("RCPT TO:<\xc3\x9c\x62@B\xc3\x9c.example>", "\xc3\x9c\x62@b\xc3\x9c.example");
	t_canonical("RCPT TO:<\"\xc3\x9c\"@x.example>", "\xc3\x9c@x.example");

	/* No domain: nothing. */
	t_ok("MAIL FROM:<>", &cmd);
	assert_int_equal(smtp_address_canonical(&cmd, out, sizeof(out)), 0);
	t_ok("RCPT TO:<Postmaster>", &cmd);
	assert_int_equal(smtp_address_canonical(&cmd, out, sizeof(out)), 0);

	/* Exactly the room for the address and its NUL, and one byte less. */
	t_ok("RCPT TO:<Ab@Cd>", &cmd);
	assert_int_equal(smtp_address_canonical(&cmd, out, 6), 5);
	assert_string_equal(out, "ab@cd");
	assert_int_equal(smtp_address_canonical(&cmd, out, 5), 0);
	assert_int_equal(smtp_address_canonical(&cmd, out, 0), 0);
	t_ok("RCPT TO:<\"a b\"@c>", &cmd);
	assert_int_equal(smtp_address_canonical(&cmd, out, 8), 7);
	assert_int_equal(smtp_address_canonical(&cmd, out, 7), 0);
}

/* The longest valid path fits SMTP_ADDRESS_MAX. */
static void test_canonical_max(void **state)
{
	struct smtp_command cmd;
	char line[1024], out[SMTP_ADDRESS_MAX + 1], *local, *domain;

	local = t_repeat('L', 64);
	domain = t_domain(256 - 2 - 64 - 1);
	snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", local, domain);
	t_ok(line, &cmd);
	assert_int_equal(smtp_address_canonical(&cmd, out, sizeof(out)), 254);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(out[i], 'l');
	free(local);
	free(domain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_verbs),          cmocka_unit_test(test_args),
	        cmocka_unit_test(test_arg_errors),     cmocka_unit_test(test_control_chars),
	        cmocka_unit_test(test_mail_from),      cmocka_unit_test(test_rcpt_to),
	        cmocka_unit_test(test_local_parts),    cmocka_unit_test(test_source_routes),
	        cmocka_unit_test(test_domains),        cmocka_unit_test(test_address_literals),
	        cmocka_unit_test(test_utf8_mailboxes), cmocka_unit_test(test_length_limits),
	        cmocka_unit_test(test_params),         cmocka_unit_test(test_params_limit),
	        cmocka_unit_test(test_bdat),           cmocka_unit_test(test_xtext),
	        cmocka_unit_test(test_canonical),      cmocka_unit_test(test_canonical_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
