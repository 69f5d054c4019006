/*
 * cmd-list.c - STAT, LIST and UIDL (RFC 1939 5, 7), answered from the
 * maildrop loaded at login; messages marked by DELE are left out.
 *
 * Attacker control: the message number (checked against the maildrop).
 */
#include "pop3/commands.h"

#include "pop3/maildrop.h"

void pop3_cmd_stat(struct pop3_session *s)
{
	const struct pop3_maildrop *d = s->drop;

	pop3_ok(s, "%zu %llu", d->n - d->n_deleted,
	        (unsigned long long)(d->size_total - d->size_deleted));
}

/* The message named by the argument, or NULL after an -ERR. */
static struct pop3_message *argument_message(struct pop3_session *s)
{
	struct pop3_message *m = pop3_maildrop_get(s->drop, s->cmd.msg);

	if (m == NULL)
		pop3_err(s, s->cmd.msg <= s->drop->n ? "Message %u is deleted" : "No message %u",
		         s->cmd.msg);
	return m;
}

void pop3_cmd_list(struct pop3_session *s)
{
	const struct pop3_maildrop *d = s->drop;
	const struct pop3_message *m;
	size_t i;

	if (s->cmd.msg != 0) {
		if ((m = argument_message(s)) != NULL)
			pop3_ok(s, "%u %llu", s->cmd.msg, (unsigned long long)m->size);
		return;
	}
	pop3_ok(s, "%zu messages (%llu octets)", d->n - d->n_deleted,
	        (unsigned long long)(d->size_total - d->size_deleted));
	for (i = 0; i < d->n; i++) {
		if (!d->msgs[i].deleted)
			pop3_line(s, "%zu %llu", i + 1, (unsigned long long)d->msgs[i].size);
	}
	pop3_line(s, ".");
}

void pop3_cmd_uidl(struct pop3_session *s)
{
	const struct pop3_maildrop *d = s->drop;
	const struct pop3_message *m;
	char id[POP3_UIDL_LEN + 1];
	size_t i;

	if (s->cmd.msg != 0) {
		if ((m = argument_message(s)) != NULL) {
			pop3_maildrop_uidl(d, m, id);
			pop3_ok(s, "%u %s", s->cmd.msg, id);
		}
		return;
	}
	pop3_ok(s, "Unique ids follow");
	for (i = 0; i < d->n; i++) {
		if (d->msgs[i].deleted)
			continue;
		pop3_maildrop_uidl(d, &d->msgs[i], id);
		pop3_line(s, "%zu %s", i + 1, id);
	}
	pop3_line(s, ".");
}
