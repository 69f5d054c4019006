/*
 * throttle.c - authentication failure throttling per IP; see throttle.h.
 *
 * Layout: a fixed array of entries; a chained hash table (bucket heads plus a
 * next index) keyed by SipHash-2-4 of the address under a random key; an LRU
 * list ordered by last failure (head = oldest, evicted when full); a free list
 * of entries released by a successful login.
 *
 * Limits: THROTTLE_MAX_IPS, THROTTLE_IP_MAX, THROTTLE_MAX_FAILURES.
 * Attacker control: address strings and failure counts.
 */
#include "auth/throttle.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "base/mem.h"
#include "crypto/password.h"

#define THROTTLE_NONE UINT32_MAX

struct throttle_entry {
	char ip[THROTTLE_IP_MAX + 1];
	unsigned failures;
	time_t last_fail;
	uint32_t next; /* bucket chain, or free list */
	uint32_t lru_prev, lru_next;
};

struct throttle {
	pthread_mutex_t lock;
	unsigned char key[crypto_shorthash_KEYBYTES];
	unsigned base_ms, max_ms;
	time_t quiet;
	size_t max, used; /* entries[0..used) have been handed out at least once */
	size_t count;
	struct throttle_entry *entries;
	uint32_t free_head;
	uint32_t lru_head, lru_tail;
	uint32_t *buckets;
	size_t bucket_mask;
};

/* An address cut to THROTTLE_IP_MAX bytes. */
struct throttle_key {
	const char *ip;
	size_t len;
};

struct throttle *throttle_new(unsigned base_ms, unsigned max_ms, unsigned quiet_seconds,
                              size_t max_ips)
{
	struct throttle *t;
	size_t nbuckets = 1;

	if (password_init() < 0)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	if (pthread_mutex_init(&t->lock, NULL) != 0)
		PANIC("pthread_mutex_init failed");
	crypto_shorthash_keygen(t->key);
	t->base_ms = base_ms;
	t->max_ms = max_ms;
	t->quiet = quiet_seconds;
	t->max = max_ips == 0 || max_ips > THROTTLE_MAX_IPS ? THROTTLE_MAX_IPS : max_ips;
	t->entries = xcalloc(t->max, sizeof(*t->entries));
	while (nbuckets < t->max)
		nbuckets <<= 1;
	t->bucket_mask = nbuckets - 1;
	t->buckets = xreallocarray(NULL, nbuckets, sizeof(*t->buckets));
	memset(t->buckets, 0xff, nbuckets * sizeof(*t->buckets));
	t->free_head = t->lru_head = t->lru_tail = THROTTLE_NONE;
	return t;
}

void throttle_free(struct throttle **_t)
{
	struct throttle *t = *_t;

	if (t == NULL)
		return;
	free(t->entries);
	free(t->buckets);
	pthread_mutex_destroy(&t->lock);
	sodium_memzero(t, sizeof(*t));
	free(t);
	*_t = NULL;
}

static struct throttle_key throttle_key(const char *ip)
{
	return (struct throttle_key){ip, strnlen(ip, THROTTLE_IP_MAX)};
}

static uint32_t *throttle_bucket(struct throttle *t, struct throttle_key k)
{
	unsigned char h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, (const unsigned char *)k.ip, k.len, t->key);
	memcpy(&v, h, sizeof(v));
	return &t->buckets[v & t->bucket_mask];
}

static struct throttle_entry *throttle_find(struct throttle *t, struct throttle_key k)
{
	for (uint32_t i = *throttle_bucket(t, k); i != THROTTLE_NONE; i = t->entries[i].next) {
		struct throttle_entry *e = &t->entries[i];

		if (strlen(e->ip) == k.len && memcmp(e->ip, k.ip, k.len) == 0)
			return e;
	}
	return NULL;
}

static uint32_t throttle_index(const struct throttle *t, const struct throttle_entry *e)
{
	return (uint32_t)(e - t->entries);
}

static void throttle_lru_unlink(struct throttle *t, struct throttle_entry *e)
{
	if (e->lru_prev != THROTTLE_NONE)
		t->entries[e->lru_prev].lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next != THROTTLE_NONE)
		t->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
}

static void throttle_lru_append(struct throttle *t, struct throttle_entry *e)
{
	uint32_t idx = throttle_index(t, e);

	e->lru_prev = t->lru_tail;
	e->lru_next = THROTTLE_NONE;
	if (t->lru_tail != THROTTLE_NONE)
		t->entries[t->lru_tail].lru_next = idx;
	else
		t->lru_head = idx;
	t->lru_tail = idx;
}

/* Unlinks e from its bucket and the LRU list and puts it on the free list. */
static void throttle_remove(struct throttle *t, struct throttle_entry *e)
{
	uint32_t idx = throttle_index(t, e);
	uint32_t *link = throttle_bucket(t, throttle_key(e->ip));

	while (*link != idx) {
		ASSERT(*link != THROTTLE_NONE);
		link = &t->entries[*link].next;
	}
	*link = e->next;
	throttle_lru_unlink(t, e);
	memset(e, 0, sizeof(*e));
	e->next = t->free_head;
	t->free_head = idx;
	t->count--;
}

/* A fresh entry for k: from the free list, never used space, or the oldest. */
static struct throttle_entry *throttle_insert(struct throttle *t, struct throttle_key k)
{
	struct throttle_entry *e;
	uint32_t *bucket;

	if (t->free_head == THROTTLE_NONE && t->used == t->max)
		throttle_remove(t, &t->entries[t->lru_head]); /* full: forget the oldest */
	if (t->free_head != THROTTLE_NONE) {
		e = &t->entries[t->free_head];
		t->free_head = e->next;
	} else {
		e = &t->entries[t->used++];
	}
	memcpy(e->ip, k.ip, k.len);
	e->ip[k.len] = '\0';
	bucket = throttle_bucket(t, k);
	e->next = *bucket;
	*bucket = throttle_index(t, e);
	throttle_lru_append(t, e);
	t->count++;
	return e;
}

/* Failures still counted at now: one is forgotten per quiet period. */
static unsigned throttle_failures_at(const struct throttle *t, const struct throttle_entry *e,
                                     time_t now)
{
	time_t periods;

	if (t->quiet == 0 || now <= e->last_fail)
		return e->failures;
	periods = (now - e->last_fail) / t->quiet;
	return periods >= (time_t)e->failures ? 0 : e->failures - (unsigned)periods;
}

static unsigned throttle_delay_for(const struct throttle *t, unsigned failures)
{
	uint64_t delay;

	if (failures == 0)
		return 0;
	/* base_ms < 2^32, so a shift of up to 31 cannot overflow 64 bits. */
	delay = (uint64_t)t->base_ms << (failures - 1 < 31 ? failures - 1 : 31);
	return delay < t->max_ms ? (unsigned)delay : t->max_ms;
}

unsigned throttle_delay_ms(struct throttle *t, const char *ip, time_t now)
{
	struct throttle_entry *e;
	unsigned delay = 0;

	pthread_mutex_lock(&t->lock);
	e = throttle_find(t, throttle_key(ip));
	if (e != NULL)
		delay = throttle_delay_for(t, throttle_failures_at(t, e, now));
	pthread_mutex_unlock(&t->lock);
	return delay;
}

void throttle_fail(struct throttle *t, const char *ip, time_t now)
{
	struct throttle_key k = throttle_key(ip);
	struct throttle_entry *e;
	unsigned failures;

	pthread_mutex_lock(&t->lock);
	e = throttle_find(t, k);
	if (e == NULL) {
		e = throttle_insert(t, k);
	} else {
		throttle_lru_unlink(t, e);
		throttle_lru_append(t, e); /* now the newest */
	}
	failures = throttle_failures_at(t, e, now);
	e->failures = failures < THROTTLE_MAX_FAILURES ? failures + 1 : THROTTLE_MAX_FAILURES;
	if (now > e->last_fail)
		e->last_fail = now;
	pthread_mutex_unlock(&t->lock);
}

void throttle_success(struct throttle *t, const char *ip)
{
	struct throttle_entry *e;

	pthread_mutex_lock(&t->lock);
	e = throttle_find(t, throttle_key(ip));
	if (e != NULL)
		throttle_remove(t, e);
	pthread_mutex_unlock(&t->lock);
}

size_t throttle_count(struct throttle *t)
{
	size_t n;

	pthread_mutex_lock(&t->lock);
	n = t->count;
	pthread_mutex_unlock(&t->lock);
	return n;
}
