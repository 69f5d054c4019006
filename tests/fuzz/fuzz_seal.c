/*
 * fuzz_seal.c - libFuzzer target for the two inputs of sealing an attacker
 * controls: a key file handed to `tresor key import` (crypto_key_import,
 * which parses OpenPGP packets through librnp) and a message's header
 * (the outer fields and the protected-headers insertion of crypto_seal).
 *
 * Checks that must hold:
 *  - import either refuses with a message or returns a key whose fingerprint
 *    is 40 hex digits and whose public data imports again to the same key;
 *  - any non-empty input seals, and the result has the multipart/encrypted
 *    header and exactly one armored OpenPGP message (nothing of the input
 *    can end the header early or forge a second one).
 * Build: make fuzz (links every src/ file but cli/main.c, with librnp).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "crypto/keys.h"
#include "crypto/seal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One fixed key to seal to, made on the first call. */
static struct crypto_key fuzz_key;

static void check_import(const uint8_t *data, size_t size)
{
	char err[CRYPTO_ERROR_MAX] = "";
	struct crypto_key k, again;

	if (crypto_key_import(data, size, time(NULL), &k, err, sizeof(err)) != CRYPTO_OK) {
		if (err[0] == '\0')
			abort();
		return;
	}
	if (strlen(k.fingerprint) != 40 || strspn(k.fingerprint, "0123456789ABCDEF") != 40)
		abort();
	if (crypto_key_import(k.public_key, k.public_len, time(NULL), &again, err, sizeof(err)) !=
	            CRYPTO_OK ||
	    strcmp(again.fingerprint, k.fingerprint) != 0)
		abort();
	crypto_key_deinit(&again);
	crypto_key_deinit(&k);
}

#define BEGIN "-----BEGIN PGP MESSAGE-----"

/* The input may hold NUL bytes, so no strstr. */
static const char *find(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle));
}

static void check_seal(const uint8_t *data, size_t size, bool protect)
{
	struct crypto_seal_key sk = {fuzz_key.public_key, fuzz_key.public_len,
	                             fuzz_key.fingerprint};
	char err[CRYPTO_ERROR_MAX];
	const char *mv, *first;
	struct buf out;
	int ret;

	buf_init(&out, 0);
	ret = crypto_seal(&sk, 1, (const char *)data, size, protect, time(NULL), &out, NULL, err,
	                  sizeof(err));
	if (size > 0 && ret != CRYPTO_OK)
		abort();
	if (ret == CRYPTO_OK) {
		/* The outer fields are copied from the input; what follows them is ours. */
		mv = find(out.data, out.len,
		          "MIME-Version: 1.0\r\nContent-Type: multipart/encrypted;");
		first = mv != NULL ? find(mv, out.len - (size_t)(mv - out.data), BEGIN) : NULL;
		if (first == NULL ||
		    find(first + 1, out.len - (size_t)(first + 1 - out.data), BEGIN) ||
		    find(out.data, out.len, "\r\n\r\n") < mv)
			abort();
	}
	buf_deinit(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CRYPTO_ERROR_MAX];

	if (fuzz_key.public_key == NULL &&
	    crypto_key_generate("fuzz@example.test", "fuzz", 0, &fuzz_key, err, sizeof(err)) !=
	            CRYPTO_OK)
		abort();
	if (size > CRYPTO_KEY_MAX)
		return 0;
	check_import(data, size);
	/* The header is what matters; a short body keeps the runs fast. */
	if (size <= 64 * 1024)
		check_seal(data, size, size % 2 == 1);
	return 0;
}
