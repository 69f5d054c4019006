/*
 * parser.h - the SMTP command line parser: bytes of one line in, a command
 * struct out. Pure: no socket, no allocation, no state between calls.
 *
 * RFC 5321 4.1.1 (command syntax), 4.1.2 (paths, mailboxes, domains and
 * address literals), 4.5.3.1 (size limits); RFC 1869 / RFC 5321 4.1.1.11
 * (esmtp parameters); RFC 6531 3.3 (UTF-8 in addresses with SMTPUTF8);
 * RFC 3461 4 (xtext); RFC 3030 2 (BDAT arguments).
 *
 * Limits: SMTP_COMMAND_LINE_MAX bytes per line (the caller refuses longer
 * lines before calling), SMTP_PATH_MAX bytes per path, SMTP_LOCAL_PART_MAX
 * and SMTP_DOMAIN_MAX as RFC 5321 4.5.3.1, SMTP_PARAMS_MAX parameters.
 * Attacker control: every byte of the line. Results are slices into it.
 */
#ifndef TRESOR_SMTP_PARSER_H
#define TRESOR_SMTP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 5321 4.5.3.1.4: a command line is at most 512 octets with its CRLF. */
#define SMTP_COMMAND_LINE_MAX 512
/* RFC 5321 4.5.3.1.3: a path is at most 256 octets with its angle brackets. */
#define SMTP_PATH_MAX       256
#define SMTP_LOCAL_PART_MAX 64
#define SMTP_DOMAIN_MAX     255
/* Most esmtp parameters on one MAIL or RCPT line. */
#define SMTP_PARAMS_MAX 16
/* Longest canonical address (smtp_address_canonical output, without NUL). */
#define SMTP_ADDRESS_MAX (SMTP_LOCAL_PART_MAX + 1 + SMTP_DOMAIN_MAX)

enum smtp_verb {
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_HELP,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
};

/* One esmtp parameter: keyword, and value (NULL when there is no '='). */
struct smtp_param {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
};

struct smtp_command {
	enum smtp_verb verb;
	const char *verb_str; /* the verb as sent */
	size_t verb_len;
	/* Text after the verb and its space (HELO/EHLO domain, AUTH
	 * mechanism and initial response, VRFY/EXPN/HELP/NOOP argument, BDAT
	 * arguments); NULL when there is none. Set for every verb (MAIL, RCPT
	 * and UNKNOWN too). Extra spaces after the verb are skipped and
	 * trailing spaces are removed, so arg never starts or ends with SP. */
	const char *arg;
	size_t arg_len;

	/* MAIL and RCPT: the mailbox between the angle brackets, without a
	 * source route (RFC 5321 4.1.2 "A-d-l" is accepted and ignored). Length
	 * 0 is the null reverse-path "<>" (MAIL only). */
	const char *mailbox;
	size_t mailbox_len;
	const char *local; /* local part as sent (quoted form included) */
	size_t local_len;
	/* Domain or address literal ("[...]"); NULL for "<>" and <Postmaster>. */
	const char *domain;
	size_t domain_len;
	/* RCPT TO:<Postmaster> without a domain (RFC 5321 4.5.1); mailbox and
	 * local are then "Postmaster" as sent (any case). */
	bool postmaster;
	/* The mailbox holds non-ASCII bytes (needs SMTPUTF8); a source route,
	 * which is dropped, does not count. Params may hold UTF-8 too. */
	bool utf8;
	struct smtp_param params[SMTP_PARAMS_MAX];
	size_t n_params;

	/* BDAT: chunk size and LAST. */
	uint64_t bdat_size;
	bool bdat_last;
};

/*
 * Parses one command line (len bytes, without the CRLF). Returns 0 and fills
 * cmd, or -1 with *error_r set to a complete reply without CRLF, such as
 * "501 5.5.4 Syntax: MAIL FROM:<address>" or "501 5.1.3 Bad recipient
 * address syntax". An unknown verb is not an error: cmd->verb is
 * SMTP_VERB_UNKNOWN. The verb is matched case-insensitively. MAIL and RCPT
 * accept one space after the colon (as Postfix does); the mailbox must be
 * valid UTF-8 (non-ASCII bytes set cmd->utf8). A NUL or other control byte
 * (HTAB excepted) in the line is an error ("500 5.5.2 ...").
 *
 * Per verb: HELO, EHLO, AUTH, VRFY and EXPN without an argument, and DATA,
 * RSET, QUIT and STARTTLS with one, are errors ("501 5.5.4 Syntax: ...");
 * NOOP, HELP and UNKNOWN take any argument. A bad path answers
 * "501 5.1.7 ..." (MAIL) or "501 5.1.3 ..." (RCPT), with distinct texts for
 * a local part, domain or path over its RFC 5321 4.5.3.1 limit. Parameters
 * are checked for syntax only; duplicates are left to the caller.
 */
int smtp_parse_command(const char *line, size_t len, struct smtp_command *cmd,
                       const char **error_r);

/*
 * The address as the store keys it: local part unquoted when its quoted
 * content is a dot-atom (otherwise re-quoted with only DQUOTE and backslash
 * escaped), everything lowercased (ASCII only), "local@domain".
 * Returns the length written to out (NUL-terminated), or 0 if it does not
 * fit in size or the mailbox has no domain.
 */
size_t smtp_address_canonical(const struct smtp_command *cmd, char *out, size_t size);

/* The parameter named key (case-insensitive), or NULL. */
const struct smtp_param *smtp_param_find(const struct smtp_command *cmd, const char *key);

/*
 * RFC 3461 4: decodes xtext ("+XX" hex escapes, printable ASCII otherwise)
 * into out (NUL-terminated). Returns false for malformed xtext (a bare "+" or
 * "=", lower-case hex, non-ASCII, "+00" which would cut the string short) or
 * when it does not fit in size.
 */
bool smtp_xtext_decode(const char *in, size_t len, char *out, size_t size);

#endif
