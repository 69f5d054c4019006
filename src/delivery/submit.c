/*
 * submit.c - what a submission server adds to and checks in a message from
 * a user's client: the Date and Message-ID headers when missing (RFC 6409
 * 8.2, 8.3), and the From addresses the account must own.
 *
 * Limits: MIME_MAX_ADDRESSES From addresses (mime_address_parse).
 * Attacker control: the message (an authenticated user's own).
 */
#include "delivery/delivery.h"

#include "base/mem.h"
#include "base/str.h"
#include "crypto/random.h"
#include "mime/mime.h"

#include <string.h>

/* Random bytes in a Message-ID's left-hand side (128 bits). */
#define DELIVERY_MSGID_RANDOM 16

void delivery_missing_headers(const char *data, size_t size, const char *id_domain, time_t now,
                              struct buf *out)
{
	struct mime_message *msg = mime_parse(data, size);
	const char *value;
	size_t len;

	if (!mime_header_raw(msg, "Date", 0, &value, &len)) {
		char date[MIME_DATE_LEN + 1];

		mime_format_date(now, date);
		buf_printf(out, "Date: %s\r\n", date);
	}
	if (!mime_header_raw(msg, "Message-ID", 0, &value, &len)) {
		char id[2 * DELIVERY_MSGID_RANDOM + 1];

		crypto_random_hex(id, DELIVERY_MSGID_RANDOM);
		buf_printf(out, "Message-ID: <%s@%s>\r\n", id, id_domain);
	}
	mime_message_free(&msg);
}

/* Appends "local@domain\n" (lowercased), or "\n" for an entry no one owns. */
static void put_address(const struct mime_address *a, struct buf *out)
{
	size_t start = out->len;

	if (a->mailbox != NULL && a->domain != NULL && strcmp(a->mailbox, "MISSING_MAILBOX") != 0 &&
	    strcmp(a->domain, "MISSING_DOMAIN") != 0)
		buf_printf(out, "%s@%s", a->mailbox, a->domain);
	str_lower(out->data + start);
	buf_putc(out, '\n');
}

size_t delivery_from_addresses(const char *data, size_t size, struct buf *out)
{
	struct mime_message *msg = mime_parse(data, size);
	struct mime_address *addrs;
	const char *value;
	size_t len, n, i, count = 0, field;

	for (field = 0; mime_header_raw(msg, "From", field, &value, &len); field++) {
		n = mime_address_parse(value, len, &addrs);
		for (i = 0; i < n; i++) {
			/* A group start or end is not a mailbox: it is refused as one. */
			put_address(&addrs[i], out);
			count++;
		}
		if (n == 0) {
			buf_putc(out, '\n');
			count++;
		}
		mime_address_list_free(&addrs, n);
	}
	mime_message_free(&msg);
	return count;
}
