/*
 * password.h - password hashing with Argon2id (PHC strings) and random
 * passwords, through libsodium.
 *
 * Stored credentials are PHC strings ("$argon2id$v=19$m=...,t=...,p=1$salt$hash")
 * made by crypto_pwhash_str_alg() with ALG_ARGON2ID13. Verification is
 * constant-time in libsodium. Hashing and verifying cost tens of milliseconds
 * and PASSWORD_MEMLIMIT bytes of memory: they block, so sessions run them on the
 * worker pool, never on the event loop.
 *
 * Limits: PASSWORD_MAX_LEN bytes of password, PASSWORD_PHC_MAX bytes of PHC
 * string, PASSWORD_GEN_LEN characters per generated password.
 *
 * Attacker control: the password (any bytes but NUL, from a SASL exchange).
 * The PHC string comes from the store, written by the administrator; a PHC
 * string with absurd parameters fails to verify rather than crash.
 */
#ifndef TRESOR_CRYPTO_PASSWORD_H
#define TRESOR_CRYPTO_PASSWORD_H

#include <stdbool.h>

#include <sodium.h>

/*
 * Argon2id cost. INTERACTIVE (2 passes over 64 MiB) is libsodium's setting for
 * online logins: a mail server verifies a password on every client connection
 * (phones reconnect all day), on several threads at once, so each check must
 * stay well under 100 ms and bounded in memory. MODERATE (256 MiB, ~0.7 s) would
 * let a handful of parallel logins exhaust the server's memory. The
 * verification cache (auth/cache.h) makes repeated logins nearly free anyway.
 */
#define PASSWORD_OPSLIMIT crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define PASSWORD_MEMLIMIT crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE

/* Longest password accepted for hashing or verifying (SASL's field limit). */
#define PASSWORD_MAX_LEN 1024
/* Longest PHC string (libsodium's buffer size, NUL included). */
#define PASSWORD_PHC_MAX crypto_pwhash_argon2id_STRBYTES
/* Length of generated passwords: 22 symbols of a 56-symbol alphabet, ~127 bits. */
#define PASSWORD_GEN_LEN 22

/* Initialises libsodium. Idempotent and thread-safe. Returns 0, or -1 if
 * libsodium cannot start (no randomness source). */
int password_init(void);

/*
 * Hashes password into a newly allocated PHC string the caller frees with
 * free(). Returns NULL if password is longer than PASSWORD_MAX_LEN. Aborts if
 * memory runs out. Blocks (tens of milliseconds). Calls password_init().
 */
char *password_hash(const char *password);

/*
 * True if password matches the PHC string phc. False on a wrong password and
 * on any malformed, over-long or unsupported PHC string. Constant-time in the
 * password. Blocks (tens of milliseconds).
 */
bool password_verify(const char *phc, const char *password);

/* True if phc was made with other parameters than the current ones (or is not
 * Argon2id), so that the caller should rehash after a successful login. */
bool password_needs_rehash(const char *phc);

/*
 * Returns a newly allocated random password of PASSWORD_GEN_LEN characters
 * from an alphabet without look-alikes (no 0/O/o, 1/l/I). Free it with
 * password_free().
 */
char *password_generate(void);

/* Wipes a NUL-terminated secret, frees it and NULLs the pointer; accepts NULL. */
void password_free(char **_secret);

#endif
