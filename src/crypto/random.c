/*
 * random.c - random bytes and hex identifiers through libsodium.
 */
#include "crypto/random.h"

#include "base/mem.h"

#include <sodium.h>

/* Most random bytes one hex identifier draws at once. */
#define RANDOM_HEX_MAX 64

void crypto_random(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}

void crypto_random_hex(char *out, size_t bytes)
{
	unsigned char raw[RANDOM_HEX_MAX];

	ASSERT(bytes <= sizeof(raw));
	randombytes_buf(raw, bytes);
	sodium_bin2hex(out, 2 * bytes + 1, raw, bytes);
}
