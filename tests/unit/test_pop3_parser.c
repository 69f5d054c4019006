/*
 * test_pop3_parser.c - unit tests of the pure POP3 command parser
 * (pop3/parser): every keyword and its case, the argument checks of each verb
 * and their error texts, message number and line count bounds, the 40-byte
 * argument limit, PASS's verbatim rest of line, AUTH's initial response,
 * separators, control and 8-bit bytes, unknown commands.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/mem.h"
#include "pop3/parser.h"

#define ERR_CHAR  "Invalid character in command"
#define ERR_LONG  "Argument too long"
#define ERR_MSG   "Invalid message number"
#define ERR_LINES "Invalid number of lines"

static int t_parse_len(const char *s, size_t len, struct pop3_command *cmd, const char **error)
{
	*error = "unset";
	return pop3_parse_command(s, len, cmd, error);
}

/* Parses a line that must succeed. */
static void t_ok(const char *s, struct pop3_command *cmd)
{
	const char *error;

	if (t_parse_len(s, strlen(s), cmd, &error) != 0)
		fail_msg("\"%s\" failed: %s", s, error);
	assert_null(error);
	assert_true(cmd->n_args <= POP3_ARGS_MAX);
}

/* The error text for a line that must fail. */
static const char *t_err_len(const char *s, size_t len)
{
	struct pop3_command cmd;
	const char *error = NULL;

	if (t_parse_len(s, len, &cmd, &error) != -1)
		fail_msg("\"%.*s\" parsed", (int)len, s);
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

static void t_assert_arg(const struct pop3_command *cmd, size_t i, const char *expected)
{
	assert_true(i < cmd->n_args);
	t_assert_slice(cmd->args[i], cmd->arg_lens[i], expected);
}

/* "prefix" followed by n copies of c and then "suffix". */
static char *t_line(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t plen = strlen(prefix), slen = strlen(suffix);
	char *s = xmalloc(plen + n + slen + 1);

	memcpy(s, prefix, plen);
	memset(s + plen, c, n);
	memcpy(s + plen + n, suffix, slen + 1);
	return s;
}

/* ---- keywords ---- */

static void test_verbs(void **state)
{
	static const struct {
		const char *line;
		enum pop3_verb verb;
		size_t verb_len;
	} cases[] = {
	        {"USER alice", POP3_VERB_USER, 4},
	        {"PASS secret", POP3_VERB_PASS, 4},
	        {"AUTH PLAIN", POP3_VERB_AUTH, 4},
	        {"APOP mrose c4c9334bac560ecc979e58001b3e22fb", POP3_VERB_APOP, 4},
	        {"STAT", POP3_VERB_STAT, 4},
	        {"LIST", POP3_VERB_LIST, 4},
	        {"RETR 1", POP3_VERB_RETR, 4},
	        {"DELE 1", POP3_VERB_DELE, 4},
	        {"NOOP", POP3_VERB_NOOP, 4},
	        {"RSET", POP3_VERB_RSET, 4},
	        {"QUIT", POP3_VERB_QUIT, 4},
	        {"TOP 1 10", POP3_VERB_TOP, 3},
	        {"UIDL", POP3_VERB_UIDL, 4},
	        {"CAPA", POP3_VERB_CAPA, 4},
	        {"STLS", POP3_VERB_STLS, 4},
	        /* RFC 1939 3: keywords are case-insensitive. */
	        {"user alice", POP3_VERB_USER, 4},
	        {"pAsS secret", POP3_VERB_PASS, 4},
	        {"auth plain", POP3_VERB_AUTH, 4},
	        {"apop mrose c4c9334bac560ecc979e58001b3e22fb", POP3_VERB_APOP, 4},
	        {"stat", POP3_VERB_STAT, 4},
	        {"List", POP3_VERB_LIST, 4},
	        {"retr 1", POP3_VERB_RETR, 4},
	        {"dElE 1", POP3_VERB_DELE, 4},
	        {"noop", POP3_VERB_NOOP, 4},
	        {"rset", POP3_VERB_RSET, 4},
	        {"Quit", POP3_VERB_QUIT, 4},
	        {"top 1 10", POP3_VERB_TOP, 3},
	        {"uidl", POP3_VERB_UIDL, 4},
	        {"capa", POP3_VERB_CAPA, 4},
	        {"stls", POP3_VERB_STLS, 4},
	        /* Unknown keywords are not errors. */
	        {"XTND XMIT", POP3_VERB_UNKNOWN, 4},
	        {"RETRX 1", POP3_VERB_UNKNOWN, 5},
	        {"TO 1 2", POP3_VERB_UNKNOWN, 2},
	        {"STARTTLS", POP3_VERB_UNKNOWN, 8},
	        {"GET / HTTP/1.0", POP3_VERB_UNKNOWN, 3},
	        {"", POP3_VERB_UNKNOWN, 0},
	        /* The keyword ends at the first SP: a leading SP leaves it empty. */
	        {" QUIT", POP3_VERB_UNKNOWN, 0},
	};
	struct pop3_command cmd;

	for (size_t i = 0; i < N_ELEMENTS(cases); i++) {
		t_ok(cases[i].line, &cmd);
		if (cmd.verb != cases[i].verb)
			fail_msg("\"%s\": verb %d, expected %d", cases[i].line, cmd.verb,
			         cases[i].verb);
		assert_ptr_equal(cmd.verb_str, cases[i].line);
		assert_int_equal(cmd.verb_len, cases[i].verb_len);
	}
}

/* STAT, NOOP, RSET, QUIT, CAPA, STLS take no argument. */
static void test_no_argument_verbs(void **state)
{
	static const char *const verbs[] = {"STAT", "NOOP", "RSET", "QUIT", "CAPA", "STLS"};
	struct pop3_command cmd;
	char line[64], expected[64];

	for (size_t i = 0; i < N_ELEMENTS(verbs); i++) {
		t_ok(verbs[i], &cmd);
		assert_int_equal(cmd.n_args, 0);
		/* Trailing spaces are ignored. */
		snprintf(line, sizeof(line), "%s   ", verbs[i]);
		t_ok(line, &cmd);
		assert_int_equal(cmd.n_args, 0);
		snprintf(line, sizeof(line), "%s 1", verbs[i]);
		snprintf(expected, sizeof(expected), "Syntax: %s", verbs[i]);
		assert_string_equal(t_err(line), expected);
		snprintf(line, sizeof(line), "%s  x  ", verbs[i]);
		assert_string_equal(t_err(line), expected);
	}
}

/* ---- message numbers ---- */

static void test_retr_dele(void **state)
{
	struct pop3_command cmd;

	t_ok("RETR 1", &cmd);
	assert_int_equal(cmd.msg, 1);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "1");
	t_ok("DELE 4294967295", &cmd);
	assert_int_equal(cmd.verb, POP3_VERB_DELE);
	assert_int_equal(cmd.msg, UINT32_MAX);
	/* Several spaces between, trailing spaces after. */
	t_ok("RETR    17   ", &cmd);
	assert_int_equal(cmd.msg, 17);
	t_assert_arg(&cmd, 0, "17");
	/* Leading zeros are digits like any other. */
	t_ok("RETR 007", &cmd);
	assert_int_equal(cmd.msg, 7);

	assert_string_equal(t_err("RETR"), "Syntax: RETR msg");
	assert_string_equal(t_err("RETR   "), "Syntax: RETR msg");
	assert_string_equal(t_err("RETR 1 2"), "Syntax: RETR msg");
	assert_string_equal(t_err("DELE"), "Syntax: DELE msg");
	assert_string_equal(t_err("DELE 1 x"), "Syntax: DELE msg");
}

static void test_message_numbers(void **state)
{
	static const char *const bad[] = {
	        "RETR 0",    "RETR 00",  "RETR 4294967296",  "RETR 99999999999999999999",
	        "RETR +1",   "RETR -1",  "RETR 1a",          "RETR a",
	        "RETR 0x10", "RETR 1.0", "RETR 1,2",         "DELE 0",
	        "LIST 0",    "UIDL 0",   "UIDL 4294967296",  "LIST -0",
	        "TOP 0 1",   "TOP x 1",  "TOP 4294967296 1",
	};
	struct pop3_command cmd;
	char *line;

	for (size_t i = 0; i < N_ELEMENTS(bad); i++) {
		if (strcmp(t_err(bad[i]), ERR_MSG) != 0)
			fail_msg("\"%s\": %s", bad[i], t_err(bad[i]));
	}
	/* A message number of exactly 40 digits is checked as a number... */
	line = t_line("RETR ", '0', POP3_ARG_MAX - 1, "9");
	t_ok(line, &cmd);
	assert_int_equal(cmd.msg, 9);
	free(line);
	/* ... one of 41 is too long before it is a number. */
	line = t_line("RETR ", '0', POP3_ARG_MAX, "9");
	assert_string_equal(t_err(line), ERR_LONG);
	free(line);
}

static void test_list_uidl(void **state)
{
	struct pop3_command cmd;

	t_ok("LIST", &cmd);
	assert_int_equal(cmd.n_args, 0);
	assert_int_equal(cmd.msg, 0);
	t_ok("LIST 3", &cmd);
	assert_int_equal(cmd.msg, 3);
	t_ok("LIST  4294967295  ", &cmd);
	assert_int_equal(cmd.msg, UINT32_MAX);
	t_ok("UIDL", &cmd);
	assert_int_equal(cmd.n_args, 0);
	assert_int_equal(cmd.msg, 0);
	t_ok("uidl 12", &cmd);
	assert_int_equal(cmd.verb, POP3_VERB_UIDL);
	assert_int_equal(cmd.msg, 12);

	assert_string_equal(t_err("LIST 1 2"), "Syntax: LIST [msg]");
	assert_string_equal(t_err("UIDL 1 2"), "Syntax: UIDL [msg]");
	assert_string_equal(t_err("LIST 1 2 3"), "Syntax: LIST [msg]");
}

static void test_top(void **state)
{
	struct pop3_command cmd;

	t_ok("TOP 1 0", &cmd);
	assert_int_equal(cmd.verb, POP3_VERB_TOP);
	assert_int_equal(cmd.msg, 1);
	assert_int_equal(cmd.lines, 0);
	t_assert_arg(&cmd, 0, "1");
	t_assert_arg(&cmd, 1, "0");
	t_ok("TOP 4294967295 10", &cmd);
	assert_int_equal(cmd.msg, UINT32_MAX);
	assert_int_equal(cmd.lines, 10);
	t_ok("TOP  2   9223372036854775807 ", &cmd);
	assert_int_equal(cmd.msg, 2);
	assert_true(cmd.lines == (uint64_t)INT64_MAX);

	assert_string_equal(t_err("TOP"), "Syntax: TOP msg n");
	assert_string_equal(t_err("TOP 1"), "Syntax: TOP msg n");
	assert_string_equal(t_err("TOP 1 2 3"), "Syntax: TOP msg n");
	assert_string_equal(t_err("TOP 1 9223372036854775808"), ERR_LINES);
	assert_string_equal(t_err("TOP 1 18446744073709551616"), ERR_LINES);
	assert_string_equal(t_err("TOP 1 -1"), ERR_LINES);
	assert_string_equal(t_err("TOP 1 +1"), ERR_LINES);
	assert_string_equal(t_err("TOP 1 x"), ERR_LINES);
	/* The message number is judged first. */
	assert_string_equal(t_err("TOP 0 x"), ERR_MSG);
}

/* ---- USER, PASS, APOP, AUTH ---- */

static void test_user(void **state)
{
	struct pop3_command cmd;
	char *line;

	t_ok("USER alice@example.org", &cmd);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "alice@example.org");
	t_ok("USER   bob  ", &cmd);
	t_assert_arg(&cmd, 0, "bob");
	/* UTF-8 names. */
	t_ok("USER j\xc3\xb6rg@example.org", &cmd);
	t_assert_arg(&cmd, 0, "j\xc3\xb6rg@example.org");

	/* RFC 2449 4: a user name (an address) may pass the 40 characters of RFC 1939 3. */
	line = t_line("USER ", 'a', POP3_ARG_MAX, "");
	t_ok(line, &cmd);
	assert_int_equal(cmd.arg_lens[0], POP3_ARG_MAX);
	free(line);
	line = t_line("USER ", 'a', 200, "");
	t_ok(line, &cmd);
	assert_int_equal(cmd.arg_lens[0], 200);
	free(line);
	/* Trailing spaces do not count. */
	line = t_line("USER ", 'a', POP3_ARG_MAX, "    ");
	t_ok(line, &cmd);
	assert_int_equal(cmd.arg_lens[0], POP3_ARG_MAX);
	free(line);

	assert_string_equal(t_err("USER"), "Syntax: USER name");
	assert_string_equal(t_err("USER "), "Syntax: USER name");
	assert_string_equal(t_err("USER alice smith"), "Syntax: USER name");
}

static void test_pass(void **state)
{
	struct pop3_command cmd;
	char *line;

	t_ok("PASS secret", &cmd);
	assert_int_equal(cmd.verb, POP3_VERB_PASS);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "secret");
	/* RFC 1939 7: spaces are part of the password, verbatim. */
	t_ok("PASS correct horse battery staple", &cmd);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "correct horse battery staple");
	t_ok("PASS  lead", &cmd);
	t_assert_arg(&cmd, 0, " lead");
	t_ok("PASS trail  ", &cmd);
	t_assert_arg(&cmd, 0, "trail  ");
	t_ok("PASS  ", &cmd);
	t_assert_arg(&cmd, 0, " ");
	t_ok("pass p\xc3\xa4ss w\xc3\xb6rd", &cmd);
	t_assert_arg(&cmd, 0, "p\xc3\xa4ss w\xc3\xb6rd");
	/* Not held to 40 bytes: up to the line. */
	line = t_line("PASS ", 'p', POP3_LINE_MAX - 2 - 5, "");
	t_ok(line, &cmd);
	assert_int_equal(cmd.arg_lens[0], POP3_LINE_MAX - 2 - 5);
	assert_ptr_equal(cmd.args[0], line + 5);
	free(line);

	/* The password is required. */
	assert_string_equal(t_err("PASS"), "Syntax: PASS password");
	assert_string_equal(t_err("PASS "), "Syntax: PASS password");
	assert_string_equal(t_err("PASS a\tb"), ERR_CHAR);
}

static void test_apop(void **state)
{
	struct pop3_command cmd;
	char *line;

	t_ok("APOP mrose c4c9334bac560ecc979e58001b3e22fb", &cmd);
	assert_int_equal(cmd.n_args, 2);
	t_assert_arg(&cmd, 0, "mrose");
	t_assert_arg(&cmd, 1, "c4c9334bac560ecc979e58001b3e22fb");
	assert_string_equal(t_err("APOP"), "Syntax: APOP name digest");
	assert_string_equal(t_err("APOP mrose"), "Syntax: APOP name digest");
	assert_string_equal(t_err("APOP a b c"), "Syntax: APOP name digest");
	assert_string_equal(t_err("APOP m\xc3\xb6se abc"), ERR_CHAR);
	line = t_line("APOP mrose ", 'f', POP3_ARG_MAX + 1, "");
	assert_string_equal(t_err(line), ERR_LONG);
	free(line);
}

static void test_auth(void **state)
{
	struct pop3_command cmd;
	char *line;

	t_ok("AUTH PLAIN", &cmd);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "PLAIN");
	t_ok("AUTH PLAIN AGFsaWNlAHNlY3JldA==", &cmd);
	assert_int_equal(cmd.n_args, 2);
	t_assert_arg(&cmd, 0, "PLAIN");
	t_assert_arg(&cmd, 1, "AGFsaWNlAHNlY3JldA==");
	/* RFC 5034 4: "=" is an empty initial response, passed on as sent. */
	t_ok("auth plain =", &cmd);
	t_assert_arg(&cmd, 1, "=");
	t_ok("AUTH  LOGIN   ", &cmd);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "LOGIN");

	/* The initial response may fill the line, the mechanism may not. */
	line = t_line("AUTH PLAIN ", 'A', POP3_LINE_MAX - 2 - 11, "");
	t_ok(line, &cmd);
	assert_int_equal(cmd.arg_lens[1], POP3_LINE_MAX - 2 - 11);
	free(line);
	line = t_line("AUTH ", 'X', POP3_ARG_MAX, " =");
	t_ok(line, &cmd);
	free(line);
	line = t_line("AUTH ", 'X', POP3_ARG_MAX + 1, " =");
	assert_string_equal(t_err(line), ERR_LONG);
	free(line);

	assert_string_equal(t_err("AUTH"), "Syntax: AUTH mechanism [initial-response]");
	assert_string_equal(t_err("AUTH   "), "Syntax: AUTH mechanism [initial-response]");
	assert_string_equal(t_err("AUTH PLAIN a b"), "Syntax: AUTH mechanism [initial-response]");
}

/* ---- characters ---- */

static void test_control_chars(void **state)
{
	static const char *const lines[] = {
	        "RETR 1\r", "RETR\t1",    "NOOP \n",  "USER a\x01", "\x1b[A",
	        "QUIT\x7f", "PASS a\x1f", "XYZ \x02", "TOP 1\t2",
	};
	struct pop3_command cmd;
	const char *error;

	for (size_t i = 0; i < N_ELEMENTS(lines); i++)
		assert_string_equal(t_err(lines[i]), ERR_CHAR);
	/* A NUL anywhere, even after what looks like a complete command. */
	assert_string_equal(t_err_len("QUIT\0", 5), ERR_CHAR);
	assert_string_equal(t_err_len("\0", 1), ERR_CHAR);
	assert_string_equal(t_err_len("PASS se\0cret", 12), ERR_CHAR);
	assert_string_equal(t_err_len("US\0R a", 6), ERR_CHAR);
	/* Only len bytes are read: a NUL after them is not part of the line. */
	assert_int_equal(t_parse_len("QUIT\0garbage", 4, &cmd, &error), 0);
	assert_int_equal(cmd.verb, POP3_VERB_QUIT);
	assert_int_equal(t_parse_len("RETR 12", 6, &cmd, &error), 0);
	assert_int_equal(cmd.msg, 1);
}

/* Bytes >= 0x80 only in USER, PASS and AUTH arguments (and unknown commands). */
static void test_8bit(void **state)
{
	struct pop3_command cmd;

	assert_string_equal(t_err("R\xc3\xa9TR 1"), ERR_CHAR);
	assert_string_equal(t_err("\xff"), ERR_CHAR);
	assert_string_equal(t_err("RETR \xc2\xb9"), ERR_CHAR);
	assert_string_equal(t_err("LIST \xc3\xa9"), ERR_CHAR);
	assert_string_equal(t_err("TOP 1 \xc3\xa9"), ERR_CHAR);
	t_ok("AUTH PLAIN \xc3\xa9", &cmd);
	t_ok("XFOO \xc3\xa9 \xff", &cmd);
	assert_int_equal(cmd.n_args, 2);
	t_assert_arg(&cmd, 0, "\xc3\xa9");
}

/* ---- unknown commands, results ---- */

static void test_unknown_args(void **state)
{
	struct pop3_command cmd;
	char *line;

	t_ok("XTND XMIT", &cmd);
	assert_int_equal(cmd.verb, POP3_VERB_UNKNOWN);
	assert_int_equal(cmd.n_args, 1);
	t_assert_arg(&cmd, 0, "XMIT");
	/* The first POP3_ARGS_MAX arguments; the rest never make an error. */
	t_ok("XYZZY  a   b c d e  ", &cmd);
	assert_int_equal(cmd.n_args, POP3_ARGS_MAX);
	t_assert_arg(&cmd, 0, "a");
	t_assert_arg(&cmd, 1, "b");
	line = t_line("XYZZY ", 'a', 200, " 0");
	t_ok(line, &cmd);
	assert_int_equal(cmd.arg_lens[0], 200);
	t_assert_arg(&cmd, 1, "0");
	free(line);
	t_ok("XYZZY", &cmd);
	assert_int_equal(cmd.n_args, 0);
	assert_int_equal(cmd.msg, 0);
}

/* Nothing from a previous command is left behind. */
static void test_reset(void **state)
{
	struct pop3_command cmd;

	t_ok("TOP 5 10", &cmd);
	t_ok("NOOP", &cmd);
	assert_int_equal(cmd.n_args, 0);
	assert_int_equal(cmd.msg, 0);
	assert_int_equal(cmd.lines, 0);
	assert_null(cmd.args[0]);
	assert_null(cmd.args[1]);
	t_ok("TOP 5 10", &cmd);
	t_ok("LIST", &cmd);
	assert_int_equal(cmd.msg, 0);
	assert_int_equal(cmd.lines, 0);
}

/* On error the keyword is still reported, for the caller's log. */
static void test_error_keeps_verb(void **state)
{
	static const char retr[] = "retr 0";
	struct pop3_command cmd;
	const char *error;

	assert_int_equal(t_parse_len(retr, 6, &cmd, &error), -1);
	assert_string_equal(error, ERR_MSG);
	assert_int_equal(cmd.verb, POP3_VERB_RETR);
	assert_ptr_equal(cmd.verb_str, retr);
	assert_int_equal(cmd.verb_len, 4);
	assert_int_equal(t_parse_len("PASS x\0y", 8, &cmd, &error), -1);
	assert_string_equal(error, ERR_CHAR);
	assert_int_equal(cmd.verb, POP3_VERB_PASS);
	assert_int_equal(t_parse_len("PAS\0 x", 6, &cmd, &error), -1);
	assert_int_equal(cmd.verb, POP3_VERB_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_verbs),
	        cmocka_unit_test(test_no_argument_verbs),
	        cmocka_unit_test(test_retr_dele),
	        cmocka_unit_test(test_message_numbers),
	        cmocka_unit_test(test_list_uidl),
	        cmocka_unit_test(test_top),
	        cmocka_unit_test(test_user),
	        cmocka_unit_test(test_pass),
	        cmocka_unit_test(test_apop),
	        cmocka_unit_test(test_auth),
	        cmocka_unit_test(test_control_chars),
	        cmocka_unit_test(test_8bit),
	        cmocka_unit_test(test_unknown_args),
	        cmocka_unit_test(test_reset),
	        cmocka_unit_test(test_error_keeps_verb),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
