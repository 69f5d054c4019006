/*
 * address.c - RFC 5322 3.4 address lists (with 4.4 obsolete forms) as the IMAP
 * ENVELOPE needs them: name, source route, mailbox, host, and group markers.
 *
 * The value is unfolded and split into tokens (atoms, quoted strings, domain
 * literals, comments, specials); the parser then reads mailboxes, angle addresses
 * with routes (obs-route), and groups. It never fails: junk becomes a mailbox with
 * "MISSING_DOMAIN", an address without local part gets "MISSING_MAILBOX", and an
 * address without display name takes the comment after it as name (as Dovecot does).
 *
 * Limits: MIME_DECODE_LINE_MAX bytes of the value, MIME_MAX_ADDRESSES entries.
 * Attacker control: the whole value.
 */
#include "mime/mime-private.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

enum tok_type { TOK_ATOM, TOK_QSTR, TOK_DLIT, TOK_COMMENT, TOK_SPECIAL };

struct tok {
	enum tok_type type;
	const char *p; /* QSTR / COMMENT: the content between the delimiters, escapes kept */
	size_t n;
	bool space_before;
};

struct toks {
	struct tok *v;
	size_t n, i;
};

static size_t scan_delimited(const char *s, size_t n, size_t i, char open, char close)
{
	int depth = 1;

	for (i++; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == open && open != close)
			depth++;
		else if (s[i] == close && --depth == 0)
			break;
	}
	return i; /* at the closing char, or n */
}

static bool is_special(char c)
{
	return strchr("()<>[]:;@\\,.\"", c) != NULL;
}

static void tokenize(const char *s, size_t n, struct toks *t)
{
	bool space = false;

	t->v = xcalloc(n + 1, sizeof(*t->v));
	for (size_t i = 0; i < n;) {
		struct tok *k = &t->v[t->n];
		size_t end;

		if (s[i] == ' ' || s[i] == '\t') {
			space = true;
			i++;
			continue;
		}
		k->space_before = space;
		space = false;
		if (s[i] == '"' || s[i] == '(') {
			end = scan_delimited(s, n, i, s[i], s[i] == '"' ? '"' : ')');
			k->type = s[i] == '"' ? TOK_QSTR : TOK_COMMENT;
			k->p = s + i + 1;
			k->n = end - i - 1;
			i = end + 1;
		} else if (s[i] == '[') {
			end = scan_delimited(s, n, i, '[', ']');
			k->type = TOK_DLIT;
			k->p = s + i;
			k->n = (end < n ? end + 1 : n) - i;
			i = end + 1;
		} else if (is_special(s[i]) && s[i] != ')' && s[i] != ']' && s[i] != '\\') {
			k->type = TOK_SPECIAL;
			k->p = s + i++;
			k->n = 1;
		} else {
			end = i + 1;
			while (end < n && !is_special(s[end]) && s[end] != ' ' && s[end] != '\t')
				end++;
			k->type = TOK_ATOM;
			k->p = s + i;
			k->n = end - i;
			i = end;
		}
		t->n++;
	}
}

/* The next non-comment token, or NULL at the end; comments before it are skipped. */
static const struct tok *peek(struct toks *t)
{
	while (t->i < t->n && t->v[t->i].type == TOK_COMMENT)
		t->i++;
	return t->i < t->n ? &t->v[t->i] : NULL;
}

static bool is_spec(const struct tok *k, char c)
{
	return k != NULL && k->type == TOK_SPECIAL && k->p[0] == c;
}

static void put_unescaped(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\\' && i + 1 < n)
			i++;
		buf_putc(b, p[i]);
	}
}

/* Phrase words (atoms, quoted strings, dots) from t->i on, joined with single spaces. */
static void read_phrase(struct toks *t, struct buf *b)
{
	const struct tok *k;

	while ((k = peek(t)) != NULL &&
	       (k->type == TOK_ATOM || k->type == TOK_QSTR || is_spec(k, '.'))) {
		if (b->len > 0 && (k->space_before || t->v[t->i - (t->i > 0)].type == TOK_COMMENT))
			buf_putc(b, ' ');
		if (k->type == TOK_QSTR)
			put_unescaped(b, k->p, k->n);
		else
			buf_append(b, k->p, k->n);
		t->i++;
	}
}

/* Concatenates tokens of the given kinds (local part or domain) without spaces. */
static void read_word_run(struct toks *t, struct buf *b, bool domain)
{
	for (;;) {
		size_t j = t->i;
		const struct tok *k;

		while (j < t->n && t->v[j].type == TOK_COMMENT)
			j++;
		if (j >= t->n)
			return;
		k = &t->v[j];
		if (k->type == TOK_QSTR && !domain)
			put_unescaped(b, k->p, k->n);
		else if (k->type == TOK_ATOM || is_spec(k, '.') || (domain && k->type == TOK_DLIT))
			buf_append(b, k->p, k->n);
		else
			return; /* comments before the stop stay for the caller */
		t->i = j + 1;
	}
}

struct addr_list {
	struct mime_address *v;
	size_t n;
};

static char *take(struct buf *b)
{
	return b == NULL || b->len == 0 ? NULL : buf_steal(b, NULL);
}

static void emit(struct addr_list *l, struct buf *name, struct buf *route, struct buf *mbox,
                 struct buf *domain)
{
	struct mime_address *a;

	if (l->n >= MIME_MAX_ADDRESSES)
		return;
	if ((l->n & (l->n - 1)) == 0)
		l->v = xreallocarray(l->v, l->n == 0 ? 1 : l->n * 2, sizeof(*l->v));
	a = &l->v[l->n++];
	a->name = take(name);
	a->route = take(route);
	a->mailbox = take(mbox);
	a->domain = take(domain);
	if (domain != NULL && a->mailbox == NULL)
		a->mailbox = xstrdup("MISSING_MAILBOX");
	if (domain != NULL && a->domain == NULL)
		a->domain = xstrdup("MISSING_DOMAIN");
}

/* obs-route "@a,@b:" inside an angle address. */
static void read_route(struct toks *t, struct buf *route)
{
	const struct tok *k;
	size_t save = t->i;

	while ((k = peek(t)) != NULL && (is_spec(k, '@') || is_spec(k, ','))) {
		buf_append(route, k->p, k->n);
		t->i++;
		read_word_run(t, route, true);
	}
	if (is_spec(peek(t), ':') && route->len > 0) {
		t->i++;
		return;
	}
	t->i = save; /* not a route after all */
	buf_reset(route);
}

static void read_angle_addr(struct toks *t, struct addr_list *l, struct buf *name)
{
	struct buf route, mbox, domain;
	const struct tok *k;

	buf_init(&route, 0);
	buf_init(&mbox, 0);
	buf_init(&domain, 0);
	t->i++; /* '<' */
	read_route(t, &route);
	read_word_run(t, &mbox, false);
	if (is_spec(peek(t), '@')) {
		t->i++;
		read_word_run(t, &domain, true);
	}
	while ((k = peek(t)) != NULL && !is_spec(k, '>') && !is_spec(k, ',') && !is_spec(k, ';'))
		t->i++;
	if (is_spec(peek(t), '>'))
		t->i++;
	emit(l, name, &route, &mbox, &domain);
	buf_deinit(&route);
	buf_deinit(&mbox);
	buf_deinit(&domain);
}

/* addr-spec: the words read so far were the local part; a comment after gives the name. */
static void read_addr_spec(struct toks *t, struct addr_list *l, struct buf *local)
{
	struct buf name, domain;
	size_t i;

	buf_init(&name, 0);
	buf_init(&domain, 0);
	t->i++; /* '@' */
	read_word_run(t, &domain, true);
	for (i = t->i; i < t->n && t->v[i].type == TOK_COMMENT; i++)
		;
	if (i > t->i) {
		put_unescaped(&name, t->v[i - 1].p, t->v[i - 1].n);
		t->i = i;
	}
	emit(l, &name, NULL, local, &domain);
	buf_deinit(&name);
	buf_deinit(&domain);
}

/* One list element: a group start, a mailbox, or a bare word; then ',' or ';'. */
static void read_element(struct toks *t, struct addr_list *l, bool *in_group)
{
	struct buf words, local;
	const struct tok *k;
	size_t start = t->i;

	buf_init(&words, 0);
	buf_init(&local, 0);
	read_phrase(t, &words);
	k = peek(t);
	if (is_spec(k, ':')) {
		t->i++;
		if (!*in_group && l->n < MIME_MAX_ADDRESSES) {
			emit(l, NULL, NULL, &words, NULL);
			if (l->v[l->n - 1].mailbox == NULL)
				l->v[l->n - 1].mailbox = xstrdup("");
		}
		*in_group = true;
	} else if (is_spec(k, '<')) {
		read_angle_addr(t, l, &words);
	} else if (is_spec(k, '@')) {
		t->i = start;
		read_word_run(t, &local, false);
		read_addr_spec(t, l, &local);
	} else if (words.len > 0) {
		emit(l, NULL, NULL, &words, &local); /* no domain */
	}
	k = peek(t);
	if (is_spec(k, ';') && *in_group) {
		emit(l, NULL, NULL, NULL, NULL);
		*in_group = false;
	}
	if (k != NULL && t->i == start)
		t->i++; /* junk: always move on */
	else if (is_spec(k, ',') || is_spec(k, ';'))
		t->i++;
	buf_deinit(&words);
	buf_deinit(&local);
}

size_t mime_address_parse(const char *value, size_t len, struct mime_address **addrs_r)
{
	struct addr_list l = {NULL, 0};
	struct toks t = {NULL, 0, 0};
	bool in_group = false;
	struct buf unf;

	buf_init(&unf, MIME_DECODE_LINE_MAX);
	mime_unfold(value, len, &unf);
	tokenize(unf.data ? unf.data : "", unf.len, &t);
	while (peek(&t) != NULL && l.n < MIME_MAX_ADDRESSES)
		read_element(&t, &l, &in_group);
	if (in_group)
		emit(&l, NULL, NULL, NULL, NULL);
	free(t.v);
	buf_deinit(&unf);
	*addrs_r = l.v;
	return l.n;
}

void mime_address_list_free(struct mime_address **_addrs, size_t n)
{
	struct mime_address *a = *_addrs;

	if (a == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(a[i].name);
		free(a[i].route);
		free(a[i].mailbox);
		free(a[i].domain);
	}
	XFREE(*_addrs);
}
