/*
 * prepare.h - what the store keeps beside a message's bytes, computed once
 * when the message arrives: ENVELOPE, BODYSTRUCTURE and BODY data and the
 * sent date (DESIGN.md, "The store"), so FETCH never re-reads bodies for them.
 *
 * For a sealed message (later) the same is computed from its outer headers.
 */
#ifndef TRESOR_STORE_PREPARE_H
#define TRESOR_STORE_PREPARE_H

#include "store/store.h"

/*
 * Longest ENVELOPE / BODYSTRUCTURE text for one message: a base plus a multiple
 * of the message size. The MIME writers' output is bounded by the message's
 * header bytes (quoted or as literals) plus about 1 KiB per part, with at most
 * MIME_MAX_PARTS parts, so this maximum is never reached by any input.
 */
#define STORE_META_BASE   ((size_t)64 << 20)
#define STORE_META_FACTOR 4
/* Decoded header text kept for SEARCH; a message with more keeps none. */
#define STORE_HEADERS_MAX ((size_t)1 << 20)

struct store_prepared {
	struct store_new_message msg; /* points at data and at the strings below */
	char *envelope;
	char *bodystructure;
	char *body;
	char *headers;
};

/* Parses data (kept alive by the caller) and fills p. Never fails. */
void store_prepare(struct store_prepared *p, const char *data, size_t size, time_t internaldate,
                   int internaldate_tz);
void store_prepared_deinit(struct store_prepared *p);

#endif
