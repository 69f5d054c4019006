/*
 * data.h - the DATA reader: turns the dot-stuffed text that follows DATA into
 * the message bytes, and finds its end. Pure: bytes in, bytes out, no socket.
 *
 * RFC 5321 4.1.1.4 (DATA, the end-of-data indication), 4.5.2 (transparency:
 * a leading dot is removed), 4.5.3.1.6 (text line length), 2.3.8 (lines end
 * with CRLF only).
 *
 * SMTP smuggling: only CR LF "." CR LF ends the data. A bare LF or a bare CR
 * anywhere is never taken as a line end; it is recorded (bare_lf/bare_cr) and
 * the session rejects the whole message once the real end has been read
 * (550 5.6.0, as Postfix's smtpd_forbid_bare_newline does).
 *
 * Limits: the message is kept up to `limit` bytes; beyond it bytes are
 * counted and dropped (too_big), never buffered, and reading goes on to the
 * end so the session can answer 552. Lines longer than line_max bytes
 * (without CRLF) set line_too_long. Attacker control: every byte.
 */
#ifndef TRESOR_SMTP_DATA_H
#define TRESOR_SMTP_DATA_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct smtp_data {
	int state;       /* position in the line (private to data.c) */
	uint64_t limit;  /* most message bytes kept */
	size_t line_max; /* longest text line, without CRLF */
	size_t line_len; /* length of the current line so far */
	uint64_t size;   /* message bytes seen (kept or not), after unstuffing */
	bool bare_lf;
	bool bare_cr;
	bool nul;
	bool has_8bit; /* a byte >= 0x80 was seen */
	bool too_big;
	bool line_too_long;
};

/* Starts reading a message, just after the 354 reply. */
void smtp_data_init(struct smtp_data *d, uint64_t limit, size_t line_max);

/*
 * Consumes bytes from in (len bytes) and appends the message bytes they carry
 * to out (the first `limit` message bytes, counted by d->size, so the caller
 * may empty out between calls). Returns how many bytes of in were consumed;
 * when the end-of-data line has been consumed *end_r is true and bytes after
 * it are left unconsumed (they are the next command, e.g. with PIPELINING).
 * Until then every byte is consumed. After the end, a call consumes nothing
 * and sets *end_r again. The CRLF before the final dot belongs to the
 * message; the final ".CRLF" does not. out must have room for limit bytes
 * (its own maximum is the caller's). Splitting the input differently never
 * changes the result.
 */
size_t smtp_data_feed(struct smtp_data *d, const char *in, size_t len, struct buf *out,
                      bool *end_r);

#endif
