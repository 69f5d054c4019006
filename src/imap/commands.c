/*
 * commands.c - the IMAP command table: name, states in which the command is
 * allowed (RFC 9051 6), flags, handler.
 */
#include "imap/commands.h"

#include "base/mem.h"
#include "imap/session.h"

#include <string.h>
#include <strings.h>

#define ANY      IMAP_STATE_ANY
#define NOTAUTH  IMAP_STATE_NOT_AUTH
#define AUTHED   IMAP_STATE_AUTHED
#define SELECTED IMAP_STATE_SELECTED

static const struct imap_cmd_def commands[] = {
        /* RFC 9051 6.1: any state */
        {"CAPABILITY", ANY, IMAP_CMD_LOOP, imap_cmd_capability},
        {"NOOP", ANY, 0, imap_cmd_noop},
        {"LOGOUT", ANY, IMAP_CMD_LOOP, imap_cmd_logout},
        {"ID", ANY, IMAP_CMD_LOOP, imap_cmd_id},
        /* RFC 9051 6.2: not authenticated */
        {"STARTTLS", NOTAUTH, IMAP_CMD_LOOP, imap_cmd_starttls},
        {"AUTHENTICATE", NOTAUTH, IMAP_CMD_LOOP, imap_cmd_authenticate},
        {"LOGIN", NOTAUTH, 0, imap_cmd_login},
        /* RFC 9051 6.3: authenticated */
        {"ENABLE", AUTHED, IMAP_CMD_LOOP, imap_cmd_enable},
        {"SELECT", AUTHED, 0, imap_cmd_select},
        {"EXAMINE", AUTHED, 0, imap_cmd_examine},
        {"CREATE", AUTHED, 0, imap_cmd_create},
        {"DELETE", AUTHED, 0, imap_cmd_delete},
        {"RENAME", AUTHED, 0, imap_cmd_rename},
        {"SUBSCRIBE", AUTHED, 0, imap_cmd_subscribe},
        {"UNSUBSCRIBE", AUTHED, 0, imap_cmd_unsubscribe},
        {"LIST", AUTHED, 0, imap_cmd_list},
        {"LSUB", AUTHED, 0, imap_cmd_lsub},
        {"NAMESPACE", AUTHED, IMAP_CMD_LOOP, imap_cmd_namespace},
        {"STATUS", AUTHED, 0, imap_cmd_status},
        {"APPEND", AUTHED, 0, imap_cmd_append},
        {"IDLE", AUTHED, IMAP_CMD_LOOP, imap_cmd_idle},
        /* RFC 9051 6.4: selected */
        {"CHECK", SELECTED, 0, imap_cmd_check},
        {"CLOSE", SELECTED, IMAP_CMD_NO_SYNC, imap_cmd_close},
        {"UNSELECT", SELECTED, IMAP_CMD_NO_SYNC, imap_cmd_unselect},
        {"EXPUNGE", SELECTED, IMAP_CMD_UID, imap_cmd_expunge},
        {"SEARCH", SELECTED, IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE, imap_cmd_search},
        {"FETCH", SELECTED, IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE, imap_cmd_fetch},
        {"STORE", SELECTED, IMAP_CMD_UID | IMAP_CMD_NO_EXPUNGE, imap_cmd_store},
        {"COPY", SELECTED, IMAP_CMD_UID, imap_cmd_copy},
        {"MOVE", SELECTED, IMAP_CMD_UID, imap_cmd_move},
};

const struct imap_cmd_def *imap_command_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(commands); i++) {
		if (strlen(commands[i].name) == len &&
		    strncasecmp(commands[i].name, name, len) == 0)
			return &commands[i];
	}
	return NULL;
}
