/*
 * rnp-private.h - what keys.c shares with seal.c and keyring.c: librnp
 * handles for an in-memory keyring, the one rule that decides whether a key
 * can be encrypted to, and each thread's keyring of sealing keys. Only crypto/ includes this (and
 * so librnp's header).
 *
 * Attacker control: key data imported here is checked by the caller's rules
 * (keys.h); a failing import is an error, never a crash.
 */
#ifndef TRESOR_CRYPTO_RNP_PRIVATE_H
#define TRESOR_CRYPTO_RNP_PRIVATE_H

#include "crypto/keys.h"
#include "crypto/seal.h"

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

/* Writes what into err (when given) and returns code. */
int crypto_fail(char *err, size_t err_size, int code, const char *what);
/* A new in-memory keyring (never loaded from or saved to disk); NULL on failure. */
rnp_ffi_t crypto_ffi_new(void);
/* Imports key data (public, or public and secret); CRYPTO_ERR_INVALID when it is not a key. */
int crypto_ffi_import(rnp_ffi_t ffi, const void *data, size_t len, bool secret);
/*
 * Up to max primary keys of the keyring into keys (the caller destroys each
 * handle) and their count; CRYPTO_ERR_INVALID when there were more than max.
 */
int crypto_ffi_primaries(rnp_ffi_t ffi, rnp_key_handle_t *keys, size_t max, size_t *n_r);
/* Whether a primary key (with its subkeys) can be encrypted to at now. */
enum crypto_key_state crypto_key_state_of(rnp_key_handle_t primary, time_t now);
/*
 * The first moment after now when the key or one of its subkeys stops being
 * valid (UINT64_MAX: never): librnp decides which subkey to encrypt to from
 * validity computed at import, so an imported key is not trusted past this.
 */
uint64_t crypto_key_changes_at(rnp_key_handle_t primary, time_t now);

/* Key sets (one account's keys each) one thread keeps imported for sealing (keyring.c). */
#define CRYPTO_KEYRING_SETS 32

/*
 * A keyring of the calling thread that holds exactly the keys of sk[], valid
 * as of now (imported the first time the set is seen, reused after): *ffi_r
 * is that keyring (owned by the thread) and keys[] one primary key handle per
 * sk (the caller destroys them). CRYPTO_ERR_INVALID when a key cannot be
 * read or is not the key its fingerprint names.
 */
int crypto_keyring_get(const struct crypto_seal_key *sk, size_t n, time_t now, rnp_ffi_t *ffi_r,
                       rnp_key_handle_t *keys, size_t *n_r);

#endif
