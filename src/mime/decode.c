/*
 * decode.c - Content-Transfer-Encoding: which one a part has, base64 and
 * quoted-printable decoding, and the decoded content of a leaf part for IMAP
 * BINARY[section] / BINARY.SIZE[section].
 *
 * RFC 2045 6.1 (mechanisms; 7bit, 8bit, binary are identities), 6.7
 * (quoted-printable: =XX, soft line breaks, trailing white space on a line is
 * transport padding and deleted, a hard line break is CRLF), 6.8 (base64:
 * characters outside the alphabet are ignored), RFC 3516 4.2-4.3 and 6, RFC 9051
 * 6.4.5 (BINARY only for leaf parts; textual sections, here text/ and message/
 * leaves, sent with CRLF line ends; an unknown encoding fails with UNKNOWN-CTE).
 *
 * Limits: a decoded body is at most twice its encoded size (line ends made CRLF);
 * the caller's buffer bounds the output (mime_buf_put stops at its room).
 * Attacker control: the whole message.
 */
#include "mime/mime-private.h"

#include "base/str.h"

#include <string.h>

/* The first word of Content-Transfer-Encoding (comments and parameters cut). */
static void cte_word(const struct mime_part *part, const char **p_r, size_t *len_r)
{
	const struct mime_slice *s = &part->hdr[MIME_H_CONTENT_TRANSFER_ENCODING];
	size_t i = 0, n;

	*p_r = "";
	*len_r = 0;
	if (s->p == NULL)
		return;
	while (i < s->len && strchr(" \t\r\n", s->p[i]) != NULL)
		i++;
	n = i;
	while (n < s->len && strchr(" \t\r\n;(", s->p[n]) == NULL)
		n++;
	*p_r = s->p + i;
	*len_r = n - i;
}

enum mime_cte mime_part_cte(const struct mime_part *part)
{
	const char *w;
	size_t n;

	cte_word(part, &w, &n);
	if (n == 0 || str_eqn_ci(w, n, "7bit") || str_eqn_ci(w, n, "8bit") ||
	    str_eqn_ci(w, n, "binary"))
		return MIME_CTE_IDENTITY;
	if (str_eqn_ci(w, n, "base64"))
		return MIME_CTE_BASE64;
	if (str_eqn_ci(w, n, "quoted-printable"))
		return MIME_CTE_QUOTED_PRINTABLE;
	return MIME_CTE_UNKNOWN;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* One line of quoted-printable text without its line end: =XX undone, a bad '=' kept. */
static void qp_line(const char *p, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (p[i] == '=' && i + 2 < len && (hi = hex_digit(p[i + 1])) >= 0 &&
		    (lo = hex_digit(p[i + 2])) >= 0) {
			mime_buf_put(out, &(char){(char)(hi << 4 | lo)}, 1);
			i += 2;
		} else {
			mime_buf_put(out, p + i, 1);
		}
	}
}

void mime_qp_decode(const char *p, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		const char *lf = memchr(p + i, '\n', len - i);
		size_t eol = lf == NULL ? len : (size_t)(lf - p), end = eol;
		bool soft;

		if (end > i && p[end - 1] == '\r')
			end--;
		while (end > i && (p[end - 1] == ' ' || p[end - 1] == '\t'))
			end--; /* RFC 2045 6.7 (3): padding added in transport */
		soft = end > i && p[end - 1] == '=';
		qp_line(p + i, (soft ? end - 1 : end) - i, out);
		if (lf != NULL && !soft)
			mime_buf_put(out, "\r\n", 2); /* a hard line break is CRLF */
		i = eol + 1;
	}
}

static int b64_digit(char c)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *f = c == '\0' ? NULL : strchr(alphabet, c);

	return f == NULL ? -1 : (int)(f - alphabet);
}

void mime_base64_decode(const char *p, size_t len, struct buf *out)
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
		acc = ((acc << 6) | (unsigned int)v) & 0xFFFFFF;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			mime_buf_put(out, &(char){(char)((acc >> bits) & 0xFF)}, 1);
		}
	}
}

/* RFC 3516 6: textual sections go out with CRLF line ends, whatever is stored. */
static void put_crlf_lines(const char *p, size_t len, struct buf *out)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		mime_buf_put(out, p + run, i - run);
		mime_buf_put(out, "\r\n", 2);
		run = i + 1;
	}
	mime_buf_put(out, p + run, len - run);
}

static bool is_leaf(const struct mime_part *p)
{
	return !p->is_multipart && !mime_part_is(p, "message", "rfc822") &&
	       !mime_part_is(p, "message", "global");
}

int mime_get_binary(const struct mime_message *msg, const uint32_t *path, size_t depth,
                    struct buf *out)
{
	const struct mime_part *p;
	const char *body;
	size_t len;
	enum mime_cte cte;
	struct buf dec;

	if (depth == 0 || path == NULL)
		return MIME_BINARY_NOT_LEAF; /* BINARY[] is the whole message */
	p = mime_resolve_part(msg, path, depth);
	if (p == NULL)
		return MIME_BINARY_NO_PART;
	if (!is_leaf(p))
		return MIME_BINARY_NOT_LEAF;
	cte = mime_part_cte(p);
	if (cte == MIME_CTE_UNKNOWN)
		return MIME_BINARY_UNKNOWN_CTE;
	if (out == NULL)
		return 0;
	body = msg->data + p->body_start;
	len = p->body_end - p->body_start;
	buf_init(&dec, 2 * len + 1);
	if (cte == MIME_CTE_BASE64)
		mime_base64_decode(body, len, &dec);
	else if (cte == MIME_CTE_QUOTED_PRINTABLE)
		mime_qp_decode(body, len, &dec);
	else
		mime_buf_put(&dec, body, len);
	/* textual line-oriented: text/ and the header-like message/ leaves
	 * (delivery-status, external-body, disposition-notification ...) */
	if (str_eq_ci(p->ctype.type, "text") || str_eq_ci(p->ctype.type, "message"))
		put_crlf_lines(dec.data ? dec.data : "", dec.len, out);
	else
		mime_buf_put(out, dec.data ? dec.data : "", dec.len);
	buf_deinit(&dec);
	return 0;
}
