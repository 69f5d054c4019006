/*
 * response.c - writing IMAP data: strings, mailbox names, flag lists, and the
 * replies to store errors.
 *
 * RFC 9051 4.3 (strings: quoted when the value allows, else a literal),
 * RFC 3501 5.1.3 (modified UTF-7 mailbox names; RFC 9051 6.3.1 UTF-8 when
 * enabled).
 *
 * Attacker control: mailbox names and strings come from clients (through the
 * store); every value is written as a quoted string only if it has no CR, LF,
 * NUL, '"' or '\\' problems, otherwise as a literal, so nothing a client stored
 * can break the response syntax.
 */
#include "imap/response.h"

#include "base/buf.h"
#include "base/mem.h"
#include "imap/mutf7.h"
#include "imap/session.h"
#include "store/store.h"

#include <event2/buffer.h>
#include <string.h>

/* Quoted strings stay short and 7-bit; anything else goes as a literal. */
#define IMAP_QUOTED_MAX 1024

static bool quotable(const char *str, size_t len, bool utf8)
{
	size_t i;

	if (len > IMAP_QUOTED_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c == '\r' || c == '\n' || c == '\0' || (c >= 0x80 && !utf8))
			return false;
	}
	return true;
}

void imap_buf_string(struct evbuffer *out, const char *str, size_t len, bool utf8)
{
	size_t i;

	if (!quotable(str, len, utf8)) {
		evbuffer_add_printf(out, "{%zu}\r\n", len);
		evbuffer_add(out, str, len);
		return;
	}
	evbuffer_add(out, "\"", 1);
	for (i = 0; i < len; i++) {
		if (str[i] == '"' || str[i] == '\\')
			evbuffer_add(out, "\\", 1);
		evbuffer_add(out, &str[i], 1);
	}
	evbuffer_add(out, "\"", 1);
}

void imap_write_string(struct imap_session *s, const char *str, size_t len)
{
	imap_buf_string(s->out, str, len, s->utf8);
}

void imap_write_mailbox(struct imap_session *s, const char *utf8_name)
{
	struct buf enc;
	const char *error;

	if (s->utf8) {
		imap_write_string(s, utf8_name, strlen(utf8_name));
		return;
	}
	buf_init(&enc, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_utf8_to_mutf7(utf8_name, strlen(utf8_name), &enc, &error) < 0)
		imap_write_string(s, utf8_name, strlen(utf8_name));
	else
		imap_write_string(s, enc.data ? enc.data : "", enc.len);
	buf_deinit(&enc);
}

const char *imap_mailbox_arg(struct imap_session *s, size_t i)
{
	const char *raw = imap_arg_str(s, i), *error;
	struct buf dec;
	char *name;

	if (raw == NULL) {
		imap_bad(s, "Missing or invalid mailbox name");
		return NULL;
	}
	if (strlen(raw) > STORE_MAILBOX_NAME_MAX) {
		imap_tagged(s, "NO Mailbox name too long");
		return NULL;
	}
	if (s->utf8)
		return raw;
	buf_init(&dec, STORE_MAILBOX_NAME_MAX * 4);
	if (imap_mutf7_to_utf8(raw, strlen(raw), &dec, &error) < 0) {
		buf_deinit(&dec);
		imap_tagged(s, "NO Invalid mailbox name: %s", error);
		return NULL;
	}
	name = imap_arena_strndup(&s->arena, dec.data ? dec.data : "", dec.len);
	buf_deinit(&dec);
	return name;
}

static const struct {
	unsigned bit;
	const char *name;
} system_flags[] = {
        {STORE_FLAG_ANSWERED, "\\Answered"}, {STORE_FLAG_FLAGGED, "\\Flagged"},
        {STORE_FLAG_DELETED, "\\Deleted"},   {STORE_FLAG_SEEN, "\\Seen"},
        {STORE_FLAG_DRAFT, "\\Draft"},
};

void imap_buf_flags(struct evbuffer *out, unsigned flags, const char *keywords, bool recent)
{
	size_t i;
	bool first = true;

	evbuffer_add(out, "(", 1);
	for (i = 0; i < N_ELEMENTS(system_flags); i++) {
		if (flags & system_flags[i].bit) {
			evbuffer_add_printf(out, "%s%s", first ? "" : " ", system_flags[i].name);
			first = false;
		}
	}
	if (recent) {
		evbuffer_add_printf(out, "%s\\Recent", first ? "" : " ");
		first = false;
	}
	if (keywords != NULL && *keywords != '\0')
		evbuffer_add_printf(out, "%s%s", first ? "" : " ", keywords);
	evbuffer_add(out, ")", 1);
}

bool imap_flag_parse(const char *name, size_t len, unsigned *flag_r)
{
	size_t i;

	for (i = 0; i < N_ELEMENTS(system_flags); i++) {
		if (strlen(system_flags[i].name) == len &&
		    strncasecmp(system_flags[i].name, name, len) == 0) {
			*flag_r = system_flags[i].bit;
			return true;
		}
	}
	return false;
}

void imap_store_error(struct imap_session *s, int err, const char *what)
{
	switch (err) {
	case STORE_ERR_NOTFOUND:
		imap_tagged(s, "NO [NONEXISTENT] %s", what ? what : "No such mailbox");
		break;
	case STORE_ERR_EXISTS:
		imap_tagged(s, "NO [ALREADYEXISTS] %s", what ? what : "Mailbox already exists");
		break;
	case STORE_ERR_INVALID:
		imap_tagged(s, "NO [CANNOT] %s", what ? what : "Operation not permitted");
		break;
	case STORE_ERR_HASCHILD:
		imap_tagged(s, "NO [HASCHILDREN] %s",
		            what ? what : "Mailbox has children; delete them first");
		break;
	default:
		imap_tagged(s, "NO [UNAVAILABLE] Temporary failure, try again later");
		break;
	}
}
