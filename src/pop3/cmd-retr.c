/*
 * cmd-retr.c - RETR and TOP (RFC 1939 7): the stored bytes of a message,
 * byte-stuffed with CRLF line ends (pop3/stuff.c). For a sealed account the
 * stored form is the PGP/MIME message, and that is what is sent.
 *
 * A message expunged over IMAP since login answers -ERR and the session goes
 * on. Limits: the message as stored (bounded by the delivery limits); the
 * response is built in memory. Attacker control: message number, line count.
 */
#include "pop3/commands.h"

#include "base/log.h"
#include "net/conn.h"
#include "pop3/maildrop.h"
#include "pop3/stuff.h"
#include "store/store.h"

#include <stdlib.h>

static void send_message(struct pop3_session *s, int64_t top_lines)
{
	struct pop3_message *m = pop3_maildrop_get(s->drop, s->cmd.msg);
	struct store_message_meta meta = {0};
	char *data = NULL;
	size_t size = 0;
	int ret;

	if (m == NULL) {
		pop3_err(s, s->cmd.msg <= s->drop->n ? "Message %u is deleted" : "No message %u",
		         s->cmd.msg);
		return;
	}
	/* The entry must still exist: its bytes may live on in another mailbox. */
	ret = store_message_meta(s->ns.store, s->drop->mailbox_id, m->uid, &meta);
	if (ret == STORE_OK)
		ret = store_message_data(s->ns.store, m->message_id, &data, &size);
	store_message_meta_deinit(&meta);
	if (ret == STORE_ERR_NOTFOUND) {
		pop3_err(s, "Message %u was deleted by another session", s->cmd.msg);
		return;
	}
	if (ret < 0) {
		log_error("pop3 session=%s event=retr-failed error=\"%s\"", s->ns.conn->id,
		          store_last_error(s->ns.store));
		pop3_err(s, "[SYS/TEMP] Temporary failure, try again later");
		return;
	}
	pop3_ok(s, "%llu octets", (unsigned long long)m->size);
	pop3_stuff(data, size, top_lines, pop3_out(s));
	free(data);
}

void pop3_cmd_retr(struct pop3_session *s)
{
	send_message(s, -1);
}

void pop3_cmd_top(struct pop3_session *s)
{
	send_message(s, s->cmd.lines > INT64_MAX ? INT64_MAX : (int64_t)s->cmd.lines);
}
