/*
 * fuzz_sasl.c - libFuzzer target for the SASL server mechanisms (auth/sasl.c).
 *
 * Input layout: byte 0 holds flags (bit 0: LOGIN instead of PLAIN; bit 1: start
 * without an initial response; bit 2: base64-encode each step here, so that the
 * mechanism parsers see arbitrary decoded bytes rather than mostly invalid
 * base64). The rest is split at '\n' into at most FUZZ_SASL_MAX_STEPS responses.
 * Checks the module's contract: challenges only with SASL_CONTINUE, credentials
 * only after SASL_DONE and within SASL_MAX_FIELD, no step after the end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/sasl.h"
#include "base/mem.h"

#define FUZZ_SASL_MAX_STEPS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_sasl_check_done(const struct sasl_session *s)
{
	const char *user = sasl_username(s), *pass = sasl_password(s);

	ASSERT(user != NULL && pass != NULL);
	ASSERT(strlen(user) >= 1 && strlen(user) <= SASL_MAX_FIELD);
	ASSERT(strlen(pass) >= 1 && strlen(pass) <= SASL_MAX_FIELD);
	ASSERT(sasl_error(s) == NULL);
}

/* Runs one step; returns false once the exchange has ended. */
static bool fuzz_sasl_step(struct sasl_session *s, const char *in, size_t len)
{
	char *challenge = (char *)1;
	enum sasl_result r = sasl_step(s, in, len, &challenge);

	if (r == SASL_CONTINUE) {
		ASSERT(challenge != NULL);
		ASSERT(sasl_username(s) == NULL);
		free(challenge);
		return true;
	}
	ASSERT(challenge == NULL);
	if (r == SASL_DONE)
		fuzz_sasl_check_done(s);
	else
		ASSERT(sasl_error(s) != NULL && sasl_password(s) == NULL);
	return false;
}

static bool fuzz_sasl_step_encoded(struct sasl_session *s, const uint8_t *p, size_t len)
{
	size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(b64_len);
	bool more;

	sodium_bin2base64(b64, b64_len, p, len, sodium_base64_VARIANT_ORIGINAL);
	more = fuzz_sasl_step(s, b64, strlen(b64));
	free(b64);
	return more;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sasl_session *s;
	const uint8_t *p, *end = data + size;
	bool more = true;
	char *challenge;

	if (size == 0)
		return 0;
	s = sasl_new((data[0] & 1) ? "login" : "PLAIN");
	ASSERT(s != NULL);
	if (data[0] & 2)
		more = fuzz_sasl_step(s, NULL, 0);
	p = data + 1;
	for (int i = 0; i < FUZZ_SASL_MAX_STEPS && more && p <= end; i++) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl != NULL ? nl : end) - p);

		if (data[0] & 4)
			more = fuzz_sasl_step_encoded(s, p, len);
		else
			more = fuzz_sasl_step(s, (const char *)p, len);
		p += len + 1;
	}
	/* After the end every step fails. */
	if (!more)
		ASSERT(sasl_step(s, "AGEAYg==", 8, &challenge) == SASL_FAIL && challenge == NULL);
	sasl_free(&s);
	return 0;
}
