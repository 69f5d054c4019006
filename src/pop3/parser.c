/*
 * parser.c - the pure POP3 command line parser; see parser.h.
 *
 * RFC 1939 3 (a case-insensitive keyword, arguments separated by SP, each at
 * most 40 characters, printable ASCII) and the argument lists of its
 * commands in 5, 6 and 7 (USER, PASS, APOP, STAT, LIST, RETR, DELE, NOOP,
 * RSET, QUIT, TOP, UIDL); RFC 2449 4 and 5 (line length, CAPA); RFC 5034 4
 * (AUTH mechanism [initial-response]); RFC 2595 4 (STLS).
 *
 * Deviations, all lenient in what is harmless or stricter:
 *  - the keyword ends at the first SP; arguments may be separated by more
 *    than one SP and trailing SPs are ignored (Dovecot does the same);
 *  - PASS takes the rest of the line verbatim (RFC 1939 7 allows spaces in
 *    the password), so its spaces are never trimmed;
 *  - bytes >= 0x80 are accepted in the arguments of USER, PASS and AUTH
 *    (UTF-8 names and passwords) and of unknown commands, nowhere else;
 *  - a message number or line count may have leading zeros;
 *  - a TOP line count above 2^63 - 1 is refused.
 *
 * Limits: POP3_ARG_MAX, POP3_ARGS_MAX, POP3_LINES_MAX.
 * Attacker control: every byte of the line. Every read is bounded by the
 * length the caller gives; nothing is allocated; results are slices.
 */
#include "pop3/parser.h"

#include <string.h>

#include "base/mem.h"
#include "base/str.h"

/* TOP line counts above 2^63 - 1 are refused: no message has that many. */
#define POP3_LINES_MAX ((uint64_t)INT64_MAX)

#define ERR_CHAR  "Invalid character in command"
#define ERR_LONG  "Argument too long"
#define ERR_MSG   "Invalid message number"
#define ERR_LINES "Invalid number of lines"

/* What a verb's arguments may be. */
enum arg_flags {
	ARGS_8BIT = 1 << 0,  /* bytes >= 0x80 allowed (UTF-8 names, passwords) */
	ARGS_REST = 1 << 1,  /* one argument: the rest of the line, verbatim (PASS) */
	ARG1_LONG = 1 << 2,  /* args[1] may exceed POP3_ARG_MAX (AUTH's response) */
	ARG0_LONG = 1 << 5,  /* args[0] may exceed POP3_ARG_MAX (USER: an address) */
	ARG0_MSG = 1 << 3,   /* args[0] is a message number */
	ARG1_LINES = 1 << 4, /* args[1] is a line count (TOP) */
};

struct verb_rule {
	const char *name;
	enum pop3_verb verb;
	unsigned min_args, max_args;
	unsigned flags;
	const char *syntax; /* the error for a wrong number of arguments */
};

static const struct verb_rule verb_rules[] = {
        /* RFC 2449 4 lifts the 40-character limit; addresses are often longer. */
        {"USER", POP3_VERB_USER, 1, 1, ARGS_8BIT | ARG0_LONG, "Syntax: USER name"},
        {"PASS", POP3_VERB_PASS, 1, 1, ARGS_8BIT | ARGS_REST, "Syntax: PASS password"},
        {"AUTH", POP3_VERB_AUTH, 1, 2, ARGS_8BIT | ARG1_LONG,
         "Syntax: AUTH mechanism [initial-response]"},
        {"APOP", POP3_VERB_APOP, 2, 2, 0, "Syntax: APOP name digest"},
        {"STAT", POP3_VERB_STAT, 0, 0, 0, "Syntax: STAT"},
        {"LIST", POP3_VERB_LIST, 0, 1, ARG0_MSG, "Syntax: LIST [msg]"},
        {"RETR", POP3_VERB_RETR, 1, 1, ARG0_MSG, "Syntax: RETR msg"},
        {"DELE", POP3_VERB_DELE, 1, 1, ARG0_MSG, "Syntax: DELE msg"},
        {"NOOP", POP3_VERB_NOOP, 0, 0, 0, "Syntax: NOOP"},
        {"RSET", POP3_VERB_RSET, 0, 0, 0, "Syntax: RSET"},
        {"QUIT", POP3_VERB_QUIT, 0, 0, 0, "Syntax: QUIT"},
        {"TOP", POP3_VERB_TOP, 2, 2, ARG0_MSG | ARG1_LINES, "Syntax: TOP msg n"},
        {"UIDL", POP3_VERB_UIDL, 0, 1, ARG0_MSG, "Syntax: UIDL [msg]"},
        {"CAPA", POP3_VERB_CAPA, 0, 0, 0, "Syntax: CAPA"},
        {"STLS", POP3_VERB_STLS, 0, 0, 0, "Syntax: STLS"},
};

/* RFC 1939 3: printable ASCII only; CR, LF, NUL, HTAB and DEL never pass. */
static bool line_has_control(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

static bool has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)s[i] >= 0x80)
			return true;
	}
	return false;
}

static const struct verb_rule *verb_rule_find(const char *kw, size_t len)
{
	for (size_t i = 0; i < N_ELEMENTS(verb_rules); i++) {
		if (str_eqn_ci(kw, len, verb_rules[i].name))
			return &verb_rules[i];
	}
	return NULL;
}

/*
 * Splits line[pos..len) at runs of SP into cmd->args, keeping the first
 * POP3_ARGS_MAX. Returns how many arguments there are in all.
 */
static size_t args_split(const char *line, size_t pos, size_t len, struct pop3_command *cmd)
{
	size_t n = 0;

	for (;;) {
		size_t start;

		while (pos < len && line[pos] == ' ')
			pos++;
		if (pos == len)
			return n;
		start = pos;
		while (pos < len && line[pos] != ' ')
			pos++;
		if (n < POP3_ARGS_MAX) {
			cmd->args[n] = line + start;
			cmd->arg_lens[n] = pos - start;
			cmd->n_args = n + 1;
		}
		n++;
	}
}

/* The characters and lengths of each argument. */
static const char *args_check(const struct verb_rule *rule, const struct pop3_command *cmd)
{
	for (size_t i = 0; i < cmd->n_args; i++) {
		bool long_ok = (i == 1 && (rule->flags & ARG1_LONG) != 0) ||
		               (i == 0 && (rule->flags & ARG0_LONG) != 0);

		if ((rule->flags & ARGS_8BIT) == 0 && has_8bit(cmd->args[i], cmd->arg_lens[i]))
			return ERR_CHAR;
		if (!long_ok && cmd->arg_lens[i] > POP3_ARG_MAX)
			return ERR_LONG;
	}
	return NULL;
}

/* RFC 1939 5: a message number is decimal and 1-based; 32 bits hold it. */
static const char *numbers_parse(const struct verb_rule *rule, struct pop3_command *cmd)
{
	uint64_t v;

	if ((rule->flags & ARG0_MSG) != 0 && cmd->n_args >= 1) {
		if (!str_to_u64(cmd->args[0], cmd->arg_lens[0], UINT32_MAX, &v) || v == 0)
			return ERR_MSG;
		cmd->msg = (uint32_t)v;
	}
	if ((rule->flags & ARG1_LINES) != 0 && cmd->n_args >= 2) {
		if (!str_to_u64(cmd->args[1], cmd->arg_lens[1], POP3_LINES_MAX, &v))
			return ERR_LINES;
		cmd->lines = v;
	}
	return NULL;
}

/* RFC 1939 7: the password is everything after "PASS ", spaces included. */
static const char *pass_parse(const struct verb_rule *rule, const char *line, size_t len,
                              struct pop3_command *cmd)
{
	size_t start = cmd->verb_len + 1;

	if (start >= len)
		return rule->syntax;
	cmd->args[0] = line + start;
	cmd->arg_lens[0] = len - start;
	cmd->n_args = 1;
	return NULL;
}

static const char *args_parse(const struct verb_rule *rule, const char *line, size_t len,
                              struct pop3_command *cmd)
{
	size_t n;
	const char *error;

	if ((rule->flags & ARGS_REST) != 0)
		return pass_parse(rule, line, len, cmd);
	n = args_split(line, cmd->verb_len, len, cmd);
	if (n < rule->min_args || n > rule->max_args)
		return rule->syntax;
	error = args_check(rule, cmd);
	if (error != NULL)
		return error;
	return numbers_parse(rule, cmd);
}

int pop3_parse_command(const char *line, size_t len, struct pop3_command *cmd, const char **error_r)
{
	const struct verb_rule *rule;
	const char *sp = memchr(line, ' ', len);

	memset(cmd, 0, sizeof(*cmd));
	*error_r = NULL;
	cmd->verb_str = line;
	cmd->verb_len = sp != NULL ? (size_t)(sp - line) : len;
	rule = verb_rule_find(line, cmd->verb_len);
	if (rule != NULL)
		cmd->verb = rule->verb; /* set even on error, for the caller's log */
	if (line_has_control(line, len) || has_8bit(line, cmd->verb_len)) {
		*error_r = ERR_CHAR;
		return -1;
	}
	if (rule == NULL) {
		/* Unknown: the arguments are split for the caller's use, never judged. */
		(void)args_split(line, cmd->verb_len, len, cmd);
		return 0;
	}
	*error_r = args_parse(rule, line, len, cmd);
	return *error_r == NULL ? 0 : -1;
}
