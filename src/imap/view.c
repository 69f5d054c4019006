/*
 * view.c - the selected mailbox as a session sees it; see view.h.
 */
#include "imap/view.h"

#include "base/buf.h"
#include "base/mem.h"
#include "base/str.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(STORE_FLAG_DRAFT < 256, "the view keeps system flags in one byte");

struct imap_view *imap_view_new(uint64_t mailbox_id, const char *name, bool readonly)
{
	struct imap_view *v = xcalloc(1, sizeof(*v));

	v->mailbox_id = mailbox_id;
	v->name = xstrdup(name);
	v->readonly = readonly;
	return v;
}

void imap_view_free(struct imap_view **_v)
{
	struct imap_view *v = *_v;
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->count; i++)
		free(v->keywords[i]);
	free(v->uids);
	free(v->flags);
	free(v->keywords);
	free(v->modseqs);
	free(v->name);
	XFREE(*_v);
}

void imap_view_reserve(struct imap_view *v, size_t n)
{
	if (n <= v->cap)
		return;
	v->cap = n;
	v->uids = xreallocarray(v->uids, v->cap, sizeof(*v->uids));
	v->flags = xreallocarray(v->flags, v->cap, sizeof(*v->flags));
	v->keywords = xreallocarray(v->keywords, v->cap, sizeof(*v->keywords));
	v->modseqs = xreallocarray(v->modseqs, v->cap, sizeof(*v->modseqs));
}

void imap_view_append(struct imap_view *v, uint32_t uid, unsigned flags, char *keywords,
                      uint64_t modseq)
{
	if (v->count == v->cap)
		imap_view_reserve(v, v->cap ? v->cap + v->cap / 4 + 16 : 64);
	v->uids[v->count] = uid;
	v->flags[v->count] = (uint8_t)flags;
	v->keywords[v->count] = keywords;
	v->modseqs[v->count] = modseq;
	v->count++;
	if (uid >= v->uidnext)
		v->uidnext = uid + 1;
}

size_t imap_view_seq(const struct imap_view *v, uint32_t uid)
{
	size_t lo = 0, hi = v->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v->uids[mid] < uid)
			lo = mid + 1;
		else if (v->uids[mid] > uid)
			hi = mid;
		else
			return mid + 1;
	}
	return 0;
}

void imap_view_remove(struct imap_view *v, size_t seq)
{
	size_t i = seq - 1, tail;

	ASSERT(seq >= 1 && seq <= v->count);
	free(v->keywords[i]);
	tail = v->count - seq;
	memmove(v->uids + i, v->uids + i + 1, tail * sizeof(*v->uids));
	memmove(v->flags + i, v->flags + i + 1, tail * sizeof(*v->flags));
	memmove(v->keywords + i, v->keywords + i + 1, tail * sizeof(*v->keywords));
	memmove(v->modseqs + i, v->modseqs + i + 1, tail * sizeof(*v->modseqs));
	v->count--;
}

uint32_t imap_view_recent_count(const struct imap_view *v)
{
	size_t seq = v->count;

	while (seq > 0 && v->uids[seq - 1] >= v->recent_uid)
		seq--;
	return (uint32_t)(v->count - seq);
}

static bool has_word(const char *list, size_t list_len, const char *w, size_t wlen)
{
	const char *p = list, *end = list + list_len;

	while (p < end) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		size_t n = sp ? (size_t)(sp - p) : (size_t)(end - p);
		if (n == wlen && strncasecmp(p, w, n) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

char *imap_view_keywords(const struct imap_view *v)
{
	struct buf out;
	size_t i;

	buf_init(&out, 0);
	for (i = 0; i < v->count; i++) {
		const char *p = v->keywords[i];
		while (p != NULL && *p != '\0') {
			size_t n = strcspn(p, " ");
			if (n > 0 && !has_word(out.data ? out.data : "", out.len, p, n)) {
				if (out.len > 0)
					buf_putc(&out, ' ');
				buf_append(&out, p, n);
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	return buf_steal(&out, NULL);
}
