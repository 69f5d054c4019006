/*
 * keys.h - OpenPGP keys of sealed accounts, through librnp: making a key
 * pair for an account, checking a public key an administrator imports, and
 * telling whether a stored key can still be encrypted to.
 *
 * A generated key is an Ed25519 primary key (sign, certify) with an X25519
 * encryption subkey, or RSA primary and subkey of rsa_bits; user ID the
 * account's address; the secret parts protected by the passphrase (iterated
 * and salted S2K, AES-256), which is never kept. Keys are kept as binary
 * transferable keys (RFC 4880 11.1, 11.2) and armored (RFC 4880 6.2) only
 * when printed.
 *
 * RFCs: RFC 4880 5.2.3.3 (key flags), 5.2.3.6 (key expiration), 5.2.3.23
 * (revocation), 11.1/11.2 (transferable keys); RFC 6637 (ECDH on Curve25519
 * as gpg 2.2 and sq read it).
 *
 * Limits: CRYPTO_KEY_MAX bytes of key data, CRYPTO_KEY_UIDS_MAX user IDs
 * read, CRYPTO_PASSPHRASE_MAX bytes of passphrase.
 *
 * Attacker control: an imported key file is whatever the administrator was
 * given by a user, so it is treated as hostile: garbage, secret keys, keys
 * without a usable encryption subkey and several keys at once are refused
 * with a message saying which.
 */
#ifndef TRESOR_CRYPTO_KEYS_H
#define TRESOR_CRYPTO_KEYS_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Largest key file read or key stored (RSA-4096 with many signatures is ~10 KiB). */
#define CRYPTO_KEY_MAX ((size_t)1 << 20)
/* Longest passphrase for a generated key's secret part. */
#define CRYPTO_PASSPHRASE_MAX 1024
/* A v4 fingerprint in hex (40 digits) and its NUL. */
#define CRYPTO_FPR_MAX 41
/* Room for a librnp algorithm name ("EDDSA", "RSA", "ECDSA", ...). */
#define CRYPTO_ALG_MAX 32
/* Room for an error message from these functions. */
#define CRYPTO_ERROR_MAX 256
/* RSA sizes accepted for generation. */
#define CRYPTO_RSA_MIN 2048
#define CRYPTO_RSA_MAX 4096

#define CRYPTO_OK          0
#define CRYPTO_ERR_FAIL    -1 /* the library failed (out of memory, a bug) */
#define CRYPTO_ERR_INVALID -2 /* the input is refused; the message says why */
#define CRYPTO_ERR_NOKEY   -3 /* no key usable for encryption now */

/* Whether a stored key can be encrypted to now. */
enum crypto_key_state {
	CRYPTO_KEY_USABLE,
	CRYPTO_KEY_EXPIRED,
	CRYPTO_KEY_REVOKED,
	CRYPTO_KEY_UNUSABLE, /* no valid encryption-capable (sub)key for another reason */
};

struct crypto_key {
	char fingerprint[CRYPTO_FPR_MAX]; /* primary key, uppercase hex */
	char algorithm[CRYPTO_ALG_MAX];   /* "EDDSA", "RSA", ... of the primary key */
	unsigned bits;
	time_t created;
	char *user_id;    /* primary user ID, "" when none */
	char *public_key; /* binary transferable public key */
	size_t public_len;
	char *secret_key; /* binary passphrase-protected transferable secret key, or NULL */
	size_t secret_len;
};

/*
 * Makes a key pair for user_id (see the top of this file); rsa_bits 0 for
 * Ed25519/X25519, else CRYPTO_RSA_MIN..CRYPTO_RSA_MAX. Fills *k (free with
 * crypto_key_deinit). Returns CRYPTO_OK or an error with err filled.
 */
int crypto_key_generate(const char *user_id, const char *passphrase, unsigned rsa_bits,
                        struct crypto_key *k, char *err, size_t err_size);

/*
 * Checks a public key given to the server (armored or binary, one primary
 * key with its subkeys): refused (CRYPTO_ERR_INVALID, err says why) when it
 * is not OpenPGP key data, holds secret key material, holds several primary
 * keys, or has no valid, unexpired, unrevoked encryption-capable key now.
 * On CRYPTO_OK, *k has the key as binary public key data (no secret_key).
 */
int crypto_key_import(const void *data, size_t len, time_t now, struct crypto_key *k, char *err,
                      size_t err_size);

/* Reads the description of a stored key (binary public key data) into *k, state into *state_r. */
int crypto_key_inspect(const void *data, size_t len, time_t now, struct crypto_key *k,
                       enum crypto_key_state *state_r);

/* Appends key data (binary, public or secret) to out, ASCII-armored. */
int crypto_key_armor(const void *data, size_t len, bool secret, struct buf *out);

const char *crypto_key_state_name(enum crypto_key_state state);
void crypto_key_deinit(struct crypto_key *k);

#endif
