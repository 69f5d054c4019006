/*
 * data.c - the DATA reader: unstuffs the text after DATA and finds its end;
 * see data.h.
 *
 * RFC 5321 4.1.1.4 (the end of mail data is CRLF "." CRLF), 4.5.2
 * (transparency: the first "." of a line is deleted), 4.5.3.1.6 (a text line
 * is at most 1000 octets with its CRLF, the stuffed dot not counted), 2.3.8
 * (CR and LF appear only together as CRLF).
 *
 * SMTP smuggling: a line ends only at CR LF. A LF without a CR before it, or a
 * CR without a LF after it, is an ordinary message byte that also sets
 * bare_lf or bare_cr; so "\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r" and the like
 * never end the data, and the session refuses the message afterwards.
 *
 * Speed: the common bytes of a line are skipped eight at a time, and the
 * message bytes are appended in runs that stop only at a removed dot.
 *
 * Limits: d->limit bytes kept, d->line_max bytes per line (flagged, not
 * enforced). Attacker control: every byte; no byte can make the reader keep
 * more than limit bytes or read outside [in, in + len).
 */
#include "smtp/data.h"

#include <string.h>

#include "base/mem.h"

/* Where the reader is (struct smtp_data.state). */
enum data_state {
	DATA_LINE_START, /* at the start of a line: a "." here is special */
	DATA_IN_LINE,    /* inside a line */
	DATA_CR,         /* after a CR inside a line (or at its start) */
	DATA_DOT,        /* after a "." at the start of a line, which is dropped */
	DATA_DOT_CR,     /* after "." CR at the start of a line, both held back */
	DATA_END,        /* the end-of-data line has been consumed */
};

#define WORD_ONES  0x0101010101010101ULL
#define WORD_HIGHS 0x8080808080808080ULL

void smtp_data_init(struct smtp_data *d, uint64_t limit, size_t line_max)
{
	memset(d, 0, sizeof(*d));
	d->state = DATA_LINE_START;
	d->limit = limit;
	d->line_max = line_max;
}

/* Counts n message bytes and keeps those that fit under the limit. */
static void data_emit(struct smtp_data *d, struct buf *out, const char *p, size_t n)
{
	uint64_t room = d->size < d->limit ? d->limit - d->size : 0;
	size_t keep = room < n ? (size_t)room : n;

	if (keep > 0)
		buf_append(out, p, keep);
	if (keep < n)
		d->too_big = true;
	d->size += n;
}

static void data_line_grow(struct smtp_data *d, size_t n)
{
	d->line_len += n;
	if (d->line_len > d->line_max)
		d->line_too_long = true;
}

/* Non-zero iff some byte of w is zero (exact as a whole; which bit is set is not). */
static uint64_t word_has_zero(uint64_t w)
{
	return (w - WORD_ONES) & ~w & WORD_HIGHS;
}

/* True when a word holds a byte that ends a run of ordinary line bytes. */
static bool data_word_special(const struct smtp_data *d, uint64_t w)
{
	uint64_t m = word_has_zero(w ^ ('\r' * WORD_ONES)) | word_has_zero(w ^ ('\n' * WORD_ONES));

	/* Once a flag is set its bytes are ordinary, so 8-bit text stays fast. */
	if (!d->nul)
		m |= word_has_zero(w);
	if (!d->has_8bit)
		m |= w & WORD_HIGHS;
	return m != 0;
}

/*
 * The number of bytes at p (at most n) before the first CR or LF, recording
 * NUL and 8-bit bytes on the way.
 */
static size_t data_scan_line(struct smtp_data *d, const unsigned char *p, size_t n)
{
	size_t i = 0, stop;

	for (;;) {
		uint64_t w;

		while (n - i >= sizeof(w)) {
			memcpy(&w, p + i, sizeof(w));
			if (data_word_special(d, w))
				break;
			i += sizeof(w);
		}
		stop = n - i > sizeof(w) ? i + sizeof(w) : n;
		for (; i < stop; i++) {
			if (p[i] == '\r' || p[i] == '\n')
				return i;
			if (p[i] == 0)
				d->nul = true;
			else if (p[i] >= 0x80)
				d->has_8bit = true;
		}
		if (i == n)
			return i;
	}
}

/*
 * One step of the machine at in[*i]. The bytes in [*run, *i) are message
 * bytes not yet emitted; a step that drops a byte emits them first. Returns
 * true at the end of the data.
 */
static bool data_step(struct smtp_data *d, const char *in, size_t len, size_t *i, size_t *run,
                      struct buf *out)
{
	unsigned char c = (unsigned char)in[*i];
	size_t n;

	switch ((enum data_state)d->state) {
	case DATA_LINE_START:
		if (c != '.') {
			d->state = DATA_IN_LINE;
			return false;
		}
		/* RFC 5321 4.5.2: the first "." of a line is not message text. */
		data_emit(d, out, in + *run, *i - *run);
		d->state = DATA_DOT;
		*run = ++*i;
		return false;
	case DATA_IN_LINE:
		n = data_scan_line(d, (const unsigned char *)in + *i, len - *i);
		data_line_grow(d, n);
		*i += n;
		if (*i == len)
			return false;
		if (in[*i] == '\r') {
			d->state = DATA_CR;
		} else {
			/* RFC 5321 2.3.8: a bare LF is text, not a line end. */
			d->bare_lf = true;
			data_line_grow(d, 1);
		}
		++*i;
		return false;
	case DATA_CR:
		if (c == '\n') {
			d->state = DATA_LINE_START;
			d->line_len = 0;
			++*i;
			return false;
		}
		/* A bare CR is text; c is read again in the line, it cannot pair with it. */
		d->bare_cr = true;
		data_line_grow(d, 1);
		d->state = DATA_IN_LINE;
		return false;
	case DATA_DOT:
		if (c == '\r') {
			d->state = DATA_DOT_CR;
			*run = ++*i;
		} else {
			d->state = DATA_IN_LINE;
		}
		return false;
	case DATA_DOT_CR:
		if (c == '\n') {
			d->state = DATA_END;
			++*i;
			return true;
		}
		/* ".\r" and more: the dot stays removed, the held-back CR is bare text. */
		d->bare_cr = true;
		data_emit(d, out, "\r", 1);
		data_line_grow(d, 1);
		d->state = DATA_IN_LINE;
		return false;
	case DATA_END:
		break;
	}
	PANIC("smtp_data: bad state %d", d->state);
}

size_t smtp_data_feed(struct smtp_data *d, const char *in, size_t len, struct buf *out, bool *end_r)
{
	size_t i = 0, run = 0;

	*end_r = d->state == DATA_END;
	if (*end_r)
		return 0;
	while (i < len) {
		if (data_step(d, in, len, &i, &run, out)) {
			*end_r = true;
			return i;
		}
	}
	data_emit(d, out, in + run, i - run);
	return i;
}
