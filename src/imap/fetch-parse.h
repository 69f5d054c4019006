/*
 * fetch-parse.h - FETCH attributes and modifiers, from tokenized arguments to a
 * list of items.
 *
 * RFC 3501 6.4.5 / 7.4.2 and RFC 9051 6.4.5 / 7.5.2 (fetch-att, section,
 * partial, macros ALL/FAST/FULL), RFC 3516 and RFC 9051 (BINARY, BINARY.PEEK,
 * BINARY.SIZE), RFC 7162 3.1.4 / 3.2.6 (MODSEQ item; CHANGEDSINCE and VANISHED
 * modifiers), RFC 4466 2.4 (fetch-modifiers syntax).
 *
 * Limits: IMAP_FETCH_MAX_ITEMS items, IMAP_SECTION_MAX_DEPTH part numbers per
 * section, IMAP_FETCH_MAX_FIELDS header field names per section,
 * IMAP_FETCH_FIELD_MAX_LEN bytes per field name.
 *
 * Attacker control: all of the arguments. Errors are static messages for a
 * tagged BAD.
 */
#ifndef TRESOR_IMAP_FETCH_PARSE_H
#define TRESOR_IMAP_FETCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/parser.h"

#define IMAP_FETCH_MAX_ITEMS     128
#define IMAP_SECTION_MAX_DEPTH   32
#define IMAP_FETCH_MAX_FIELDS    256
#define IMAP_FETCH_FIELD_MAX_LEN 256
/* Largest partial origin / count and CHANGEDSINCE value: 2^63 - 1 (RFC 9051 number64). */
#define IMAP_FETCH_NUMBER64_MAX ((uint64_t)INT64_MAX)

enum imap_fetch_kind {
	IMAP_FETCH_FLAGS,
	IMAP_FETCH_UID,
	IMAP_FETCH_INTERNALDATE,
	IMAP_FETCH_RFC822_SIZE,
	IMAP_FETCH_ENVELOPE,
	IMAP_FETCH_BODY, /* BODY without section: BODYSTRUCTURE without extensions */
	IMAP_FETCH_BODYSTRUCTURE,
	/* BODY[...], BODY.PEEK[...] and RFC822 (= BODY[]), RFC822.HEADER
	 * (= BODY.PEEK[HEADER]), RFC822.TEXT (= BODY[TEXT]); see name. */
	IMAP_FETCH_BODY_SECTION,
	IMAP_FETCH_BINARY,      /* BINARY[part]<partial>, BINARY.PEEK[...] */
	IMAP_FETCH_BINARY_SIZE, /* BINARY.SIZE[part] */
	IMAP_FETCH_MODSEQ,
};

/* Same meaning as the MIME layer's MIME_SECTION_* kinds. */
enum imap_section_kind {
	IMAP_SECTION_ALL, /* the whole part (BODY[] / BODY[1.2]) */
	IMAP_SECTION_HEADER,
	IMAP_SECTION_HEADER_FIELDS,
	IMAP_SECTION_HEADER_FIELDS_NOT,
	IMAP_SECTION_TEXT,
	IMAP_SECTION_MIME, /* only after a part number */
};

struct imap_section {
	const uint32_t *path; /* part numbers, each > 0 (arena) */
	size_t path_len;
	enum imap_section_kind kind;
	/* HEADER_FIELDS(_NOT): field names, upper-cased, NUL-terminated (arena) */
	const char *const *fields;
	size_t n_fields;
};

struct imap_fetch_item {
	enum imap_fetch_kind kind;
	/* BODY_SECTION / BINARY: true if fetching must not set \Seen */
	bool peek;
	struct imap_section section; /* BODY_SECTION, BINARY, BINARY_SIZE */
	bool partial;                /* <origin.count> given */
	uint64_t origin;
	uint64_t count;
	/*
	 * The item name for the response (arena, NUL-terminated), e.g. "FLAGS",
	 * "RFC822.HEADER", "BODY[HEADER.FIELDS (FROM TO)]<0>" (RFC 3501 7.4.2: the
	 * section spec, origin only when partial; .PEEK dropped).
	 */
	const char *name;
};

struct imap_fetch {
	struct imap_fetch_item *items; /* arena */
	size_t n_items;
	bool changedsince_set; /* CHANGEDSINCE modifier */
	uint64_t changedsince;
	/* VANISHED modifier (requires CHANGEDSINCE; the caller checks that the
	 * command is UID FETCH and QRESYNC is enabled, RFC 7162 3.2.6). The caller
	 * also adds MODSEQ to the response when CHANGEDSINCE is set (3.1.4.1). */
	bool vanished;
};

/*
 * Parses the FETCH arguments that follow the sequence set: a macro, one
 * attribute or a parenthesized list, then optionally the modifier list. Returns
 * 0 with *fetch_r filled (memory in the arena, names may point into the
 * arguments), or -1 with a static message in *error_r.
 */
int imap_fetch_parse(const struct imap_arg *args, size_t n_args, struct imap_arena *arena,
                     struct imap_fetch *fetch_r, const char **error_r);

#endif
