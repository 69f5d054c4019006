/*
 * fuzz_pop3_parser.c - libFuzzer target for the pure POP3 command parser.
 *
 * Parses the input as one command line and checks properties that must hold:
 *  - an error is a bare reply text (not empty, no "-ERR", no CR or LF);
 *  - a line that parses holds no control byte (RFC 1939 3), and bytes >= 0x80
 *    only in the arguments of USER, PASS, AUTH and unknown commands;
 *  - the keyword and every argument lie inside the line, n_args stays within
 *    POP3_ARGS_MAX, arguments are non-empty and (but PASS's) hold no SP and
 *    keep POP3_ARG_MAX (but AUTH's initial response);
 *  - message numbers and line counts are in range and match their digits;
 *  - the arguments rebuilt with single SPs parse to the same command.
 * Build: clang -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc
 *        tests/fuzz/fuzz_pop3_parser.c src/pop3/parser.c src/base/[a-z]*.c -lsodium
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (4 * POP3_LINE_MAX)

static void fuzz_inside(const char *line, size_t len, const char *p, size_t n)
{
	if (p == NULL || p < line || p > line + len || n > (size_t)(line + len - p))
		abort();
}

static void fuzz_error(const char *error)
{
	if (error == NULL || error[0] == '\0' || strncmp(error, "-ERR", 4) == 0 ||
	    strpbrk(error, "\r\n") != NULL)
		abort();
}

static bool fuzz_is_known(enum pop3_verb verb)
{
	return verb != POP3_VERB_UNKNOWN;
}

/* Bytes >= 0x80: only in the arguments of USER, PASS, AUTH and unknown verbs. */
static bool fuzz_8bit_ok(const struct pop3_command *cmd, size_t pos)
{
	if (pos < cmd->verb_len)
		return false;
	return cmd->verb == POP3_VERB_UNKNOWN || cmd->verb == POP3_VERB_USER ||
	       cmd->verb == POP3_VERB_PASS || cmd->verb == POP3_VERB_AUTH;
}

static void fuzz_args(const char *line, size_t len, const struct pop3_command *cmd)
{
	if (cmd->n_args > POP3_ARGS_MAX)
		abort();
	for (size_t i = 0; i < cmd->n_args; i++) {
		const char *a = cmd->args[i];
		size_t n = cmd->arg_lens[i];

		fuzz_inside(line, len, a, n);
		if (n == 0)
			abort();
		if (cmd->verb == POP3_VERB_PASS)
			continue;
		if (memchr(a, ' ', n) != NULL)
			abort();
		if (fuzz_is_known(cmd->verb) && n > POP3_ARG_MAX &&
		    !(cmd->verb == POP3_VERB_AUTH && i == 1))
			abort();
	}
	if (cmd->verb == POP3_VERB_PASS &&
	    (cmd->n_args != 1 || cmd->args[0] != line + cmd->verb_len + 1 ||
	     cmd->arg_lens[0] != len - cmd->verb_len - 1))
		abort();
}

/* The value of up to 40 decimal digits, saturated past UINT64_MAX. */
static uint64_t fuzz_decimal(const char *s, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			abort();
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	return v;
}

static void fuzz_numbers(const struct pop3_command *cmd)
{
	bool has_msg = cmd->verb == POP3_VERB_LIST || cmd->verb == POP3_VERB_RETR ||
	               cmd->verb == POP3_VERB_DELE || cmd->verb == POP3_VERB_TOP ||
	               cmd->verb == POP3_VERB_UIDL;

	if (!has_msg || cmd->n_args == 0) {
		if (cmd->msg != 0)
			abort();
	} else if (cmd->msg == 0 || fuzz_decimal(cmd->args[0], cmd->arg_lens[0]) != cmd->msg) {
		abort();
	}
	if (cmd->verb != POP3_VERB_TOP) {
		if (cmd->lines != 0)
			abort();
	} else if (cmd->n_args != 2 || cmd->lines > (uint64_t)INT64_MAX ||
	           fuzz_decimal(cmd->args[1], cmd->arg_lens[1]) != cmd->lines) {
		abort();
	}
}

/* "VERB arg arg" with single SPs gives the same command back. */
static void fuzz_rebuild(const struct pop3_command *cmd)
{
	char line[FUZZ_MAX_INPUT + 8];
	struct pop3_command again;
	const char *error;
	size_t n = 0;

	if (cmd->verb_len == 0)
		return; /* a leading SP: the rebuilt line would not start the same */
	memcpy(line, cmd->verb_str, cmd->verb_len);
	n = cmd->verb_len;
	for (size_t i = 0; i < cmd->n_args; i++) {
		line[n++] = ' ';
		memcpy(line + n, cmd->args[i], cmd->arg_lens[i]);
		n += cmd->arg_lens[i];
	}
	if (pop3_parse_command(line, n, &again, &error) != 0)
		abort();
	if (again.verb != cmd->verb || again.n_args != cmd->n_args || again.msg != cmd->msg ||
	    again.lines != cmd->lines)
		abort();
	for (size_t i = 0; i < cmd->n_args; i++) {
		if (again.arg_lens[i] != cmd->arg_lens[i] ||
		    memcmp(again.args[i], cmd->args[i], cmd->arg_lens[i]) != 0)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3_command cmd;
	const char *error = NULL;
	char *line;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* A heap copy of exactly size bytes, so ASan sees any read past the line. */
	line = malloc(size > 0 ? size : 1);
	if (line == NULL)
		abort();
	memcpy(line, data, size);
	if (pop3_parse_command(line, size, &cmd, &error) != 0) {
		fuzz_error(error);
		free(line);
		return 0;
	}
	if (error != NULL || cmd.verb_str != line)
		abort();
	fuzz_inside(line, size, cmd.verb_str, cmd.verb_len);
	for (size_t i = 0; i < size; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && !fuzz_8bit_ok(&cmd, i)))
			abort();
	}
	fuzz_args(line, size, &cmd);
	fuzz_numbers(&cmd);
	fuzz_rebuild(&cmd);
	free(line);
	return 0;
}
