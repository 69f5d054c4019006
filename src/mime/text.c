/*
 * text.c - decoded text for SEARCH: header fields RFC 2047-decoded, and the text of
 * text/ parts with the Content-Transfer-Encoding undone and the charset converted.
 *
 * The decoders are in decode.c (RFC 2045 6.7, 6.8). RFC 3501 6.4.4 (SEARCH BODY,
 * TEXT, HEADER).
 *
 * Limits: output stops at buf_room(out); a part's decoded body is at most twice its
 * encoded body (quoted-printable line ends become CRLF). Attacker control: the message.
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

bool mime_header_raw(const struct mime_message *msg, const char *name, size_t index,
                     const char **value_r, size_t *len_r)
{
	const struct mime_part *root = msg->root;
	size_t pos = root->hdr_start;
	struct mime_field f;

	while (mime_hdr_next(msg->data, &pos, root->body_start, &f)) {
		if (!str_eqn_ci(f.name, f.name_len, name) || index-- > 0)
			continue;
		*value_r = f.value;
		*len_r = f.value_len;
		return true;
	}
	return false;
}

void mime_headers_decoded(const struct mime_message *msg, struct buf *out)
{
	const struct mime_part *root = msg->root;
	size_t pos = root->hdr_start;
	struct mime_field f;

	while (buf_room(out) > 0 && mime_hdr_next(msg->data, &pos, root->body_start, &f)) {
		size_t start;

		mime_buf_put(out, f.name, f.name_len);
		mime_buf_put(out, ": ", 2);
		start = out->len;
		mime_decode_header_value(f.value, f.value_len, out);
		/* One line per field: a decoded CR or LF (=0A in an encoded word) is a space. */
		for (size_t i = start; i < out->len; i++) {
			if (out->data[i] == '\r' || out->data[i] == '\n')
				out->data[i] = ' ';
		}
		mime_buf_put(out, "\n", 1);
	}
}

static void part_text(const struct mime_message *msg, const struct mime_part *part, struct buf *out)
{
	const char *body = msg->data + part->body_start;
	size_t len = part->body_end - part->body_start;
	struct buf dec;

	buf_init(&dec, 0);
	if (mime_part_cte(part) == MIME_CTE_BASE64)
		mime_base64_decode(body, len, &dec);
	else if (mime_part_cte(part) == MIME_CTE_QUOTED_PRINTABLE)
		mime_qp_decode(body, len, &dec);
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
