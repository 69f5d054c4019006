/*
 * section.c - BODY[section] lookup (RFC 3501 6.4.5, RFC 9051 6.4.5).
 *
 * Part numbers walk the tree: the children of a multipart are numbered from 1; a
 * message/rfc822 part N has the parts of its encapsulated message as N.1, N.2 ...
 * (or only N.1, its body, when that message is not multipart); a message that is not
 * multipart has only part 1, its body. HEADER, HEADER.FIELDS(.NOT) and TEXT apply to
 * the top-level message or to a message/rfc822 part; MIME to any numbered part.
 *
 * XXX HEADER.FIELDS output copies the original field bytes, so a message stored with
 * bare LF line ends gives bare LF fields (the blank line at the end is CRLF).
 *
 * Limits: none of its own (the path is walked once). Attacker control: the message
 * and the section (client-chosen path and field names).
 */
#include "mime/mime-private.h"

#include "base/str.h"

#include <string.h>

/* The n-th (1-based) child of a multipart, or NULL. */
static const struct mime_part *child_at(const struct mime_part *p, uint32_t n)
{
	const struct mime_part *c = p->children;

	if (n == 0)
		return NULL;
	while (c != NULL && --n > 0)
		c = c->next;
	return c;
}

/* Part n inside the message whose top part is m. */
static const struct mime_part *message_part(const struct mime_part *m, uint32_t n)
{
	if (m->is_multipart)
		return child_at(m, n);
	return n == 1 ? m : NULL;
}

const struct mime_part *mime_resolve_part(const struct mime_message *msg, const uint32_t *path,
                                          size_t depth)
{
	const struct mime_part *p = msg->root;

	if (depth > 0 && path == NULL)
		return NULL;
	for (size_t i = 0; i < depth && p != NULL; i++) {
		if (i == 0)
			p = message_part(p, path[0]);
		else if (p->is_multipart)
			p = child_at(p, path[i]);
		else if (mime_part_is_message(p))
			p = message_part(p->message, path[i]);
		else
			p = NULL;
	}
	return p;
}

/* The message whose header HEADER/TEXT name: the root, or the encapsulated message. */
static const struct mime_part *section_message(const struct mime_message *msg,
                                               const struct mime_section *sec,
                                               const struct mime_part *p)
{
	if (sec->depth == 0)
		return msg->root;
	return mime_part_is_message(p) ? p->message : NULL;
}

static int section_bounds(const struct mime_message *msg, const struct mime_section *sec,
                          const struct mime_part **msgpart_r, size_t *start_r, size_t *end_r)
{
	const struct mime_part *p, *m;

	p = mime_resolve_part(msg, sec->path, sec->depth);
	if (p == NULL)
		return -1;
	switch (sec->kind) {
	case MIME_SECTION_ALL:
		*start_r = sec->depth == 0 ? 0 : p->body_start;
		*end_r = sec->depth == 0 ? msg->len : p->body_end;
		return 1;
	case MIME_SECTION_MIME:
		if (sec->depth == 0)
			return -1;
		*start_r = p->hdr_start;
		*end_r = p->body_start;
		return 1;
	default:
		break;
	}
	m = section_message(msg, sec, p);
	if (m == NULL)
		return -1;
	*msgpart_r = m;
	if (sec->kind == MIME_SECTION_TEXT) {
		*start_r = m->body_start;
		*end_r = m->body_end;
	} else {
		*start_r = m->hdr_start;
		*end_r = m->body_start;
	}
	return sec->kind == MIME_SECTION_HEADER || sec->kind == MIME_SECTION_TEXT ? 1 : 0;
}

int mime_section_range(const struct mime_message *msg, const struct mime_section *sec,
                       size_t *start_r, size_t *len_r)
{
	const struct mime_part *m = NULL;
	size_t start, end;
	int ret = section_bounds(msg, sec, &m, &start, &end);

	if (ret == 1) {
		*start_r = start;
		*len_r = end - start;
	}
	return ret;
}

static bool field_listed(const struct mime_section *sec, const struct mime_field *f)
{
	for (size_t i = 0; i < sec->n_fields; i++) {
		if (sec->fields[i] != NULL && str_eqn_ci(f->name, f->name_len, sec->fields[i]))
			return true;
	}
	return false;
}

static void write_fields(const struct mime_message *msg, const struct mime_section *sec,
                         size_t start, size_t end, struct buf *out)
{
	bool not = sec->kind == MIME_SECTION_HEADER_FIELDS_NOT;
	struct mime_field f;
	size_t pos = start;

	while (mime_hdr_next(msg->data, &pos, end, &f)) {
		if (field_listed(sec, &f) != not )
			buf_append(out, msg->data + f.start, f.end - f.start);
	}
	buf_append(out, "\r\n", 2);
}

int mime_get_section(const struct mime_message *msg, const struct mime_section *sec,
                     struct buf *out)
{
	const struct mime_part *m = NULL;
	size_t start, end;
	int ret = section_bounds(msg, sec, &m, &start, &end);

	if (ret < 0)
		return -1;
	if (ret == 1)
		buf_append(out, msg->data + start, end - start);
	else
		write_fields(msg, sec, start, end, out);
	return 0;
}
