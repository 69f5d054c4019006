/*
 * seqset.h - IMAP sequence sets: parsing, resolving '*', membership,
 * iteration, and writing compact sets.
 *
 * RFC 3501 / RFC 9051 section 9 "sequence-set" (ranges in either order, '*'
 * for the largest number in use), RFC 5182 "$" (the saved search result).
 * Written sets serve ESEARCH ALL (RFC 4731), COPYUID (RFC 4315) and VANISHED
 * (RFC 7162).
 *
 * Limits: IMAP_SEQSET_MAX_RANGES ranges per set; numbers are 32-bit nz-numbers.
 *
 * Attacker control: the set text comes from the client. Errors are BAD
 * material: 0, empty parts, junk, numbers over 4294967295, too many ranges.
 */
#ifndef TRESOR_IMAP_SEQSET_H
#define TRESOR_IMAP_SEQSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "imap/parser.h"

#define IMAP_SEQSET_MAX_RANGES 32768
/* The value standing for '*' in a parsed (unresolved) range; 0 is never valid. */
#define IMAP_SEQ_STAR 0u
/* Room imap_seqset_write*() needs per range: "4294967295:4294967295,". */
#define IMAP_SEQSET_RANGE_TEXT_MAX 22

struct imap_seq_range {
	uint32_t first;
	uint32_t last;
};

/*
 * A parsed set. ranges[0 .. count - n_star) are concrete, ascending, merged
 * (no overlap, not adjacent). The last n_star ranges involve '*': first is a
 * number or IMAP_SEQ_STAR, last is IMAP_SEQ_STAR ("5:*" and "*:5" are both
 * {5, STAR}; "*" is {STAR, STAR}). A resolved set has n_star == 0.
 * saved: the set was "$" (count 0); the caller substitutes the saved result.
 */
struct imap_seqset {
	struct imap_seq_range *ranges; /* arena */
	size_t count;
	size_t n_star;
	bool saved;
};

/*
 * Parses len bytes of str. Returns 0 with *set_r filled (ranges in the arena),
 * or -1 with a static message in *error_r (error_r may be NULL) and *set_r
 * zeroed.
 */
int imap_seqset_parse(const char *str, size_t len, struct imap_arena *arena,
                      struct imap_seqset *set_r, const char **error_r);

/*
 * Replaces '*' with max (the highest sequence number or UID in use) and merges:
 * *out_r is concrete, ascending and merged. "n:*" with n > max becomes max:n
 * (RFC 3501 6.4.8: it includes the highest UID). With max 0 (empty mailbox)
 * ranges with '*' vanish. Numbers beyond max are kept; the caller decides
 * whether they are an error (sequence numbers) or ignored (UIDs). Returns -1
 * only when the arena is full. set must not be saved ("$").
 */
int imap_seqset_resolve(const struct imap_seqset *set, uint32_t max, struct imap_arena *arena,
                        struct imap_seqset *out_r);

/* Whether n is in set, with '*' standing for max. A saved set contains nothing. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t max);

/* Whether n is in a resolved set: O(log ranges). */
bool imap_seqset_resolved_contains(const struct imap_seqset *set, uint32_t n);

/* Number of values in a resolved set. */
uint64_t imap_seqset_count(const struct imap_seqset *set);

/* Iteration over a resolved set, ascending. */
struct imap_seqset_iter {
	const struct imap_seqset *set;
	size_t idx;
	uint64_t next;
};
void imap_seqset_iter_init(struct imap_seqset_iter *iter, const struct imap_seqset *set);
/* Returns false at the end. */
bool imap_seqset_iter_next(struct imap_seqset_iter *iter, uint32_t *n_r);

/*
 * Writes the ascending numbers nums (duplicates allowed) as a compact set,
 * e.g. 1:3,7,9:10. Nothing is written for count 0. Returns false if out ran
 * short of IMAP_SEQSET_RANGE_TEXT_MAX bytes of room before a range (what was
 * written stays); true otherwise.
 */
bool imap_seqset_write(struct buf *out, const uint32_t *nums, size_t count);
/* The same for a resolved set. */
bool imap_seqset_write_ranges(struct buf *out, const struct imap_seqset *set);

#endif
