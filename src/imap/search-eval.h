/*
 * search-eval.h - evaluating a parsed SEARCH program (search-parse.h) against
 * the messages of a session's view of its selected mailbox.
 *
 * RFC 9051 6.4.4 / RFC 3501 6.4.4 (every search key), RFC 5182 ("$"), RFC 7162
 * 3.1.5 (MODSEQ key). Semantics chosen where the RFCs leave room:
 *  - BEFORE/ON/SINCE compare the calendar day of the internal date in the zone
 *    it was given in (APPEND date-time or delivery time), as Dovecot does;
 *    SENTBEFORE/ON/SINCE the day of the Date: header in its own zone (when the
 *    Date: is missing or broken, the internal date's day).
 *  - FROM, TO, CC, BCC, SUBJECT and HEADER match a substring of the RFC 2047
 *    decoded field values (every field of that name); an empty string matches
 *    every message that has the field. BODY searches the decoded text of the
 *    text/ parts, TEXT the decoded header fields and that text. Comparison
 *    folds ASCII case only; other bytes (UTF-8) compare as bytes.
 *  - A sequence number past the last message, or a UID not in the mailbox,
 *    matches nothing (no error). "$" stands for the saved UIDs, whether it
 *    appears as a sequence set or after UID; with nothing saved it matches
 *    nothing.
 *  - MODSEQ ignores the entry name: there is one mod-sequence per message
 *    (allowed by RFC 7162 3.1.5).
 *  - A message expunged by another session but still in the view (RFC 2180
 *    4.1) keeps its flags from the view; keys that need its data do not match.
 *
 * Cost: a message is evaluated in passes - view data (flags, sequence, UID,
 * MODSEQ), then the stored metadata (dates, size), then the parsed message
 * (header keys), then the decoded body text - and each pass runs only when the
 * earlier ones left the answer open (three-valued AND/OR/NOT). Substring
 * search is linear (Knuth-Morris-Pratt on ASCII-folded bytes), so a hostile
 * pattern cannot make it quadratic.
 *
 * Limits: IMAP_SEARCH_TEXT_MAX bytes of decoded header text and of decoded
 * body text per message (what lies beyond is not searched); the program is
 * bounded by search-parse.h.
 *
 * Attacker control: the program (the client) and every byte of the messages
 * (whoever sent them).
 */
#ifndef TRESOR_IMAP_SEARCH_EVAL_H
#define TRESOR_IMAP_SEARCH_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAP_SEARCH_TEXT_MAX ((size_t)16 << 20)

struct imap_arena;
struct imap_search;
struct imap_view;
struct store;
struct store_message_meta;
struct imap_search_eval;

/*
 * Prepares search for view: resolves sequence sets and '*', compiles the
 * substring patterns. saved/n_saved are the saved UIDs for "$", ascending
 * (NULL/0: nothing saved); they, view and store must stay unchanged while
 * the evaluator lives. Small data goes to arena. Returns the evaluator (free
 * with imap_search_eval_free), or NULL if the arena is full.
 */
struct imap_search_eval *imap_search_eval_new(const struct imap_search *search,
                                              const struct imap_view *view, struct store *store,
                                              const uint32_t *saved, size_t n_saved,
                                              struct imap_arena *arena);
void imap_search_eval_free(struct imap_search_eval **_ev);

/*
 * Whether the message with sequence number seq (1-based, <= view->count)
 * matches. Blocks on the store when the program needs the message. Returns 1
 * (match), 0 (no match), or a negative STORE_ERR_* when the store failed.
 */
int imap_search_eval_match(struct imap_search_eval *ev, size_t seq);

/*
 * The same with the message's metadata given (borrowed for the call), as a
 * store scan delivers it: no query for this message unless its bytes are needed.
 */
int imap_search_eval_match_meta(struct imap_search_eval *ev, size_t seq,
                                const struct store_message_meta *meta);
/* Whether some key needs more than the view (flags, sequence numbers, UIDs). */
bool imap_search_eval_needs_meta(const struct imap_search_eval *ev);

/* Messages whose bytes were read and parsed so far (for the log and tests). */
size_t imap_search_eval_parsed(const struct imap_search_eval *ev);

#endif
