/*
 * parser.h - the POP3 command line parser: bytes of one line in, a command
 * struct out. Pure: no socket, no allocation, no state between calls.
 *
 * RFC 1939 3 (commands: a keyword of three or four characters, arguments
 * separated by single spaces, each at most 40 characters; several spaces are
 * accepted, see parser.c), RFC 2449 4 (a command line is at most 255 octets
 * with its CRLF), RFC 5034 4 (AUTH with a mechanism and an optional initial
 * response, which may be longer than 40).
 *
 * Limits: POP3_LINE_MAX bytes per line (the caller refuses longer lines
 * before calling), POP3_ARGS_MAX arguments, POP3_ARG_MAX bytes per argument
 * (except USER, AUTH's initial response and PASS, see below). Attacker control:
 * every byte of the line. Results are slices into it.
 */
#ifndef TRESOR_POP3_PARSER_H
#define TRESOR_POP3_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 2449 4: a command line is at most 255 octets including CRLF. */
#define POP3_LINE_MAX 255
/* RFC 1939 3: arguments are at most 40 characters (PASS and AUTH's response excepted). */
#define POP3_ARG_MAX  40
#define POP3_ARGS_MAX 2

enum pop3_verb {
	POP3_VERB_UNKNOWN,
	POP3_VERB_USER,
	POP3_VERB_PASS,
	POP3_VERB_AUTH,
	POP3_VERB_APOP,
	POP3_VERB_STAT,
	POP3_VERB_LIST,
	POP3_VERB_RETR,
	POP3_VERB_DELE,
	POP3_VERB_NOOP,
	POP3_VERB_RSET,
	POP3_VERB_QUIT,
	POP3_VERB_TOP,
	POP3_VERB_UIDL,
	POP3_VERB_CAPA,
	POP3_VERB_STLS,
};

struct pop3_command {
	enum pop3_verb verb;
	/* The keyword as sent: the bytes before the first SP (attacker bytes;
	 * log the verb, not this). */
	const char *verb_str;
	size_t verb_len;
	/* PASS: the whole rest of the line after "PASS " (a password may hold
	 * spaces, RFC 1939 7), verbatim, in args[0]: leading and trailing spaces
	 * are part of it. Others: up to POP3_ARGS_MAX arguments separated by one
	 * or more SPs, trailing SPs ignored; never empty, never holding a SP.
	 * AUTH: args[1] is the initial response as sent, "=" included (the SASL
	 * layer reads "=" as empty, auth/sasl.h). */
	const char *args[POP3_ARGS_MAX];
	size_t arg_lens[POP3_ARGS_MAX];
	size_t n_args;
	/* LIST, RETR, DELE, TOP, UIDL: the message number (args[0]) as a number,
	 * 0 when absent; TOP: the line count (args[1]), 0 for other verbs. */
	uint32_t msg;
	uint64_t lines;
};

/*
 * Parses one command line (len bytes, without the CRLF). Returns 0 and fills
 * cmd, with *error_r NULL, or -1 with *error_r set to the text of a "-ERR"
 * reply (a static string, without "-ERR " and CRLF), e.g. "Syntax: RETR msg".
 * On -1, cmd->verb, verb_str and verb_len still describe the keyword (for
 * logging and for counting failed logins); the other fields are unspecified.
 * An unknown keyword (or an empty line) is not an error: cmd->verb is
 * POP3_VERB_UNKNOWN, and its first POP3_ARGS_MAX arguments are split but
 * never judged. Keywords are case-insensitive. Checks per verb: STAT, NOOP,
 * RSET, QUIT, CAPA, STLS take no argument; RETR and DELE one message number;
 * LIST and UIDL an optional one; TOP a message number and a line count
 * (decimal, 0 to 2^63 - 1); USER one argument; APOP two; PASS any non-empty
 * text (at most the line); AUTH a mechanism and an optional initial response.
 * A message number is decimal digits only (leading zeros allowed), 1 to
 * UINT32_MAX, without sign. Every argument is at most POP3_ARG_MAX bytes but
 * PASS's and AUTH's initial response.
 *
 * Errors: "Syntax: <VERB> <args>" for a wrong number of arguments (or an
 * empty PASS), "Argument too long", "Invalid message number", "Invalid number
 * of lines", and "Invalid character in command" for NUL or any other control
 * byte (0x00-0x1f, 0x7f, HTAB included) anywhere in the line, or a byte >=
 * 0x80 in the keyword or in the arguments of a known verb other than USER,
 * PASS and AUTH (which may carry UTF-8 names and passwords).
 */
int pop3_parse_command(const char *line, size_t len, struct pop3_command *cmd,
                       const char **error_r);

#endif
