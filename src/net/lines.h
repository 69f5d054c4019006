/*
 * lines.h - taking command lines out of a connection's input under a hard
 * limit, for the line-based protocols (SMTP, POP3).
 *
 * A line ends with LF; a CR before it is dropped. An over-long line is never
 * buffered whole: the caller answers it and drops the rest with
 * lines_skip(). Attacker control: every byte.
 */
#ifndef TRESOR_NET_LINES_H
#define TRESOR_NET_LINES_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;

enum lines_result {
	LINES_NONE,     /* no complete line yet */
	LINES_OK,       /* a line was taken */
	LINES_TOO_LONG, /* the line is longer than max: answer, then lines_skip() */
};

/*
 * Takes one line of at most max bytes (line end included) from in into line
 * (max + 1 bytes), without its CR LF and NUL-terminated; *len_r is its length.
 * On LINES_TOO_LONG nothing is taken.
 */
enum lines_result lines_take(struct evbuffer *in, size_t max, char *line, size_t *len_r);
/* Drops input through the next LF; true once that LF has been dropped. */
bool lines_skip(struct evbuffer *in);
/*
 * lines_take for a command line of a protocol with SASL: an AUTH command
 * (its initial response) and every line of a SASL exchange (in_sasl) may be
 * up to auth_max bytes, any other line max (SMTP: RFC 4954 4; POP3: RFC 5034
 * 4). line has room for auth_max + 1 bytes.
 */
enum lines_result lines_take_command(struct evbuffer *in, bool in_sasl, size_t max, size_t auth_max,
                                     char *line, size_t *len_r);

#endif
