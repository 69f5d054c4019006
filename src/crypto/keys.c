/*
 * keys.c - OpenPGP keys of sealed accounts through librnp; see keys.h.
 *
 * Every call here works in its own rnp_ffi_t (an in-memory keyring that is
 * never loaded from or saved to disk), so calls on different threads share
 * nothing; sealing keeps a keyring per thread instead (keyring.c). The usability of a key is
 * decided here, from rnp's validity period (rnp_key_valid_till64) and revocation status, for the
 * primary key and each encryption-capable (sub)key, so that import and delivery apply the same
 * rule.
 *
 * RFC 4880 5.2.3.3, 5.2.3.6, 5.2.3.23, 11.1, 11.2; RFC 6637.
 * Limits and attacker control: see keys.h.
 */
#include "crypto/keys.h"
#include "crypto/rnp-private.h"

#include "base/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

int crypto_fail(char *err, size_t err_size, int code, const char *what)
{
	if (err != NULL && err_size > 0)
		snprintf(err, err_size, "%s", what);
	return code;
}

rnp_ffi_t crypto_ffi_new(void)
{
	rnp_ffi_t ffi = NULL;

	if (rnp_ffi_create(&ffi, "GPG", "GPG") != RNP_SUCCESS)
		return NULL;
	return ffi;
}

/* Copies an rnp memory output into a new buffer of ours. */
static int output_take(rnp_output_t out, char **data_r, size_t *len_r)
{
	uint8_t *p = NULL;
	size_t len = 0;

	if (rnp_output_memory_get_buf(out, &p, &len, false) != RNP_SUCCESS)
		return CRYPTO_ERR_FAIL;
	*data_r = xmalloc(len + 1);
	memcpy(*data_r, p, len);
	(*data_r)[len] = '\0';
	*len_r = len;
	return CRYPTO_OK;
}

/* The key (primary with subkeys), public or secret part, binary. */
static int key_export(rnp_key_handle_t key, bool secret, bool armored, char **data_r, size_t *len_r)
{
	uint32_t flags = RNP_KEY_EXPORT_SUBKEYS |
	                 (secret ? RNP_KEY_EXPORT_SECRET : RNP_KEY_EXPORT_PUBLIC) |
	                 (armored ? RNP_KEY_EXPORT_ARMORED : 0);
	rnp_output_t out = NULL;
	int ret = CRYPTO_ERR_FAIL;

	if (rnp_output_to_memory(&out, 0) != RNP_SUCCESS)
		return CRYPTO_ERR_FAIL;
	if (rnp_key_export(key, out, flags) == RNP_SUCCESS)
		ret = output_take(out, data_r, len_r);
	rnp_output_destroy(out);
	return ret;
}

int crypto_ffi_import(rnp_ffi_t ffi, const void *data, size_t len, bool secret)
{
	uint32_t flags = RNP_LOAD_SAVE_PUBLIC_KEYS | (secret ? RNP_LOAD_SAVE_SECRET_KEYS : 0);
	rnp_input_t in = NULL;
	rnp_result_t r;

	if (len == 0 || len > CRYPTO_KEY_MAX)
		return CRYPTO_ERR_INVALID;
	if (rnp_input_from_memory(&in, data, len, false) != RNP_SUCCESS)
		return CRYPTO_ERR_FAIL;
	r = rnp_import_keys(ffi, in, flags, NULL);
	rnp_input_destroy(in);
	return r == RNP_SUCCESS ? CRYPTO_OK : CRYPTO_ERR_INVALID;
}

/* Whether one (sub)key is valid at now and not revoked. */
static bool key_live(rnp_key_handle_t key, time_t now, bool *expired_r, bool *revoked_r)
{
	bool revoked = false, valid = false;
	uint64_t till = 0;

	if (rnp_key_is_revoked(key, &revoked) != RNP_SUCCESS || revoked) {
		*revoked_r = *revoked_r || revoked;
		return false;
	}
	if (rnp_key_valid_till64(key, &till) != RNP_SUCCESS || till == 0)
		return false;
	if (till <= (uint64_t)now) {
		*expired_r = true;
		return false;
	}
	return rnp_key_is_valid(key, &valid) == RNP_SUCCESS && valid;
}

/* Encryption-capable, and not a finite-field key below CRYPTO_RSA_MIN bits (breakable). */
static bool can_encrypt(rnp_key_handle_t key)
{
	char *alg = NULL;
	uint32_t bits = 0;
	bool ok = false, weak;

	if (rnp_key_allows_usage(key, "encrypt", &ok) != RNP_SUCCESS || !ok)
		return false;
	if (rnp_key_get_alg(key, &alg) != RNP_SUCCESS || alg == NULL)
		return false;
	weak = (strcmp(alg, "RSA") == 0 || strcmp(alg, "ELGAMAL") == 0) &&
	       (rnp_key_get_bits(key, &bits) != RNP_SUCCESS || bits < CRYPTO_RSA_MIN);
	rnp_buffer_destroy(alg);
	return !weak;
}

/* The end of key's validity when it lies after now (else UINT64_MAX). */
static uint64_t ends_after(rnp_key_handle_t key, time_t now)
{
	uint64_t till = 0;

	if (rnp_key_valid_till64(key, &till) != RNP_SUCCESS || till <= (uint64_t)now)
		return UINT64_MAX;
	return till;
}

uint64_t crypto_key_changes_at(rnp_key_handle_t primary, time_t now)
{
	uint64_t at = ends_after(primary, now);
	size_t n = 0;

	if (rnp_key_get_subkey_count(primary, &n) != RNP_SUCCESS)
		return at;
	for (size_t i = 0; i < n; i++) {
		rnp_key_handle_t sub = NULL;
		uint64_t t;

		if (rnp_key_get_subkey_at(primary, i, &sub) != RNP_SUCCESS)
			continue;
		t = ends_after(sub, now);
		at = t < at ? t : at;
		rnp_key_handle_destroy(sub);
	}
	return at;
}

/*
 * RFC 4880 5.2.3.3: a primary key that may encrypt, or a live subkey with the
 * encryption flag; the primary itself must be live for its subkeys to count.
 */
enum crypto_key_state crypto_key_state_of(rnp_key_handle_t primary, time_t now)
{
	bool expired = false, revoked = false;
	size_t n = 0;

	if (!key_live(primary, now, &expired, &revoked))
		return revoked   ? CRYPTO_KEY_REVOKED
		       : expired ? CRYPTO_KEY_EXPIRED
		                 : CRYPTO_KEY_UNUSABLE;
	if (can_encrypt(primary))
		return CRYPTO_KEY_USABLE;
	expired = revoked = false;
	if (rnp_key_get_subkey_count(primary, &n) != RNP_SUCCESS)
		return CRYPTO_KEY_UNUSABLE;
	for (size_t i = 0; i < n; i++) {
		rnp_key_handle_t sub = NULL;
		bool usable;

		if (rnp_key_get_subkey_at(primary, i, &sub) != RNP_SUCCESS)
			continue;
		usable = can_encrypt(sub) && key_live(sub, now, &expired, &revoked);
		rnp_key_handle_destroy(sub);
		if (usable)
			return CRYPTO_KEY_USABLE;
	}
	return revoked ? CRYPTO_KEY_REVOKED : expired ? CRYPTO_KEY_EXPIRED : CRYPTO_KEY_UNUSABLE;
}

int crypto_ffi_primaries(rnp_ffi_t ffi, rnp_key_handle_t *keys, size_t max, size_t *n_r)
{
	rnp_identifier_iterator_t it = NULL;
	const char *fpr = NULL;
	size_t n = 0, total = 0;

	if (rnp_identifier_iterator_create(ffi, &it, "fingerprint") != RNP_SUCCESS)
		return CRYPTO_ERR_FAIL;
	while (rnp_identifier_iterator_next(it, &fpr) == RNP_SUCCESS && fpr != NULL) {
		rnp_key_handle_t key = NULL;
		bool primary = false;

		if (rnp_locate_key(ffi, "fingerprint", fpr, &key) != RNP_SUCCESS || key == NULL)
			continue;
		if (rnp_key_is_primary(key, &primary) == RNP_SUCCESS && primary && n < max) {
			keys[n++] = key;
			total++;
			continue;
		}
		total += primary;
		rnp_key_handle_destroy(key);
	}
	rnp_identifier_iterator_destroy(it);
	*n_r = n;
	return total > max ? CRYPTO_ERR_INVALID : CRYPTO_OK;
}

/* Fills the description fields of k from a primary key handle. */
static void describe(rnp_key_handle_t key, struct crypto_key *k)
{
	char *s = NULL;
	uint32_t u = 0;

	if (rnp_key_get_fprint(key, &s) == RNP_SUCCESS && s != NULL)
		snprintf(k->fingerprint, sizeof(k->fingerprint), "%s", s);
	rnp_buffer_destroy(s);
	s = NULL;
	if (rnp_key_get_alg(key, &s) == RNP_SUCCESS && s != NULL)
		snprintf(k->algorithm, sizeof(k->algorithm), "%s", s);
	rnp_buffer_destroy(s);
	s = NULL;
	if (rnp_key_get_bits(key, &u) == RNP_SUCCESS)
		k->bits = u;
	if (rnp_key_get_creation(key, &u) == RNP_SUCCESS)
		k->created = (time_t)u;
	if (rnp_key_get_primary_uid(key, &s) == RNP_SUCCESS && s != NULL)
		k->user_id = xstrdup(s);
	else
		k->user_id = xstrdup("");
	rnp_buffer_destroy(s);
}

/* ECC keys: Ed25519 signs and certifies, the X25519 subkey encrypts (RFC 6637). */
static int generate_pair(rnp_ffi_t ffi, unsigned rsa_bits, const char *user_id,
                         rnp_key_handle_t *primary_r)
{
	rnp_op_generate_t op = NULL, sub = NULL;
	bool ok;

	ok = rnp_op_generate_create(&op, ffi, rsa_bits ? "RSA" : "EDDSA") == RNP_SUCCESS &&
	     (!rsa_bits || rnp_op_generate_set_bits(op, rsa_bits) == RNP_SUCCESS) &&
	     rnp_op_generate_add_usage(op, "sign") == RNP_SUCCESS &&
	     rnp_op_generate_add_usage(op, "certify") == RNP_SUCCESS &&
	     rnp_op_generate_set_userid(op, user_id) == RNP_SUCCESS &&
	     rnp_op_generate_set_expiration(op, 0) == RNP_SUCCESS &&
	     rnp_op_generate_execute(op) == RNP_SUCCESS &&
	     rnp_op_generate_get_key(op, primary_r) == RNP_SUCCESS;
	rnp_op_generate_destroy(op);
	if (!ok)
		return CRYPTO_ERR_FAIL;
	ok = rnp_op_generate_subkey_create(&sub, ffi, *primary_r, rsa_bits ? "RSA" : "ECDH") ==
	             RNP_SUCCESS &&
	     (rsa_bits ? rnp_op_generate_set_bits(sub, rsa_bits)
	               : rnp_op_generate_set_curve(sub, "Curve25519")) == RNP_SUCCESS &&
	     rnp_op_generate_add_usage(sub, "encrypt") == RNP_SUCCESS &&
	     rnp_op_generate_set_expiration(sub, 0) == RNP_SUCCESS &&
	     rnp_op_generate_execute(sub) == RNP_SUCCESS;
	rnp_op_generate_destroy(sub);
	return ok ? CRYPTO_OK : CRYPTO_ERR_FAIL;
}

/* Protects the secret part of the primary key and of every subkey with the passphrase. */
static int protect_all(rnp_key_handle_t primary, const char *passphrase)
{
	size_t n = 0;

	if (rnp_key_protect(primary, passphrase, "AES256", NULL, "SHA256", 0) != RNP_SUCCESS ||
	    rnp_key_get_subkey_count(primary, &n) != RNP_SUCCESS)
		return CRYPTO_ERR_FAIL;
	for (size_t i = 0; i < n; i++) {
		rnp_key_handle_t sub = NULL;
		rnp_result_t r = rnp_key_get_subkey_at(primary, i, &sub);

		if (r == RNP_SUCCESS)
			r = rnp_key_protect(sub, passphrase, "AES256", NULL, "SHA256", 0);
		rnp_key_handle_destroy(sub);
		if (r != RNP_SUCCESS)
			return CRYPTO_ERR_FAIL;
	}
	return CRYPTO_OK;
}

int crypto_key_generate(const char *user_id, const char *passphrase, unsigned rsa_bits,
                        struct crypto_key *k, char *err, size_t err_size)
{
	rnp_key_handle_t primary = NULL;
	rnp_ffi_t ffi;
	int ret;

	memset(k, 0, sizeof(*k));
	if (rsa_bits != 0 && (rsa_bits < CRYPTO_RSA_MIN || rsa_bits > CRYPTO_RSA_MAX))
		return crypto_fail(err, err_size, CRYPTO_ERR_INVALID,
		                   "RSA keys are 2048 to 4096 bits");
	if (passphrase[0] == '\0' || strlen(passphrase) > CRYPTO_PASSPHRASE_MAX)
		return crypto_fail(err, err_size, CRYPTO_ERR_INVALID,
		                   "the passphrase must be 1 to 1024 bytes");
	if ((ffi = crypto_ffi_new()) == NULL)
		return crypto_fail(err, err_size, CRYPTO_ERR_FAIL,
		                   "cannot start the OpenPGP library");
	ret = generate_pair(ffi, rsa_bits, user_id, &primary);
	if (ret == CRYPTO_OK)
		ret = protect_all(primary, passphrase);
	if (ret == CRYPTO_OK)
		ret = key_export(primary, false, false, &k->public_key, &k->public_len);
	if (ret == CRYPTO_OK)
		ret = key_export(primary, true, false, &k->secret_key, &k->secret_len);
	if (ret == CRYPTO_OK)
		describe(primary, k);
	rnp_key_handle_destroy(primary);
	rnp_ffi_destroy(ffi);
	if (ret != CRYPTO_OK) {
		crypto_key_deinit(k);
		return crypto_fail(err, err_size, ret, "key generation failed");
	}
	return CRYPTO_OK;
}

/* Refuses secret key material, anything that is not a key, and several primary keys. */
static int import_check(rnp_ffi_t ffi, const void *data, size_t len, rnp_key_handle_t *key_r,
                        char *err, size_t err_size)
{
	size_t n_secret = 0, n = 0;
	int ret;

	if (len > CRYPTO_KEY_MAX)
		return crypto_fail(err, err_size, CRYPTO_ERR_INVALID, "the key file is too large");
	ret = crypto_ffi_import(ffi, data, len, true);
	if (ret == CRYPTO_ERR_FAIL)
		return crypto_fail(err, err_size, ret, "cannot read the key");
	if (ret != CRYPTO_OK)
		return crypto_fail(err, err_size, ret, "not an OpenPGP key");
	if (rnp_get_secret_key_count(ffi, &n_secret) != RNP_SUCCESS || n_secret > 0)
		return crypto_fail(
		        err, err_size, CRYPTO_ERR_INVALID,
		        "this is a secret key; give the public key (the certificate) instead");
	ret = crypto_ffi_primaries(ffi, key_r, 1, &n);
	if (ret == CRYPTO_ERR_INVALID)
		return crypto_fail(err, err_size, ret,
		                   "the file holds several keys; import one at a time");
	if (ret != CRYPTO_OK || n == 0)
		return crypto_fail(err, err_size, CRYPTO_ERR_INVALID,
		                   "not an OpenPGP key (no primary public key found)");
	return CRYPTO_OK;
}

static const char *state_reason(enum crypto_key_state st)
{
	switch (st) {
	case CRYPTO_KEY_EXPIRED:
		return "no usable encryption key: the key or its encryption subkey has expired";
	case CRYPTO_KEY_REVOKED:
		return "no usable encryption key: the key or its encryption subkey is revoked";
	default:
		return "no usable encryption key: the key has no valid encryption-capable subkey "
		       "(RSA and ElGamal below 2048 bits are refused)";
	}
}

int crypto_key_import(const void *data, size_t len, time_t now, struct crypto_key *k, char *err,
                      size_t err_size)
{
	rnp_key_handle_t key = NULL;
	enum crypto_key_state st;
	rnp_ffi_t ffi;
	int ret;

	memset(k, 0, sizeof(*k));
	if ((ffi = crypto_ffi_new()) == NULL)
		return crypto_fail(err, err_size, CRYPTO_ERR_FAIL,
		                   "cannot start the OpenPGP library");
	ret = import_check(ffi, data, len, &key, err, err_size);
	if (ret == CRYPTO_OK && (st = crypto_key_state_of(key, now)) != CRYPTO_KEY_USABLE)
		ret = crypto_fail(err, err_size, CRYPTO_ERR_INVALID, state_reason(st));
	if (ret == CRYPTO_OK && key_export(key, false, false, &k->public_key, &k->public_len) < 0)
		ret = crypto_fail(err, err_size, CRYPTO_ERR_FAIL, "cannot write the key");
	if (ret == CRYPTO_OK)
		describe(key, k);
	rnp_key_handle_destroy(key);
	rnp_ffi_destroy(ffi);
	if (ret != CRYPTO_OK)
		crypto_key_deinit(k);
	return ret;
}

int crypto_key_inspect(const void *data, size_t len, time_t now, struct crypto_key *k,
                       enum crypto_key_state *state_r)
{
	rnp_key_handle_t key = NULL;
	rnp_ffi_t ffi;
	size_t n = 0;
	int ret;

	memset(k, 0, sizeof(*k));
	if ((ffi = crypto_ffi_new()) == NULL)
		return CRYPTO_ERR_FAIL;
	ret = crypto_ffi_import(ffi, data, len, false);
	if (ret == CRYPTO_OK)
		ret = crypto_ffi_primaries(ffi, &key, 1, &n);
	if (ret == CRYPTO_OK && n == 0)
		ret = CRYPTO_ERR_INVALID;
	if (ret == CRYPTO_OK) {
		describe(key, k);
		*state_r = crypto_key_state_of(key, now);
	}
	rnp_key_handle_destroy(key);
	rnp_ffi_destroy(ffi);
	return ret;
}

int crypto_key_armor(const void *data, size_t len, bool secret, struct buf *out)
{
	rnp_key_handle_t key = NULL;
	char *armored = NULL;
	size_t alen = 0, n = 0;
	rnp_ffi_t ffi;
	int ret;

	if ((ffi = crypto_ffi_new()) == NULL)
		return CRYPTO_ERR_FAIL;
	ret = crypto_ffi_import(ffi, data, len, secret);
	if (ret == CRYPTO_OK)
		ret = crypto_ffi_primaries(ffi, &key, 1, &n);
	if (ret == CRYPTO_OK && n == 1)
		ret = key_export(key, secret, true, &armored, &alen);
	else if (ret == CRYPTO_OK)
		ret = CRYPTO_ERR_INVALID;
	if (ret == CRYPTO_OK)
		buf_append(out, armored, alen);
	free(armored);
	rnp_key_handle_destroy(key);
	rnp_ffi_destroy(ffi);
	return ret;
}

const char *crypto_key_state_name(enum crypto_key_state state)
{
	switch (state) {
	case CRYPTO_KEY_USABLE:
		return "usable";
	case CRYPTO_KEY_EXPIRED:
		return "expired";
	case CRYPTO_KEY_REVOKED:
		return "revoked";
	default:
		return "unusable";
	}
}

void crypto_key_deinit(struct crypto_key *k)
{
	XFREE(k->user_id);
	XFREE(k->public_key);
	if (k->secret_key != NULL)
		sodium_memzero(k->secret_key, k->secret_len);
	XFREE(k->secret_key);
	k->public_len = k->secret_len = 0;
}
