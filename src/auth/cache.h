/*
 * cache.h - the login verification cache: repeated logins with the same
 * password cost microseconds instead of an Argon2id verification (the idea of
 * Dovecot's auth cache).
 *
 * After a successful password_verify() the cache remembers a keyed BLAKE2b hash
 * (crypto_generichash, 32-byte key made at creation in sodium_malloc memory)
 * of (address, password, PHC string). A later login hits only if all three are
 * the same: a wrong password or a changed password (new PHC string) misses. The
 * cache never stores a password nor an unkeyed hash of one; without the key,
 * which lives only in this process's guarded memory, an entry is useless for
 * guessing passwords.
 *
 * Entries live ttl seconds and at most max_entries exist; when full, the oldest
 * is evicted. Lookup is O(1) (chained hash table indexed by the keyed hash).
 * All functions are thread-safe (one mutex); none blocks except auth_verify(),
 * which may run Argon2id.
 *
 * Limits: AUTH_CACHE_MAX_ENTRIES entries at most, AUTH_CACHE_FIELD_MAX bytes
 * per field (longer inputs are never cached).
 * Attacker control: address and password (from SASL); they only feed a keyed
 * hash, so they cannot choose which bucket an entry lands in.
 */
#ifndef TRESOR_AUTH_CACHE_H
#define TRESOR_AUTH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Upper bound for the configured number of entries (about 64 bytes each). */
#define AUTH_CACHE_MAX_ENTRIES ((size_t)1 << 22)
/* Inputs longer than this are verified but never cached. */
#define AUTH_CACHE_FIELD_MAX 4096

struct auth_cache;

/*
 * Creates a cache of at most max_entries entries (capped at
 * AUTH_CACHE_MAX_ENTRIES) living ttl_seconds each. max_entries == 0 or
 * ttl_seconds == 0 makes a disabled cache: checks always miss, adds do nothing.
 * Returns NULL only if libsodium cannot start; aborts on out of memory.
 */
struct auth_cache *auth_cache_new(size_t max_entries, unsigned ttl_seconds);
/* Wipes and frees the cache and NULLs the pointer; accepts NULL. */
void auth_cache_free(struct auth_cache **_cache);

/*
 * True if (address, password, phc) was added less than ttl seconds before now.
 * The _at variants take the time (seconds on any monotonic scale, the same for
 * all calls on one cache); the others use CLOCK_MONOTONIC.
 */
bool auth_cache_check_at(struct auth_cache *cache, const char *address, const char *password,
                         const char *phc, time_t now);
bool auth_cache_check(struct auth_cache *cache, const char *address, const char *password,
                      const char *phc);

/*
 * Remembers that password was verified against phc for address, at now.
 * Call only after a successful verification. Re-adding refreshes the entry.
 */
void auth_cache_add_at(struct auth_cache *cache, const char *address, const char *password,
                       const char *phc, time_t now);
void auth_cache_add(struct auth_cache *cache, const char *address, const char *password,
                    const char *phc);

/* Number of live slots (including expired entries not yet evicted); for tests and stats. */
size_t auth_cache_count(struct auth_cache *cache);

/*
 * Verifies password for address against its stored phc: a cache hit answers
 * at once; otherwise password_verify() runs (blocking, tens of milliseconds)
 * and a success is added to the cache. cache may be NULL (no caching).
 * Returns true if the password is right.
 */
bool auth_verify(struct auth_cache *cache, const char *address, const char *password,
                 const char *phc);

#endif
