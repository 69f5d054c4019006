/*
 * parser.h - the pure IMAP command tokenizer: one whole command (line plus
 * literals, already framed by the session) in, a tree of arguments out.
 *
 * Implements the command syntax of RFC 3501 section 9 and RFC 9051 section 9:
 * tag, command name, atoms, quoted strings, literals ({N}, {N+} of RFC 7888,
 * ~{N} literal8 of RFC 3516 / RFC 9051), NIL and parenthesized lists.
 *
 * Deviations and conveniences, on purpose:
 *  - A '[' inside an atom opens a section that runs to the matching ']' and may
 *    contain spaces, parentheses and quoted strings, so that
 *    BODY.PEEK[HEADER.FIELDS (From "To")]<0.100> is ONE atom (the FETCH parser
 *    takes it apart). If no ']' closes it before the end of the line, '[' is an
 *    ordinary ATOM-CHAR (RFC 3501 allows it in atoms, e.g. mailbox "a[b").
 *    XXX a literal inside a section is refused.
 *  - Atoms may start with '\' (flags such as \Seen) and may contain '*' and '%'
 *    (LIST patterns) and ']' (ASTRING-CHAR); '$', ':' and ',' are ATOM-CHARs.
 *  - Runs of spaces between arguments and trailing spaces are tolerated.
 *  - The final CRLF (or bare LF) may be missing at the very end of the buffer.
 *  - "UID" is not kept as the command name: for "a UID FETCH 1 FLAGS" the
 *    command is name="FETCH" with uid=true, so the session dispatches on one name.
 *
 * Limits: IMAP_PARSER_MAX_DEPTH nested lists, IMAP_PARSER_MAX_ARGS arguments in
 * the whole tree, IMAP_LITERAL_MAX_DIGITS digits in a literal size, and the
 * arena's hard maximum for all memory of one command.
 *
 * Attacker control: every byte of the command (the session has only bounded its
 * length). Bad input yields -1 and a short message for a tagged BAD.
 */
#ifndef TRESOR_IMAP_PARSER_H
#define TRESOR_IMAP_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of parenthesized lists (counting sections' inner lists too). */
#define IMAP_PARSER_MAX_DEPTH 32
/* Most arguments in one command tree (list elements included). */
#define IMAP_PARSER_MAX_ARGS 8192
/* Most digits in a literal size {N}: 10 digits allow up to 9,999,999,999. */
#define IMAP_LITERAL_MAX_DIGITS 10
/* Longest tag accepted. */
#define IMAP_TAG_MAX_LEN 64
/* Longest command name accepted. */
#define IMAP_COMMAND_NAME_MAX_LEN 32
/* Arena maximum when imap_arena_init() is given 0. */
#define IMAP_ARENA_DEFAULT_MAX ((size_t)4 << 20)

/*
 * A bump allocator for the memory of one command: allocations are zeroed,
 * aligned for any type, never freed one by one; imap_arena_clear() frees
 * everything. Allocation past the hard maximum returns NULL (not an abort),
 * because the sizes come from the client; parsers turn that into an error.
 */
struct imap_arena_block;
struct imap_arena {
	struct imap_arena_block *blocks;
	size_t used; /* bytes handed out, including alignment padding */
	size_t max;
};

/* max 0 means IMAP_ARENA_DEFAULT_MAX. */
void imap_arena_init(struct imap_arena *arena, size_t max);
/* Frees all memory; the arena can be used again afterwards. */
void imap_arena_clear(struct imap_arena *arena);
/* Returns size zeroed bytes, or NULL if the arena maximum would be passed. */
void *imap_arena_alloc(struct imap_arena *arena, size_t size);
/* n * size bytes with overflow check; NULL as above. */
void *imap_arena_alloc_array(struct imap_arena *arena, size_t n, size_t size);
/* A NUL-terminated copy of len bytes; NULL as above. */
char *imap_arena_strndup(struct imap_arena *arena, const char *s, size_t len);

enum imap_arg_type {
	IMAP_ARG_ATOM,
	IMAP_ARG_STRING, /* quoted */
	IMAP_ARG_LITERAL,
	IMAP_ARG_NIL,
	IMAP_ARG_LIST,
};

struct imap_arg {
	enum imap_arg_type type;
	/*
	 * ATOM and NIL: points into the input (NIL: the atom as sent, e.g. "nil").
	 * STRING: unescaped, NUL-terminated copy in the arena.
	 * LITERAL: points into the input; may contain any byte, not NUL-terminated.
	 * LIST: NULL.
	 */
	const char *str;
	size_t len;
	bool literal8;         /* LITERAL sent as ~{N} */
	bool nonsync;          /* LITERAL sent as {N+} */
	struct imap_arg *list; /* LIST: elements (arena) */
	size_t list_count;
};

struct imap_command {
	const char *tag; /* points into the input, not NUL-terminated */
	size_t tag_len;
	/* Command name as sent (case preserved); for "UID x" this is x and uid is set. */
	const char *name;
	size_t name_len;
	bool uid;
	struct imap_arg *args; /* arena */
	size_t n_args;
};

/*
 * Parses one whole command. Returns 0 and fills *cmd_r, whose pointers point
 * into data and into the arena (both must outlive the command), or -1 with
 * *error_r set to a static message for a tagged BAD. On error the tag, when one
 * could be read, is still in cmd_r->tag (NULL otherwise) so that the BAD can be
 * tagged.
 */
int imap_parse_command(const char *data, size_t len, struct imap_command *cmd_r,
                       struct imap_arena *arena, const char **error_r);

/*
 * Parses a run of space-separated arguments filling all of data (no tag, no
 * command name, an optional final CRLF). Used for the inner lists of FETCH
 * sections and by callers that need to tokenize a fragment. Same return and
 * error contract as imap_parse_command(); depth counts from 'depth'.
 */
int imap_parse_args(const char *data, size_t len, unsigned depth, struct imap_arena *arena,
                    struct imap_arg **args_r, size_t *n_args_r, const char **error_r);

/* True for ATOM, NIL (as the atom "NIL"), STRING and LITERAL. */
bool imap_arg_is_astring(const struct imap_arg *arg);
/* True for STRING and LITERAL (RFC 3501 "string"). */
bool imap_arg_is_string(const struct imap_arg *arg);

/*
 * The value of an astring argument (atom, NIL-as-atom, quoted or literal) as a
 * NUL-terminated copy in the arena. Returns NULL if arg is a list, if the value
 * contains a NUL byte (possible only in a literal), or if the arena is full.
 */
const char *imap_arg_astring(const struct imap_arg *arg, struct imap_arena *arena);

/* Case-insensitive comparison of an ATOM (or NIL) argument with keyword. */
bool imap_arg_atom_eq(const struct imap_arg *arg, const char *keyword);

/*
 * Whether a line (the bytes before its CRLF/LF) ends with a literal marker
 * "{N}", "{N+}", "~{N}" or "~{N+}". On true, *size_r is N, *nonsync_r tells
 * whether '+' was given, *literal8_r whether '~' was. A marker whose size has
 * more than IMAP_LITERAL_MAX_DIGITS digits, or no digits, is not a literal
 * (false); the parser then reports the line as invalid.
 */
bool imap_line_literal(const char *line, size_t len, uint64_t *size_r, bool *nonsync_r,
                       bool *literal8_r);

#endif
