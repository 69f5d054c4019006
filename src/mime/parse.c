/*
 * parse.c - the MIME structure parser: header fields, multipart boundaries,
 * message/rfc822 encapsulation, byte offsets and line counts of every part.
 *
 * RFC 5322 2.2 (header fields, folding), RFC 2045 5.2 (defaults), RFC 2046 5.1
 * (boundaries; the line end before a boundary line belongs to it), 5.1.2 (outer
 * boundaries end inner parts), 5.1.5 (digest default type), RFC 2046 5.2.1
 * (message/rfc822). A header ends at its blank line, at a boundary line, or before
 * the first line that is neither a field nor a continuation (RFC 5322 3.5, 3.6).
 *
 * The message is read once, line by line (memchr for LF; CRLF and bare LF both end a
 * line). A line starting with "--" is compared with the boundaries of the open
 * multiparts; like Dovecot a boundary matches as a prefix of the line (the longest
 * match wins). That is at most MIME_MAX_DEPTH comparisons of at most
 * MIME_BOUNDARY_MAX bytes per line, so parsing is linear in the message size.
 *
 * Limits: MIME_MAX_DEPTH (deeper bodies are opaque leaves), MIME_MAX_PARTS (further
 * parts are not recorded; their bytes belong to the last recorded part or to the
 * multipart), MIME_MAX_HEADER_FIELDS fields examined per header. Attacker control:
 * the whole message.
 */
#include "mime/mime-private.h"

#include "base/mem.h"
#include "base/str.h"

#include <stdlib.h>
#include <string.h>

struct boundary {
	const char *p;
	size_t len;
};

struct parse_ctx {
	const char *data;
	size_t len;
	size_t pos;    /* always at the start of a line (or len) */
	size_t lineno; /* number of LFs before pos */
	struct boundary stack[MIME_MAX_DEPTH];
	size_t n_stack;
	int found; /* stack index of the boundary at pos, -1 at end of data */
	bool found_close;
	size_t n_parts;
};

static const char *const hdr_names[MIME_H_COUNT] = {
        [MIME_H_DATE] = "Date",
        [MIME_H_SUBJECT] = "Subject",
        [MIME_H_FROM] = "From",
        [MIME_H_SENDER] = "Sender",
        [MIME_H_REPLY_TO] = "Reply-To",
        [MIME_H_TO] = "To",
        [MIME_H_CC] = "Cc",
        [MIME_H_BCC] = "Bcc",
        [MIME_H_IN_REPLY_TO] = "In-Reply-To",
        [MIME_H_MESSAGE_ID] = "Message-ID",
        [MIME_H_CONTENT_TYPE] = "Content-Type",
        [MIME_H_CONTENT_TRANSFER_ENCODING] = "Content-Transfer-Encoding",
        [MIME_H_CONTENT_ID] = "Content-ID",
        [MIME_H_CONTENT_DESCRIPTION] = "Content-Description",
        [MIME_H_CONTENT_DISPOSITION] = "Content-Disposition",
        [MIME_H_CONTENT_LANGUAGE] = "Content-Language",
        [MIME_H_CONTENT_LOCATION] = "Content-Location",
        [MIME_H_CONTENT_MD5] = "Content-MD5",
};

bool mime_buf_put(struct buf *out, const void *p, size_t len)
{
	size_t room = buf_room(out);

	if (len <= room) {
		buf_append(out, p, len);
		return true;
	}
	buf_append(out, p, room);
	return false;
}

static size_t line_next(const char *data, size_t pos, size_t end)
{
	const char *lf = memchr(data + pos, '\n', end - pos);

	return lf == NULL ? end : (size_t)(lf - data) + 1;
}

static bool is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Extends a field from its first line over its continuation lines. */
static size_t field_end(const char *data, size_t pos, size_t end)
{
	pos = line_next(data, pos, end);
	while (pos < end && is_wsp(data[pos]))
		pos = line_next(data, pos, end);
	return pos;
}

static size_t cut_line_end(const char *data, size_t start, size_t end)
{
	if (end > start && data[end - 1] == '\n')
		end--;
	if (end > start && data[end - 1] == '\r')
		end--;
	return end;
}

bool mime_hdr_next(const char *data, size_t *pos, size_t end, struct mime_field *f)
{
	while (*pos < end) {
		size_t start = *pos, fend = field_end(data, start, end);
		size_t vend = cut_line_end(data, start, fend);
		const char *colon = memchr(data + start, ':', vend - start);
		size_t nlen;

		*pos = fend;
		if (colon == NULL || is_wsp(data[start]))
			continue;
		nlen = (size_t)(colon - (data + start));
		while (nlen > 0 && is_wsp(data[start + nlen - 1]))
			nlen--;
		if (nlen == 0 || memchr(data + start, '\n', nlen) != NULL)
			continue;
		f->name = data + start;
		f->name_len = nlen;
		f->value = colon + 1;
		f->value_len = (size_t)(data + vend - (colon + 1));
		f->start = start;
		f->end = fend;
		return true;
	}
	return false;
}

/*
 * Index of the open boundary that the line at pos starts, or -1. RFC 2046 5.1.1
 * compares the boundary with the beginning of the line, and 5.1.2 requires outer
 * boundaries to be recognized at any depth. When several open boundaries prefix
 * the line ("abc" and "abcdef"), the longest is the one meant; between equal
 * boundaries (reused by a nested multipart, which the RFC forbids) the innermost.
 */
static int boundary_at(const struct parse_ctx *ctx, size_t pos, bool *close_r)
{
	size_t avail = ctx->len - pos;
	const char *line = ctx->data + pos;
	int best = -1;

	if (ctx->n_stack == 0 || avail < 3 || line[0] != '-' || line[1] != '-')
		return -1;
	for (size_t i = ctx->n_stack; i-- > 0;) {
		const struct boundary *b = &ctx->stack[i];

		if (avail - 2 < b->len || memcmp(line + 2, b->p, b->len) != 0)
			continue;
		if (best < 0 || b->len > ctx->stack[best].len)
			best = (int)i;
	}
	if (best >= 0) {
		size_t n = ctx->stack[best].len;

		*close_r = avail - 2 - n >= 2 && line[2 + n] == '-' && line[3 + n] == '-';
	}
	return best;
}

static void advance_line(struct parse_ctx *ctx)
{
	size_t next = line_next(ctx->data, ctx->pos, ctx->len);

	if (next > ctx->pos && ctx->data[next - 1] == '\n')
		ctx->lineno++;
	ctx->pos = next;
}

/* Moves pos to the next boundary line of any open multipart, or to the end. */
static void scan_to_boundary(struct parse_ctx *ctx)
{
	for (;;) {
		if (ctx->pos >= ctx->len) {
			ctx->found = -1;
			return;
		}
		ctx->found = boundary_at(ctx, ctx->pos, &ctx->found_close);
		if (ctx->found >= 0)
			return;
		advance_line(ctx);
	}
}

static bool line_is_blank(const struct parse_ctx *ctx)
{
	const char *p = ctx->data + ctx->pos;
	size_t avail = ctx->len - ctx->pos;

	return p[0] == '\n' || (avail >= 2 && p[0] == '\r' && p[1] == '\n');
}

/* RFC 5322 3.6.8: field-name = 1*ftext (printable US-ASCII but ':'), obs: *WSP ":". */
static bool line_is_field(const struct parse_ctx *ctx)
{
	const unsigned char *d = (const unsigned char *)ctx->data;
	size_t i = ctx->pos, n;

	while (i < ctx->len && d[i] > ' ' && d[i] < 127 && d[i] != ':')
		i++;
	n = i - ctx->pos;
	while (i < ctx->len && is_wsp(ctx->data[i]))
		i++;
	return n > 0 && i < ctx->len && d[i] == ':';
}

/* An mbox separator ("From " at the start of a header), as Python and mail readers skip it. */
static bool line_is_mbox_from(const struct parse_ctx *ctx, size_t hdr_start)
{
	return ctx->pos == hdr_start && ctx->len - ctx->pos >= 5 &&
	       memcmp(ctx->data + ctx->pos, "From ", 5) == 0;
}

/*
 * Finds the end of the header at pos: a blank line (which belongs to the header),
 * a boundary line, the end, or a line that is neither a field nor a continuation:
 * RFC 5322 3.5 / 3.6 allow only fields in the header section, so such a line (a
 * message that forgot the blank line) is the first line of the body.
 */
static void scan_header(struct parse_ctx *ctx, struct mime_part *part)
{
	ctx->found = -1;
	while (ctx->pos < ctx->len) {
		if (line_is_blank(ctx)) {
			advance_line(ctx);
			break;
		}
		ctx->found = boundary_at(ctx, ctx->pos, &ctx->found_close);
		if (ctx->found >= 0)
			break;
		if (!is_wsp(ctx->data[ctx->pos]) && !line_is_field(ctx) &&
		    !line_is_mbox_from(ctx, part->hdr_start))
			break;
		advance_line(ctx);
	}
	part->body_start = ctx->pos;
}

size_t mime_header_end(const char *data, size_t len)
{
	struct parse_ctx ctx;
	struct mime_part part;

	memset(&ctx, 0, sizeof(ctx));
	memset(&part, 0, sizeof(part));
	ctx.data = data;
	ctx.len = len;
	scan_header(&ctx, &part);
	return part.body_start;
}

bool mime_header_next(const char *data, size_t end, size_t *pos, struct mime_header_field *f)
{
	struct mime_field mf;

	if (!mime_hdr_next(data, pos, end, &mf))
		return false;
	f->name = mf.name;
	f->name_len = mf.name_len;
	f->start = mf.start;
	f->end = mf.end;
	return true;
}

static void remember_fields(const char *data, struct mime_part *part)
{
	size_t pos = part->hdr_start, n = 0;
	struct mime_field f;

	while (n++ < MIME_MAX_HEADER_FIELDS && mime_hdr_next(data, &pos, part->body_start, &f)) {
		for (size_t i = 0; i < MIME_H_COUNT; i++) {
			if (part->hdr[i].p == NULL &&
			    str_eqn_ci(f.name, f.name_len, hdr_names[i])) {
				part->hdr[i].p = f.value;
				part->hdr[i].len = f.value_len;
				break;
			}
		}
	}
}

static void set_default_type(struct mime_part *part, bool in_digest)
{
	mime_ctype_free(&part->ctype);
	part->default_type = true;
	if (in_digest) {
		part->ctype.type = xstrdup("MESSAGE");
		part->ctype.subtype = xstrdup("RFC822");
		return;
	}
	part->ctype.type = xstrdup("TEXT");
	part->ctype.subtype = xstrdup("PLAIN");
	part->ctype.params = xcalloc(1, sizeof(*part->ctype.params));
	part->ctype.params[0].name = xstrdup("CHARSET");
	part->ctype.params[0].value = xstrdup("US-ASCII");
	part->ctype.n_params = 1;
}

static void parse_content_headers(const char *data, struct mime_part *part, bool in_digest)
{
	const struct mime_slice *ct = &part->hdr[MIME_H_CONTENT_TYPE];
	const struct mime_slice *cd = &part->hdr[MIME_H_CONTENT_DISPOSITION];

	if (ct->p != NULL)
		mime_ctype_parse(ct->p, ct->len, true, &part->ctype);
	if (part->ctype.type == NULL)
		set_default_type(part, in_digest);
	if (cd->p != NULL)
		mime_ctype_parse(cd->p, cd->len, false, &part->disposition);
	part->is_multipart = str_eq_ci(part->ctype.type, "multipart");
}

/* Sets body_end and body_lines once pos is at the boundary line (or the end) ending it. */
static void finish_part(const struct parse_ctx *ctx, struct mime_part *part, size_t start_line)
{
	size_t end = ctx->pos, lines = ctx->lineno - start_line;

	if (ctx->found >= 0 && end > part->body_start) {
		/* RFC 2046 5.1.1: the line end before the boundary belongs to it. */
		end--;
		lines--;
		if (end > part->body_start && ctx->data[end - 1] == '\r')
			end--;
	}
	part->body_end = end;
	part->body_lines = lines; /* LFs, as Dovecot counts: an unended last line is not one */
}

static struct mime_part *part_new(struct parse_ctx *ctx, struct mime_part *parent)
{
	struct mime_part *p = xcalloc(1, sizeof(*p));

	p->parent = parent;
	p->hdr_start = ctx->pos;
	ctx->n_parts++;
	return p;
}

static void parse_part(struct parse_ctx *ctx, struct mime_part *part, size_t depth, bool in_digest);
static bool type_is_message(const struct mime_part *p);

static bool can_descend(const struct parse_ctx *ctx, size_t depth)
{
	return depth + 1 < MIME_MAX_DEPTH && ctx->n_parts < MIME_MAX_PARTS;
}

/* Skips over the line at pos and parses one child; returns it appended to part. */
static void parse_child(struct parse_ctx *ctx, struct mime_part *part, struct mime_part ***tail,
                        size_t depth, bool digest)
{
	struct mime_part *child;

	advance_line(ctx);
	child = part_new(ctx, part);
	**tail = child;
	*tail = &child->next;
	part->n_children++;
	parse_part(ctx, child, depth + 1, digest);
}

static void parse_multipart_body(struct parse_ctx *ctx, struct mime_part *part, size_t depth,
                                 const char *boundary)
{
	bool digest = str_eq_ci(part->ctype.subtype, "digest");
	struct mime_part **tail = &part->children;
	int mine = (int)ctx->n_stack;

	ctx->stack[ctx->n_stack].p = boundary;
	ctx->stack[ctx->n_stack++].len = strlen(boundary);
	scan_to_boundary(ctx); /* the preamble */
	while (ctx->found == mine && !ctx->found_close) {
		if (ctx->n_parts < MIME_MAX_PARTS) {
			parse_child(ctx, part, &tail, depth, digest);
		} else {
			advance_line(ctx);
			scan_to_boundary(ctx);
		}
	}
	ctx->n_stack--;
	if (ctx->found == mine) {
		advance_line(ctx); /* the close delimiter; then the epilogue */
		scan_to_boundary(ctx);
	}
}

static void parse_message_body(struct parse_ctx *ctx, struct mime_part *part, size_t depth)
{
	part->message = part_new(ctx, part);
	parse_part(ctx, part->message, depth + 1, false);
}

static void parse_part(struct parse_ctx *ctx, struct mime_part *part, size_t depth, bool in_digest)
{
	const char *boundary;
	size_t start_line;

	scan_header(ctx, part);
	start_line = ctx->lineno;
	remember_fields(ctx->data, part);
	parse_content_headers(ctx->data, part, in_digest);
	if (ctx->found >= 0) {
		/* a boundary line inside the header ends the part: empty body */
		finish_part(ctx, part, start_line);
		return;
	}
	boundary = part->is_multipart ? mime_ctype_param(&part->ctype, "boundary") : NULL;
	if (boundary != NULL && *boundary != '\0' && strlen(boundary) <= MIME_BOUNDARY_MAX &&
	    can_descend(ctx, depth))
		parse_multipart_body(ctx, part, depth, boundary);
	else if (type_is_message(part) && mime_part_cte(part) == MIME_CTE_IDENTITY &&
	         can_descend(ctx, depth))
		parse_message_body(ctx, part, depth);
	else
		scan_to_boundary(ctx);
	finish_part(ctx, part, start_line);
}

bool mime_part_is(const struct mime_part *p, const char *type, const char *subtype)
{
	return str_eq_ci(p->ctype.type, type) &&
	       (subtype == NULL || (p->ctype.subtype && str_eq_ci(p->ctype.subtype, subtype)));
}

bool mime_part_is_message(const struct mime_part *p)
{
	return p->message != NULL;
}

/* RFC 2046 5.2.1; message/global is RFC 6532's UTF-8 variant. */
static bool type_is_message(const struct mime_part *p)
{
	return mime_part_is(p, "message", "rfc822") || mime_part_is(p, "message", "global");
}

struct mime_message *mime_parse(const char *data, size_t len)
{
	struct mime_message *msg = xcalloc(1, sizeof(*msg));
	struct parse_ctx ctx;

	if (data == NULL)
		data = "";
	memset(&ctx, 0, sizeof(ctx));
	ctx.data = data;
	ctx.len = len;
	msg->data = data;
	msg->len = len;
	msg->root = part_new(&ctx, NULL);
	parse_part(&ctx, msg->root, 0, false);
	msg->n_parts = ctx.n_parts;
	return msg;
}

static void part_free(struct mime_part *p)
{
	while (p != NULL) {
		struct mime_part *next = p->next;

		part_free(p->children);
		part_free(p->message);
		mime_ctype_free(&p->ctype);
		mime_ctype_free(&p->disposition);
		free(p);
		p = next;
	}
}

void mime_message_free(struct mime_message **_msg)
{
	if (*_msg == NULL)
		return;
	part_free((*_msg)->root);
	XFREE(*_msg);
}
