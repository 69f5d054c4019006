/*
 * mime.h - RFC 5322 / MIME structure parsing with byte offsets, header decoding,
 * addresses, dates, and the IMAP ENVELOPE / BODYSTRUCTURE / BODY[section] data.
 *
 * RFCs: 5322 (message format, 3.3 dates, 3.4 addresses, 4 obsolete syntax),
 * 2045 (Content-Type, Content-Transfer-Encoding), 2046 5.1 (multipart, boundaries),
 * 2047 (encoded words), 2231 (parameter continuations and charsets), 2183
 * (Content-Disposition), 3501 6.4.5 / 7.4.2 and 9051 6.4.5 / 7.5.2 (FETCH data).
 *
 * The parser never fails: like Dovecot, it describes whatever is there. Missing or
 * broken headers take the RFC defaults, a missing close delimiter ends the multipart
 * at the end of its parent, bare LF line ends are accepted everywhere.
 *
 * Limits (attacker controls the whole message): MIME_MAX_DEPTH nesting levels
 * (deeper multiparts and message/rfc822 bodies are opaque leaves), MIME_MAX_PARTS parts,
 * MIME_MAX_HEADER_FIELDS fields examined per header, MIME_MAX_PARAMS parameters per
 * Content-Type / Content-Disposition, MIME_MAX_ADDRESSES per address header,
 * MIME_DECODE_LINE_MAX bytes of one header value decoded. Parsing is linear in the
 * message size.
 *
 * Threads: no global state; a parsed message may be read from several threads.
 */
#ifndef TRESOR_MIME_MIME_H
#define TRESOR_MIME_MIME_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define MIME_MAX_DEPTH         32
#define MIME_MAX_PARTS         5000
#define MIME_MAX_HEADER_FIELDS 1000
#define MIME_MAX_PARAMS        64
#define MIME_MAX_ADDRESSES     1000
#define MIME_DECODE_LINE_MAX   (64 * 1024)
/* RFC 2046 5.1.1 allows 70; longer boundaries are accepted up to this. */
#define MIME_BOUNDARY_MAX 200

struct mime_message;

/*
 * Parses data[0..len). Never returns NULL. The result points into data, which the
 * caller keeps alive and unchanged until mime_message_free().
 */
struct mime_message *mime_parse(const char *data, size_t len);
/* Frees the tree and sets *_msg to NULL; accepts NULL. */
void mime_message_free(struct mime_message **_msg);

/*
 * Writers of IMAP data (RFC 3501 7.4.2). Strings are IMAP quoted strings when
 * possible, else literals {n}\r\n...; NIL for absent. The output is bounded by about
 * 40 times the message size plus 1 KiB per part: callers pass a buffer whose maximum
 * allows that (BUF_MAX_DEFAULT does for any message below 25 MiB).
 */
/* ENVELOPE of the top-level message: raw (unfolded, not RFC 2047-decoded) values. */
void mime_write_envelope(struct buf *out, const struct mime_message *msg);
/* BODYSTRUCTURE (extended = true: with extension data) or BODY (extended = false). */
void mime_write_bodystructure(struct buf *out, const struct mime_message *msg, bool extended);

enum mime_section_kind {
	MIME_SECTION_ALL,
	MIME_SECTION_HEADER,
	MIME_SECTION_HEADER_FIELDS,
	MIME_SECTION_HEADER_FIELDS_NOT,
	MIME_SECTION_TEXT,
	MIME_SECTION_MIME
};

struct mime_section {
	const uint32_t *path; /* part numbers, e.g. {1,2} for "1.2"; NULL/0 for top level */
	size_t depth;
	enum mime_section_kind kind;
	const char *const *fields; /* HEADER.FIELDS(.NOT): field names, case-insensitive */
	size_t n_fields;
};

/*
 * Appends the bytes of BODY[section] (RFC 3501 6.4.5) to out. HEADER.FIELDS(.NOT)
 * output keeps the original field bytes in original order and ends with "\r\n".
 * Returns 0, or -1 if the section does not exist in this message (nothing appended).
 * out must have room for the section (at most the message size).
 */
int mime_get_section(const struct mime_message *msg, const struct mime_section *sec,
                     struct buf *out);
/*
 * Same without copying: 1 with the byte range of the original data in
 * *start_r / *len_r (ALL, HEADER, TEXT, MIME), 0 if the section exists but is not
 * contiguous (HEADER.FIELDS*), -1 if it does not exist.
 */
int mime_section_range(const struct mime_message *msg, const struct mime_section *sec,
                       size_t *start_r, size_t *len_r);

/* mime_get_binary() results besides 0. */
#define MIME_BINARY_NO_PART     (-1) /* no such part in this message */
#define MIME_BINARY_NOT_LEAF    (-2) /* multipart, message/rfc822 or /global, or [] */
#define MIME_BINARY_UNKNOWN_CTE (-3) /* Content-Transfer-Encoding not known */
/*
 * BINARY[section] (RFC 3516 4.2-4.3, RFC 9051 6.4.5): appends the content of the leaf
 * part at path[0..depth) with its Content-Transfer-Encoding undone (base64 and
 * quoted-printable decoded; 7bit, 8bit, binary or none as is); a text/ or message/
 * leaf (delivery-status ...) gets CRLF line ends (RFC 3516 6: textual sections). Returns 0, or one
 * of MIME_BINARY_* with nothing appended. The decoded content is at most twice the part's body
 * size; output stops at buf_room(out), so out must allow that for the size to be exact. With out
 * NULL, only checks (nothing is decoded).
 */
int mime_get_binary(const struct mime_message *msg, const uint32_t *path, size_t depth,
                    struct buf *out);

/*
 * SEARCH support. These stop silently at buf_room(out).
 * mime_header_decoded: every field named name (case-insensitive) of the top-level
 * header, unfolded and RFC 2047-decoded to UTF-8, separated by "\n". Returns whether
 * any field was found.
 */
bool mime_header_decoded(const struct mime_message *msg, const char *name, struct buf *out);
/* Every top-level header field decoded, as "Name: value\n" lines (a CR or LF
 * inside a decoded value becomes a space), for SEARCH TEXT and the store. */
void mime_headers_decoded(const struct mime_message *msg, struct buf *out);
/*
 * The top-level header of data without parsing the body: the offset where
 * the body begins (after the blank line; by the same rules as mime_parse).
 */
size_t mime_header_end(const char *data, size_t len);
/* One header field: its name and the offsets of the whole field, final line end included. */
struct mime_header_field {
	const char *name;
	size_t name_len;
	size_t start, end;
};
/* Iterates the fields of data[*pos, end) (end from mime_header_end); false after the last. */
bool mime_header_next(const char *data, size_t end, size_t *pos, struct mime_header_field *f);
/*
 * The raw value (after the colon, folding kept) of the index-th top-level
 * header field called name (case-insensitive). Returns false when there is
 * no such field. The value points into the message data.
 */
bool mime_header_raw(const struct mime_message *msg, const char *name, size_t index,
                     const char **value_r, size_t *len_r);
/*
 * Decoded text of every text/ leaf part, in tree order, each followed by "\n":
 * base64 / quoted-printable undone, charset converted to UTF-8, invalid bytes
 * replaced by U+FFFD.
 */
void mime_body_text(const struct mime_message *msg, struct buf *out);

/*
 * RFC 5322 3.3 date-time and the obsolete forms of 4.3 (two-digit years, named and
 * military zones, missing seconds, day of week or zone, comments). Returns false if
 * unparseable; else *t_r is the UTC time and *tz_minutes_r the zone offset (east > 0).
 */
bool mime_parse_date(const char *s, size_t len, time_t *t_r, int *tz_minutes_r);
/* Longest date written by mime_format_date ("Thu, 26 Nov 2026 15:03:46 +0000"). */
#define MIME_DATE_LEN 31
/* RFC 5322 3.3 date-time of t in UTC, NUL-terminated (MIME_DATE_LEN + 1 bytes). */
void mime_format_date(time_t t, char out[MIME_DATE_LEN + 1]);
/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12); any year. */
int64_t mime_days_from_civil(int64_t y, int m, int d);
/* The Date: header of the top-level message parsed; false if absent or unparseable. */
bool mime_sent_date(const struct mime_message *msg, time_t *t_r, int *tz_minutes_r);

/* Decodes an RFC 2047 header value (folded or not) to UTF-8, appended to out. */
void mime_decode_header_value(const char *value, size_t len, struct buf *out);

/*
 * Converts len bytes in the given charset (any iconv name; unknown names are read as
 * UTF-8) to UTF-8, appended to out up to buf_room(out); invalid input becomes U+FFFD.
 */
void mime_charset_to_utf8(const char *charset, const char *in, size_t len, struct buf *out);

/*
 * RFC 5322 3.4 address list, as the IMAP envelope sees it. A group start is
 * {NULL, NULL, group name, NULL}, a group end all NULL. name is the display name with
 * quotes removed (not RFC 2047-decoded); a missing local part or domain is
 * "MISSING_MAILBOX" / "MISSING_DOMAIN" (as Dovecot writes them).
 */
struct mime_address {
	char *name;
	char *route;
	char *mailbox;
	char *domain;
};
/*
 * Parses at most MIME_MAX_ADDRESSES entries of value (folded or not). Returns the
 * count; *addrs_r is newly allocated (NULL when 0), freed with mime_address_list_free.
 */
size_t mime_address_parse(const char *value, size_t len, struct mime_address **addrs_r);
void mime_address_list_free(struct mime_address **_addrs, size_t n);

#endif
