/*
 * cmd-search.c - SEARCH and UID SEARCH (placeholder until the SEARCH engine lands).
 */
#include "imap/commands.h"

#include "imap/session.h"

void imap_cmd_search(struct imap_session *s)
{
	imap_tagged(s, "NO [CANNOT] SEARCH is not available yet");
}
