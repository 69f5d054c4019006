/*
 * lines.c - bounded line reading from an evbuffer (see lines.h).
 */
#include "net/lines.h"

#include "base/mem.h"

#include <event2/buffer.h>
#include <string.h>
#include <strings.h>

/* Longest prefix starts_with() compares. */
#define LINES_PREFIX_MAX 16

enum lines_result lines_take(struct evbuffer *in, size_t max, char *line, size_t *len_r)
{
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	size_t len;

	if (eol.pos < 0)
		return evbuffer_get_length(in) >= max ? LINES_TOO_LONG : LINES_NONE;
	len = (size_t)eol.pos + 1;
	if (len > max)
		return LINES_TOO_LONG;
	evbuffer_remove(in, line, len);
	len--; /* LF */
	if (len > 0 && line[len - 1] == '\r')
		len--;
	line[len] = '\0';
	*len_r = len;
	return LINES_OK;
}

bool lines_skip(struct evbuffer *in)
{
	struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);

	if (eol.pos < 0) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return false;
	}
	evbuffer_drain(in, (size_t)eol.pos + 1);
	return true;
}

/* Whether the input starts with prefix (ASCII, case-insensitive). */
static bool starts_with(struct evbuffer *in, const char *prefix)
{
	char head[LINES_PREFIX_MAX];
	size_t n = strlen(prefix);

	ASSERT(n <= sizeof(head));
	return evbuffer_copyout(in, head, n) == (ev_ssize_t)n && strncasecmp(head, prefix, n) == 0;
}

enum lines_result lines_take_command(struct evbuffer *in, bool in_sasl, size_t max, size_t auth_max,
                                     char *line, size_t *len_r)
{
	return lines_take(in, in_sasl || starts_with(in, "AUTH ") ? auth_max : max, line, len_r);
}
