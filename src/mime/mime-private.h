/*
 * mime-private.h - the parsed tree and helpers shared by the files of src/mime/.
 *
 * A part records byte offsets into the caller's data: its header starts at
 * hdr_start, its body is [body_start, body_end). The header includes the blank line
 * that ends it. RFC 2046 5.1.1: the line end before a boundary line belongs to the
 * boundary, so body_end stops before it.
 *
 * Limits and attacker control: see mime.h.
 */
#ifndef TRESOR_MIME_PRIVATE_H
#define TRESOR_MIME_PRIVATE_H

#include "mime/mime.h"

/* Header fields a part remembers (first occurrence of each). */
enum mime_hdr {
	MIME_H_DATE,
	MIME_H_SUBJECT,
	MIME_H_FROM,
	MIME_H_SENDER,
	MIME_H_REPLY_TO,
	MIME_H_TO,
	MIME_H_CC,
	MIME_H_BCC,
	MIME_H_IN_REPLY_TO,
	MIME_H_MESSAGE_ID,
	MIME_H_CONTENT_TYPE,
	MIME_H_CONTENT_TRANSFER_ENCODING,
	MIME_H_CONTENT_ID,
	MIME_H_CONTENT_DESCRIPTION,
	MIME_H_CONTENT_DISPOSITION,
	MIME_H_CONTENT_LANGUAGE,
	MIME_H_CONTENT_LOCATION,
	MIME_H_CONTENT_MD5,
	MIME_H_COUNT
};

/* A slice of the message data; p == NULL when absent. */
struct mime_slice {
	const char *p;
	size_t len;
};

struct mime_param {
	char *name;
	char *value; /* RFC 2231 continuations joined and decoded to UTF-8 */
};

/* A parsed "token/token; params" value (Content-Type) or "token; params". */
struct mime_ctype {
	char *type; /* NULL when absent or broken */
	char *subtype;
	struct mime_param *params;
	size_t n_params;
};

struct mime_part {
	struct mime_part *parent;
	struct mime_part *next;     /* next sibling */
	struct mime_part *children; /* multipart: first child */
	struct mime_part *message;  /* message/rfc822 parsed: the encapsulated message */
	uint32_t n_children;

	size_t hdr_start, body_start, body_end;
	size_t body_lines; /* LFs in the body (Dovecot's count) */

	struct mime_slice hdr[MIME_H_COUNT];
	struct mime_ctype ctype;       /* type defaulted when broken */
	struct mime_ctype disposition; /* type NULL when absent */
	bool is_multipart;
	bool default_type; /* Content-Type missing or broken: defaults applied */
};

struct mime_message {
	const char *data;
	size_t len;
	struct mime_part *root;
	size_t n_parts;
};

/* One header field found by mime_hdr_next(). */
struct mime_field {
	const char *name;
	size_t name_len;
	const char *value; /* raw: after the colon, folding kept, final line end cut */
	size_t value_len;
	size_t start, end; /* offsets of the whole field, its final line end included */
};

/* Iterates the fields of data[pos, end). Lines without a colon are skipped. */
bool mime_hdr_next(const char *data, size_t *pos, size_t end, struct mime_field *f);

/* Appends min(len, room) bytes; returns whether everything fitted. */
bool mime_buf_put(struct buf *out, const void *p, size_t len);

/* Unfolds (drops CR and LF) and trims white space at both ends. */
void mime_unfold(const char *p, size_t len, struct buf *out);

/* Parses "type/subtype; params" (want_subtype) or "type; params" into ct. */
void mime_ctype_parse(const char *p, size_t len, bool want_subtype, struct mime_ctype *ct);
void mime_ctype_free(struct mime_ctype *ct);
/* The value of parameter name, or NULL. */
const char *mime_ctype_param(const struct mime_ctype *ct, const char *name);

/* Part helpers. */
bool mime_part_is(const struct mime_part *p, const char *type, const char *subtype);
/* message/rfc822 (or global) whose body was parsed as a message. */
bool mime_part_is_message(const struct mime_part *p);

/* The part at a numeric section path (RFC 3501 6.4.5); depth 0 is the root. NULL if none. */
const struct mime_part *mime_resolve_part(const struct mime_message *msg, const uint32_t *path,
                                          size_t depth);

/* Content-Transfer-Encoding (decode.c). */
enum mime_cte {
	MIME_CTE_IDENTITY, /* absent, 7bit, 8bit, binary */
	MIME_CTE_BASE64,
	MIME_CTE_QUOTED_PRINTABLE,
	MIME_CTE_UNKNOWN
};
enum mime_cte mime_part_cte(const struct mime_part *part);
/* Decoders; output stops at buf_room(out). QP hard line breaks become CRLF. */
void mime_qp_decode(const char *p, size_t len, struct buf *out);
void mime_base64_decode(const char *p, size_t len, struct buf *out);

/* IMAP output: string as quoted or literal; NIL when p == NULL. */
void mime_imap_nstring(struct buf *out, const char *p, size_t len);
void mime_imap_nstring_str(struct buf *out, const char *s);
/* A header value, unfolded, as nstring (NIL when absent). */
void mime_imap_hdr_nstring(struct buf *out, const struct mime_slice *s);
void mime_write_part_envelope(struct buf *out, const struct mime_part *part);

#endif
