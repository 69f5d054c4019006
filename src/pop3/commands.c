/*
 * commands.c - the POP3 command table: keyword, states in which it is allowed
 * (RFC 1939 4-7, RFC 2449 5, RFC 2595 4), flags, handler.
 *
 * QUIT and CAPA are valid in both states. In TRANSACTION the listing
 * commands answer from the maildrop loaded at login and run on the loop;
 * RETR and TOP read the store, and QUIT writes to it.
 */
#include "pop3/commands.h"

#include "base/mem.h"

#define AUTHZ POP3_STATE_AUTHORIZATION
#define TRANS POP3_STATE_TRANSACTION
#define ANY   POP3_STATE_ANY
#define LOOP  POP3_CMD_LOOP

static const struct pop3_cmd_def commands[] = {
        {"CAPA", POP3_VERB_CAPA, ANY, LOOP, pop3_cmd_capa},
        {"QUIT", POP3_VERB_QUIT, ANY, 0, pop3_cmd_quit},
        {"STLS", POP3_VERB_STLS, AUTHZ, LOOP, pop3_cmd_stls},
        {"USER", POP3_VERB_USER, AUTHZ, LOOP, pop3_cmd_user},
        {"PASS", POP3_VERB_PASS, AUTHZ, 0, pop3_cmd_pass},
        {"AUTH", POP3_VERB_AUTH, AUTHZ, LOOP, pop3_cmd_auth},
        {"APOP", POP3_VERB_APOP, AUTHZ, LOOP, pop3_cmd_apop},
        {"STAT", POP3_VERB_STAT, TRANS, LOOP, pop3_cmd_stat},
        {"LIST", POP3_VERB_LIST, TRANS, LOOP, pop3_cmd_list},
        {"UIDL", POP3_VERB_UIDL, TRANS, LOOP, pop3_cmd_uidl},
        {"RETR", POP3_VERB_RETR, TRANS, 0, pop3_cmd_retr},
        {"TOP", POP3_VERB_TOP, TRANS, 0, pop3_cmd_top},
        {"DELE", POP3_VERB_DELE, TRANS, LOOP, pop3_cmd_dele},
        {"RSET", POP3_VERB_RSET, TRANS, LOOP, pop3_cmd_rset},
        {"NOOP", POP3_VERB_NOOP, TRANS, LOOP, pop3_cmd_noop},
};

const struct pop3_cmd_def *pop3_command_find(enum pop3_verb verb)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(commands); i++) {
		if (commands[i].verb == verb)
			return &commands[i];
	}
	return NULL;
}

static void cmd_none(struct pop3_session *s)
{
}

const struct pop3_cmd_def pop3_cmd_none = {"-", POP3_VERB_UNKNOWN, ANY, LOOP, cmd_none};
