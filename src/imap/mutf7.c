/*
 * mutf7.c - modified UTF-7 (RFC 3501 5.1.3; RFC 2152 UTF-7 with ',' for '/',
 * '&' as shift character, and '-' always closing a shifted run).
 *
 * Limits: IMAP_MUTF7_MAX_INPUT bytes of input; the output room is checked
 * against the worst case before anything is written.
 * Attacker control: the input bytes. Every refusal is an error return.
 */
#include "imap/mutf7.h"

#include <stdint.h>

/* Drops what a failed conversion appended (buf.h has no truncate). */
static void mutf7_buf_truncate(struct buf *out, size_t len)
{
	out->len = len;
	if (out->data != NULL)
		out->data[len] = '\0';
}

static const char mutf7_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static bool is_printable(uint32_t cp)
{
	return cp >= 0x20 && cp <= 0x7e;
}

static void put_utf8(struct buf *out, uint32_t cp)
{
	char s[4];
	size_t n;

	if (cp < 0x80) {
		s[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		s[0] = (char)(0xc0 | (cp >> 6));
		s[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		s[0] = (char)(0xe0 | (cp >> 12));
		s[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | (cp >> 18));
		s[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_append(out, s, n);
}

/* Decoding state of one shifted run. */
struct mutf7_run {
	uint32_t bits;
	unsigned nbits;
	uint32_t high; /* pending high surrogate, 0 if none */
};

static const char *run_unit(struct mutf7_run *run, uint32_t u, struct buf *out)
{
	uint32_t cp = u;

	if (run->high != 0) {
		if (u < 0xdc00 || u > 0xdfff)
			return "Invalid UTF-16 surrogate in mailbox name";
		cp = 0x10000 + ((run->high - 0xd800) << 10) + (u - 0xdc00);
		run->high = 0;
	} else if (u >= 0xd800 && u <= 0xdbff) {
		run->high = u;
		return NULL;
	} else if (u >= 0xdc00 && u <= 0xdfff) {
		return "Invalid UTF-16 surrogate in mailbox name";
	} else if (is_printable(u)) {
		return "Printable character encoded in mailbox name";
	} else if (u < 0x20 || u == 0x7f) {
		return "Control character in mailbox name";
	}
	put_utf8(out, cp);
	return NULL;
}

/* Decodes the BASE64 run starting at in[*i] up to its '-'. */
static const char *decode_run(const char *in, size_t len, size_t *i, struct buf *out)
{
	struct mutf7_run run = {0, 0, 0};
	const char *error;

	for (; *i < len && in[*i] != '-'; (*i)++) {
		int v = b64_value((unsigned char)in[*i]);

		if (v < 0)
			return "Invalid modified BASE64 in mailbox name";
		run.bits = (run.bits << 6) | (uint32_t)v;
		run.nbits += 6;
		if (run.nbits >= 16) {
			run.nbits -= 16;
			error = run_unit(&run, (run.bits >> run.nbits) & 0xffff, out);
			if (error != NULL)
				return error;
			run.bits &= (1u << run.nbits) - 1;
		}
	}
	if (*i == len)
		return "Unterminated '&' in mailbox name";
	(*i)++;
	if (run.nbits >= 6)
		return "Non-minimal modified BASE64 in mailbox name";
	if (run.bits != 0)
		return "Non-zero padding bits in mailbox name";
	if (run.high != 0)
		return "Invalid UTF-16 surrogate in mailbox name";
	return NULL;
}

static const char *mutf7_decode(const char *in, size_t len, struct buf *out)
{
	bool prev_run = false;
	size_t i = 0;
	const char *error;

	while (i < len) {
		unsigned char c = (unsigned char)in[i++];

		if (c >= 0x80)
			return "8-bit byte in modified UTF-7 mailbox name";
		if (!is_printable(c))
			return "Control character in mailbox name";
		if (c != '&') {
			buf_putc(out, (char)c);
			prev_run = false;
		} else if (i < len && in[i] == '-') {
			buf_putc(out, '&');
			i++;
			prev_run = false;
		} else {
			if (prev_run)
				return "Non-minimal modified UTF-7: adjacent encoded runs";
			if ((error = decode_run(in, len, &i, out)) != NULL)
				return error;
			prev_run = true;
		}
	}
	return NULL;
}

int imap_mutf7_to_utf8(const char *in, size_t len, struct buf *out, const char **error_r)
{
	size_t old_len = out->len;

	if (len > IMAP_MUTF7_MAX_INPUT || buf_room(out) < len / 8 * 9 + 9 + 4) {
		*error_r = "Mailbox name too long";
		return -1;
	}
	*error_r = mutf7_decode(in, len, out);
	if (*error_r == NULL)
		return 0;
	mutf7_buf_truncate(out, old_len);
	return -1;
}

/* Reads one UTF-8 sequence at in[*i]; returns the code point or -1. */
static int32_t utf8_next(const unsigned char *in, size_t len, size_t *i)
{
	unsigned char c = in[(*i)++];
	uint32_t cp, min;
	unsigned n;

	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	for (; n > 0; n--, (*i)++) {
		if (*i == len || (in[*i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (in[*i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	return (int32_t)cp;
}

struct mutf7_enc {
	struct buf *out;
	uint32_t bits;
	unsigned nbits;
	bool in_run;
};

static void enc_unit(struct mutf7_enc *enc, uint32_t u)
{
	if (!enc->in_run) {
		buf_putc(enc->out, '&');
		enc->in_run = true;
	}
	enc->bits = (enc->bits << 16) | u;
	enc->nbits += 16;
	while (enc->nbits >= 6) {
		enc->nbits -= 6;
		buf_putc(enc->out, mutf7_b64[(enc->bits >> enc->nbits) & 0x3f]);
	}
	enc->bits &= (1u << enc->nbits) - 1;
}

static void enc_flush(struct mutf7_enc *enc)
{
	if (!enc->in_run)
		return;
	if (enc->nbits > 0)
		buf_putc(enc->out, mutf7_b64[(enc->bits << (6 - enc->nbits)) & 0x3f]);
	buf_putc(enc->out, '-');
	enc->bits = 0;
	enc->nbits = 0;
	enc->in_run = false;
}

static const char *mutf7_encode(const unsigned char *in, size_t len, struct buf *out)
{
	struct mutf7_enc enc = {out, 0, 0, false};
	size_t i = 0;

	while (i < len) {
		int32_t cp = utf8_next(in, len, &i);

		if (cp < 0)
			return "Invalid UTF-8 in mailbox name";
		if (cp < 0x20 || cp == 0x7f)
			return "Control character in mailbox name";
		if (is_printable((uint32_t)cp)) {
			enc_flush(&enc);
			buf_puts(out, cp == '&' ? "&-" : (char[]){(char)cp, '\0'});
		} else if (cp >= 0x10000) {
			enc_unit(&enc, 0xd800 + (((uint32_t)cp - 0x10000) >> 10));
			enc_unit(&enc, 0xdc00 + (((uint32_t)cp - 0x10000) & 0x3ff));
		} else {
			enc_unit(&enc, (uint32_t)cp);
		}
	}
	enc_flush(&enc);
	return NULL;
}

int imap_utf8_to_mutf7(const char *in, size_t len, struct buf *out, const char **error_r)
{
	size_t old_len = out->len;

	if (len > IMAP_MUTF7_MAX_INPUT || buf_room(out) < 3 * len + 2) {
		*error_r = "Mailbox name too long";
		return -1;
	}
	*error_r = mutf7_encode((const unsigned char *)in, len, out);
	if (*error_r == NULL)
		return 0;
	mutf7_buf_truncate(out, old_len);
	return -1;
}

bool imap_mutf7_is_valid(const char *in, size_t len)
{
	struct buf tmp;
	const char *error;
	int ret;

	buf_init(&tmp, 0);
	ret = imap_mutf7_to_utf8(in, len, &tmp, &error);
	buf_deinit(&tmp);
	return ret == 0;
}
