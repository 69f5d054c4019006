/*
 * status.h - STATUS items, shared by STATUS and LIST ... RETURN (STATUS).
 */
#ifndef TRESOR_IMAP_STATUS_H
#define TRESOR_IMAP_STATUS_H

#include <stdbool.h>
#include <stdint.h>

struct imap_session;
struct imap_arg;

enum imap_status_item {
	IMAP_STATUS_MESSAGES = 1 << 0,
	IMAP_STATUS_RECENT = 1 << 1,
	IMAP_STATUS_UIDNEXT = 1 << 2,
	IMAP_STATUS_UIDVALIDITY = 1 << 3,
	IMAP_STATUS_UNSEEN = 1 << 4,
	IMAP_STATUS_DELETED = 1 << 5,
	IMAP_STATUS_SIZE = 1 << 6,
	IMAP_STATUS_HIGHESTMODSEQ = 1 << 7,
};

/* Parses "(MESSAGES UNSEEN ...)"; false if malformed or unknown. */
bool imap_status_items_parse(const struct imap_arg *list, unsigned *items_r);
/* Writes "* STATUS name (...)"; returns a STORE_* code (worker thread). */
int imap_write_status(struct imap_session *s, const char *name, uint64_t mailbox_id,
                      unsigned items);

#endif
