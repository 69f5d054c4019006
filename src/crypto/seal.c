/*
 * seal.c - a message becomes a PGP/MIME message encrypted to its
 * recipients' keys; see seal.h for the form and the promise.
 *
 * Steps: take the keys from the thread's keyring and keep those usable now;
 * build the payload (the original, or with protect_subject the original with
 * protected-headers="v1" on its top-level Content-Type); write the outer
 * header fields picked from the original and the RFC 3156 4 wrapper; encrypt
 * the payload (SEIPD with MDC, AES-256, uncompressed, armored) straight into
 * the wrapper; close it. The sealed message is built once, in out.
 *
 * RFC 3156 4 (multipart/encrypted, application/pgp-encrypted "Version: 1",
 * application/octet-stream), RFC 4880 5.1 (PKESK), 5.13 (SEIPD, MDC), 6.2
 * (armor), RFC 2046 5.1.1 (boundaries: ours cannot occur in armor, which
 * has no '-' outside its BEGIN/END lines), RFC 5322 3.6 (the fields kept).
 *
 * Limits: CRYPTO_SEAL_KEYS_MAX keys. Attacker control: the message bytes.
 * A message without a header, with a malformed header or without a blank
 * line is sealed all the same: its payload is whatever arrived.
 */
#include "crypto/seal.h"
#include "crypto/random.h"
#include "crypto/rnp-private.h"

#include "base/mem.h"
#include "base/str.h"
#include "mime/mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Random hex digits in the boundary (24 bytes: never guessed by a sender). */
#define SEAL_BOUNDARY_BYTES 24

/* The header fields a sealed message shows outside (DESIGN.md, "Zero-access sealing"). */
static const char *const outer_fields[] = {
        "From", "To", "Cc", "Date", "Message-ID", "In-Reply-To", "References", "Subject",
};

static const char protected_param[] = ";\r\n protected-headers=\"v1\"";

static bool is_outer_field(const struct mime_header_field *f)
{
	for (size_t i = 0; i < N_ELEMENTS(outer_fields); i++) {
		if (str_eqn_ci(f->name, f->name_len, outer_fields[i]))
			return true;
	}
	return false;
}

static bool blank_line(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	}
	return true;
}

/*
 * Appends one line (without its line end) with every control character but
 * TAB made a space: a bare CR or a NUL would let a sender (BDAT and APPEND
 * take them) start lines of its own in the outer header for readers that
 * split on CR or stop at NUL.
 */
static void put_clean_line(struct buf *out, const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		buf_putc(out, (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char)c);
	}
	buf_append(out, "\r\n", 2);
}

/*
 * Appends one field with CRLF line ends, without continuation lines that hold
 * only white space: some readers take such a line for the end of the header
 * (RFC 5322 4.2 obs-FWS), which would let a sender end the outer header early.
 */
static void put_field(struct buf *out, const char *p, size_t len)
{
	bool first = true;

	while (len > 0) {
		const char *lf = memchr(p, '\n', len);
		size_t n = lf == NULL ? len : (size_t)(lf - p) + 1;
		size_t line = lf == NULL ? n : n - 1;

		if (first || !blank_line(p, line))
			put_clean_line(out, p, line);
		first = false;
		p += n;
		len -= n;
	}
}

static void outer_header(struct buf *out, const char *msg, size_t len, bool protect_subject)
{
	size_t end = mime_header_end(msg, len), pos = 0;
	struct mime_header_field f;

	while (mime_header_next(msg, end, &pos, &f)) {
		if (!is_outer_field(&f))
			continue;
		if (protect_subject && str_eqn_ci(f.name, f.name_len, "Subject"))
			buf_printf(out, "Subject: %s\r\n", CRYPTO_SEAL_SUBJECT_PLACEHOLDER);
		else
			put_field(out, msg + f.start, f.end - f.start);
	}
}

/* Where a line end begins in the field [start, end): before its CRLF or LF. */
static size_t before_line_end(const char *msg, size_t start, size_t end)
{
	if (end > start && msg[end - 1] == '\n')
		end--;
	if (end > start && msg[end - 1] == '\r')
		end--;
	return end;
}

/*
 * The payload with the header-protection marker: the parameter goes at the
 * end of the top-level Content-Type field, or a Content-Type field with RFC
 * 2045 5.2's default type and the parameter is added after the last field.
 */
static void payload_protected(struct buf *out, const char *msg, size_t len)
{
	size_t end = mime_header_end(msg, len), pos = 0, at = 0, last = 0;
	struct mime_header_field f;
	bool found = false;

	while (mime_header_next(msg, end, &pos, &f)) {
		last = f.end;
		if (!found && str_eqn_ci(f.name, f.name_len, "Content-Type")) {
			at = before_line_end(msg, f.start, f.end);
			found = true;
		}
	}
	buf_init(out, 0);
	if (found) {
		buf_append(out, msg, at);
		buf_append(out, protected_param, sizeof(protected_param) - 1);
		buf_append(out, msg + at, len - at);
		return;
	}
	buf_append(out, msg, last);
	if (last > 0 && msg[last - 1] != '\n')
		buf_append(out, "\r\n", 2);
	buf_printf(out, "Content-Type: text/plain; charset=us-ascii%s\r\n", protected_param);
	/* No field at all and no blank line first: the header we made needs its end. */
	if (last == 0 && len > 0 && msg[0] != '\n' &&
	    !(len > 1 && msg[0] == '\r' && msg[1] == '\n'))
		buf_append(out, "\r\n", 2);
	buf_append(out, msg + last, len - last);
}

/* Keeps the keys usable at now in front of keys[]; destroys the others. */
static size_t usable_keys(rnp_key_handle_t *keys, size_t n, time_t now)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		if (crypto_key_state_of(keys[i], now) == CRYPTO_KEY_USABLE)
			keys[kept++] = keys[i];
		else
			rnp_key_handle_destroy(keys[i]);
	}
	return kept;
}

/* Where librnp's armored output goes: into the sealed message, line ends made CRLF. */
struct crlf_sink {
	struct buf *out;
	bool after_cr; /* the last byte written was a CR */
};

static bool sink_write(void *ctx, const void *data, size_t len)
{
	struct crlf_sink *k = ctx;
	const char *p = data, *end = p + len;

	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		const char *stop = lf != NULL ? lf : end;

		buf_append(k->out, p, (size_t)(stop - p));
		if (stop > p)
			k->after_cr = stop[-1] == '\r';
		if (lf == NULL)
			break;
		buf_append(k->out, k->after_cr ? "\n" : "\r\n", k->after_cr ? 1 : 2);
		k->after_cr = false;
		p = lf + 1;
	}
	return true;
}

static void sink_close(void *ctx, bool discard)
{
	(void)ctx, (void)discard;
}

/*
 * RFC 4880 5.13 SEIPD with MDC, AES-256, no compression, armored (6.2),
 * written straight into out: no copy of the encrypted message on the side.
 */
static int encrypt(rnp_ffi_t ffi, rnp_key_handle_t *keys, size_t n, const char *data, size_t len,
                   struct buf *out)
{
	struct crlf_sink sink = {out, false};
	rnp_op_encrypt_t op = NULL;
	rnp_output_t output = NULL;
	rnp_input_t in = NULL;
	bool ok;

	if (rnp_input_from_memory(&in, (const uint8_t *)data, len, false) != RNP_SUCCESS)
		return CRYPTO_ERR_FAIL;
	ok = rnp_output_to_callback(&output, sink_write, sink_close, &sink) == RNP_SUCCESS &&
	     rnp_op_encrypt_create(&op, ffi, in, output) == RNP_SUCCESS &&
	     rnp_op_encrypt_set_armor(op, true) == RNP_SUCCESS &&
	     rnp_op_encrypt_set_cipher(op, "AES256") == RNP_SUCCESS &&
	     rnp_op_encrypt_set_aead(op, "None") == RNP_SUCCESS &&
	     rnp_op_encrypt_set_compression(op, "Uncompressed", 0) == RNP_SUCCESS;
	for (size_t i = 0; ok && i < n; i++)
		ok = rnp_op_encrypt_add_recipient(op, keys[i]) == RNP_SUCCESS;
	ok = ok && rnp_op_encrypt_execute(op) == RNP_SUCCESS;
	rnp_op_encrypt_destroy(op);
	/* Flushes the armor's last lines into out before the caller goes on. */
	rnp_output_destroy(output);
	rnp_input_destroy(in);
	return ok ? CRYPTO_OK : CRYPTO_ERR_FAIL;
}

/* RFC 3156 4: the outer header and the wrapper up to the armored OpenPGP message. */
static void write_mime_head(struct buf *out, const char *msg, size_t len, bool protect_subject,
                            const char *boundary)
{
	outer_header(out, msg, len, protect_subject);
	buf_printf(out,
	           "MIME-Version: 1.0\r\n"
	           "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\";\r\n"
	           " boundary=\"tresor-%s\"\r\n"
	           "\r\n"
	           "This is an OpenPGP/MIME encrypted message (RFC 3156).\r\n"
	           "--tresor-%s\r\n"
	           "Content-Type: application/pgp-encrypted\r\n"
	           "Content-Description: PGP/MIME version identification\r\n"
	           "\r\n"
	           "Version: 1\r\n"
	           "\r\n"
	           "--tresor-%s\r\n"
	           "Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n"
	           "Content-Description: OpenPGP encrypted message\r\n"
	           "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
	           "\r\n",
	           boundary, boundary, boundary);
}

int crypto_seal(const struct crypto_seal_key *sk, size_t n_sk, const char *msg, size_t len,
                bool protect_subject, time_t now, struct buf *out, size_t *skipped_r, char *err,
                size_t err_size)
{
	rnp_key_handle_t keys[CRYPTO_SEAL_KEYS_MAX];
	char boundary[2 * SEAL_BOUNDARY_BYTES + 1];
	struct buf payload;
	size_t n = 0, loaded = 0;
	rnp_ffi_t ffi = NULL;
	int ret;

	if (skipped_r != NULL)
		*skipped_r = 0;
	/* librnp has no empty literal data to encrypt; no protocol delivers one either. */
	if (len == 0)
		return crypto_fail(err, err_size, CRYPTO_ERR_INVALID,
		                   "an empty message cannot be sealed");
	ret = crypto_keyring_get(sk, n_sk, now, &ffi, keys, &loaded);
	n = usable_keys(keys, loaded, now);
	if (ret != CRYPTO_OK)
		ret = crypto_fail(err, err_size, ret, "a stored key cannot be read");
	else if (n == 0)
		ret = crypto_fail(err, err_size, CRYPTO_ERR_NOKEY,
		                  "no key is usable for encryption");
	if (skipped_r != NULL)
		*skipped_r = loaded - n;
	if (ret == CRYPTO_OK) {
		size_t start = out->len;

		crypto_random_hex(boundary, SEAL_BOUNDARY_BYTES);
		if (protect_subject)
			payload_protected(&payload, msg, len);
		write_mime_head(out, msg, len, protect_subject, boundary);
		ret = encrypt(ffi, keys, n, protect_subject ? payload.data : msg,
		              protect_subject ? payload.len : len, out);
		if (protect_subject)
			buf_wipe(&payload);
		if (ret == CRYPTO_OK) {
			buf_printf(out, "\r\n--tresor-%s--\r\n", boundary);
		} else {
			buf_truncate(out, start); /* nothing half-made stays */
			crypto_fail(err, err_size, ret, "encryption failed");
		}
	}
	for (size_t i = 0; i < n; i++)
		rnp_key_handle_destroy(keys[i]);
	return ret;
}

int crypto_seal_usable(const struct crypto_seal_key *sk, size_t n_sk, time_t now, size_t *usable_r)
{
	rnp_key_handle_t keys[CRYPTO_SEAL_KEYS_MAX];
	size_t loaded = 0;
	rnp_ffi_t ffi = NULL;
	int ret;

	ret = crypto_keyring_get(sk, n_sk, now, &ffi, keys, &loaded);
	*usable_r = usable_keys(keys, loaded, now);
	for (size_t i = 0; i < *usable_r; i++)
		rnp_key_handle_destroy(keys[i]);
	return ret;
}
