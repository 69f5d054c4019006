/*
 * view.h - a session's view of its selected mailbox: the message sequence
 * numbers it has been told about, mapped to UIDs, with the flags and MODSEQ
 * it last reported.
 *
 * RFC 9051 2.3.1.2 / 7.5.1 and RFC 2180: sequence numbers change only when
 * the session is told (EXPUNGE/VANISHED, EXISTS), so the view changes only in
 * imap_session_sync() and in the session's own commands.
 *
 * Limits: the view holds every entry of the mailbox (16 bytes plus keywords
 * each). Attacker control: none (data comes from the store).
 */
#ifndef TRESOR_IMAP_VIEW_H
#define TRESOR_IMAP_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_entry;

struct imap_view {
	uint64_t mailbox_id;
	char *name;
	bool readonly;
	uint32_t uidvalidity;
	uint32_t uidnext;    /* first UID this session has not been told of */
	uint64_t modseq;     /* changes up to here have been reported */
	uint64_t generation; /* store_mailbox_generation() at the last sync */
	uint32_t recent_uid; /* UIDs >= this are \Recent for this session */
	size_t count, cap;
	uint32_t *uids;
	uint8_t *flags; /* enum store_flag: five bits */
	char **keywords;
	uint64_t *modseqs;
};

struct imap_view *imap_view_new(uint64_t mailbox_id, const char *name, bool readonly);
void imap_view_free(struct imap_view **_v);
/* Makes room for n entries at once (SELECT knows the count: no doubling slack). */
void imap_view_reserve(struct imap_view *v, size_t n);
/* Appends an entry (UIDs ascending); takes keywords over. */
void imap_view_append(struct imap_view *v, uint32_t uid, unsigned flags, char *keywords,
                      uint64_t modseq);
/* Sequence number (1-based) of uid, or 0. */
size_t imap_view_seq(const struct imap_view *v, uint32_t uid);
/* Removes the entry with sequence number seq. */
void imap_view_remove(struct imap_view *v, size_t seq);
uint32_t imap_view_recent_count(const struct imap_view *v);
/* Every distinct keyword in the mailbox, space-separated (newly allocated). */
char *imap_view_keywords(const struct imap_view *v);

#endif
