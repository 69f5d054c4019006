/*
 * keyring.c - each thread's keyring of sealing keys: a librnp in-memory
 * keyring that keeps the keys of the accounts this thread has sealed for, so
 * that sealing a message does not parse and verify the same key again (the
 * signature checks of an import cost more than encrypting a 10 KB message).
 *
 * A key is known by its stored bytes: the cache holds a copy of what it
 * imported, and a stored key whose bytes differ under the same fingerprint
 * (deleted and imported again in another version) empties the keyring first,
 * so a stale copy is never used. Whether a key is usable is decided on every
 * call (crypto_key_state_of), since time passes while it sits here; and once
 * the key or a subkey of it reaches the end of its validity the keyring is
 * made again, because librnp picks the subkey to encrypt to from what it
 * computed at import (an expired newest subkey must not be chosen over an
 * older live one).
 *
 * The keyring belongs to its thread (librnp objects are not shared between
 * threads) and is freed when the thread exits (a pthread key destructor) or
 * by crypto_keyring_thread_free.
 *
 * Limits: CRYPTO_KEYRING_KEYS keys per thread; past that the keyring starts
 * over. Attacker control: none; the keys come from the store, checked at
 * import (keys.c).
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
	uint64_t changes_at; /* crypto_key_changes_at when imported */
};

struct crypto_keyring {
	rnp_ffi_t ffi;
	struct cached_key keys[CRYPTO_KEYRING_KEYS];
	size_t n;
};

static pthread_key_t ring_key;
static pthread_once_t ring_once = PTHREAD_ONCE_INIT;

static void ring_empty(struct crypto_keyring *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->keys[i].data);
	r->n = 0;
	if (r->ffi != NULL)
		rnp_ffi_destroy(r->ffi);
	r->ffi = NULL;
}

static void ring_free(void *p)
{
	struct crypto_keyring *r = p;

	if (r == NULL)
		return;
	ring_empty(r);
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
	if (r->ffi == NULL)
		r->ffi = crypto_ffi_new();
	return r->ffi != NULL ? r : NULL;
}

void crypto_keyring_thread_free(void)
{
	pthread_once(&ring_once, ring_key_create);
	ring_free(pthread_getspecific(ring_key));
	pthread_setspecific(ring_key, NULL);
}

/* The cached entry for this fingerprint, or NULL. */
static struct cached_key *ring_find(struct crypto_keyring *r, const char *fpr)
{
	for (size_t i = 0; i < r->n; i++) {
		if (strcmp(r->keys[i].fingerprint, fpr) == 0)
			return &r->keys[i];
	}
	return NULL;
}

/* After importing sk's data: when the key's validity next changes. */
static uint64_t imported_changes_at(rnp_ffi_t ffi, const char *fpr, time_t now)
{
	rnp_key_handle_t h = NULL;
	uint64_t at = 0;

	if (rnp_locate_key(ffi, "fingerprint", fpr, &h) == RNP_SUCCESS && h != NULL) {
		at = crypto_key_changes_at(h, now);
		rnp_key_handle_destroy(h);
	}
	return at;
}

/*
 * Makes sure the ring holds exactly these bytes for sk's fingerprint, as
 * valid at now; *reset_r if it started over.
 */
static int ring_add(struct crypto_keyring *r, const struct crypto_seal_key *sk, time_t now,
                    bool *reset_r)
{
	struct cached_key *c = ring_find(r, sk->fingerprint);
	int ret;

	if (c != NULL && c->len == sk->len && memcmp(c->data, sk->data, sk->len) == 0 &&
	    (uint64_t)now < c->changes_at)
		return CRYPTO_OK;
	/* Another version of a known key, a key past a validity change, or a full ring. */
	if (c != NULL || r->n == CRYPTO_KEYRING_KEYS) {
		ring_empty(r);
		*reset_r = true;
		if ((r->ffi = crypto_ffi_new()) == NULL)
			return CRYPTO_ERR_FAIL;
	}
	if ((ret = crypto_ffi_import(r->ffi, sk->data, sk->len, false)) != CRYPTO_OK)
		return ret;
	c = &r->keys[r->n++];
	snprintf(c->fingerprint, sizeof(c->fingerprint), "%s", sk->fingerprint);
	c->data = xmemdup(sk->data, sk->len);
	c->len = sk->len;
	c->changes_at = imported_changes_at(r->ffi, sk->fingerprint, now);
	return CRYPTO_OK;
}

int crypto_keyring_get(const struct crypto_seal_key *sk, size_t n, time_t now, rnp_ffi_t *ffi_r,
                       rnp_key_handle_t *keys, size_t *n_r)
{
	struct crypto_keyring *r = ring_get();
	int ret = CRYPTO_OK;

	bool reset = false;

	*n_r = 0;
	if (r == NULL)
		return CRYPTO_ERR_FAIL;
	if (n > CRYPTO_SEAL_KEYS_MAX)
		return CRYPTO_ERR_INVALID;
	/*
	 * All imports first: starting over drops handles taken before it. It also
	 * drops keys of this call imported before it, so then once more: the ring
	 * now has room for them all (CRYPTO_KEYRING_KEYS >= CRYPTO_SEAL_KEYS_MAX).
	 */
	for (size_t i = 0; i < n && ret == CRYPTO_OK; i++)
		ret = ring_add(r, &sk[i], now, &reset);
	if (reset) {
		reset = false;
		for (size_t i = 0; i < n && ret == CRYPTO_OK; i++)
			ret = ring_add(r, &sk[i], now, &reset);
		if (reset)
			ret = CRYPTO_ERR_INVALID; /* one fingerprint with two different key data */
	}
	for (size_t i = 0; i < n && ret == CRYPTO_OK; i++) {
		rnp_key_handle_t h = NULL;

		if (rnp_locate_key(r->ffi, "fingerprint", sk[i].fingerprint, &h) != RNP_SUCCESS ||
		    h == NULL)
			ret = CRYPTO_ERR_INVALID; /* the bytes are not the key the store names */
		else
			keys[(*n_r)++] = h;
	}
	*ffi_r = r->ffi;
	return ret;
}
