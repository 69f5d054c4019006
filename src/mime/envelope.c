/*
 * envelope.c - IMAP strings and the ENVELOPE structure (RFC 3501 7.4.2, RFC 9051
 * 7.5.2): date, subject, from, sender, reply-to, to, cc, bcc, in-reply-to,
 * message-id, as raw unfolded values (not RFC 2047-decoded).
 *
 * RFC 3501 7.4.2: a missing or empty Sender or Reply-To takes the value of From;
 * group syntax is written as (NIL NIL "group" NIL) ... (NIL NIL NIL NIL).
 *
 * Strings are quoted when every byte is 7-bit, not NUL, CR or LF; else literals
 * (RFC 3501 4.3), with NUL bytes (never allowed in a literal) dropped.
 *
 * Limits: MIME_MAX_ADDRESSES per field (mime_address_parse). Attacker control: the
 * header values.
 */
#include "mime/mime-private.h"

#include "base/mem.h"

#include <string.h>

static bool quotable(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == 0 || c == '\r' || c == '\n' || c >= 0x80)
			return false;
	}
	return true;
}

static void write_literal(struct buf *out, const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += p[i] != '\0';
	buf_printf(out, "{%zu}\r\n", n);
	for (size_t i = 0, run = 0; i <= len; i++) {
		if (i == len || p[i] == '\0') {
			buf_append(out, p + run, i - run);
			run = i + 1;
		}
	}
}

void mime_imap_nstring(struct buf *out, const char *p, size_t len)
{
	size_t run = 0;

	if (p == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	if (!quotable(p, len)) {
		write_literal(out, p, len);
		return;
	}
	buf_putc(out, '"');
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			buf_append(out, p + run, i - run);
			buf_putc(out, '\\');
			run = i;
		}
	}
	buf_append(out, p + run, len - run);
	buf_putc(out, '"');
}

void mime_imap_nstring_str(struct buf *out, const char *s)
{
	mime_imap_nstring(out, s, s == NULL ? 0 : strlen(s));
}

void mime_imap_hdr_nstring(struct buf *out, const struct mime_slice *s)
{
	struct buf unf;

	if (s->p == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	buf_init(&unf, 0);
	mime_unfold(s->p, s->len, &unf);
	mime_imap_nstring(out, unf.data ? unf.data : "", unf.len);
	buf_deinit(&unf);
}

static void write_address(struct buf *out, const struct mime_address *a)
{
	buf_putc(out, '(');
	mime_imap_nstring_str(out, a->name);
	buf_putc(out, ' ');
	mime_imap_nstring_str(out, a->route);
	buf_putc(out, ' ');
	mime_imap_nstring_str(out, a->mailbox);
	buf_putc(out, ' ');
	mime_imap_nstring_str(out, a->domain);
	buf_putc(out, ')');
}

/* Writes the address list of s; returns false (writing nothing) when it is empty. */
static bool write_address_list(struct buf *out, const struct mime_slice *s)
{
	struct mime_address *addrs;
	size_t n;
	int groups = 0;

	if (s->p == NULL)
		return false;
	n = mime_address_parse(s->p, s->len, &addrs);
	if (n == 0)
		return false;
	buf_putc(out, '(');
	for (size_t i = 0; i < n; i++) {
		write_address(out, &addrs[i]);
		if (addrs[i].domain == NULL)
			groups += addrs[i].mailbox != NULL ? 1 : -1;
	}
	for (; groups > 0; groups--)
		buf_puts(out, "(NIL NIL NIL NIL)"); /* a group cut by the limit still closes */
	buf_putc(out, ')');
	mime_address_list_free(&addrs, n);
	return true;
}

static void write_addresses_or(struct buf *out, const struct mime_part *part, enum mime_hdr h,
                               enum mime_hdr fallback)
{
	if (write_address_list(out, &part->hdr[h]))
		return;
	if (h == fallback || !write_address_list(out, &part->hdr[fallback]))
		buf_puts(out, "NIL");
}

void mime_write_part_envelope(struct buf *out, const struct mime_part *part)
{
	buf_putc(out, '(');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_DATE]);
	buf_putc(out, ' ');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_SUBJECT]);
	buf_putc(out, ' ');
	write_addresses_or(out, part, MIME_H_FROM, MIME_H_FROM);
	buf_putc(out, ' ');
	write_addresses_or(out, part, MIME_H_SENDER, MIME_H_FROM);
	buf_putc(out, ' ');
	write_addresses_or(out, part, MIME_H_REPLY_TO, MIME_H_FROM);
	buf_putc(out, ' ');
	write_addresses_or(out, part, MIME_H_TO, MIME_H_TO);
	buf_putc(out, ' ');
	write_addresses_or(out, part, MIME_H_CC, MIME_H_CC);
	buf_putc(out, ' ');
	write_addresses_or(out, part, MIME_H_BCC, MIME_H_BCC);
	buf_putc(out, ' ');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_IN_REPLY_TO]);
	buf_putc(out, ' ');
	mime_imap_hdr_nstring(out, &part->hdr[MIME_H_MESSAGE_ID]);
	buf_putc(out, ')');
}

void mime_write_envelope(struct buf *out, const struct mime_message *msg)
{
	mime_write_part_envelope(out, msg->root);
}
