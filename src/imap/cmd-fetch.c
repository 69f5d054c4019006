/*
 * cmd-fetch.c - FETCH and UID FETCH (placeholder until the FETCH engine lands).
 */
#include "imap/commands.h"

#include "imap/session.h"

void imap_cmd_fetch(struct imap_session *s)
{
	imap_tagged(s, "NO [CANNOT] FETCH is not available yet");
}
