/*
 * keyring.c - each thread's keyrings of sealing keys: for every set of keys
 * a message was recently sealed to (one account's keys), a librnp in-memory
 * keyring that holds them imported, so that sealing the next message to that
 * account does not parse and verify the same keys again (the signature
 * checks of an import cost more than encrypting a 10 KB message).
 *
 * One keyring per key set, never one for everything: librnp merges what it
 * imports into a keyring, so a key made for one account that carries another
 * account's subkey could otherwise change which subkeys the other account's
 * key has. A set is known by its stored bytes: a stored key whose bytes
 * differ (deleted and imported again in another version) is a different
 * set, so a stale copy is never used. Whether a key is usable is decided on
 * every call (crypto_key_state_of), since time passes while it sits here; and
 * once a key or a subkey reaches the end of its validity the set is imported
 * again, because librnp picks the subkey to encrypt to from what it computed
 * at import (an expired newest subkey must not be chosen over a live one).
 *
 * The keyrings belong to their thread (librnp objects are not shared between
 * threads) and are freed when the thread exits (a pthread key destructor) or
 * by crypto_keyring_thread_free.
 *
 * Limits: CRYPTO_KEYRING_SETS key sets per thread (the least recently used
 * goes first), CRYPTO_SEAL_KEYS_MAX keys per set. Attacker control: none;
 * the keys come from the store, checked at import (keys.c).
 */
#include "crypto/rnp-private.h"

#include "base/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cached_key {
	char fingerprint[CRYPTO_FPR_MAX];
	char *data;
	size_t len;
};

/* One account's keys, imported into their own keyring. */
struct key_set {
	rnp_ffi_t ffi; /* NULL: the slot is free */
	struct cached_key *keys;
	size_t n;
	uint64_t changes_at; /* the earliest crypto_key_changes_at of its keys */
	uint64_t used;       /* the thread's counter at its last use */
};

struct crypto_keyring {
	struct key_set sets[CRYPTO_KEYRING_SETS];
	uint64_t clock;
};

static pthread_key_t ring_key;
static pthread_once_t ring_once = PTHREAD_ONCE_INIT;

static void set_clear(struct key_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->keys[i].data);
	XFREE(set->keys);
	set->n = 0;
	if (set->ffi != NULL)
		rnp_ffi_destroy(set->ffi);
	set->ffi = NULL;
}

static void ring_free(void *p)
{
	struct crypto_keyring *r = p;

	if (r == NULL)
		return;
	for (size_t i = 0; i < CRYPTO_KEYRING_SETS; i++)
		set_clear(&r->sets[i]);
	free(r);
}

static void ring_key_create(void)
{
	if (pthread_key_create(&ring_key, ring_free) != 0)
		abort();
}

static struct crypto_keyring *ring_get(void)
{
	struct crypto_keyring *r;

	pthread_once(&ring_once, ring_key_create);
	r = pthread_getspecific(ring_key);
	if (r == NULL) {
		r = xcalloc(1, sizeof(*r));
		if (pthread_setspecific(ring_key, r) != 0)
			abort();
	}
	return r;
}

void crypto_keyring_thread_free(void)
{
	pthread_once(&ring_once, ring_key_create);
	ring_free(pthread_getspecific(ring_key));
	pthread_setspecific(ring_key, NULL);
}

/* Whether set holds exactly the keys of sk[], in that order, byte for byte. */
static bool set_is(const struct key_set *set, const struct crypto_seal_key *sk, size_t n)
{
	if (set->ffi == NULL || set->n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct cached_key *c = &set->keys[i];

		if (strcmp(c->fingerprint, sk[i].fingerprint) != 0 || c->len != sk[i].len ||
		    memcmp(c->data, sk[i].data, c->len) != 0)
			return false;
	}
	return true;
}

/* The slot of the set of sk[] if cached, else a free or the least recently used one. */
static struct key_set *set_slot(struct crypto_keyring *r, const struct crypto_seal_key *sk,
                                size_t n, bool *found_r)
{
	struct key_set *victim = &r->sets[0];

	for (size_t i = 0; i < CRYPTO_KEYRING_SETS; i++) {
		struct key_set *set = &r->sets[i];

		if (set_is(set, sk, n)) {
			*found_r = true;
			return set;
		}
		if (victim->ffi != NULL && (set->ffi == NULL || set->used < victim->used))
			victim = set;
	}
	*found_r = false;
	return victim;
}

/* The earliest validity change of the keys just imported into set. */
static uint64_t set_changes_at(const struct key_set *set, time_t now)
{
	uint64_t at = UINT64_MAX;

	for (size_t i = 0; i < set->n; i++) {
		rnp_key_handle_t h = NULL;
		uint64_t t;

		if (rnp_locate_key(set->ffi, "fingerprint", set->keys[i].fingerprint, &h) !=
		            RNP_SUCCESS ||
		    h == NULL)
			continue;
		t = crypto_key_changes_at(h, now);
		at = t < at ? t : at;
		rnp_key_handle_destroy(h);
	}
	return at;
}

/* Imports sk[] into a new keyring in set (cleared first). */
static int set_fill(struct key_set *set, const struct crypto_seal_key *sk, size_t n, time_t now)
{
	int ret = CRYPTO_OK;

	set_clear(set);
	if ((set->ffi = crypto_ffi_new()) == NULL)
		return CRYPTO_ERR_FAIL;
	set->keys = xcalloc(n + 1, sizeof(*set->keys));
	for (size_t i = 0; i < n && ret == CRYPTO_OK; i++) {
		struct cached_key *c = &set->keys[i];

		ret = crypto_ffi_import(set->ffi, sk[i].data, sk[i].len, false);
		snprintf(c->fingerprint, sizeof(c->fingerprint), "%s", sk[i].fingerprint);
		c->data = xmemdup(sk[i].data, sk[i].len);
		c->len = sk[i].len;
		set->n++;
	}
	if (ret != CRYPTO_OK) {
		set_clear(set);
		return ret;
	}
	set->changes_at = set_changes_at(set, now);
	return CRYPTO_OK;
}

int crypto_keyring_get(const struct crypto_seal_key *sk, size_t n, time_t now, rnp_ffi_t *ffi_r,
                       rnp_key_handle_t *keys, size_t *n_r)
{
	struct crypto_keyring *r = ring_get();
	struct key_set *set;
	bool found;
	int ret = CRYPTO_OK;

	*n_r = 0;
	*ffi_r = NULL;
	if (n > CRYPTO_SEAL_KEYS_MAX)
		return CRYPTO_ERR_INVALID;
	set = set_slot(r, sk, n, &found);
	if (!found || (uint64_t)now >= set->changes_at)
		ret = set_fill(set, sk, n, now);
	if (ret != CRYPTO_OK)
		return ret;
	set->used = ++r->clock;
	for (size_t i = 0; i < n && ret == CRYPTO_OK; i++) {
		rnp_key_handle_t h = NULL;

		if (rnp_locate_key(set->ffi, "fingerprint", sk[i].fingerprint, &h) != RNP_SUCCESS ||
		    h == NULL)
			ret = CRYPTO_ERR_INVALID; /* the bytes are not the key the store names */
		else
			keys[(*n_r)++] = h;
	}
	*ffi_r = set->ffi;
	return ret;
}
