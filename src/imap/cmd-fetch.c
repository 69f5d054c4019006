/*
 * cmd-fetch.c - FETCH and UID FETCH.
 *
 * RFC 9051 6.4.5 / 7.5.2, RFC 3501 6.4.5 / 7.4.2: FLAGS, UID, INTERNALDATE,
 * RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, BODY[section]<partial> and
 * BODY.PEEK, RFC822, RFC822.HEADER, RFC822.TEXT; RFC 7162 3.1.4 (MODSEQ,
 * CHANGEDSINCE), 3.2.6 (VANISHED modifier); RFC 3516 / RFC 9051 BINARY.
 *
 * ENVELOPE and BODYSTRUCTURE come from what the store computed at delivery;
 * the message bytes are read (and parsed) only when a section is asked for.
 * A non-PEEK body fetch sets \Seen in one store call before the responses,
 * and those messages report their new FLAGS (RFC 9051 6.4.5).
 *
 * BINARY[part] sends the decoded content of a leaf part (mime_get_binary), as a
 * literal8 ~{n} when it holds a NUL, else as a literal (RFC 3516 4.3);
 * BINARY.SIZE[part] its decoded size. BINARY[] is BAD (it names a whole
 * message; RFC 9051 6.4.5 allows only leaf parts). A part that is a multipart
 * or a message, or whose Content-Transfer-Encoding is unknown, fails the whole
 * command with NO (NO [UNKNOWN-CTE], RFC 3516 4.3): those are checked for every
 * message before anything is sent or \Seen is set, so a failed FETCH has no
 * effect. A part that does not exist is NIL (BINARY.SIZE: 0).
 *
 * Limits: a message's bytes are held in memory while its response is built
 * (bounded by [imap] append_limit and the SMTP size limit at delivery).
 * Attacker control: the sequence set and item list (parsed with bounds by
 * fetch-parse.c); the message bytes were supplied by senders, and are sent
 * only as literals, never interpreted as protocol.
 */
#include "imap/commands.h"

#include "base/config.h"
#include "imap/server.h"
#include "base/buf.h"
#include "base/mem.h"
#include "imap/datetime.h"
#include "imap/fetch-parse.h"
#include "imap/msgset.h"
#include "imap/response.h"
#include "imap/seqset.h"
#include "imap/session.h"
#include "imap/view.h"
#include "mime/mime.h"
#include "store/store.h"

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

/* What the items ask of each message. */
struct fetch_needs {
	bool meta; /* INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY(STRUCTURE) */
	bool data; /* the bytes */
	bool set_seen;
	bool flags; /* FLAGS asked, or implied by \Seen being set */
	bool uid;   /* UID asked (UID FETCH and VANISHED imply it) */
	bool modseq;
};

/* One message being answered. */
struct fetch_msg {
	size_t seq;
	uint32_t uid;
	struct store_message_meta meta;
	bool have_meta;
	char *data;
	size_t size;
	struct mime_message *mime;
	bool flags_changed;
};

static void needs_of(struct imap_session *s, const struct imap_fetch *f, struct fetch_needs *n)
{
	size_t i;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < f->n_items; i++) {
		const struct imap_fetch_item *it = &f->items[i];

		switch (it->kind) {
		case IMAP_FETCH_FLAGS:
			n->flags = true;
			break;
		case IMAP_FETCH_MODSEQ:
			n->modseq = true;
			break;
		case IMAP_FETCH_INTERNALDATE:
		case IMAP_FETCH_RFC822_SIZE:
		case IMAP_FETCH_ENVELOPE:
		case IMAP_FETCH_BODY:
		case IMAP_FETCH_BODYSTRUCTURE:
			n->meta = true;
			break;
		case IMAP_FETCH_BODY_SECTION:
		case IMAP_FETCH_BINARY:
		case IMAP_FETCH_BINARY_SIZE:
			n->meta = n->data = true;
			if (!it->peek && !s->view->readonly)
				n->set_seen = true;
			break;
		case IMAP_FETCH_UID:
			n->uid = true;
			break;
		}
	}
	/* RFC 7162 3.1.4.1: CHANGEDSINCE implies MODSEQ in every response. */
	if (f->changedsince_set)
		n->modseq = true;
}

static void to_mime_section(const struct imap_section *in, struct mime_section *out)
{
	static const enum mime_section_kind kinds[] = {
	        [IMAP_SECTION_ALL] = MIME_SECTION_ALL,
	        [IMAP_SECTION_HEADER] = MIME_SECTION_HEADER,
	        [IMAP_SECTION_HEADER_FIELDS] = MIME_SECTION_HEADER_FIELDS,
	        [IMAP_SECTION_HEADER_FIELDS_NOT] = MIME_SECTION_HEADER_FIELDS_NOT,
	        [IMAP_SECTION_TEXT] = MIME_SECTION_TEXT,
	        [IMAP_SECTION_MIME] = MIME_SECTION_MIME,
	};

	out->path = in->path;
	out->depth = in->path_len;
	out->kind = kinds[in->kind];
	out->fields = in->fields;
	out->n_fields = in->n_fields;
}

/* Narrows [*p, *p + *len) to the partial window <origin.count> of the item. */
static void partial_window(const struct imap_fetch_item *it, const char **p, size_t *len)
{
	if (it->partial) {
		uint64_t start = it->origin < *len ? it->origin : *len;
		uint64_t n = *len - start < it->count ? *len - start : it->count;
		*p += start;
		*len = (size_t)n;
	}
}

/* Appends "{n}\r\n" and the bytes of the partial window of [p, p + len). */
static void write_literal_window(struct imap_session *s, const struct imap_fetch_item *it,
                                 const char *p, size_t len)
{
	partial_window(it, &p, &len);
	imap_printf(s, "{%zu}\r\n", len);
	imap_write(s, p, len);
}

static bool is_binary_item(const struct imap_fetch_item *it)
{
	return it->kind == IMAP_FETCH_BINARY || it->kind == IMAP_FETCH_BINARY_SIZE;
}

/* The decoded content of the item's part into b (sized for it); a MIME_BINARY_* result. */
static int binary_content(struct fetch_msg *m, const struct imap_fetch_item *it, struct buf *b)
{
	if (m->mime == NULL)
		m->mime = mime_parse(m->data, m->size);
	/* RFC 3516 6: text lines become CRLF, so the content is at most twice the size */
	buf_init(b, 2 * m->size + 1);
	return mime_get_binary(m->mime, it->section.path, it->section.path_len, b);
}

/* BINARY[part]<partial>: literal8 when the data holds a NUL (RFC 3516 4.3). */
static void write_binary(struct imap_session *s, struct fetch_msg *m,
                         const struct imap_fetch_item *it)
{
	const char *p;
	size_t len;
	struct buf b;

	imap_printf(s, "%s ", it->name);
	if (binary_content(m, it, &b) < 0) {
		imap_printf(s, it->kind == IMAP_FETCH_BINARY ? "NIL" : "0");
		buf_deinit(&b);
		return;
	}
	p = b.data != NULL ? b.data : "";
	len = b.len;
	if (it->kind == IMAP_FETCH_BINARY_SIZE) {
		imap_printf(s, "%zu", len);
	} else {
		partial_window(it, &p, &len);
		imap_printf(s, "%s{%zu}\r\n", memchr(p, '\0', len) != NULL ? "~" : "", len);
		imap_write(s, p, len);
	}
	buf_deinit(&b);
}

static void write_section(struct imap_session *s, struct fetch_msg *m,
                          const struct imap_fetch_item *it)
{
	struct mime_section sec;
	size_t start, len;
	struct buf b;
	int r;

	imap_printf(s, "%s ", it->name);
	if (it->section.path_len == 0 && it->section.kind == IMAP_SECTION_ALL) {
		write_literal_window(s, it, m->data, m->size);
		return;
	}
	if (m->mime == NULL)
		m->mime = mime_parse(m->data, m->size);
	to_mime_section(&it->section, &sec);
	r = mime_section_range(m->mime, &sec, &start, &len);
	if (r == 1) {
		write_literal_window(s, it, m->data + start, len);
		return;
	}
	if (r < 0) {
		imap_printf(s, "NIL");
		return;
	}
	buf_init(&b, m->size + 3);
	if (mime_get_section(m->mime, &sec, &b) < 0)
		imap_printf(s, "NIL");
	else
		write_literal_window(s, it, b.data ? b.data : "", b.len);
	buf_deinit(&b);
}

/* Starts the next item of a FETCH response: a space unless it is the first. */
static void item_start(struct imap_session *s, bool *first)
{
	if (!*first)
		imap_write(s, " ", 1);
	*first = false;
}

static void write_item(struct imap_session *s, struct fetch_msg *m,
                       const struct imap_fetch_item *it, bool *first)
{
	char date[IMAP_DATETIME_LEN + 1];

	switch (it->kind) {
	case IMAP_FETCH_UID:
	case IMAP_FETCH_FLAGS:
	case IMAP_FETCH_MODSEQ:
		return; /* written once, up front */
	case IMAP_FETCH_INTERNALDATE:
		imap_datetime_format(m->meta.internaldate, m->meta.internaldate_tz, date);
		item_start(s, first);
		imap_printf(s, "INTERNALDATE \"%s\"", date);
		return;
	case IMAP_FETCH_RFC822_SIZE:
		item_start(s, first);
		imap_printf(s, "RFC822.SIZE %llu", (unsigned long long)m->meta.size);
		return;
	case IMAP_FETCH_ENVELOPE:
		item_start(s, first);
		imap_printf(s, "ENVELOPE %s", m->meta.envelope);
		return;
	case IMAP_FETCH_BODY:
		item_start(s, first);
		imap_printf(s, "BODY %s", m->meta.body);
		return;
	case IMAP_FETCH_BODYSTRUCTURE:
		item_start(s, first);
		imap_printf(s, "BODYSTRUCTURE %s", m->meta.bodystructure);
		return;
	case IMAP_FETCH_BODY_SECTION:
		item_start(s, first);
		write_section(s, m, it);
		return;
	case IMAP_FETCH_BINARY:
	case IMAP_FETCH_BINARY_SIZE:
		item_start(s, first);
		write_binary(s, m, it);
		return;
	}
}

static void write_message(struct imap_session *s, const struct imap_fetch *f,
                          const struct fetch_needs *n, struct fetch_msg *m)
{
	const struct imap_view *v = s->view;
	size_t i = m->seq - 1, k;
	bool first = true;

	imap_printf(s, "* %zu FETCH (", m->seq);
	/* RFC 9051 6.4.9: UID FETCH always reports the UID. */
	if (n->uid || s->uid || f->vanished) {
		item_start(s, &first);
		imap_printf(s, "UID %u", v->uids[i]);
	}
	if (n->flags || m->flags_changed) {
		item_start(s, &first);
		imap_printf(s, "FLAGS ");
		imap_buf_flags(s->out, v->flags[i], v->keywords[i], v->uids[i] >= v->recent_uid);
	}
	if (n->modseq || (s->condstore && m->flags_changed)) {
		item_start(s, &first);
		imap_printf(s, "MODSEQ (%llu)", (unsigned long long)v->modseqs[i]);
	}
	for (k = 0; k < f->n_items; k++)
		write_item(s, m, &f->items[k], &first);
	imap_printf(s, ")\r\n");
}

/* Sets \Seen on the messages a non-PEEK body fetch reads; marks them changed. */
static int set_seen(struct imap_session *s, const uint32_t *seqs, size_t n, bool *changed)
{
	struct store_uid_range *ranges;
	struct store_change *ch = NULL;
	uint32_t *failed = NULL;
	size_t n_ranges, n_ch = 0, n_failed = 0, i, seq;
	int ret;

	ranges = imap_msgset_uid_ranges(s, seqs, n, &n_ranges);
	if (ranges == NULL || n_ranges == 0)
		return 0;
	ret = store_flags(s->ns.store, s->view->mailbox_id, ranges, n_ranges, STORE_FLAGS_ADD,
	                  STORE_FLAG_SEEN, NULL, 0, &ch, &n_ch, &failed, &n_failed);
	if (ret < 0)
		return ret;
	for (i = 0; i < n_ch; i++) {
		seq = imap_view_seq(s->view, ch[i].uid);
		if (seq == 0)
			continue;
		s->view->flags[seq - 1] = ch[i].flags;
		s->view->modseqs[seq - 1] = ch[i].modseq;
		changed[seq - 1] = true;
	}
	store_changes_array_free(&ch, n_ch);
	free(failed);
	return 0;
}

/* Loads what the items need; false if the message is gone from the store. */
static bool load_message(struct imap_session *s, const struct fetch_needs *n, struct fetch_msg *m)
{
	if (n->meta) {
		if (store_message_meta(s->ns.store, s->view->mailbox_id, m->uid, &m->meta) < 0)
			return false;
		m->have_meta = true;
	}
	if (n->data && store_message_data(s->ns.store, m->meta.message_id, &m->data, &m->size) < 0)
		return false;
	return true;
}

static void unload_message(struct fetch_msg *m)
{
	if (m->have_meta)
		store_message_meta_deinit(&m->meta);
	mime_message_free(&m->mime);
	XFREE(m->data);
}

/* RFC 7162 3.2.6: UID FETCH ... (CHANGEDSINCE n VANISHED). */
static void write_vanished(struct imap_session *s, const struct imap_fetch *f,
                           const struct imap_arg *set_arg)
{
	struct store_changes ch;
	struct imap_seqset set;

	if (imap_seqset_parse(set_arg->str, set_arg->len, &s->arena, &set, NULL) < 0 ||
	    store_changes_since(s->ns.store, s->view->mailbox_id, f->changedsince, &ch) < 0)
		return;
	imap_write_vanished_earlier(s, &ch, &set, s->view->uidnext);
	store_changes_deinit(&ch);
}

/*
 * Checks the BINARY items of every message before anything is sent. Returns 0, or
 * the MIME_BINARY_* error of the first part that cannot be sent (the store error
 * is left to the answering loop).
 */
static int check_binary(struct imap_session *s, const struct imap_fetch *f,
                        const struct fetch_needs *n, const uint32_t *seqs, size_t n_seqs)
{
	int ret = 0;

	for (size_t i = 0; i < n_seqs && ret == 0; i++) {
		struct fetch_msg m = {0};

		m.seq = seqs[i];
		m.uid = s->view->uids[m.seq - 1];
		if (f->changedsince_set && s->view->modseqs[m.seq - 1] <= f->changedsince)
			continue;
		if (!load_message(s, n, &m)) {
			unload_message(&m);
			continue;
		}
		m.mime = mime_parse(m.data, m.size);
		for (size_t k = 0; k < f->n_items && ret == 0; k++) {
			const struct imap_section *sec = &f->items[k].section;
			int r;

			if (!is_binary_item(&f->items[k]))
				continue;
			r = mime_get_binary(m.mime, sec->path, sec->path_len, NULL);
			ret = r == MIME_BINARY_NO_PART ? 0 : r;
		}
		unload_message(&m);
	}
	return ret;
}

/* Answers NO when a BINARY item cannot be sent for some message; false then. */
static bool binary_ok(struct imap_session *s, const struct imap_fetch *f,
                      const struct fetch_needs *n, const uint32_t *seqs, size_t n_seqs)
{
	bool any = false;

	for (size_t k = 0; k < f->n_items; k++)
		any = any || is_binary_item(&f->items[k]);
	if (!any)
		return true;
	switch (check_binary(s, f, n, seqs, n_seqs)) {
	case 0:
		return true;
	case MIME_BINARY_UNKNOWN_CTE:
		imap_tagged(s, "NO [UNKNOWN-CTE] Unknown Content-Transfer-Encoding");
		return false;
	default:
		imap_tagged(s, "NO BINARY applies only to leaf parts, not to a multipart or "
		               "message");
		return false;
	}
}

static bool check_modifiers(struct imap_session *s, const struct imap_fetch *f)
{
	if (f->vanished && (!s->uid || !s->qresync || !f->changedsince_set)) {
		imap_bad(s, "VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled");
		return false;
	}
	for (size_t k = 0; k < f->n_items; k++) {
		if (is_binary_item(&f->items[k]) && f->items[k].section.path_len == 0) {
			/* RFC 9051 6.4.5: BINARY only for leaf parts; [] is the message */
			imap_bad(s, "BINARY[] names the whole message; BINARY needs a part number");
			return false;
		}
	}
	if (f->changedsince_set)
		s->condstore = true; /* RFC 7162 3.1: CONDSTORE-enabling */
	return true;
}

void imap_cmd_fetch(struct imap_session *s)
{
	struct imap_fetch f;
	struct fetch_needs n;
	const char *error = "Invalid FETCH items";
	uint32_t *seqs;
	size_t n_seqs, i;
	bool *changed, missing = false;
	size_t max_out = (size_t)s->server->deps.config->imap_fetch_buffer_max;
	bool too_big = false;

	if (s->n_args < 2 || imap_msgset(s, &s->args[0], &seqs, &n_seqs) < 0) {
		if (s->n_args < 2)
			imap_bad(s, "FETCH expects a sequence set and items");
		return;
	}
	if (imap_fetch_parse(s->args + 1, s->n_args - 1, &s->arena, &f, &error) < 0) {
		imap_bad(s, error);
		return;
	}
	if (!check_modifiers(s, &f))
		return;
	needs_of(s, &f, &n);
	if (!binary_ok(s, &f, &n, seqs, n_seqs))
		return;
	if (n.modseq)
		s->condstore = true;
	if (f.vanished)
		write_vanished(s, &f, &s->args[0]);
	changed = xcalloc(s->view->count + 1, sizeof(*changed));
	if (n.set_seen && set_seen(s, seqs, n_seqs, changed) < 0) {
		free(changed);
		imap_store_error(s, STORE_ERR_TEMP, NULL);
		return;
	}
	for (i = 0; i < n_seqs && !too_big; i++) {
		struct fetch_msg m = {0};

		/*
		 * XXX the response is built in memory before it is sent: past
		 * [imap] fetch_buffer_max the command stops, keeps what it answered, and
		 * says NO [LIMIT] so the client asks for fewer messages at a time.
		 */
		if (evbuffer_get_length(s->out) >= max_out) {
			too_big = true;
			break;
		}
		m.seq = seqs[i];
		m.uid = s->view->uids[m.seq - 1];
		if (f.changedsince_set && s->view->modseqs[m.seq - 1] <= f.changedsince)
			continue;
		m.flags_changed = changed[m.seq - 1];
		if (load_message(s, &n, &m))
			write_message(s, &f, &n, &m);
		else
			missing = true;
		unload_message(&m);
	}
	free(changed);
	if (too_big)
		imap_tagged(s, "NO [LIMIT] Response too large: fetch fewer messages at a time");
	else if (missing)
		imap_tagged(s, "NO [EXPUNGEISSUED] Some of the requested messages no longer exist");
	else
		imap_tagged(s, "OK %sFETCH completed", s->uid ? "UID " : "");
}
