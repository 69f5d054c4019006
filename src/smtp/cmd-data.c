/*
 * cmd-data.c - DATA (RFC 5321 4.1.1.4), BDAT (RFC 3030 2, 3) and the commit
 * that follows the last byte of a message.
 *
 * The message text itself is read by session.c (through data.c for DATA,
 * as counted chunks for BDAT). BODY=BINARYMIME messages must come by BDAT
 * (RFC 3030 3). A message is answered 250 only once delivery_commit has made
 * it durable for every recipient; a store failure is 451 4.3.0 and nothing
 * of the message is kept. A sealed recipient without a usable key makes it
 * 451 4.7.1 (RFC 3463: a security reason), also with nothing kept.
 *
 * Submission (RFC 6409 8): the addresses in From must belong to the account
 * (553 5.7.1), and a missing Date or Message-ID is added.
 *
 * Limits: [smtp] max_message_size (552 5.3.4). Attacker control: the message.
 */
#include "smtp/commands.h"

#include "base/config.h"
#include "base/log.h"
#include "base/mem.h"
#include "delivery/delivery.h"
#include "net/conn.h"
#include "smtp/server.h"
#include "smtp/txn.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

void smtp_cmd_data(struct smtp_session *s)
{
	if (s->cmd.arg != NULL) {
		smtp_reply(s, "501 5.5.4 Syntax: DATA");
		return;
	}
	if (s->txn->body == SMTP_BODY_BINARYMIME) {
		smtp_reply(s, "503 5.5.1 BODY=BINARYMIME requires BDAT");
		return;
	}
	smtp_reply(s, "354 End data with <CR><LF>.<CR><LF>");
	s->after = SMTP_AFTER_DATA;
}

/* RFC 3030 2: why a BDAT chunk will be refused once it has been read, or NULL. */
static const char *bdat_refusal(const struct smtp_session *s)
{
	switch (s->state) {
	case SMTP_STATE_RCPT:
	case SMTP_STATE_BDAT:
		return NULL;
	case SMTP_STATE_MAIL:
		return "554 5.5.1 No valid recipients";
	case SMTP_STATE_CONNECTED:
		return "503 5.5.1 Send EHLO or HELO first";
	default:
		return "503 5.5.1 Send MAIL and RCPT first";
	}
}

void smtp_cmd_bdat(struct smtp_session *s)
{
	struct smtp_txn *t = s->txn;

	s->bdat_error = bdat_refusal(s);
	s->bdat_left = s->cmd.bdat_size;
	s->bdat_last = s->cmd.bdat_last;
	s->chunk_active = true;
	if (s->bdat_error != NULL)
		return;
	smtp_session_enter_state(s, SMTP_STATE_BDAT);
	/* Refused before a byte is buffered; the chunk is still read (and dropped). */
	if (s->cmd.bdat_size > buf_room(&t->message))
		t->too_big = true;
}

/* RFC 3848, RFC 6531 4.3: the "with" keyword of the Received header. */
static const char *protocol_name(const struct smtp_session *s)
{
	static const char *const names[2][2][2] = {
	        {{"ESMTP", "ESMTPA"}, {"ESMTPS", "ESMTPSA"}},
	        {{"UTF8SMTP", "UTF8SMTPA"}, {"UTF8SMTPS", "UTF8SMTPSA"}},
	};

	if (!s->esmtp)
		return "SMTP";
	return names[s->txn->smtputf8][s->ns.conn->tls][s->user != NULL];
}

/* Submission: every From address must be the account's; false after a refusal. */
static bool from_allowed(struct smtp_session *s)
{
	struct buf from;
	const char *line;
	bool ok = true;
	int ret;

	if (s->mode != SMTP_MODE_SUBMISSION)
		return true;
	buf_init(&from, 0);
	delivery_from_addresses(s->txn->message.data, s->txn->message.len, &from);
	for (line = from.data; ok && line < from.data + from.len; line = strchr(line, '\n') + 1) {
		char *nl = strchr(line, '\n');

		*nl = '\0';
		ret = delivery_sender_owned(s->ns.store, s->user, line);
		*nl = '\n';
		if (ret < 0) {
			smtp_store_error(s, "from");
			ok = false;
		} else if (ret == 0) {
			smtp_reply(s, "553 5.7.1 From address not owned by user %s", s->user);
			ok = false;
		}
	}
	buf_deinit(&from);
	return ok;
}

/* Worker: the last byte of a message has been read and checked. */
static void message_commit(struct smtp_session *s)
{
	struct smtp_trace trace = {s->helo,
	                           s->ns.conn->peer_ip,
	                           smtp_hostname(s),
	                           protocol_name(s),
	                           s->tls_info[0] ? s->tls_info : NULL,
	                           s->user};
	char id[SMTP_TXN_ID_LEN + 1];
	size_t size = s->txn->message.len, rcpts = s->txn->n_rcpts;
	int ret;

	if (!from_allowed(s)) {
		smtp_session_reset(s);
		return;
	}
	memcpy(id, s->txn->id, sizeof(id));
	ret = smtp_txn_commit(&s->txn, s->ns.store, &trace,
	                      s->mode == SMTP_MODE_SUBMISSION ? smtp_hostname(s) : NULL);
	smtp_session_reset(s);
	if (ret == DELIVERY_ERR_NOKEY) {
		/* RFC 3463 4.7.1: refused for a security reason; delivery logged which account. */
		smtp_reply(s, "451 4.7.1 A recipient's mail cannot be sealed now, try again later");
		return;
	}
	if (ret == DELIVERY_ERR_SEAL) {
		smtp_reply(s, "451 4.3.0 Temporary failure, try again later");
		return;
	}
	if (ret < 0) {
		smtp_store_error(s, "deliver");
		return;
	}
	log_info("smtp session=%s event=accepted id=%s size=%zu rcpts=%zu user=%s", s->ns.conn->id,
	         id, size, rcpts, s->user ? s->user : "-");
	smtp_reply(s, "250 2.0.0 Ok: queued as %s", id);
}

const struct smtp_cmd_def smtp_message_commit = {"DATA", SMTP_VERB_DATA, SMTP_STATE_ANY, 0,
                                                 message_commit};
