/*
 * seal.h - zero-access sealing: a message becomes a PGP/MIME message
 * (RFC 3156 4, multipart/encrypted) whose encrypted payload is the original
 * message, every byte of it, headers included, encrypted to the public keys
 * of the recipients' accounts (DESIGN.md, "Zero-access sealing").
 *
 * The outer message carries only what listing and threading need: the
 * original From, To, Cc, Date, Message-ID, In-Reply-To, References and
 * Subject fields (as received, folding included), then MIME-Version and the
 * multipart/encrypted Content-Type. With protect_subject the outer Subject
 * is "..." and the payload's top-level Content-Type gets the parameter
 * protected-headers="v1", the marker by which Thunderbird shows the inner
 * Subject (draft-autocrypt-lamps-protected-headers); that parameter is then
 * the one change to the original bytes.
 *
 * The OpenPGP message is one that gpg 2.2 and sq from Debian 12 read: PKESK
 * v3 packets, a SEIPD v1 packet with MDC (RFC 4880 5.13), AES-256, no
 * compression, no AEAD (RFC 4880bis packets they cannot decrypt).
 *
 * Everything happens in memory: no byte of the message reaches a file here.
 * Each thread keeps the keys it has sealed to imported (keyring.c), so a
 * message costs the encryption, not a new parse of its recipients' keys;
 * crypto_keyring_thread_free() lets a thread give that memory back early.
 *
 * Limits: CRYPTO_SEAL_KEYS_MAX keys per message; the outer header block is
 * bounded by the message's own header size. Attacker control: the message
 * bytes (any content, possibly malformed headers); the keys come from the
 * store, checked at import.
 */
#ifndef TRESOR_CRYPTO_SEAL_H
#define TRESOR_CRYPTO_SEAL_H

#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Most keys one sealed message is encrypted to (the active keys of one account). */
#define CRYPTO_SEAL_KEYS_MAX 64
/* The outer Subject when the account protects its subjects. */
#define CRYPTO_SEAL_SUBJECT_PLACEHOLDER "..."

/* One public key (binary transferable key data, as stored) and its fingerprint. */
struct crypto_seal_key {
	const void *data;
	size_t len;
	const char *fingerprint; /* uppercase hex, as crypto_key_import gave it */
};

/*
 * Seals msg to every usable key in keys (expired, revoked or otherwise
 * unusable ones are skipped and counted in *skipped_r, which may be NULL)
 * and appends the PGP/MIME message to out. Returns CRYPTO_OK,
 * CRYPTO_ERR_NOKEY when none of the keys is usable at now (out unchanged),
 * CRYPTO_ERR_INVALID for an empty message, or CRYPTO_ERR_FAIL; err gets a message for the log
 * (never message content).
 */
int crypto_seal(const struct crypto_seal_key *keys, size_t n_keys, const char *msg, size_t len,
                bool protect_subject, time_t now, struct buf *out, size_t *skipped_r, char *err,
                size_t err_size);

/*
 * *usable_r gets how many of keys can be encrypted to at now (through the
 * thread's keyring, as crypto_seal decides it). CRYPTO_OK or an error.
 */
int crypto_seal_usable(const struct crypto_seal_key *keys, size_t n_keys, time_t now,
                       size_t *usable_r);

/* Frees the calling thread's keyring now (threads free theirs at exit anyway). */
void crypto_keyring_thread_free(void);

#endif
