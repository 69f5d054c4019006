/*
 * msgset.h - turning a command's sequence set (message numbers, UIDs, or
 * "$") into the messages of the selected mailbox it names.
 *
 * RFC 9051 6.4.8 / RFC 3501 6.4.8: in UID commands, UIDs that do not exist
 * are ignored and "*" is the highest UID; otherwise a number past the last
 * message is an error. RFC 5182 2.1: "$" is the saved SEARCH result.
 */
#ifndef TRESOR_IMAP_MSGSET_H
#define TRESOR_IMAP_MSGSET_H

#include <stddef.h>
#include <stdint.h>

struct imap_session;
struct imap_arg;
struct store_uid_range;

/*
 * Resolves arg against s->view (s->uid tells how to read it). Returns 0 with
 * *seqs_r holding ascending sequence numbers (arena), or -1 after a tagged
 * BAD has been written.
 */
int imap_msgset(struct imap_session *s, const struct imap_arg *arg, uint32_t **seqs_r, size_t *n_r);
/* The UIDs of seqs as store ranges (arena). */
struct store_uid_range *imap_msgset_uid_ranges(struct imap_session *s, const uint32_t *seqs,
                                               size_t n, size_t *n_ranges_r);

#endif
