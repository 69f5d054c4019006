/*
 * header.c - header value decoding: unfolding, charsets to UTF-8 (iconv), RFC 2047
 * encoded words, Content-Type / Content-Disposition values with RFC 2231 parameters.
 *
 * RFC 5322 2.2.3 (unfolding), RFC 2047 2-6 (encoded words; white space between
 * adjacent encoded words is dropped, bytes of adjacent words in one charset are
 * joined before conversion so a character split across words survives), RFC 2231
 * 3-5 (continuations, charset'language'%XX values, "charset*lang" in encoded words),
 * RFC 2045 5.1 (Content-Type syntax), RFC 2183 2 (Content-Disposition).
 *
 * Lenient as mail demands: encoded words inside words and with spaces in their text
 * are decoded, unquoted parameter values run to the next ';', unknown charsets are
 * read as UTF-8, invalid bytes become U+FFFD.
 *
 * Limits: MIME_DECODE_LINE_MAX bytes of a value are decoded, MIME_MAX_PARAMS
 * parameters, CHARSET_NAME_MAX bytes of a charset name (longer or odd names are
 * unknown, never passed to iconv_open). Attacker control: every value.
 */
#include "mime/mime-private.h"

#include "base/mem.h"
#include "base/str.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#define CHARSET_NAME_MAX 40
#define ICONV_CHUNK      1024

static const char utf8_replacement[] = "\xEF\xBF\xBD";

void mime_unfold(const char *p, size_t len, struct buf *out)
{
	size_t i = 0, n = len;

	while (i < n && strchr(" \t\r\n", p[i]) != NULL)
		i++;
	while (n > i && strchr(" \t\r\n", p[n - 1]) != NULL)
		n--;
	while (i < n) {
		const char *nl = memchr(p + i, '\n', n - i);
		size_t stop = nl == NULL ? n : (size_t)(nl - p);
		size_t seg = stop > i && p[stop - 1] == '\r' ? stop - 1 : stop;

		if (!mime_buf_put(out, p + i, seg - i))
			return;
		i = stop + 1;
	}
}

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 1;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 2;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 3;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n <= need || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i <= need; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	}
	return need + 1;
}

/* Appends UTF-8 text, invalid bytes replaced; false when out is full. */
static bool utf8_put(struct buf *out, const char *p, size_t len)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, run = 0;

	while (i < len) {
		size_t n = utf8_seq(s + i, len - i);

		if (n > 0) {
			i += n;
			continue;
		}
		if (!mime_buf_put(out, p + run, i - run) || !mime_buf_put(out, utf8_replacement, 3))
			return false;
		run = ++i;
	}
	return mime_buf_put(out, p + run, len - run);
}

static bool charset_is_utf8(const char *cs)
{
	return *cs == '\0' || str_eq_ci(cs, "utf-8") || str_eq_ci(cs, "utf8") ||
	       str_eq_ci(cs, "us-ascii") || str_eq_ci(cs, "ascii");
}

static bool charset_name_ok(const char *cs)
{
	size_t n = strlen(cs);

	return n > 0 && n <= CHARSET_NAME_MAX &&
	       strspn(cs, "abcdefghijklmnopqrstuvwxyz"
	                  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                  "0123456789-_.:+") == n;
}

static void iconv_put(iconv_t cd, const char *in, size_t len, struct buf *out)
{
	char tmp[ICONV_CHUNK], *ip = (char *)in, *op;
	size_t il = len, ol, r;
	int err;

	while (il > 0) {
		op = tmp;
		ol = sizeof(tmp);
		r = iconv(cd, &ip, &il, &op, &ol);
		err = r == (size_t)-1 ? errno : 0;
		if (!mime_buf_put(out, tmp, (size_t)(op - tmp)))
			return;
		if (err == 0 || (err == E2BIG && op > tmp))
			continue;
		if (!mime_buf_put(out, utf8_replacement, 3) || err != EILSEQ)
			return; /* EINVAL: an incomplete sequence ends the input */
		ip++;
		il--;
	}
	op = tmp;
	ol = sizeof(tmp);
	if (iconv(cd, NULL, NULL, &op, &ol) != (size_t)-1)
		mime_buf_put(out, tmp, (size_t)(op - tmp));
}

void mime_charset_to_utf8(const char *charset, const char *in, size_t len, struct buf *out)
{
	iconv_t cd;

	if (charset == NULL || charset_is_utf8(charset) || !charset_name_ok(charset)) {
		utf8_put(out, in, len);
		return;
	}
	cd = iconv_open("UTF-8", charset);
	if (cd == (iconv_t)-1) {
		utf8_put(out, in, len);
		return;
	}
	iconv_put(cd, in, len, out);
	iconv_close(cd);
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* --- RFC 2047 encoded words --- */

struct ew {
	char charset[CHARSET_NAME_MAX + 1];
	char enc;
	const char *text;
	size_t text_len;
	size_t end; /* offset just after "?=" */
};

/* Parses "=?charset?enc?text?=" at s[i]; RFC 2231 5 "charset*lang" loses its *lang. */
static bool ew_parse(const char *s, size_t n, size_t i, struct ew *ew)
{
	size_t j = i + 2, cs = j, k;

	while (j < n && s[j] != '?' && j - cs <= CHARSET_NAME_MAX && !strchr(" \t", s[j]))
		j++;
	if (j == cs || j + 2 >= n || s[j] != '?' || s[j + 2] != '?' || j - cs > CHARSET_NAME_MAX)
		return false;
	ew->enc = s[j + 1];
	if (!strchr("bBqQ", ew->enc) || ew->enc == '\0')
		return false;
	k = j + 3;
	ew->text = s + k;
	while (k < n && s[k] != '?')
		k++;
	if (k + 1 >= n || s[k + 1] != '=')
		return false;
	ew->text_len = (size_t)(s + k - ew->text);
	ew->end = k + 2;
	memcpy(ew->charset, s + cs, j - cs);
	ew->charset[j - cs] = '\0';
	ew->charset[strcspn(ew->charset, "*")] = '\0';
	return true;
}

static void b64_decode(const char *p, size_t len, struct buf *out)
{
	unsigned int acc = 0, bits = 0;

	for (size_t i = 0; i < len && p[i] != '='; i++) {
		int v = b64_val(p[i]);

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

static void q_decode(const char *p, size_t len, struct buf *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;

		if (p[i] == '_') {
			buf_putc(out, ' ');
		} else if (p[i] == '=' && i + 2 < len && (hi = hex_val(p[i + 1])) >= 0 &&
		           (lo = hex_val(p[i + 2])) >= 0) {
			buf_putc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			buf_putc(out, p[i]);
		}
	}
}

struct ew_decoder {
	struct buf *out;
	struct buf pending; /* decoded bytes of adjacent words in one charset */
	char charset[CHARSET_NAME_MAX + 1];
};

static void ew_flush(struct ew_decoder *d)
{
	if (d->pending.len > 0)
		mime_charset_to_utf8(d->charset, d->pending.data, d->pending.len, d->out);
	buf_reset(&d->pending);
}

static void ew_add(struct ew_decoder *d, const struct ew *ew)
{
	if (d->pending.len > 0 && !str_eq_ci(d->charset, ew->charset))
		ew_flush(d);
	memcpy(d->charset, ew->charset, sizeof(d->charset));
	if (ew->enc == 'b' || ew->enc == 'B')
		b64_decode(ew->text, ew->text_len, &d->pending);
	else
		q_decode(ew->text, ew->text_len, &d->pending);
}

static bool all_wsp(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	}
	return true;
}

static void ew_decode(const char *s, size_t n, struct buf *out)
{
	struct ew_decoder d = {.out = out};
	size_t i = 0, text = 0;
	bool after_ew = false;
	struct ew ew;

	buf_init(&d.pending, 0);
	while (i + 1 < n) {
		if (s[i] != '=' || s[i + 1] != '?' || !ew_parse(s, n, i, &ew)) {
			i++;
			continue;
		}
		if (!after_ew || !all_wsp(s + text, i - text)) {
			ew_flush(&d);
			utf8_put(out, s + text, i - text);
		}
		ew_add(&d, &ew);
		i = text = ew.end;
		after_ew = true;
	}
	ew_flush(&d);
	utf8_put(out, s + text, n - text);
	buf_deinit(&d.pending);
}

void mime_decode_header_value(const char *value, size_t len, struct buf *out)
{
	struct buf unf;

	buf_init(&unf, MIME_DECODE_LINE_MAX);
	mime_unfold(value, len, &unf);
	ew_decode(unf.data ? unf.data : "", unf.len, out);
	buf_deinit(&unf);
}

/* --- Content-Type and RFC 2231 parameters --- */

struct lex {
	const char *s;
	size_t n, i;
};

static void lex_skip_cfws(struct lex *lx)
{
	int depth = 0;

	for (; lx->i < lx->n; lx->i++) {
		char c = lx->s[lx->i];

		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (c == '\\' && depth > 0 && lx->i + 1 < lx->n)
			lx->i++;
		else if (depth == 0 && c != ' ' && c != '\t')
			return;
	}
}

static bool is_token_char(char c)
{
	return (unsigned char)c > ' ' && c != 0x7F && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* A token copy, or NULL when none is at the cursor. */
static char *lex_token(struct lex *lx)
{
	size_t start = lx->i;

	while (lx->i < lx->n && is_token_char(lx->s[lx->i]))
		lx->i++;
	return lx->i == start ? NULL : xstrndup(lx->s + start, lx->i - start);
}

static char *lex_quoted(struct lex *lx)
{
	struct buf b;

	buf_init(&b, 0);
	for (lx->i++; lx->i < lx->n && lx->s[lx->i] != '"'; lx->i++) {
		if (lx->s[lx->i] == '\\' && lx->i + 1 < lx->n)
			lx->i++;
		buf_putc(&b, lx->s[lx->i]);
	}
	lx->i++;
	return buf_steal(&b, NULL);
}

/*
 * An unquoted value: up to the next ';' outside comments, white space trimmed.
 * Lenient: spaces are allowed inside (name=my file.txt). RFC 2045 5.1 makes the
 * value a token and what follows it CFWS, so comments are dropped
 * (boundary=abc (comment) is "abc").
 */
static char *lex_value(struct lex *lx)
{
	struct buf b;
	int depth = 0;
	size_t n;
	char *v;

	buf_init(&b, 0);
	for (; lx->i < lx->n && (depth > 0 || lx->s[lx->i] != ';'); lx->i++) {
		char c = lx->s[lx->i];

		if (c == '(')
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (c == '\\' && depth > 0 && lx->i + 1 < lx->n)
			lx->i++;
		else if (depth == 0)
			buf_putc(&b, c);
	}
	n = b.len;
	while (n > 0 && (b.data[n - 1] == ' ' || b.data[n - 1] == '\t'))
		n--;
	v = xstrndup(n > 0 ? b.data : "", n);
	buf_deinit(&b);
	return v;
}

struct raw_param {
	char *base;
	int section; /* -1: no *N */
	bool ext;    /* name ended with '*' */
	char *value;
};

static void raw_param_split(char *name, struct raw_param *r)
{
	size_t n = strlen(name), d;

	r->base = name;
	r->section = -1;
	r->ext = n > 1 && name[n - 1] == '*';
	if (r->ext)
		name[--n] = '\0';
	d = n;
	while (d > 0 && name[d - 1] >= '0' && name[d - 1] <= '9')
		d--;
	if (d > 1 && d < n && n - d <= 3 && name[d - 1] == '*') {
		r->section = atoi(name + d);
		name[d - 1] = '\0';
	}
}

static size_t parse_raw_params(struct lex *lx, struct raw_param *raw)
{
	size_t n = 0;

	while (lx->i < lx->n && n < MIME_MAX_PARAMS) {
		char *name;

		while (lx->i < lx->n && lx->s[lx->i] != ';')
			lx->i++;
		lx->i++;
		lex_skip_cfws(lx);
		name = lex_token(lx);
		if (name == NULL)
			continue;
		lex_skip_cfws(lx);
		if (lx->i >= lx->n || lx->s[lx->i] != '=') {
			free(name);
			continue;
		}
		lx->i++;
		lex_skip_cfws(lx);
		raw[n].value =
		        lx->i < lx->n && lx->s[lx->i] == '"' ? lex_quoted(lx) : lex_value(lx);
		raw_param_split(name, &raw[n++]);
	}
	return n;
}

static void percent_decode(const char *p, struct buf *out)
{
	for (; *p != '\0'; p++) {
		int hi, lo;

		if (*p == '%' && (hi = hex_val(p[1])) >= 0 && (lo = hex_val(p[2])) >= 0) {
			buf_putc(out, (char)(hi << 4 | lo));
			p += 2;
		} else {
			buf_putc(out, *p);
		}
	}
}

/* The RFC 2231 sections of base, ordered by section number, duplicates dropped. */
static size_t rfc2231_sections(const struct raw_param *raw, size_t n, const char *base, size_t *idx)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		size_t j = m;

		if ((!raw[i].ext && raw[i].section < 0) || !str_eq_ci(raw[i].base, base))
			continue;
		while (j > 0 && raw[idx[j - 1]].section > raw[i].section)
			j--;
		if (j > 0 && raw[idx[j - 1]].section == raw[i].section)
			continue;
		memmove(idx + j + 1, idx + j, (m - j) * sizeof(*idx));
		idx[j] = i;
		m++;
	}
	return m;
}

/* RFC 2231 3-4: joins the sections of base in order, decodes charset'lang'%XX. */
static char *rfc2231_join(const struct raw_param *raw, size_t n, const char *base)
{
	char charset[CHARSET_NAME_MAX + 1] = "";
	size_t idx[MIME_MAX_PARAMS], m = rfc2231_sections(raw, n, base, idx);
	struct buf joined, out;

	buf_init(&joined, 0);
	for (size_t k = 0; k < m; k++) {
		const struct raw_param *r = &raw[idx[k]];
		const char *v = r->value, *q1, *q2;

		if (r->ext && k == 0 && (q1 = strchr(v, '\'')) != NULL &&
		    (q2 = strchr(q1 + 1, '\'')) != NULL) {
			if ((size_t)(q1 - v) <= CHARSET_NAME_MAX) {
				memcpy(charset, v, (size_t)(q1 - v));
				charset[q1 - v] = '\0';
			}
			v = q2 + 1;
		}
		if (r->ext)
			percent_decode(v, &joined);
		else
			buf_puts(&joined, v);
	}
	buf_init(&out, 0);
	mime_charset_to_utf8(charset, joined.data ? joined.data : "", joined.len, &out);
	buf_deinit(&joined);
	return buf_steal(&out, NULL);
}

static struct mime_param *param_find(struct mime_ctype *ct, const char *name)
{
	for (size_t i = 0; i < ct->n_params; i++) {
		if (str_eq_ci(ct->params[i].name, name))
			return &ct->params[i];
	}
	return NULL;
}

static void build_params(struct mime_ctype *ct, struct raw_param *raw, size_t n)
{
	bool from2231[MIME_MAX_PARAMS] = {false};

	ct->params = n == 0 ? NULL : xcalloc(n, sizeof(*ct->params));
	for (size_t i = 0; i < n; i++) {
		bool is2231 = raw[i].ext || raw[i].section >= 0;
		struct mime_param *p = param_find(ct, raw[i].base);
		size_t k;

		if (p == NULL) {
			p = &ct->params[ct->n_params++];
			p->name = xstrdup(raw[i].base);
		} else if (!is2231 || from2231[p - ct->params]) {
			continue; /* a second value, or a plain one beside its RFC 2231 form */
		}
		k = (size_t)(p - ct->params);
		free(p->value);
		p->value = is2231 ? rfc2231_join(raw, n, raw[i].base) : xstrdup(raw[i].value);
		from2231[k] = is2231;
	}
}

void mime_ctype_parse(const char *p, size_t len, bool want_subtype, struct mime_ctype *ct)
{
	struct raw_param raw[MIME_MAX_PARAMS];
	struct buf unf;
	struct lex lx;
	size_t n;

	buf_init(&unf, MIME_DECODE_LINE_MAX);
	mime_unfold(p, len, &unf);
	lx = (struct lex){.s = unf.data ? unf.data : "", .n = unf.len};
	lex_skip_cfws(&lx);
	ct->type = lex_token(&lx);
	lex_skip_cfws(&lx);
	if (want_subtype && ct->type != NULL) {
		if (lx.i < lx.n && lx.s[lx.i] == '/') {
			lx.i++;
			lex_skip_cfws(&lx);
			ct->subtype = lex_token(&lx);
		}
		if (ct->subtype == NULL)
			XFREE(ct->type); /* RFC 2045 5.2: broken, take the default */
	}
	if (ct->type != NULL) {
		n = parse_raw_params(&lx, raw);
		build_params(ct, raw, n);
		for (size_t i = 0; i < n; i++) {
			free(raw[i].base);
			free(raw[i].value);
		}
	}
	buf_deinit(&unf);
}

void mime_ctype_free(struct mime_ctype *ct)
{
	for (size_t i = 0; i < ct->n_params; i++) {
		free(ct->params[i].name);
		free(ct->params[i].value);
	}
	XFREE(ct->params);
	XFREE(ct->type);
	XFREE(ct->subtype);
	ct->n_params = 0;
}

const char *mime_ctype_param(const struct mime_ctype *ct, const char *name)
{
	for (size_t i = 0; i < ct->n_params; i++) {
		if (str_eq_ci(ct->params[i].name, name))
			return ct->params[i].value;
	}
	return NULL;
}
