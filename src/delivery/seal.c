/*
 * seal.c - the sealing step of delivery (DESIGN.md, "The life of a
 * message", step 3): an account with keys in the store gets the message
 * sealed to all of them (crypto/seal.h) before anything of it is written.
 *
 * A sealed account whose keys are all unusable now (expired, revoked) gets
 * nothing: the caller answers with a temporary failure and this file logs
 * why, naming the account, never the message. Some keys unusable but others
 * fine: the message is sealed to the usable ones and the others are logged.
 *
 * Limits: CRYPTO_SEAL_KEYS_MAX keys per account (the store keeps no more:
 * STORE_KEYS_MAX; more would be a failure, never a partial seal).
 * Attacker control: the message bytes (sealed as they are).
 */
#include "delivery/delivery.h"

#include "base/log.h"
#include "base/mem.h"
#include "crypto/keys.h"
#include "crypto/seal.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(STORE_KEYS_MAX <= CRYPTO_SEAL_KEYS_MAX, "every stored key can be sealed to");

/* The account's keys as crypto_seal wants them (*sk_r: free()); n 0 when unsealed. */
static int account_keys(struct store *s, const struct delivery_account *a,
                        struct store_key **keys_r, size_t *n_r, struct crypto_seal_key **sk_r)
{
	int ret = store_key_list(s, a->user_id, false, keys_r, n_r);

	*sk_r = NULL;
	if (ret == STORE_OK && *n_r > CRYPTO_SEAL_KEYS_MAX) {
		/* The store keeps at most STORE_KEYS_MAX; never seal to only some of them. */
		log_error("delivery event=seal-failed account=%s reason=\"%zu keys, more than %d\"",
		          a->address, *n_r, CRYPTO_SEAL_KEYS_MAX);
		return DELIVERY_ERR_SEAL;
	}
	if (ret == STORE_OK && *n_r > 0) {
		*sk_r = xcalloc(*n_r, sizeof(**sk_r));
		for (size_t i = 0; i < *n_r; i++) {
			(*sk_r)[i].data = (*keys_r)[i].public_key;
			(*sk_r)[i].len = (*keys_r)[i].public_len;
			(*sk_r)[i].fingerprint = (*keys_r)[i].fingerprint;
		}
	}
	return ret;
}

/* The delivery code for a crypto result, logged with the account (never the message). */
static int seal_result(const struct delivery_account *a, int ret, size_t n, size_t skipped,
                       const char *err)
{
	if (ret == CRYPTO_ERR_NOKEY) {
		log_error("delivery event=seal-refused account=%s keys=%zu reason=\"%s: every key "
		          "is expired, revoked or without an encryption subkey\"",
		          a->address, n, err);
		return DELIVERY_ERR_NOKEY;
	}
	if (ret != CRYPTO_OK) {
		log_error("delivery event=seal-failed account=%s reason=\"%s\"", a->address, err);
		return DELIVERY_ERR_SEAL;
	}
	if (skipped > 0)
		log_warn("delivery event=seal-keys-skipped account=%s skipped=%zu of=%zu "
		         "reason=\"expired, revoked or without an encryption subkey\"",
		         a->address, skipped, n);
	return 0;
}

/*
 * With out: seals data to the account's keys (when it has any). Without:
 * only checks that one of them is usable now. The account's keys are read
 * from the store either way, so a key added or deleted a moment ago counts.
 */
static int seal_or_check(struct store *s, const struct delivery_account *a, const char *data,
                         size_t len, struct buf *out, bool *sealed_r)
{
	char err[CRYPTO_ERROR_MAX] = "at RCPT";
	struct crypto_seal_key *sk = NULL;
	struct store_key *keys = NULL;
	size_t n = 0, skipped = 0, usable = 0;
	int ret;

	*sealed_r = false;
	ret = account_keys(s, a, &keys, &n, &sk);
	if (ret == STORE_OK && n > 0 && out != NULL) {
		ret = crypto_seal(sk, n, data, len, a->protect_subject, time(NULL), out, &skipped,
		                  err, sizeof(err));
		ret = seal_result(a, ret, n, skipped, err);
		*sealed_r = ret == 0;
	} else if (ret == STORE_OK && n > 0) {
		ret = crypto_seal_usable(sk, n, time(NULL), &usable);
		ret = seal_result(a, ret == CRYPTO_OK && usable == 0 ? CRYPTO_ERR_NOKEY : ret, n, 0,
		                  err);
	}
	free(sk);
	store_keys_free(&keys, n);
	return ret;
}

int delivery_seal(struct store *s, const struct delivery_account *a, const char *data, size_t len,
                  struct buf *out, bool *sealed_r)
{
	return seal_or_check(s, a, data, len, out, sealed_r);
}

int delivery_sealable(struct store *s, const struct delivery_account *a)
{
	bool sealed;

	return seal_or_check(s, a, NULL, 0, NULL, &sealed);
}
