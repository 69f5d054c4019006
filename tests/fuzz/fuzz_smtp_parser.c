/*
 * fuzz_smtp_parser.c - libFuzzer target for the pure SMTP command parser.
 *
 * Parses the input as one command line and checks properties that must hold:
 *  - an error is a complete reply ("5xx ...");
 *  - every slice lies inside the line, and paths, local parts, domains and
 *    the parameter count keep their RFC 5321 4.5.3.1 limits;
 *  - a mailbox with a domain has a canonical form that fits SMTP_ADDRESS_MAX
 *    and is a fixed point: "RCPT TO:<canonical>" parses and gives it again;
 *  - every parameter value goes through smtp_xtext_decode, whose result fits
 *    exactly the room it reports, and not one byte less.
 * Build: clang -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE -Isrc
 *        tests/fuzz/fuzz_smtp_parser.c src/smtp/parser.c src/base/[a-z]*.c -lsodium
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/parser.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (4 * SMTP_COMMAND_LINE_MAX)

static void fuzz_inside(const char *line, size_t len, const char *p, size_t n)
{
	if (p == NULL) {
		if (n != 0)
			abort();
		return;
	}
	if (p < line || p > line + len || n > (size_t)(line + len - p))
		abort();
}

static void fuzz_slices(const char *line, size_t len, const struct smtp_command *cmd)
{
	fuzz_inside(line, len, cmd->verb_str, cmd->verb_len);
	fuzz_inside(line, len, cmd->arg, cmd->arg_len);
	fuzz_inside(line, len, cmd->mailbox, cmd->mailbox_len);
	fuzz_inside(line, len, cmd->local, cmd->local_len);
	fuzz_inside(line, len, cmd->domain, cmd->domain_len);
	if (cmd->n_params > SMTP_PARAMS_MAX)
		abort();
	for (size_t i = 0; i < cmd->n_params; i++) {
		if (cmd->params[i].key_len == 0)
			abort();
		fuzz_inside(line, len, cmd->params[i].key, cmd->params[i].key_len);
		fuzz_inside(line, len, cmd->params[i].value, cmd->params[i].value_len);
	}
	if (cmd->arg != NULL &&
	    (cmd->arg_len == 0 || cmd->arg[0] == ' ' || cmd->arg[cmd->arg_len - 1] == ' '))
		abort();
}

static void fuzz_path_limits(const struct smtp_command *cmd)
{
	if (cmd->verb != SMTP_VERB_MAIL && cmd->verb != SMTP_VERB_RCPT) {
		if (cmd->mailbox != NULL || cmd->n_params != 0)
			abort();
		return;
	}
	if (cmd->mailbox == NULL || cmd->mailbox_len > SMTP_PATH_MAX - 2 ||
	    cmd->local_len > SMTP_LOCAL_PART_MAX || cmd->domain_len > SMTP_DOMAIN_MAX)
		abort();
	if (cmd->postmaster && (cmd->verb != SMTP_VERB_RCPT || cmd->domain != NULL))
		abort();
	if (cmd->mailbox_len == 0 && (cmd->verb != SMTP_VERB_MAIL || cmd->domain != NULL))
		abort();
}

/* The canonical form parses back to itself. */
static void fuzz_canonical(const struct smtp_command *cmd)
{
	char out[SMTP_ADDRESS_MAX + 1], again[SMTP_ADDRESS_MAX + 1], line[SMTP_COMMAND_LINE_MAX];
	struct smtp_command cmd2;
	const char *error;
	size_t n;
	int line_len;

	n = smtp_address_canonical(cmd, out, sizeof(out));
	if (cmd->domain == NULL) {
		if (n != 0)
			abort();
		return;
	}
	if (n == 0 || n != strlen(out) || smtp_address_canonical(cmd, again, n) != 0)
		abort();
	line_len = snprintf(line, sizeof(line), "RCPT TO:<%s>", out);
	if (smtp_parse_command(line, (size_t)line_len, &cmd2, &error) != 0)
		abort();
	if (smtp_address_canonical(&cmd2, again, sizeof(again)) != n || memcmp(out, again, n) != 0)
		abort();
	if (cmd2.utf8 != cmd->utf8)
		abort();
}

static void fuzz_xtext(const struct smtp_param *p)
{
	char out[SMTP_COMMAND_LINE_MAX * 4 + 1];
	size_t n;

	if (p->value == NULL)
		return;
	if (!smtp_xtext_decode(p->value, p->value_len, out, p->value_len + 1))
		return;
	n = strlen(out);
	if (n > p->value_len)
		abort();
	/* Exactly n + 1 bytes are needed: check with heap blocks ASan guards. */
	{
		char *tight = malloc(n + 1), *small = malloc(n);

		if (tight == NULL || (small == NULL && n > 0))
			abort();
		if (!smtp_xtext_decode(p->value, p->value_len, tight, n + 1) ||
		    memcmp(tight, out, n + 1) != 0)
			abort();
		if (smtp_xtext_decode(p->value, p->value_len, small, n))
			abort();
		free(tight);
		free(small);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_command cmd;
	const char *error = NULL;
	char *line;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	/* A heap copy of exactly size bytes, so ASan sees any read past the line. */
	line = malloc(size > 0 ? size : 1);
	if (line == NULL)
		abort();
	memcpy(line, data, size);
	if (smtp_parse_command(line, size, &cmd, &error) != 0) {
		if (error == NULL || strlen(error) < 5 || error[0] != '5' || error[3] != ' ')
			abort();
		free(line);
		return 0;
	}
	if (error != NULL)
		abort();
	fuzz_slices(line, size, &cmd);
	fuzz_path_limits(&cmd);
	if (cmd.bdat_size > ((uint64_t)1 << 63))
		abort();
	fuzz_canonical(&cmd);
	for (size_t i = 0; i < cmd.n_params; i++)
		fuzz_xtext(&cmd.params[i]);
	(void)smtp_param_find(&cmd, "SIZE");
	free(line);
	return 0;
}
