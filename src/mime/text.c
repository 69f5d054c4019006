/*
 * text.c - decoded text for SEARCH: header fields RFC 2047-decoded, and the text of
 * text/ parts with the Content-Transfer-Encoding undone and the charset converted.
 *
 * RFC 2045 6.7 (quoted-printable; soft line breaks, =XX; a bad '=' is kept as is),
 * 6.8 (base64; characters outside the alphabet are ignored), RFC 3501 6.4.4 (SEARCH
 * BODY, TEXT, HEADER).
 *
 * Limits: output stops at buf_room(out); a part's decoded body is never larger than
 * its encoded body. Attacker control: the message.
 */
#include "mime/mime-private.h"

#include "base/str.h"

#include <string.h>

bool mime_header_decoded(const struct mime_message *msg, const char *name, struct buf *out)
{
	const struct mime_part *root = msg->root;
	size_t pos = root->hdr_start;
	struct mime_field f;
	bool found = false;

	while (mime_hdr_next(msg->data, &pos, root->body_start, &f)) {
		if (!str_eqn_ci(f.name, f.name_len, name))
			continue;
		if (found)
			mime_buf_put(out, "\n", 1);
		mime_decode_header_value(f.value, f.value_len, out);
		found = true;
	}
	return found;
}

void mime_headers_decoded(const struct mime_message *msg, struct buf *out)
{
	const struct mime_part *root = msg->root;
	size_t pos = root->hdr_start;
	struct mime_field f;

	while (buf_room(out) > 0 && mime_hdr_next(msg->data, &pos, root->body_start, &f)) {
		mime_buf_put(out, f.name, f.name_len);
		mime_buf_put(out, ": ", 2);
		mime_decode_header_value(f.value, f.value_len, out);
		mime_buf_put(out, "\n", 1);
	}
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void qp_decode(const char *p, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		size_t j = i + 1;
		int hi, lo;

		if (p[i] != '=') {
			buf_putc(out, p[i]);
			continue;
		}
		while (j < len && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < len &&
		    (p[j] == '\n' || (p[j] == '\r' && j + 1 < len && p[j + 1] == '\n'))) {
			i = p[j] == '\r' ? j + 1 : j; /* soft line break */
		} else if (i + 2 < len && (hi = hex_digit(p[i + 1])) >= 0 &&
		           (lo = hex_digit(p[i + 2])) >= 0) {
			buf_putc(out, (char)(hi << 4 | lo));
			i += 2;
		} else if (j == len) {
			i = j; /* a soft break whose line end went to the boundary */
		} else {
			buf_putc(out, '=');
		}
	}
}

static int b64_digit(char c)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *f = c == '\0' ? NULL : strchr(alphabet, c);

	return f == NULL ? -1 : (int)(f - alphabet);
}

static void base64_decode(const char *p, size_t len, struct buf *out)
{
	unsigned int acc = 0, bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64_digit(p[i]);

		if (p[i] == '=') {
			acc = bits = 0; /* padding ends a group; a sender may concatenate */
			continue;
		}
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_putc(out, (char)((acc >> bits) & 0xFF));
		}
	}
}

/* Content-Transfer-Encoding name, lowercase first word. */
static bool cte_is(const struct mime_part *part, const char *name)
{
	const struct mime_slice *s = &part->hdr[MIME_H_CONTENT_TRANSFER_ENCODING];
	size_t i = 0, n;

	if (s->p == NULL)
		return false;
	while (i < s->len && strchr(" \t\r\n", s->p[i]) != NULL)
		i++;
	n = i;
	while (n < s->len && strchr(" \t\r\n;(", s->p[n]) == NULL)
		n++;
	return str_eqn_ci(s->p + i, n - i, name);
}

static void part_text(const struct mime_message *msg, const struct mime_part *part, struct buf *out)
{
	const char *body = msg->data + part->body_start;
	size_t len = part->body_end - part->body_start;
	struct buf dec;

	buf_init(&dec, 0);
	if (cte_is(part, "base64"))
		base64_decode(body, len, &dec);
	else if (cte_is(part, "quoted-printable"))
		qp_decode(body, len, &dec);
	else
		buf_append(&dec, body, len);
	mime_charset_to_utf8(mime_ctype_param(&part->ctype, "charset"), dec.data ? dec.data : "",
	                     dec.len, out);
	mime_buf_put(out, "\n", 1);
	buf_deinit(&dec);
}

static void collect_text(const struct mime_message *msg, const struct mime_part *part,
                         struct buf *out)
{
	for (; part != NULL && buf_room(out) > 0; part = part->next) {
		if (part->is_multipart)
			collect_text(msg, part->children, out);
		else if (mime_part_is_message(part))
			collect_text(msg, part->message, out);
		else if (str_eq_ci(part->ctype.type, "text"))
			part_text(msg, part, out);
	}
}

void mime_body_text(const struct mime_message *msg, struct buf *out)
{
	collect_text(msg, msg->root, out);
}
