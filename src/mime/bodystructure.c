/*
 * bodystructure.c - the IMAP BODY and BODYSTRUCTURE data (RFC 3501 7.4.2, RFC 9051
 * 7.5.2, grammar "body" in RFC 3501 9).
 *
 * Conventions: type, subtype, encoding and parameters as written in the header;
 * defaults in upper case ("TEXT" "PLAIN" ("CHARSET" "US-ASCII"), "7BIT"); a text part
 * without charset parameter gets ("CHARSET" "US-ASCII") first (RFC 2045 5.2). A
 * multipart without any part is written with one empty text/plain part, as Dovecot
 * does, because the grammar needs at least one. A message/rfc822 part that was not
 * parsed (depth limit, or encoded with base64) is written as a basic part.
 * Extension data of every part: md5 (Content-MD5 or NIL), disposition, language,
 * location.
 *
 * Limits: those of the tree (mime.h). Attacker control: all strings written.
 */
#include "mime/mime-private.h"

#include "base/mem.h"
#include "base/str.h"

#include <string.h>

#define EMPTY_PART "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0)"

static void write_part(struct buf *out, const struct mime_part *part, bool extended);

static void write_params(struct buf *out, const struct mime_ctype *ct, bool add_charset)
{
	if (ct->n_params == 0 && !add_charset) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	if (add_charset)
		buf_puts(out, "\"CHARSET\" \"US-ASCII\"");
	for (size_t i = 0; i < ct->n_params; i++) {
		if (i > 0 || add_charset)
			buf_putc(out, ' ');
		mime_imap_nstring_str(out, ct->params[i].name);
		buf_putc(out, ' ');
		mime_imap_nstring_str(out, ct->params[i].value);
	}
	buf_putc(out, ')');
}

static void write_disposition(struct buf *out, const struct mime_part *part)
{
	if (part->disposition.type == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	buf_putc(out, '(');
	mime_imap_nstring_str(out, part->disposition.type);
	buf_putc(out, ' ');
	write_params(out, &part->disposition, false);
	buf_putc(out, ')');
}

/* Removes RFC 5322 comments, in place (language tags have no quoted strings). */
static void drop_comments(char *s)
{
	char *w = s;
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && depth > 0 && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			*w++ = *s;
	}
	*w = '\0';
}

/*
 * Content-Language (RFC 3282: a list of tags, CFWS around them): one string, or a
 * list when there are several tags.
 */
static void write_language(struct buf *out, const struct mime_slice *s)
{
	struct buf unf;
	char **tags;
	size_t n;

	if (s->p == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	buf_init(&unf, MIME_DECODE_LINE_MAX);
	mime_unfold(s->p, s->len, &unf);
	if (unf.data != NULL)
		drop_comments(unf.data); /* the buffer is NUL-terminated */
	n = str_split_list(unf.data ? unf.data : "", &tags);
	if (n == 0)
		buf_puts(out, "NIL");
	if (n > 1)
		buf_putc(out, '(');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(out, ' ');
		mime_imap_nstring_str(out, tags[i]);
	}
	if (n > 1)
		buf_putc(out, ')');
	str_list_free(&tags, n);
	buf_deinit(&unf);
}

static void write_extension(struct buf *out, const struct mime_part *part)
{
	buf_putc(out, ' ');
	write_disposition(out, part);
	buf_putc(out, ' ');
	write_language(out, &part->hdr[MIME_H_CONTENT_LANGUAGE]);
	buf_putc(out, ' ');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_CONTENT_LOCATION]);
}

static void write_multipart(struct buf *out, const struct mime_part *part, bool extended)
{
	buf_putc(out, '(');
	if (part->children == NULL)
		buf_puts(out, EMPTY_PART);
	for (const struct mime_part *c = part->children; c != NULL; c = c->next)
		write_part(out, c, extended);
	buf_putc(out, ' ');
	mime_imap_nstring_str(out, part->ctype.subtype);
	if (extended) {
		buf_putc(out, ' ');
		write_params(out, &part->ctype, false);
		write_extension(out, part);
	}
	buf_putc(out, ')');
}

/* Content-Transfer-Encoding: its first word, or "7BIT". */
static void write_encoding(struct buf *out, const struct mime_slice *s)
{
	struct buf unf;
	size_t n;

	if (s->p == NULL) {
		buf_puts(out, "\"7BIT\"");
		return;
	}
	buf_init(&unf, MIME_DECODE_LINE_MAX);
	mime_unfold(s->p, s->len, &unf);
	n = unf.len == 0 ? 0 : strcspn(unf.data, " \t;(");
	if (n == 0)
		buf_puts(out, "\"7BIT\"");
	else
		mime_imap_nstring(out, unf.data, n);
	buf_deinit(&unf);
}

static void write_basic_fields(struct buf *out, const struct mime_part *part)
{
	bool text = str_eq_ci(part->ctype.type, "text");

	mime_imap_nstring_str(out, part->ctype.type);
	buf_putc(out, ' ');
	mime_imap_nstring_str(out, part->ctype.subtype);
	buf_putc(out, ' ');
	write_params(out, &part->ctype, text && mime_ctype_param(&part->ctype, "charset") == NULL);
	buf_putc(out, ' ');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_CONTENT_ID]);
	buf_putc(out, ' ');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_CONTENT_DESCRIPTION]);
	buf_putc(out, ' ');
	write_encoding(out, &part->hdr[MIME_H_CONTENT_TRANSFER_ENCODING]);
	buf_printf(out, " %zu", part->body_end - part->body_start);
}

static void write_single(struct buf *out, const struct mime_part *part, bool extended)
{
	buf_putc(out, '(');
	write_basic_fields(out, part);
	if (mime_part_is_message(part)) {
		buf_putc(out, ' ');
		mime_write_part_envelope(out, part->message);
		buf_putc(out, ' ');
		write_part(out, part->message, extended);
		buf_printf(out, " %zu", part->body_lines);
	} else if (str_eq_ci(part->ctype.type, "text")) {
		buf_printf(out, " %zu", part->body_lines);
	}
	if (extended) {
		buf_putc(out, ' ');
		mime_imap_hdr_nstring(out, &part->hdr[MIME_H_CONTENT_MD5]);
		write_extension(out, part);
	}
	buf_putc(out, ')');
}

static void write_part(struct buf *out, const struct mime_part *part, bool extended)
{
	if (part->is_multipart)
		write_multipart(out, part, extended);
	else
		write_single(out, part, extended);
}

void mime_write_bodystructure(struct buf *out, const struct mime_message *msg, bool extended)
{
	write_part(out, msg->root, extended);
}
