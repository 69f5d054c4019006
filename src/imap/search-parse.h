/*
 * search-parse.h - SEARCH programs, from tokenized arguments to a key tree.
 *
 * RFC 3501 6.4.4 and RFC 9051 6.4.4 (every search key, CHARSET), RFC 4466 2.6
 * and RFC 4731 (RETURN options MIN MAX ALL COUNT), RFC 5182 (RETURN SAVE and
 * the "$" set), RFC 7162 3.1.5 (MODSEQ key with optional entry name and type).
 * Also usable for the search program of SORT/THREAD once their own prefix is
 * consumed (imap_search_parse_keys()).
 *
 * Derived keys are expanded so an evaluator needs fewer cases: UNSEEN becomes
 * NOT(FLAG SEEN), UNKEYWORD k NOT(KEYWORD k), NEW AND(RECENT, NOT SEEN),
 * OLD NOT(RECENT).
 *
 * Limits: IMAP_SEARCH_MAX_DEPTH nesting (parentheses, NOT, OR), and
 * IMAP_SEARCH_MAX_NODES nodes per program.
 *
 * Attacker control: all arguments; strings keep their exact bytes (literals
 * may contain anything, including NUL).
 */
#ifndef TRESOR_IMAP_SEARCH_PARSE_H
#define TRESOR_IMAP_SEARCH_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/parser.h"
#include "imap/seqset.h"

#define IMAP_SEARCH_MAX_DEPTH 32
#define IMAP_SEARCH_MAX_NODES 4096
/* Largest LARGER/SMALLER/MODSEQ value: 2^63 - 1 (RFC 9051 number64, RFC 7162). */
#define IMAP_SEARCH_NUMBER64_MAX ((uint64_t)INT64_MAX)

enum imap_search_key {
	IMAP_SKEY_ALL,
	IMAP_SKEY_AND,     /* children: all must match */
	IMAP_SKEY_OR,      /* children: exactly two */
	IMAP_SKEY_NOT,     /* children: exactly one */
	IMAP_SKEY_SEQSET,  /* u.set: message sequence numbers (may be saved "$") */
	IMAP_SKEY_UIDSET,  /* u.set: UIDs (may be saved "$") */
	IMAP_SKEY_FLAG,    /* u.flag: one IMAP_SEARCH_FLAG_* */
	IMAP_SKEY_KEYWORD, /* u.str: the keyword atom */
	IMAP_SKEY_BEFORE,  /* u.date: internal date, day granularity */
	IMAP_SKEY_ON,
	IMAP_SKEY_SINCE,
	IMAP_SKEY_SENTBEFORE, /* u.date: Date: header */
	IMAP_SKEY_SENTON,
	IMAP_SKEY_SENTSINCE,
	IMAP_SKEY_LARGER, /* u.number: RFC822.SIZE */
	IMAP_SKEY_SMALLER,
	IMAP_SKEY_BCC, /* u.str: substring of the field */
	IMAP_SKEY_BODY,
	IMAP_SKEY_CC,
	IMAP_SKEY_FROM,
	IMAP_SKEY_SUBJECT,
	IMAP_SKEY_TEXT,
	IMAP_SKEY_TO,
	IMAP_SKEY_HEADER, /* u.header: field name and substring */
	IMAP_SKEY_MODSEQ, /* u.modseq */
};

enum imap_search_flag {
	IMAP_SEARCH_FLAG_ANSWERED = 1 << 0,
	IMAP_SEARCH_FLAG_DELETED = 1 << 1,
	IMAP_SEARCH_FLAG_DRAFT = 1 << 2,
	IMAP_SEARCH_FLAG_FLAGGED = 1 << 3,
	IMAP_SEARCH_FLAG_SEEN = 1 << 4,
	IMAP_SEARCH_FLAG_RECENT = 1 << 5,
};

enum imap_search_return {
	IMAP_SEARCH_RETURN_MIN = 1 << 0,
	IMAP_SEARCH_RETURN_MAX = 1 << 1,
	IMAP_SEARCH_RETURN_ALL = 1 << 2,
	IMAP_SEARCH_RETURN_COUNT = 1 << 3,
	IMAP_SEARCH_RETURN_SAVE = 1 << 4,
};

enum imap_modseq_entry_type {
	IMAP_MODSEQ_ENTRY_NONE, /* no entry name given */
	IMAP_MODSEQ_ENTRY_PRIV,
	IMAP_MODSEQ_ENTRY_SHARED,
	IMAP_MODSEQ_ENTRY_ALL,
};

/* A calendar date from d-Mon-yyyy (validated: the day exists). */
struct imap_date {
	uint16_t year;
	uint8_t month; /* 1..12 */
	uint8_t day;   /* 1..31 */
};

/* Bytes as sent (atom or literal: into the input; quoted: arena). */
struct imap_search_str {
	const char *data;
	size_t len;
};

struct imap_search_node {
	enum imap_search_key key;
	struct imap_search_node *child; /* AND/OR/NOT: first child */
	struct imap_search_node *next;  /* next sibling */
	union {
		struct imap_seqset set;
		unsigned flag;
		struct imap_date date;
		uint64_t number;
		struct imap_search_str str;
		struct {
			struct imap_search_str field;
			struct imap_search_str value;
		} header;
		struct {
			uint64_t value;               /* 0 allowed (mod-sequence-valzer) */
			struct imap_search_str entry; /* e.g. "/flags/\\seen"; empty if none */
			enum imap_modseq_entry_type type;
		} modseq;
	} u;
};

struct imap_search {
	struct imap_search_node *root; /* always an AND node */
	bool esearch;                  /* RETURN given: answer with ESEARCH (RFC 4731) */
	unsigned return_opts;          /* IMAP_SEARCH_RETURN_*; RETURN () means ALL */
	bool has_modseq;               /* a MODSEQ key: add (MODSEQ n) to the reply (RFC 7162) */
	bool uses_saved;               /* "$" appears in a key (RFC 5182) */
};

/* imap_search_parse() results. */
#define IMAP_SEARCH_OK         0
#define IMAP_SEARCH_ERROR      (-1) /* syntax: tagged BAD *error_r */
#define IMAP_SEARCH_BADCHARSET (-2) /* NO [BADCHARSET (UTF-8 US-ASCII)] */

/*
 * Parses the SEARCH arguments: [RETURN (...)] [CHARSET x] key *(key).
 * CHARSET accepts UTF-8 and US-ASCII (case-insensitive); strings are passed as
 * bytes either way. Returns IMAP_SEARCH_OK with *search_r filled (arena), or
 * IMAP_SEARCH_ERROR / IMAP_SEARCH_BADCHARSET with a static message in *error_r.
 */
int imap_search_parse(const struct imap_arg *args, size_t n_args, struct imap_arena *arena,
                      struct imap_search *search_r, const char **error_r);

/*
 * Parses only search keys (no RETURN / CHARSET), e.g. for SORT and THREAD.
 * Returns IMAP_SEARCH_OK with search_r->root an AND node, or IMAP_SEARCH_ERROR.
 */
int imap_search_parse_keys(const struct imap_arg *args, size_t n_args, struct imap_arena *arena,
                           struct imap_search *search_r, const char **error_r);

/* Parses an IMAP date "d-Mon-yyyy" (RFC 3501 "date-text"). */
bool imap_date_parse(const char *s, size_t len, struct imap_date *date_r);

#endif
