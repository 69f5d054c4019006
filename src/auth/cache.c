/*
 * cache.c - the login verification cache; see cache.h.
 *
 * Layout: entries form a ring in insertion order (head = oldest). Every entry
 * has the same TTL, so the expired entries are always the ones at the head:
 * expiring and evicting both pop the head, and the ring never has holes. A
 * chained hash table (bucket heads plus a next index per entry) indexed by the
 * first bytes of the keyed digest gives O(1) lookups.
 *
 * Limits: AUTH_CACHE_MAX_ENTRIES, AUTH_CACHE_FIELD_MAX. Attacker control:
 * address and password bytes, hashed under a secret key before any use.
 */
#include "auth/cache.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "base/mem.h"
#include "crypto/password.h"

#define AUTH_CACHE_KEY_LEN    crypto_generichash_KEYBYTES
#define AUTH_CACHE_DIGEST_LEN crypto_generichash_BYTES
#define AUTH_CACHE_NONE       UINT32_MAX
/* Domain separation: this key and digest serve nothing else. */
#define AUTH_CACHE_CONTEXT "tresor auth cache v1"

struct auth_cache_entry {
	unsigned char digest[AUTH_CACHE_DIGEST_LEN];
	time_t added;
	uint32_t next; /* next entry in the same bucket */
};

struct auth_cache {
	pthread_mutex_t lock;
	unsigned char *key; /* sodium_malloc, read-only after creation */
	size_t max;
	time_t ttl;
	struct auth_cache_entry *entries; /* ring of max entries */
	size_t head;                      /* oldest entry */
	size_t count;
	uint32_t *buckets;
	size_t bucket_mask;
};

static size_t auth_cache_pow2_at_least(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

struct auth_cache *auth_cache_new(size_t max_entries, unsigned ttl_seconds)
{
	struct auth_cache *cache;

	if (password_init() < 0)
		return NULL;
	cache = xcalloc(1, sizeof(*cache));
	if (pthread_mutex_init(&cache->lock, NULL) != 0)
		PANIC("pthread_mutex_init failed");
	cache->key = sodium_malloc(AUTH_CACHE_KEY_LEN);
	if (cache->key == NULL)
		PANIC("out of secure memory");
	crypto_generichash_keygen(cache->key);
	sodium_mprotect_readonly(cache->key);
	cache->max = max_entries < AUTH_CACHE_MAX_ENTRIES ? max_entries : AUTH_CACHE_MAX_ENTRIES;
	cache->ttl = ttl_seconds;
	if (ttl_seconds == 0)
		cache->max = 0;
	if (cache->max == 0)
		return cache;
	cache->entries = xcalloc(cache->max, sizeof(*cache->entries));
	cache->bucket_mask = auth_cache_pow2_at_least(cache->max) - 1;
	cache->buckets = xreallocarray(NULL, cache->bucket_mask + 1, sizeof(*cache->buckets));
	memset(cache->buckets, 0xff, (cache->bucket_mask + 1) * sizeof(*cache->buckets));
	return cache;
}

void auth_cache_free(struct auth_cache **_cache)
{
	struct auth_cache *cache = *_cache;

	if (cache == NULL)
		return;
	if (cache->entries != NULL)
		sodium_memzero(cache->entries, cache->max * sizeof(*cache->entries));
	free(cache->entries);
	free(cache->buckets);
	sodium_free(cache->key); /* wipes */
	pthread_mutex_destroy(&cache->lock);
	free(cache);
	*_cache = NULL;
}

static void auth_cache_hash_field(crypto_generichash_state *st, const char *s, size_t len)
{
	unsigned char len_le[8];

	/* Length prefixes: ("ab", "c") and ("a", "bc") must hash differently. */
	for (size_t i = 0; i < sizeof(len_le); i++)
		len_le[i] = (unsigned char)((uint64_t)len >> (8 * i));
	crypto_generichash_update(st, len_le, sizeof(len_le));
	crypto_generichash_update(st, (const unsigned char *)s, len);
}

/* Computes the keyed digest; false if a field is too long to be cached. */
static bool auth_cache_digest(const struct auth_cache *cache, const char *address,
                              const char *password, const char *phc,
                              unsigned char digest[AUTH_CACHE_DIGEST_LEN])
{
	const char *fields[] = {address, password, phc};
	crypto_generichash_state st;

	crypto_generichash_init(&st, cache->key, AUTH_CACHE_KEY_LEN, AUTH_CACHE_DIGEST_LEN);
	crypto_generichash_update(&st, (const unsigned char *)AUTH_CACHE_CONTEXT,
	                          sizeof(AUTH_CACHE_CONTEXT));
	for (size_t i = 0; i < N_ELEMENTS(fields); i++) {
		size_t len = strnlen(fields[i], AUTH_CACHE_FIELD_MAX + 1);

		if (len > AUTH_CACHE_FIELD_MAX) {
			sodium_memzero(&st, sizeof(st));
			return false;
		}
		auth_cache_hash_field(&st, fields[i], len);
	}
	crypto_generichash_final(&st, digest, AUTH_CACHE_DIGEST_LEN);
	sodium_memzero(&st, sizeof(st)); /* the state has absorbed the password */
	return true;
}

static size_t auth_cache_bucket(const struct auth_cache *cache, const unsigned char *digest)
{
	uint64_t v;

	/* The digest is keyed, so its bytes are uniform and unpredictable to a client. */
	memcpy(&v, digest, sizeof(v));
	return (size_t)v & cache->bucket_mask;
}

static bool auth_cache_expired(const struct auth_cache *cache, time_t added, time_t now)
{
	/* A clock going backwards counts as expired: re-verifying is always safe. */
	return now < added || now - added >= cache->ttl;
}

static void auth_cache_unlink(struct auth_cache *cache, uint32_t idx)
{
	uint32_t *link = &cache->buckets[auth_cache_bucket(cache, cache->entries[idx].digest)];

	while (*link != idx) {
		ASSERT(*link != AUTH_CACHE_NONE);
		link = &cache->entries[*link].next;
	}
	*link = cache->entries[idx].next;
}

static void auth_cache_pop_head(struct auth_cache *cache)
{
	auth_cache_unlink(cache, (uint32_t)cache->head);
	sodium_memzero(&cache->entries[cache->head], sizeof(cache->entries[cache->head]));
	cache->head = (cache->head + 1) % cache->max;
	cache->count--;
}

/* Same TTL for all and insertion order: expired entries sit at the head. */
static void auth_cache_expire(struct auth_cache *cache, time_t now)
{
	while (cache->count > 0 &&
	       auth_cache_expired(cache, cache->entries[cache->head].added, now))
		auth_cache_pop_head(cache);
}

static struct auth_cache_entry *auth_cache_find(struct auth_cache *cache,
                                                const unsigned char *digest)
{
	uint32_t idx = cache->buckets[auth_cache_bucket(cache, digest)];

	for (; idx != AUTH_CACHE_NONE; idx = cache->entries[idx].next) {
		if (sodium_memcmp(cache->entries[idx].digest, digest, AUTH_CACHE_DIGEST_LEN) == 0)
			return &cache->entries[idx];
	}
	return NULL;
}

bool auth_cache_check_at(struct auth_cache *cache, const char *address, const char *password,
                         const char *phc, time_t now)
{
	unsigned char digest[AUTH_CACHE_DIGEST_LEN];
	struct auth_cache_entry *e;
	bool hit;

	if (cache == NULL || cache->max == 0 ||
	    !auth_cache_digest(cache, address, password, phc, digest))
		return false;
	pthread_mutex_lock(&cache->lock);
	auth_cache_expire(cache, now);
	e = auth_cache_find(cache, digest);
	hit = e != NULL && !auth_cache_expired(cache, e->added, now);
	pthread_mutex_unlock(&cache->lock);
	return hit;
}

static void auth_cache_insert(struct auth_cache *cache, const unsigned char *digest, time_t now)
{
	size_t slot;
	uint32_t *bucket;

	if (cache->count == cache->max)
		auth_cache_pop_head(cache); /* full: evict the oldest */
	slot = (cache->head + cache->count) % cache->max;
	bucket = &cache->buckets[auth_cache_bucket(cache, digest)];
	memcpy(cache->entries[slot].digest, digest, AUTH_CACHE_DIGEST_LEN);
	cache->entries[slot].added = now;
	cache->entries[slot].next = *bucket;
	*bucket = (uint32_t)slot;
	cache->count++;
}

void auth_cache_add_at(struct auth_cache *cache, const char *address, const char *password,
                       const char *phc, time_t now)
{
	unsigned char digest[AUTH_CACHE_DIGEST_LEN];
	struct auth_cache_entry *e;

	if (cache == NULL || cache->max == 0 ||
	    !auth_cache_digest(cache, address, password, phc, digest))
		return;
	pthread_mutex_lock(&cache->lock);
	auth_cache_expire(cache, now);
	e = auth_cache_find(cache, digest);
	/*
	 * A live entry keeps its first time: the TTL bounds how long a verification
	 * is trusted. One that is still linked but expired can only come from a
	 * clock going backwards; restamping it in place is then harmless.
	 */
	if (e == NULL)
		auth_cache_insert(cache, digest, now);
	else if (auth_cache_expired(cache, e->added, now))
		e->added = now;
	pthread_mutex_unlock(&cache->lock);
}

static time_t auth_cache_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

bool auth_cache_check(struct auth_cache *cache, const char *address, const char *password,
                      const char *phc)
{
	return auth_cache_check_at(cache, address, password, phc, auth_cache_now());
}

void auth_cache_add(struct auth_cache *cache, const char *address, const char *password,
                    const char *phc)
{
	auth_cache_add_at(cache, address, password, phc, auth_cache_now());
}

size_t auth_cache_count(struct auth_cache *cache)
{
	size_t n;

	if (cache == NULL)
		return 0;
	pthread_mutex_lock(&cache->lock);
	n = cache->count;
	pthread_mutex_unlock(&cache->lock);
	return n;
}

bool auth_verify(struct auth_cache *cache, const char *address, const char *password,
                 const char *phc)
{
	if (auth_cache_check(cache, address, password, phc))
		return true;
	if (!password_verify(phc, password))
		return false;
	auth_cache_add(cache, address, password, phc);
	return true;
}
