/*
 * metacache.h - a process-wide cache of message metadata (ENVELOPE,
 * BODYSTRUCTURE, decoded headers, sizes, dates), keyed by message id.
 *
 * A stored message never changes, so its metadata never goes stale: entries
 * leave the cache only to make room, least recently used first. Sessions of
 * every worker thread share it, so a mailbox's metadata is read from the
 * database once, not once per FETCH or SEARCH per connection (each SQLite
 * connection drops its own page cache whenever another one commits).
 *
 * Threads: the cache is METACACHE_SHARDS shards (by message id modulo the
 * count), each with its own lock and an equal part of the budget. Entries are
 * reference-counted: one
 * that is evicted while in use is freed when its last user releases it.
 *
 * Limits: the byte budget given to store_metacache_configure (0: off).
 * Attacker control: none (the data comes from the store).
 */
#ifndef TRESOR_STORE_METACACHE_H
#define TRESOR_STORE_METACACHE_H

#include <stddef.h>
#include <stdint.h>

#define METACACHE_SHARDS 16

struct store_message_meta;
struct store_meta_ref;

/* Sets the budget in bytes and empties the cache; 0 turns it off. */
void store_metacache_configure(size_t max_bytes);
/* Frees everything (at exit). */
void store_metacache_clear(void);
/* The cached metadata of message_id (borrowed until release), or NULL. */
const struct store_message_meta *store_metacache_get(uint64_t message_id,
                                                     struct store_meta_ref **ref_r);
/*
 * Takes meta over (its strings become the cache's) and returns the cached copy,
 * referenced. With the cache off, or when meta is too large for the budget,
 * the returned entry is private to the caller and freed on release.
 */
const struct store_message_meta *store_metacache_put(struct store_message_meta *meta,
                                                     struct store_meta_ref **ref_r);
void store_metacache_release(struct store_meta_ref **_ref);

#endif
