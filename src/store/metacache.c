/*
 * metacache.c - the message metadata cache; see metacache.h.
 *
 * METACACHE_SHARDS independent shards (message id modulo the count), each a
 * chained hash table and a doubly linked LRU list under its own mutex, with an
 * equal part of the budget: the workers of a SEARCH each look up thousands of
 * ids, and one lock would have them queue. Lookups move an entry to the front;
 * inserts evict from the back until the shard's budget holds.
 */
#include "store/metacache.h"

#include "base/mem.h"
#include "store/store.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#define METACACHE_BUCKETS 4096 /* per shard, power of two */

struct store_meta_ref {
	uint64_t id;
	struct store_message_meta meta;
	size_t bytes;
	unsigned refs;
	bool cached;                        /* in the table and the LRU list */
	struct store_meta_ref *hnext;       /* hash chain */
	struct store_meta_ref *prev, *next; /* LRU, most recent first */
};

struct shard {
	pthread_mutex_t lock;
	struct store_meta_ref **buckets;
	struct store_meta_ref *head, *tail;
	size_t bytes, max;
};

static struct shard shards[METACACHE_SHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;

static void shards_init(void)
{
	for (size_t i = 0; i < METACACHE_SHARDS; i++)
		pthread_mutex_init(&shards[i].lock, NULL);
}

static struct shard *shard_of(uint64_t id)
{
	pthread_once(&shards_once, shards_init);
	return &shards[id % METACACHE_SHARDS];
}

static size_t slen(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

static size_t entry_bytes(const struct store_meta_ref *e)
{
	return sizeof(*e) + slen(e->meta.envelope) + slen(e->meta.bodystructure) +
	       slen(e->meta.body) + slen(e->meta.headers);
}

static struct store_meta_ref **bucket(struct shard *sh, uint64_t id)
{
	return &sh->buckets[((id / METACACHE_SHARDS) * 0x9E3779B97F4A7C15ull) >> 40 &
	                    (METACACHE_BUCKETS - 1)];
}

static void entry_free(struct store_meta_ref *e)
{
	store_message_meta_deinit(&e->meta);
	free(e);
}

static void lru_unlink(struct shard *sh, struct store_meta_ref *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		sh->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		sh->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(struct shard *sh, struct store_meta_ref *e)
{
	e->prev = NULL;
	e->next = sh->head;
	if (sh->head != NULL)
		sh->head->prev = e;
	sh->head = e;
	if (sh->tail == NULL)
		sh->tail = e;
}

/* Takes e out of the cache; frees it unless someone still uses it. */
static void evict(struct shard *sh, struct store_meta_ref *e)
{
	struct store_meta_ref **p = bucket(sh, e->id);

	while (*p != e)
		p = &(*p)->hnext;
	*p = e->hnext;
	lru_unlink(sh, e);
	sh->bytes -= e->bytes;
	e->cached = false;
	if (e->refs == 0)
		entry_free(e);
}

void store_metacache_configure(size_t max_bytes)
{
	for (size_t i = 0; i < METACACHE_SHARDS; i++) {
		struct shard *sh = shard_of(i);

		pthread_mutex_lock(&sh->lock);
		while (sh->tail != NULL)
			evict(sh, sh->tail);
		XFREE(sh->buckets);
		sh->max = max_bytes / METACACHE_SHARDS;
		if (sh->max > 0)
			sh->buckets = xcalloc(METACACHE_BUCKETS, sizeof(*sh->buckets));
		pthread_mutex_unlock(&sh->lock);
	}
}

void store_metacache_clear(void)
{
	store_metacache_configure(0);
}

const struct store_message_meta *store_metacache_get(uint64_t message_id,
                                                     struct store_meta_ref **ref_r)
{
	struct shard *sh = shard_of(message_id);
	struct store_meta_ref *e = NULL;

	pthread_mutex_lock(&sh->lock);
	if (sh->buckets != NULL) {
		for (e = *bucket(sh, message_id); e != NULL && e->id != message_id; e = e->hnext)
			;
		if (e != NULL) {
			e->refs++;
			if (sh->head != e) {
				lru_unlink(sh, e);
				lru_push_front(sh, e);
			}
		}
	}
	pthread_mutex_unlock(&sh->lock);
	*ref_r = e;
	return e != NULL ? &e->meta : NULL;
}

/* Inserts e (referenced once) unless the id is there already; returns the one to use. */
static struct store_meta_ref *insert_locked(struct shard *sh, struct store_meta_ref *e)
{
	struct store_meta_ref *old;

	for (old = *bucket(sh, e->id); old != NULL && old->id != e->id; old = old->hnext)
		;
	if (old != NULL) {
		old->refs++;
		entry_free(e);
		return old;
	}
	while (sh->tail != NULL && sh->max - sh->bytes < e->bytes)
		evict(sh, sh->tail);
	e->hnext = *bucket(sh, e->id);
	*bucket(sh, e->id) = e;
	lru_push_front(sh, e);
	sh->bytes += e->bytes;
	e->cached = true;
	return e;
}

const struct store_message_meta *store_metacache_put(struct store_message_meta *meta,
                                                     struct store_meta_ref **ref_r)
{
	struct store_meta_ref *e = xcalloc(1, sizeof(*e));
	struct shard *sh = shard_of(meta->message_id);

	e->id = meta->message_id;
	e->meta = *meta;
	memset(meta, 0, sizeof(*meta));
	e->bytes = entry_bytes(e);
	e->refs = 1;
	pthread_mutex_lock(&sh->lock);
	if (sh->buckets != NULL && e->bytes <= sh->max)
		e = insert_locked(sh, e);
	pthread_mutex_unlock(&sh->lock);
	*ref_r = e;
	return &e->meta;
}

void store_metacache_release(struct store_meta_ref **_ref)
{
	struct store_meta_ref *e = *_ref;

	if (e == NULL)
		return;
	struct shard *sh = shard_of(e->id);

	*_ref = NULL;
	pthread_mutex_lock(&sh->lock);
	if (--e->refs == 0 && !e->cached)
		entry_free(e);
	pthread_mutex_unlock(&sh->lock);
}
