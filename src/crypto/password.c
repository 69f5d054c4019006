/*
 * password.c - Argon2id password hashes and random passwords; see password.h.
 *
 * Limits: PASSWORD_MAX_LEN, PASSWORD_PHC_MAX. Attacker control: password bytes.
 */
#include "crypto/password.h"

#include <string.h>

#include "base/mem.h"

/* No 0/O/o, 1/l/I: read aloud or copied by hand without doubt. */
static const char password_alphabet[] = "abcdefghijkmnpqrstuvwxyz"
                                        "ABCDEFGHJKLMNPQRSTUVWXYZ"
                                        "23456789";

int password_init(void)
{
	/* sodium_init() is itself idempotent and thread-safe: 1 means "already". */
	return sodium_init() < 0 ? -1 : 0;
}

static void password_init_or_panic(void)
{
	if (password_init() < 0)
		PANIC("libsodium initialisation failed");
}

char *password_hash(const char *password)
{
	char phc[PASSWORD_PHC_MAX];
	size_t len = strnlen(password, PASSWORD_MAX_LEN + 1);

	if (len > PASSWORD_MAX_LEN)
		return NULL;
	password_init_or_panic();
	/* The only failure left for valid parameters is failing to allocate memory. */
	if (crypto_pwhash_str_alg(phc, password, len, PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT,
	                          crypto_pwhash_ALG_ARGON2ID13) != 0)
		PANIC("out of memory hashing a password (%zu bytes)", (size_t)PASSWORD_MEMLIMIT);
	return xstrdup(phc);
}

bool password_verify(const char *phc, const char *password)
{
	size_t len = strnlen(password, PASSWORD_MAX_LEN + 1);

	if (len > PASSWORD_MAX_LEN || strnlen(phc, PASSWORD_PHC_MAX) >= PASSWORD_PHC_MAX)
		return false;
	if (password_init() < 0)
		return false;
	return crypto_pwhash_str_verify(phc, password, len) == 0;
}

bool password_needs_rehash(const char *phc)
{
	if (strnlen(phc, PASSWORD_PHC_MAX) >= PASSWORD_PHC_MAX)
		return true;
	/* Returns 1 for other parameters, -1 for another algorithm or garbage. */
	return crypto_pwhash_argon2id_str_needs_rehash(phc, PASSWORD_OPSLIMIT, PASSWORD_MEMLIMIT) !=
	       0;
}

char *password_generate(void)
{
	char *pw = xmalloc(PASSWORD_GEN_LEN + 1);
	const uint32_t n = sizeof(password_alphabet) - 1;

	password_init_or_panic();
	for (size_t i = 0; i < PASSWORD_GEN_LEN; i++)
		pw[i] = password_alphabet[randombytes_uniform(n)]; /* unbiased */
	pw[PASSWORD_GEN_LEN] = '\0';
	return pw;
}

void password_free(char **_secret)
{
	char *secret = *_secret;

	if (secret == NULL)
		return;
	sodium_memzero(secret, strlen(secret));
	free(secret);
	*_secret = NULL;
}
