/*
 * random.h - unpredictable bytes for identifiers (Message-IDs, queue ids),
 * from libsodium's randombytes (the kernel's getrandom).
 *
 * Thread-safe; never blocks once password_init() has run. Attacker control: none.
 */
#ifndef TRESOR_CRYPTO_RANDOM_H
#define TRESOR_CRYPTO_RANDOM_H

#include <stddef.h>

/* Fills buf with len random bytes. */
void crypto_random(void *buf, size_t len);
/* Writes 2 * bytes lowercase hex digits of randomness and a NUL into out. */
void crypto_random_hex(char *out, size_t bytes);

#endif
