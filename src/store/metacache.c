/*
 * metacache.c - the message metadata cache; see metacache.h.
 *
 * A chained hash table over message ids and a doubly linked LRU list, under
 * one mutex. Lookups move an entry to the front; inserts evict from the back
 * until the byte budget holds.
 */
#include "store/metacache.h"

#include "base/mem.h"
#include "store/store.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define METACACHE_BUCKETS 65536 /* power of two */

struct store_meta_ref {
	uint64_t id;
	struct store_message_meta meta;
	size_t bytes;
	unsigned refs;
	bool cached;                        /* in the table and the LRU list */
	struct store_meta_ref *hnext;       /* hash chain */
	struct store_meta_ref *prev, *next; /* LRU, most recent first */
};

static struct {
	pthread_mutex_t lock;
	struct store_meta_ref **buckets;
	struct store_meta_ref *head, *tail;
	size_t bytes, max;
} cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

static size_t slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static size_t entry_bytes(const struct store_meta_ref *e)
{
	return sizeof(*e) + slen(e->meta.envelope) + slen(e->meta.bodystructure) +
	       slen(e->meta.body) + slen(e->meta.headers);
}

static struct store_meta_ref **bucket(uint64_t id)
{
	return &cache.buckets[(id * 0x9E3779B97F4A7C15ull) >> 48 & (METACACHE_BUCKETS - 1)];
}

static void entry_free(struct store_meta_ref *e)
{
	store_message_meta_deinit(&e->meta);
	free(e);
}

static void lru_unlink(struct store_meta_ref *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		cache.head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		cache.tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct store_meta_ref *e)
{
	e->prev = NULL;
	e->next = cache.head;
	if (cache.head != NULL)
		cache.head->prev = e;
	cache.head = e;
	if (cache.tail == NULL)
		cache.tail = e;
}

/* Takes e out of the cache; frees it unless someone still uses it. */
static void evict(struct store_meta_ref *e)
{
	struct store_meta_ref **p = bucket(e->id);

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	lru_unlink(e);
	cache.bytes -= e->bytes;
	e->cached = false;
	if (e->refs == 0)
		entry_free(e);
}

static void clear_locked(void)
{
	while (cache.tail != NULL)
		evict(cache.tail);
	XFREE(cache.buckets);
}

void store_metacache_configure(size_t max_bytes)
{
	pthread_mutex_lock(&cache.lock);
	clear_locked();
	cache.max = max_bytes;
	if (max_bytes > 0)
		cache.buckets = xcalloc(METACACHE_BUCKETS, sizeof(*cache.buckets));
	pthread_mutex_unlock(&cache.lock);
}

void store_metacache_clear(void)
{
	store_metacache_configure(0);
}

const struct store_message_meta *store_metacache_get(uint64_t message_id,
                                                     struct store_meta_ref **ref_r)
{
	struct store_meta_ref *e = NULL;

	pthread_mutex_lock(&cache.lock);
	if (cache.buckets != NULL) {
		for (e = *bucket(message_id); e != NULL && e->id != message_id; e = e->hnext)
			;
		if (e != NULL) {
			e->refs++;
			lru_unlink(e);
			lru_push_front(e);
		}
	}
	pthread_mutex_unlock(&cache.lock);
	*ref_r = e;
	return e != NULL ? &e->meta : NULL;
}

/* Inserts e (referenced once) unless the id is there already; returns the one to use. */
static struct store_meta_ref *insert_locked(struct store_meta_ref *e)
{
	struct store_meta_ref *old;

	for (old = *bucket(e->id); old != NULL && old->id != e->id; old = old->hnext)
		;
	if (old != NULL) {
		old->refs++;
		entry_free(e);
		return old;
	}
	while (cache.tail != NULL && cache.max - cache.bytes < e->bytes)
		evict(cache.tail);
	e->hnext = *bucket(e->id);
	*bucket(e->id) = e;
	lru_push_front(e);
	cache.bytes += e->bytes;
	e->cached = true;
	return e;
}

const struct store_message_meta *store_metacache_put(struct store_message_meta *meta,
                                                     struct store_meta_ref **ref_r)
{
	struct store_meta_ref *e = xcalloc(1, sizeof(*e));

	e->id = meta->message_id;
	e->meta = *meta;
	memset(meta, 0, sizeof(*meta));
	e->bytes = entry_bytes(e);
	e->refs = 1;
	pthread_mutex_lock(&cache.lock);
	if (cache.buckets != NULL && e->bytes <= cache.max)
		e = insert_locked(e);
	pthread_mutex_unlock(&cache.lock);
	*ref_r = e;
	return &e->meta;
}

void store_metacache_release(struct store_meta_ref **_ref)
{
	struct store_meta_ref *e = *_ref;

	if (e == NULL)
		return;
	*_ref = NULL;
	pthread_mutex_lock(&cache.lock);
	if (--e->refs == 0 && !e->cached)
		entry_free(e);
	pthread_mutex_unlock(&cache.lock);
}
