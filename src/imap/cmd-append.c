/*
 * cmd-append.c - APPEND (RFC 9051 6.3.12, RFC 3501 6.3.11) with UIDPLUS
 * APPENDUID (RFC 4315) and APPENDLIMIT (RFC 7889).
 *
 * The message goes through delivery_append, which seals it when the account
 * has keys (DESIGN.md, "Zero-access sealing": Sent and Drafts too), parses
 * it once (ENVELOPE, BODYSTRUCTURE stored beside it) and stores it; it is
 * acknowledged only when durable. A sealed account without a usable key gets
 * NO and nothing is stored.
 *
 * Limits: the literal is bounded by [imap] append_limit before it is read
 * (session.c answers NO [TOOBIG] without buffering it).
 * Attacker control: mailbox name, flags, date-time and the message bytes.
 */
#include "imap/commands.h"

#include "base/log.h"
#include "base/mem.h"
#include "imap/datetime.h"
#include "imap/response.h"
#include "imap/session.h"
#include "net/conn.h"
#include "delivery/delivery.h"
#include "store/store.h"

#include <string.h>
#include <time.h>

/* RFC 9051 9: flag-keyword is an atom; list wildcards and brackets are not atom chars. */
static bool keyword_ok(const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (memchr("()[]{}%*\"\\", k[i], 10) != NULL || (unsigned char)k[i] <= ' ' ||
		    (unsigned char)k[i] >= 0x7f)
			return false;
	}
	return len > 0;
}

bool imap_parse_flag_list(struct imap_session *s, const struct imap_arg *list, unsigned *flags_r,
                          const char **keywords_r)
{
	char *kw = imap_arena_alloc(&s->arena, STORE_KEYWORDS_MAX + 1);
	size_t i, used = 0;
	unsigned bit;

	*flags_r = 0;
	*keywords_r = NULL;
	if (kw == NULL)
		return false;
	for (i = 0; i < list->list_count; i++) {
		const struct imap_arg *a = &list->list[i];

		if (a->type != IMAP_ARG_ATOM)
			return false;
		if (a->str[0] == '\\') {
			if (!imap_flag_parse(a->str, a->len, &bit))
				return false; /* \Recent and unknown system flags */
			*flags_r |= bit;
			continue;
		}
		if (!keyword_ok(a->str, a->len))
			return false;
		if (used + a->len + 1 > STORE_KEYWORDS_MAX)
			return false;
		if (used > 0)
			kw[used++] = ' ';
		memcpy(kw + used, a->str, a->len);
		used += a->len;
	}
	kw[used] = '\0';
	*keywords_r = used > 0 ? kw : NULL;
	return true;
}

void imap_cmd_append(struct imap_session *s)
{
	const char *name = imap_mailbox_arg(s, 0);
	const struct imap_arg *msg;
	struct store_mailbox box = {0};
	struct store_new_entry target = {0};
	time_t date = time(NULL);
	int tz = 0, ret;
	size_t i = 1;
	uint32_t uid = 0;

	if (name == NULL)
		return;
	if (i < s->n_args && s->args[i].type == IMAP_ARG_LIST) {
		if (!imap_parse_flag_list(s, &s->args[i], &target.flags, &target.keywords)) {
			imap_bad(s, "Invalid flags");
			return;
		}
		i++;
	}
	if (i < s->n_args && s->args[i].type == IMAP_ARG_STRING) {
		if (!imap_datetime_parse(s->args[i].str, s->args[i].len, &date, &tz)) {
			imap_bad(s, "Invalid date-time");
			return;
		}
		i++;
	}
	if (i + 1 != s->n_args || s->args[i].type != IMAP_ARG_LITERAL) {
		imap_bad(s, "APPEND expects a message literal");
		return;
	}
	msg = &s->args[i];
	ret = store_mailbox_get(s->ns.store, s->user_id, name, &box);
	if (ret == STORE_ERR_NOTFOUND) {
		/* RFC 9051 6.3.12: tell the client it may CREATE and retry. */
		imap_tagged(s, "NO [TRYCREATE] No such mailbox");
		return;
	}
	if (ret < 0) {
		imap_store_error(s, ret, NULL);
		return;
	}
	target.mailbox_id = box.id;
	ret = delivery_append(s->ns.store, s->user, &target, msg->str, msg->len, date, tz, &uid);
	if (ret == DELIVERY_ERR_NOKEY) {
		/* Never stored in plain; delivery logged why for the administrator. */
		imap_tagged(s, "NO [UNAVAILABLE] The account has no usable encryption key; "
		               "try again later");
	} else if (ret == DELIVERY_ERR_SEAL) {
		imap_tagged(s, "NO [UNAVAILABLE] Temporary failure, try again later");
	} else if (ret < 0) {
		log_error("imap session=%s event=append-failed error=\"%s\"", s->ns.conn->id,
		          store_last_error(s->ns.store));
		imap_store_error(s, ret, NULL);
	} else {
		imap_tagged(s, "OK [APPENDUID %u %u] APPEND completed", box.uidvalidity, uid);
	}
	store_mailbox_deinit(&box);
}
