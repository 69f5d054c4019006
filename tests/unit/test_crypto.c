/*
 * test_crypto.c - unit tests of OpenPGP keys and sealing (crypto/keys,
 * crypto/seal): a generated key is Ed25519 + X25519 and protected; import
 * refuses secret keys, garbage and several keys; a sealed message has the
 * RFC 3156 form with only the listed outer fields, and decrypting its
 * payload (with librnp and the passphrase) gives back the original bytes;
 * protect_subject hides the Subject and marks the payload; a key expired at
 * "now" is not used and no key at all is CRYPTO_ERR_NOKEY.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include "base/buf.h"
#include "crypto/keys.h"
#include "crypto/seal.h"

#define PASS "correct horse battery staple"

static const char sample[] = "Return-Path: <carol@example.org>\r\n"
                             "Received: from client.example.org by mx.example.test\r\n"
                             "From: Carol <carol@example.org>\r\n"
                             "To: alice@example.test\r\n"
                             "Subject: Quarterly\r\n"
                             " numbers\r\n"
                             "X-Secret-Header: canary-header-token\r\n"
                             "Message-ID: <1@example.org>\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "\r\n"
                             "canary-body-token\r\n";

static struct crypto_key key;

static int setup(void **state)
{
	char err[CRYPTO_ERROR_MAX];

	(void)state;
	return crypto_key_generate("alice@example.test", PASS, 0, &key, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	crypto_key_deinit(&key);
	crypto_keyring_thread_free();
	return 0;
}

static bool pass_provider(rnp_ffi_t ffi, void *ctx, rnp_key_handle_t k, const char *context,
                          char buf[], size_t size)
{
	(void)ffi, (void)ctx, (void)k, (void)context;
	snprintf(buf, size, "%s", PASS);
	return true;
}

/* Decrypts the armored part of a sealed message with the secret key. */
static char *decrypt(const char *sealed, size_t *len_r)
{
	const char *begin = strstr(sealed, "-----BEGIN PGP MESSAGE-----");
	const char *end = strstr(sealed, "-----END PGP MESSAGE-----");
	rnp_input_t keys_in, in;
	rnp_output_t out;
	rnp_ffi_t ffi;
	uint8_t *p;
	size_t n;
	char *plain;

	assert_non_null(begin);
	assert_non_null(end);
	end += strlen("-----END PGP MESSAGE-----");
	assert_int_equal(rnp_ffi_create(&ffi, "GPG", "GPG"), RNP_SUCCESS);
	assert_int_equal(rnp_ffi_set_pass_provider(ffi, pass_provider, NULL), RNP_SUCCESS);
	assert_int_equal(rnp_input_from_memory(&keys_in, (const uint8_t *)key.secret_key,
	                                       key.secret_len, false),
	                 RNP_SUCCESS);
	assert_int_equal(rnp_import_keys(ffi, keys_in,
	                                 RNP_LOAD_SAVE_PUBLIC_KEYS | RNP_LOAD_SAVE_SECRET_KEYS,
	                                 NULL),
	                 RNP_SUCCESS);
	rnp_input_destroy(keys_in);
	assert_int_equal(
	        rnp_input_from_memory(&in, (const uint8_t *)begin, (size_t)(end - begin), false),
	        RNP_SUCCESS);
	assert_int_equal(rnp_output_to_memory(&out, 0), RNP_SUCCESS);
	assert_int_equal(rnp_decrypt(ffi, in, out), RNP_SUCCESS);
	assert_int_equal(rnp_output_memory_get_buf(out, &p, &n, false), RNP_SUCCESS);
	plain = malloc(n + 1);
	memcpy(plain, p, n);
	plain[n] = '\0';
	*len_r = n;
	rnp_output_destroy(out);
	rnp_input_destroy(in);
	rnp_ffi_destroy(ffi);
	return plain;
}

static char *seal(const char *msg, size_t len, bool protect, int *ret_r)
{
	struct crypto_seal_key sk = {key.public_key, key.public_len, key.fingerprint};
	char err[CRYPTO_ERROR_MAX] = "";
	struct buf out;
	size_t skipped = 99;

	buf_init(&out, 0);
	*ret_r = crypto_seal(&sk, 1, msg, len, protect, time(NULL), &out, &skipped, err,
	                     sizeof(err));
	if (*ret_r == CRYPTO_OK)
		assert_int_equal(skipped, 0);
	return buf_steal(&out, NULL);
}

static void test_generated_key(void **state)
{
	enum crypto_key_state st;
	struct crypto_key k;

	(void)state;
	assert_int_equal(strlen(key.fingerprint), 40);
	assert_string_equal(key.algorithm, "EDDSA");
	assert_string_equal(key.user_id, "alice@example.test");
	assert_non_null(key.secret_key);
	assert_int_equal(crypto_key_inspect(key.public_key, key.public_len, time(NULL), &k, &st),
	                 CRYPTO_OK);
	assert_int_equal(st, CRYPTO_KEY_USABLE);
	assert_string_equal(k.fingerprint, key.fingerprint);
	crypto_key_deinit(&k);
	/* Generated without an expiry: still usable in 2096. */
	assert_int_equal(
	        crypto_key_inspect(key.public_key, key.public_len, (time_t)4000000000, &k, &st),
	        CRYPTO_OK);
	assert_int_equal(st, CRYPTO_KEY_USABLE);
	crypto_key_deinit(&k);
}

static void test_import_refusals(void **state)
{
	char err[CRYPTO_ERROR_MAX];
	struct crypto_key k;
	char *two;

	(void)state;
	assert_int_equal(crypto_key_import("garbage", 7, time(NULL), &k, err, sizeof(err)),
	                 CRYPTO_ERR_INVALID);
	assert_non_null(strstr(err, "not an OpenPGP key"));
	assert_int_equal(
	        crypto_key_import(key.secret_key, key.secret_len, time(NULL), &k, err, sizeof(err)),
	        CRYPTO_ERR_INVALID);
	assert_non_null(strstr(err, "secret key"));
	two = malloc(2 * key.public_len);
	memcpy(two, key.public_key, key.public_len);
	{
		struct crypto_key other;
		char e2[CRYPTO_ERROR_MAX];

		assert_int_equal(
		        crypto_key_generate("bob@example.test", PASS, 0, &other, e2, sizeof(e2)),
		        CRYPTO_OK);
		two = realloc(two, key.public_len + other.public_len);
		memcpy(two + key.public_len, other.public_key, other.public_len);
		assert_int_equal(crypto_key_import(two, key.public_len + other.public_len,
		                                   time(NULL), &k, err, sizeof(err)),
		                 CRYPTO_ERR_INVALID);
		assert_non_null(strstr(err, "several keys"));
		crypto_key_deinit(&other);
	}
	free(two);
	assert_int_equal(
	        crypto_key_import(key.public_key, key.public_len, time(NULL), &k, err, sizeof(err)),
	        CRYPTO_OK);
	assert_string_equal(k.fingerprint, key.fingerprint);
	assert_null(k.secret_key);
	crypto_key_deinit(&k);
}

static void test_seal_round_trip(void **state)
{
	size_t len;
	char *sealed, *plain;
	int ret;

	(void)state;
	sealed = seal(sample, sizeof(sample) - 1, false, &ret);
	assert_int_equal(ret, CRYPTO_OK);
	/* Only the listed fields outside; trace and client fields only inside. */
	assert_non_null(strstr(sealed, "From: Carol <carol@example.org>\r\n"));
	assert_non_null(strstr(sealed, "Subject: Quarterly\r\n numbers\r\n"));
	assert_non_null(strstr(sealed, "Message-ID: <1@example.org>\r\n"));
	assert_non_null(strstr(sealed, "Content-Type: multipart/encrypted; "
	                               "protocol=\"application/pgp-encrypted\""));
	assert_non_null(strstr(sealed, "Content-Type: application/pgp-encrypted\r\n"));
	assert_non_null(strstr(sealed, "\r\nVersion: 1\r\n"));
	assert_null(strstr(sealed, "Received:"));
	assert_null(strstr(sealed, "Return-Path:"));
	assert_null(strstr(sealed, "canary"));
	assert_null(strstr(sealed, "utf-8"));
	plain = decrypt(sealed, &len);
	assert_int_equal(len, sizeof(sample) - 1);
	assert_memory_equal(plain, sample, len);
	free(plain);
	free(sealed);
}

static void test_protect_subject(void **state)
{
	static const char no_ctype[] = "Subject: hidden words\n"
	                               "From: a@b\n"
	                               "\n"
	                               "body\n";
	static const char want[] = "Subject: hidden words\n"
	                           "From: a@b\n"
	                           "Content-Type: text/plain; charset=us-ascii;\r\n"
	                           " protected-headers=\"v1\"\r\n"
	                           "\n"
	                           "body\n";
	const char *marked =
	        "Content-Type: text/plain; charset=utf-8;\r\n protected-headers=\"v1\"\r\n";
	size_t len;
	char *sealed, *plain;
	int ret;

	(void)state;
	sealed = seal(sample, sizeof(sample) - 1, true, &ret);
	assert_int_equal(ret, CRYPTO_OK);
	assert_non_null(strstr(sealed, "Subject: ...\r\n"));
	assert_null(strstr(sealed, "Quarterly"));
	plain = decrypt(sealed, &len);
	assert_non_null(strstr(plain, marked));
	assert_non_null(strstr(plain, "Subject: Quarterly\r\n numbers\r\n"));
	assert_int_equal(len, sizeof(sample) - 1 + strlen(";\r\n protected-headers=\"v1\""));
	free(plain);
	free(sealed);

	sealed = seal(no_ctype, sizeof(no_ctype) - 1, true, &ret);
	assert_int_equal(ret, CRYPTO_OK);
	assert_null(strstr(sealed, "hidden"));
	plain = decrypt(sealed, &len);
	assert_string_equal(plain, want);
	free(plain);
	free(sealed);
}

/* A bare CR or NUL in an outer field cannot start a line of the sender's own outside. */
static void test_outer_controls(void **state)
{
	static const char msg[] = "From: a@b\rContent-Type: text/html\r\r<b>fake</b>\r\n"
	                          "Subject: x\0y\r\n"
	                          "\r\n"
	                          "body\r\n";
	static const char body_only[] = "just a body line\r\n";
	char *sealed, *plain, *end;
	size_t len;
	int ret;

	(void)state;
	sealed = seal(msg, sizeof(msg) - 1, false, &ret);
	assert_int_equal(ret, CRYPTO_OK);
	end = strstr(sealed, "MIME-Version: 1.0\r\n");
	assert_non_null(end);
	*end = '\0';
	assert_string_equal(sealed, "From: a@b Content-Type: text/html  <b>fake</b>\r\n"
	                            "Subject: x y\r\n");
	free(sealed);

	/* protect_subject on a message without any field: the header made for it ends. */
	sealed = seal(body_only, sizeof(body_only) - 1, true, &ret);
	assert_int_equal(ret, CRYPTO_OK);
	plain = decrypt(sealed, &len);
	assert_string_equal(plain, "Content-Type: text/plain; charset=us-ascii;\r\n"
	                           " protected-headers=\"v1\"\r\n"
	                           "\r\n"
	                           "just a body line\r\n");
	free(plain);
	free(sealed);
}

static void test_odd_messages(void **state)
{
	static const char *const odd[] = {"no header at all", "\r\n\r\nbody only", "From: x@y",
	                                  "From: x@y\n\n", "\x00\x01\xff"};
	size_t len;
	int ret;

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		size_t n = i == 4 ? 3 : strlen(odd[i]);
		char *sealed = seal(odd[i], n, false, &ret), *plain;

		assert_int_equal(ret, CRYPTO_OK);
		plain = decrypt(sealed, &len);
		assert_int_equal(len, n);
		assert_memory_equal(plain, odd[i], n);
		free(plain);
		free(sealed);
	}
}

static void test_no_usable_key(void **state)
{
	char err[CRYPTO_ERROR_MAX];
	struct buf out;

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(crypto_seal(NULL, 0, sample, sizeof(sample) - 1, false, time(NULL), &out,
	                             NULL, err, sizeof(err)),
	                 CRYPTO_ERR_NOKEY);
	assert_int_equal(out.len, 0);
	assert_int_equal(
	        crypto_seal(NULL, 0, "", 0, false, time(NULL), &out, NULL, err, sizeof(err)),
	        CRYPTO_ERR_INVALID);
	buf_deinit(&out);
}

/* The thread's keyring: a key is reused, a wrong fingerprint is refused, threads are apart. */
static void *seal_in_thread(void *arg)
{
	int *ret = arg;
	char *sealed;

	for (int i = 0; i < 20 && *ret == CRYPTO_OK; i++) {
		sealed = seal(sample, sizeof(sample) - 1, false, ret);
		free(sealed);
	}
	crypto_keyring_thread_free();
	return NULL;
}

static void test_keyring(void **state)
{
	struct crypto_seal_key sk = {key.public_key, key.public_len,
	                             "0000000000000000000000000000000000000000"};
	char err[CRYPTO_ERROR_MAX];
	pthread_t t[4];
	int rets[4];
	size_t len;
	struct buf out;
	char *sealed, *plain;
	int ret;

	(void)state;
	buf_init(&out, 0);
	assert_int_equal(crypto_seal(&sk, 1, sample, sizeof(sample) - 1, false, time(NULL), &out,
	                             NULL, err, sizeof(err)),
	                 CRYPTO_ERR_INVALID);
	assert_int_equal(out.len, 0);
	buf_deinit(&out);
	/* After a refusal and with the key cached, sealing still gives the original back. */
	for (int i = 0; i < 3; i++) {
		sealed = seal(sample, sizeof(sample) - 1, false, &ret);
		assert_int_equal(ret, CRYPTO_OK);
		plain = decrypt(sealed, &len);
		assert_int_equal(len, sizeof(sample) - 1);
		assert_memory_equal(plain, sample, len);
		free(plain);
		free(sealed);
	}
	/* A set of two keys is its own keyring; the one-key set stays usable beside it. */
	{
		struct crypto_key other;
		struct crypto_seal_key two[2];

		assert_int_equal(
		        crypto_key_generate("bob@example.test", PASS, 0, &other, err, sizeof(err)),
		        CRYPTO_OK);
		two[0] = (struct crypto_seal_key){other.public_key, other.public_len,
		                                  other.fingerprint};
		two[1] = (struct crypto_seal_key){key.public_key, key.public_len, key.fingerprint};
		buf_init(&out, 0);
		assert_int_equal(crypto_seal(two, 2, sample, sizeof(sample) - 1, false, time(NULL),
		                             &out, NULL, err, sizeof(err)),
		                 CRYPTO_OK);
		plain = decrypt(out.data, &len);
		assert_int_equal(len, sizeof(sample) - 1);
		free(plain);
		buf_deinit(&out);
		crypto_key_deinit(&other);
		sealed = seal(sample, sizeof(sample) - 1, false, &ret);
		assert_int_equal(ret, CRYPTO_OK);
		free(sealed);
	}
	for (int i = 0; i < 4; i++) {
		rets[i] = CRYPTO_OK;
		assert_int_equal(pthread_create(&t[i], NULL, seal_in_thread, &rets[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(rets[i], CRYPTO_OK);
	}
	crypto_keyring_thread_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_generated_key),   cmocka_unit_test(test_import_refusals),
	        cmocka_unit_test(test_seal_round_trip), cmocka_unit_test(test_protect_subject),
	        cmocka_unit_test(test_odd_messages),    cmocka_unit_test(test_no_usable_key),
	        cmocka_unit_test(test_keyring),         cmocka_unit_test(test_outer_controls),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
