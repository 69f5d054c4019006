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
 * Limits: CRYPTO_SEAL_KEYS_MAX keys per account (more are not read).
 * Attacker control: the message bytes (sealed as they are).
 */
#include "delivery/delivery.h"

#include "base/log.h"
#include "crypto/keys.h"
#include "crypto/seal.h"
#include "store/store.h"

#include <stdlib.h>
#include <string.h>

static int seal_to(const struct delivery_account *a, const struct store_key *keys, size_t n,
                   const char *data, size_t len, struct buf *out)
{
	struct crypto_seal_key *sk = calloc(n, sizeof(*sk));
	char err[CRYPTO_ERROR_MAX] = "";
	size_t skipped = 0;
	int ret;

	if (sk == NULL)
		abort();
	for (size_t i = 0; i < n; i++) {
		sk[i].data = keys[i].public_key;
		sk[i].len = keys[i].public_len;
		sk[i].fingerprint = keys[i].fingerprint;
	}
	ret = crypto_seal(sk, n, data, len, a->protect_subject, time(NULL), out, &skipped, err,
	                  sizeof(err));
	free(sk);
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

int delivery_seal(struct store *s, const struct delivery_account *a, const char *data, size_t len,
                  struct buf *out, bool *sealed_r)
{
	struct store_key *keys = NULL;
	size_t n = 0;
	int ret;

	*sealed_r = false;
	ret = store_key_list(s, a->user_id, false, &keys, &n);
	if (ret == STORE_OK && n > 0) {
		ret = seal_to(a, keys, n < CRYPTO_SEAL_KEYS_MAX ? n : CRYPTO_SEAL_KEYS_MAX, data,
		              len, out);
		*sealed_r = ret == 0;
	}
	store_keys_free(&keys, n);
	return ret;
}
