/*
 * prepare.c - message metadata computed at delivery; see prepare.h.
 *
 * Attacker control: the whole message (parsed by mime/, which bounds its
 * own work). Limits: STORE_META_BASE + STORE_META_FACTOR x size per text.
 */
#include "store/prepare.h"

#include "base/buf.h"
#include "base/mem.h"
#include "mime/mime.h"

#include <string.h>

void store_prepare(struct store_prepared *p, const char *data, size_t size, time_t internaldate,
                   int internaldate_tz)
{
	struct mime_message *m = mime_parse(data, size);
	size_t max = STORE_META_BASE + STORE_META_FACTOR * size;
	struct buf b;
	int tz;

	memset(p, 0, sizeof(*p));
	buf_init(&b, max);
	mime_write_envelope(&b, m);
	p->envelope = buf_steal(&b, NULL);
	buf_init(&b, max);
	mime_write_bodystructure(&b, m, true);
	p->bodystructure = buf_steal(&b, NULL);
	buf_init(&b, max);
	mime_write_bodystructure(&b, m, false);
	p->body = buf_steal(&b, NULL);
	buf_init(&b, STORE_HEADERS_MAX);
	mime_headers_decoded(m, &b);
	/* Cut text would make SEARCH miss: keep none, and SEARCH parses the message. */
	p->headers = buf_room(&b) > 0 ? buf_steal(&b, NULL) : NULL;
	buf_deinit(&b);
	p->msg.data = data;
	p->msg.size = size;
	p->msg.internaldate = internaldate;
	p->msg.internaldate_tz = internaldate_tz;
	if (!mime_sent_date(m, &p->msg.sent_date, &tz))
		p->msg.sent_date = internaldate;
	p->msg.envelope = p->envelope;
	p->msg.bodystructure = p->bodystructure;
	p->msg.body = p->body;
	p->msg.headers = p->headers;
	mime_message_free(&m);
}

void store_prepared_deinit(struct store_prepared *p)
{
	XFREE(p->envelope);
	XFREE(p->bodystructure);
	XFREE(p->body);
	XFREE(p->headers);
}
