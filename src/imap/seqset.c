/*
 * seqset.c - IMAP sequence sets (RFC 3501/9051 section 9 "sequence-set",
 * RFC 5182 "$").
 *
 * Limits: IMAP_SEQSET_MAX_RANGES ranges; 32-bit numbers (10 digits at most).
 * Attacker control: the set text. The range count is known before any
 * allocation (commas + 1), so memory is bounded by the text length.
 */
#include "imap/seqset.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* Reads one seq-number at *pp: '*' gives IMAP_SEQ_STAR. */
static int seq_number(const char **pp, const char *end, uint32_t *n_r, const char **error_r)
{
	const char *p = *pp;
	uint64_t v = 0;

	if (p < end && *p == '*') {
		*pp = p + 1;
		*n_r = IMAP_SEQ_STAR;
		return 0;
	}
	if (p == end || *p < '0' || *p > '9') {
		*error_r = "Invalid sequence set";
		return -1;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX) {
			*error_r = "Sequence number too large";
			return -1;
		}
	}
	if (v == 0) {
		*error_r = "Sequence number 0 is invalid";
		return -1;
	}
	*pp = p;
	*n_r = (uint32_t)v;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct imap_seq_range *x = a, *y = b;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

/* Sorts and merges n concrete ranges in place; returns the new count. */
static size_t ranges_normalize(struct imap_seq_range *r, size_t n)
{
	size_t i, out = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1; i < n; i++) {
		struct imap_seq_range *prev = &r[out];

		if (prev->last == UINT32_MAX || r[i].first <= prev->last + 1) {
			if (r[i].last > prev->last)
				prev->last = r[i].last;
		} else {
			r[++out] = r[i];
		}
	}
	return out + 1;
}

static size_t count_ranges(const char *str, size_t len)
{
	size_t n = 1;

	for (size_t i = 0; i < len; i++)
		n += str[i] == ',';
	return n;
}

/* Parses the ranges of str into r[0..n): concrete ones first, star ones last. */
static int parse_ranges(const char *p, const char *end, struct imap_seq_range *r, size_t n,
                        size_t *n_star_r, const char **error_r)
{
	size_t front = 0, back = n;

	while (front < back) {
		uint32_t a, b;

		if (seq_number(&p, end, &a, error_r) < 0)
			return -1;
		b = a;
		if (p < end && *p == ':') {
			p++;
			if (seq_number(&p, end, &b, error_r) < 0)
				return -1;
		}
		if (p < end && *p != ',') {
			*error_r = "Invalid sequence set";
			return -1;
		}
		if (p < end)
			p++;
		if (a == IMAP_SEQ_STAR || b == IMAP_SEQ_STAR)
			r[--back] =
			        (struct imap_seq_range){a == IMAP_SEQ_STAR ? b : a, IMAP_SEQ_STAR};
		else
			r[front++] = (struct imap_seq_range){a < b ? a : b, a < b ? b : a};
	}
	*n_star_r = n - front;
	return 0;
}

static int seqset_parse(const char *str, size_t len, struct imap_arena *arena,
                        struct imap_seqset *set_r, const char **error_r)
{
	size_t n, n_star, concrete;

	if (len == 0) {
		*error_r = "Empty sequence set";
		return -1;
	}
	if (len == 1 && str[0] == '$') {
		set_r->saved = true;
		return 0;
	}
	n = count_ranges(str, len);
	if (n > IMAP_SEQSET_MAX_RANGES) {
		*error_r = "Too many ranges in sequence set";
		return -1;
	}
	set_r->ranges = imap_arena_alloc_array(arena, n, sizeof(*set_r->ranges));
	if (set_r->ranges == NULL) {
		*error_r = "Command too large";
		return -1;
	}
	if (parse_ranges(str, str + len, set_r->ranges, n, &n_star, error_r) < 0)
		return -1;
	concrete = ranges_normalize(set_r->ranges, n - n_star);
	memmove(set_r->ranges + concrete, set_r->ranges + (n - n_star),
	        n_star * sizeof(*set_r->ranges));
	set_r->count = concrete + n_star;
	set_r->n_star = n_star;
	return 0;
}

int imap_seqset_parse(const char *str, size_t len, struct imap_arena *arena,
                      struct imap_seqset *set_r, const char **error_r)
{
	const char *error = NULL;

	memset(set_r, 0, sizeof(*set_r));
	if (seqset_parse(str, len, arena, set_r, &error) == 0)
		return 0;
	memset(set_r, 0, sizeof(*set_r));
	if (error_r != NULL)
		*error_r = error;
	return -1;
}

/* A star range made concrete against max (which is > 0). */
static struct imap_seq_range star_resolve(struct imap_seq_range r, uint32_t max)
{
	uint32_t a = r.first == IMAP_SEQ_STAR ? max : r.first;

	return a < max ? (struct imap_seq_range){a, max} : (struct imap_seq_range){max, a};
}

int imap_seqset_resolve(const struct imap_seqset *set, uint32_t max, struct imap_arena *arena,
                        struct imap_seqset *out_r)
{
	size_t concrete = set->count - set->n_star, n = concrete, i;
	struct imap_seq_range *r;

	ASSERT(!set->saved);
	memset(out_r, 0, sizeof(*out_r));
	r = imap_arena_alloc_array(arena, set->count + 1, sizeof(*r));
	if (r == NULL)
		return -1;
	memcpy(r, set->ranges, concrete * sizeof(*r));
	for (i = concrete; i < set->count && max > 0; i++)
		r[n++] = star_resolve(set->ranges[i], max);
	out_r->ranges = r;
	out_r->count = ranges_normalize(r, n);
	return 0;
}

bool imap_seqset_contains(const struct imap_seqset *set, uint32_t n, uint32_t max)
{
	size_t lo = 0, hi = set->count - set->n_star, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (n < set->ranges[mid].first)
			hi = mid;
		else if (n > set->ranges[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	for (i = set->count - set->n_star; i < set->count && max > 0; i++) {
		struct imap_seq_range r = star_resolve(set->ranges[i], max);

		if (n >= r.first && n <= r.last)
			return true;
	}
	return false;
}

uint64_t imap_seqset_count(const struct imap_seqset *set)
{
	uint64_t total = 0;

	ASSERT(set->n_star == 0);
	for (size_t i = 0; i < set->count; i++)
		total += (uint64_t)set->ranges[i].last - set->ranges[i].first + 1;
	return total;
}

void imap_seqset_iter_init(struct imap_seqset_iter *iter, const struct imap_seqset *set)
{
	ASSERT(set->n_star == 0);
	iter->set = set;
	iter->idx = 0;
	iter->next = set->count > 0 ? set->ranges[0].first : 0;
}

bool imap_seqset_iter_next(struct imap_seqset_iter *iter, uint32_t *n_r)
{
	const struct imap_seqset *set = iter->set;

	if (iter->idx >= set->count)
		return false;
	*n_r = (uint32_t)iter->next;
	if (iter->next < set->ranges[iter->idx].last) {
		iter->next++;
	} else if (++iter->idx < set->count) {
		iter->next = set->ranges[iter->idx].first;
	}
	return true;
}

static bool write_range(struct buf *out, uint32_t first, uint32_t last, bool comma)
{
	if (buf_room(out) < IMAP_SEQSET_RANGE_TEXT_MAX)
		return false;
	if (first == last)
		buf_printf(out, "%s%u", comma ? "," : "", first);
	else
		buf_printf(out, "%s%u:%u", comma ? "," : "", first, last);
	return true;
}

bool imap_seqset_write(struct buf *out, const uint32_t *nums, size_t count)
{
	size_t i = 0;
	bool comma = false;

	while (i < count) {
		uint32_t first = nums[i], last = nums[i];

		for (i++; i < count && (nums[i] == last || nums[i] == last + 1); i++)
			last = nums[i];
		ASSERT(i == count || nums[i] > last);
		if (!write_range(out, first, last, comma))
			return false;
		comma = true;
	}
	return true;
}

bool imap_seqset_write_ranges(struct buf *out, const struct imap_seqset *set)
{
	ASSERT(set->n_star == 0);
	for (size_t i = 0; i < set->count; i++) {
		if (!write_range(out, set->ranges[i].first, set->ranges[i].last, i > 0))
			return false;
	}
	return true;
}

bool imap_seqset_resolved_contains(const struct imap_seqset *set, uint32_t n)
{
	size_t lo = 0, hi = set->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->ranges[mid].last < n)
			lo = mid + 1;
		else if (set->ranges[mid].first > n)
			hi = mid;
		else
			return true;
	}
	return false;
}
