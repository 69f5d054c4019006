/*
 * stuff.c - byte-stuffing a message for RETR and TOP (RFC 1939 3).
 *
 * Lines that need no change are passed on in runs, so a message stored with
 * CRLF line ends and no leading dots costs one copy.
 */
#include "pop3/stuff.h"

#include <event2/buffer.h>
#include <string.h>

/* Where the line at p ends: just after its LF, or at end. */
static const char *line_end(const char *p, const char *end)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	return lf != NULL ? lf + 1 : end;
}

/* Whether the line [p, e) is empty ("\r\n", "\n" or nothing). */
static bool line_empty(const char *p, const char *e)
{
	return e - p == 0 || (e - p == 1 && p[0] == '\n') ||
	       (e - p == 2 && p[0] == '\r' && p[1] == '\n');
}

/* Whether the line [p, e) can be passed on unchanged. */
static bool line_clean(const char *p, const char *e)
{
	return p[0] != '.' && e - p >= 2 && e[-1] == '\n' && e[-2] == '\r';
}

/* Writes one line that needs a change: the extra dot, the CRLF. */
static void write_fixed(const char *p, const char *e, struct evbuffer *out)
{
	size_t n = (size_t)(e - p);

	if (p[0] == '.')
		evbuffer_add(out, ".", 1);
	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	evbuffer_add(out, p, n);
	evbuffer_add(out, "\r\n", 2);
}

void pop3_stuff(const char *data, size_t len, int64_t top_lines, struct evbuffer *out)
{
	const char *p = data, *end = data + len, *run = data;
	bool in_body = false;
	int64_t body_lines = 0;

	while (p < end) {
		const char *e = line_end(p, end);

		if (in_body && top_lines >= 0 && body_lines++ >= top_lines)
			break;
		if (!line_clean(p, e)) {
			evbuffer_add(out, run, (size_t)(p - run));
			write_fixed(p, e, out);
			run = e;
		}
		if (!in_body && line_empty(p, e))
			in_body = true;
		p = e;
	}
	evbuffer_add(out, run, (size_t)(p - run));
	evbuffer_add(out, ".\r\n", 3);
}
