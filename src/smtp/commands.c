/*
 * commands.c - the SMTP command table: verb, states in which the command is
 * allowed (RFC 5321 4.1.4), flags, handler.
 *
 * RSET, NOOP, QUIT, HELP and VRFY are allowed at any time (RFC 5321 4.1.4);
 * BDAT is accepted in every state so that its chunk is always read before
 * the reply (RFC 3030 2), and refuses itself where it does not belong.
 */
#include "smtp/commands.h"

#include "base/mem.h"

#define ANY  SMTP_STATE_ANY
#define LOOP SMTP_CMD_LOOP

static const struct smtp_cmd_def commands[] = {
        {"HELO", SMTP_VERB_HELO, ANY, LOOP, smtp_cmd_helo},
        {"EHLO", SMTP_VERB_EHLO, ANY, LOOP, smtp_cmd_ehlo},
        {"STARTTLS", SMTP_VERB_STARTTLS, SMTP_STATE_CONNECTED | SMTP_STATE_READY, LOOP,
         smtp_cmd_starttls},
        {"AUTH", SMTP_VERB_AUTH, SMTP_STATE_READY, LOOP, smtp_cmd_auth},
        {"MAIL", SMTP_VERB_MAIL, SMTP_STATE_READY, 0, smtp_cmd_mail},
        {"RCPT", SMTP_VERB_RCPT, SMTP_STATE_MAIL | SMTP_STATE_RCPT, 0, smtp_cmd_rcpt},
        {"DATA", SMTP_VERB_DATA, SMTP_STATE_RCPT, LOOP, smtp_cmd_data},
        {"BDAT", SMTP_VERB_BDAT, ANY, LOOP, smtp_cmd_bdat},
        {"RSET", SMTP_VERB_RSET, ANY, LOOP, smtp_cmd_rset},
        {"NOOP", SMTP_VERB_NOOP, ANY, LOOP, smtp_cmd_noop},
        {"QUIT", SMTP_VERB_QUIT, ANY, LOOP, smtp_cmd_quit},
        {"HELP", SMTP_VERB_HELP, ANY, LOOP, smtp_cmd_help},
        {"VRFY", SMTP_VERB_VRFY, ANY, LOOP, smtp_cmd_vrfy},
        {"EXPN", SMTP_VERB_EXPN, ANY, LOOP, smtp_cmd_expn},
};

const struct smtp_cmd_def *smtp_command_find(enum smtp_verb verb)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(commands); i++) {
		if (commands[i].verb == verb)
			return &commands[i];
	}
	return NULL;
}

static void cmd_none(struct smtp_session *s)
{
}

const struct smtp_cmd_def smtp_cmd_none = {"-", SMTP_VERB_UNKNOWN, ANY, LOOP, cmd_none};
