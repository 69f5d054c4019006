/*
 * test_auth.c - unit tests for crypto/password, auth/cache, auth/sasl and
 * auth/throttle: hashing, the verification cache (hits, misses, TTL, bound,
 * speed), SASL PLAIN/LOGIN exchanges and malformed input, failure throttling.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth/cache.h"
#include "auth/sasl.h"
#include "auth/throttle.h"
#include "base/mem.h"
#include "crypto/password.h"

/* ---- helpers ---- */

static char *test_b64(const void *data, size_t len)
{
	size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *out = xmalloc(n);

	sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
	return out;
}

/* One step with base64-encoded data; returns the result and frees any challenge. */
static enum sasl_result test_step_raw(struct sasl_session *s, const void *data, size_t len)
{
	char *in = test_b64(data, len), *challenge;
	enum sasl_result r = sasl_step(s, in, strlen(in), &challenge);

	free(in);
	if (r != SASL_CONTINUE)
		assert_null(challenge);
	free(challenge);
	return r;
}

/* One step with a string literal's bytes (NULs included), base64-encoded. */
#define TEST_STEP(s, lit) test_step_raw(s, lit, sizeof(lit) - 1)

/* One step with a literal response line (not encoded by the test). */
static enum sasl_result test_step_line(struct sasl_session *s, const char *line, char **chal_r)
{
	char *challenge;
	enum sasl_result r = sasl_step(s, line, line == NULL ? 0 : strlen(line), &challenge);

	if (chal_r != NULL)
		*chal_r = challenge;
	else
		free(challenge);
	return r;
}

static double test_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A PHC string shared by the tests that need a real one (hashing is slow). */
static char *test_phc;

static int test_setup(void **state)
{
	assert_int_equal(password_init(), 0);
	assert_int_equal(password_init(), 0); /* idempotent */
	test_phc = password_hash("correct horse battery staple");
	return test_phc == NULL ? -1 : 0;
}

static int test_teardown(void **state)
{
	free(test_phc);
	return 0;
}

/* ---- password ---- */

static void test_password_hash_verify(void **state)
{
	char *other;

	assert_true(strncmp(test_phc, "$argon2id$", 10) == 0);
	assert_true(password_verify(test_phc, "correct horse battery staple"));
	assert_false(password_verify(test_phc, "correct horse battery stapl"));
	assert_false(password_verify(test_phc, "correct horse battery staple "));
	assert_false(password_verify(test_phc, ""));
	assert_false(password_needs_rehash(test_phc));

	/* A random salt: the same password never gives the same string. */
	other = password_hash("correct horse battery staple");
	assert_non_null(other);
	assert_string_not_equal(other, test_phc);
	assert_true(password_verify(other, "correct horse battery staple"));
	free(other);
}

static void test_password_malformed(void **state)
{
	char *long_pw = xmalloc(PASSWORD_MAX_LEN + 2);
	char *long_phc = xmalloc(PASSWORD_PHC_MAX + 1);

	assert_false(password_verify("", "x"));
	assert_false(password_verify("$argon2id$", "x"));
	assert_false(password_verify("plaintext", "plaintext"));
	assert_true(password_needs_rehash("$2y$10$abcdefghijklmnopqrstuv"));

	memset(long_pw, 'a', PASSWORD_MAX_LEN + 1);
	long_pw[PASSWORD_MAX_LEN + 1] = '\0';
	assert_null(password_hash(long_pw));
	assert_false(password_verify(test_phc, long_pw));

	memset(long_phc, 'a', PASSWORD_PHC_MAX);
	long_phc[PASSWORD_PHC_MAX] = '\0';
	assert_false(password_verify(long_phc, "x"));
	free(long_pw);
	free(long_phc);
}

static int test_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_password_generate(void **state)
{
	enum { N = 1000 };
	static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	char *pw[N];
	unsigned seen[256] = {0};

	for (size_t i = 0; i < N; i++) {
		pw[i] = password_generate();
		assert_int_equal(strlen(pw[i]), PASSWORD_GEN_LEN);
		assert_true(strlen(pw[i]) >= 20);
		for (const char *p = pw[i]; *p != '\0'; p++) {
			assert_non_null(strchr(alphabet, *p));
			assert_null(strchr("0Oo1lI", *p));
			seen[(unsigned char)*p]++;
		}
	}
	/* Every symbol of the alphabet shows up in 22000 draws. */
	for (const char *a = alphabet; *a != '\0'; a++)
		assert_true(seen[(unsigned char)*a] > 0);
	qsort(pw, N, sizeof(pw[0]), test_cmp_str);
	for (size_t i = 1; i < N; i++)
		assert_string_not_equal(pw[i - 1], pw[i]);
	for (size_t i = 0; i < N; i++) {
		password_free(&pw[i]);
		assert_null(pw[i]);
	}
	password_free(&pw[0]); /* accepts NULL */
}

/* ---- cache ---- */

static void test_cache_hit_and_misses(void **state)
{
	struct auth_cache *c = auth_cache_new(16, 60);
	const char *phc = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
	const char *phc2 = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdDI$aGFzaDI";

	assert_non_null(c);
	assert_false(auth_cache_check_at(c, "a@example.org", "pw", phc, 1000));
	auth_cache_add_at(c, "a@example.org", "pw", phc, 1000);
	assert_int_equal(auth_cache_count(c), 1);
	assert_true(auth_cache_check_at(c, "a@example.org", "pw", phc, 1000));
	assert_true(auth_cache_check_at(c, "a@example.org", "pw", phc, 1059));
	/* Wrong password, other address, changed PHC: all miss. */
	assert_false(auth_cache_check_at(c, "a@example.org", "pw2", phc, 1001));
	assert_false(auth_cache_check_at(c, "a@example.org", "p", phc, 1001));
	assert_false(auth_cache_check_at(c, "b@example.org", "pw", phc, 1001));
	assert_false(auth_cache_check_at(c, "a@example.org", "pw", phc2, 1001));
	/* Field boundaries matter: ("a@example.orgp", "w") is not ("a@example.org", "pw"). */
	assert_false(auth_cache_check_at(c, "a@example.orgp", "w", phc, 1001));
	/* Re-adding does not duplicate. */
	auth_cache_add_at(c, "a@example.org", "pw", phc, 1010);
	assert_int_equal(auth_cache_count(c), 1);
	/* TTL counts from the first verification. */
	assert_false(auth_cache_check_at(c, "a@example.org", "pw", phc, 1060));
	assert_int_equal(auth_cache_count(c), 0);
	/* A clock going backwards is treated as expiry. */
	auth_cache_add_at(c, "a@example.org", "pw", phc, 2000);
	assert_false(auth_cache_check_at(c, "a@example.org", "pw", phc, 1999));
	auth_cache_free(&c);
	assert_null(c);
	auth_cache_free(&c);
}

static void test_cache_bound(void **state)
{
	struct auth_cache *c = auth_cache_new(8, 3600);
	char addr[64];

	for (int i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "user%d@example.org", i);
		auth_cache_add_at(c, addr, "pw", "phc", 100 + i);
		assert_true(auth_cache_count(c) <= 8);
	}
	assert_int_equal(auth_cache_count(c), 8);
	for (int i = 0; i < 20; i++) {
		snprintf(addr, sizeof(addr), "user%d@example.org", i);
		/* The 12 oldest were evicted, the 8 newest remain. */
		assert_int_equal(auth_cache_check_at(c, addr, "pw", "phc", 200), i >= 12);
	}
	auth_cache_free(&c);

	/* A large cache: many entries, every one found, none confused. */
	c = auth_cache_new(5000, 3600);
	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "u%d", i);
		auth_cache_add_at(c, addr, "pw", "phc", 1);
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "u%d", i);
		assert_true(auth_cache_check_at(c, addr, "pw", "phc", 2));
		assert_false(auth_cache_check_at(c, addr, "pX", "phc", 2));
	}
	auth_cache_free(&c);
}

static void test_cache_disabled_and_long(void **state)
{
	struct auth_cache *c = auth_cache_new(0, 60);
	char *long_pw = xmalloc(AUTH_CACHE_FIELD_MAX + 2);

	auth_cache_add_at(c, "a", "pw", "phc", 1);
	assert_false(auth_cache_check_at(c, "a", "pw", "phc", 1));
	auth_cache_free(&c);
	c = auth_cache_new(10, 0);
	auth_cache_add_at(c, "a", "pw", "phc", 1);
	assert_false(auth_cache_check_at(c, "a", "pw", "phc", 1));
	auth_cache_free(&c);

	c = auth_cache_new(10, 60);
	memset(long_pw, 'x', AUTH_CACHE_FIELD_MAX + 1);
	long_pw[AUTH_CACHE_FIELD_MAX + 1] = '\0';
	auth_cache_add_at(c, "a", long_pw, "phc", 1);
	assert_int_equal(auth_cache_count(c), 0);
	assert_false(auth_cache_check_at(c, "a", long_pw, "phc", 1));
	auth_cache_free(&c);
	free(long_pw);
}

static void test_cache_verify_and_speed(void **state)
{
	struct auth_cache *c = auth_cache_new(100, 300);
	const char *pw = "correct horse battery staple";
	enum { N = 2000 };
	double t0, slow, fast;

	assert_false(auth_verify(c, "a@example.org", "wrong", test_phc));
	assert_int_equal(auth_cache_count(c), 0);

	t0 = test_seconds();
	assert_true(password_verify(test_phc, pw));
	slow = test_seconds() - t0;

	assert_true(auth_verify(c, "a@example.org", pw, test_phc));
	assert_int_equal(auth_cache_count(c), 1);
	assert_true(auth_cache_check(c, "a@example.org", pw, test_phc));

	t0 = test_seconds();
	for (int i = 0; i < N; i++)
		assert_true(auth_verify(c, "a@example.org", pw, test_phc));
	fast = (test_seconds() - t0) / N;
	printf("# password_verify %.1f ms, cached check %.2f us (x%.0f)\n", slow * 1e3, fast * 1e6,
	       slow / fast);
	assert_true(slow >= 100 * fast);

	/* The cache never turns a wrong password into a right one. */
	assert_false(auth_verify(c, "a@example.org", "wrong", test_phc));
	assert_true(auth_verify(NULL, "a@example.org", pw, test_phc));
	auth_cache_free(&c);
}

struct test_cache_thread {
	struct auth_cache *cache;
	int id;
	int hits;
};

static void *test_cache_worker(void *arg)
{
	struct test_cache_thread *th = arg;
	char addr[32];

	for (int i = 0; i < 5000; i++) {
		snprintf(addr, sizeof(addr), "t%d-%d", th->id, i % 50);
		auth_cache_add_at(th->cache, addr, "pw", "phc", 10);
		th->hits += auth_cache_check_at(th->cache, addr, "pw", "phc", 10);
	}
	return NULL;
}

static void test_cache_threads(void **state)
{
	struct test_cache_thread th[4];
	pthread_t tid[4];
	struct auth_cache *c = auth_cache_new(64, 60);

	for (int i = 0; i < 4; i++) {
		th[i] = (struct test_cache_thread){c, i, 0};
		assert_int_equal(pthread_create(&tid[i], NULL, test_cache_worker, &th[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(tid[i], NULL);
		assert_true(th[i].hits > 0);
	}
	assert_int_equal(auth_cache_count(c), 64);
	auth_cache_free(&c);
}

/* ---- SASL ---- */

static void test_sasl_mechs(void **state)
{
	struct sasl_session *s;

	assert_true(sasl_mech_supported("PLAIN"));
	assert_true(sasl_mech_supported("login"));
	assert_false(sasl_mech_supported("CRAM-MD5"));
	assert_null(sasl_new("CRAM-MD5"));
	assert_null(sasl_new(""));
	assert_null(sasl_new("PLAINX"));
	s = sasl_new("pLaIn");
	assert_non_null(s);
	assert_string_equal(sasl_mech(s), "PLAIN");
	sasl_free(&s);
	assert_null(s);
	sasl_free(&s);
	s = sasl_new("Login");
	assert_string_equal(sasl_mech(s), "LOGIN");
	sasl_free(&s);
}

static void test_sasl_plain_initial(void **state)
{
	struct sasl_session *s = sasl_new("PLAIN");
	char *challenge = (char *)1;

	/* "\0alice@example.org\0s3cret" as a client sends it. */
	assert_int_equal(sasl_step(s, "AGFsaWNlQGV4YW1wbGUub3JnAHMzY3JldA==", 36, &challenge),
	                 SASL_DONE);
	assert_null(challenge);
	assert_string_equal(sasl_username(s), "alice@example.org");
	assert_string_equal(sasl_password(s), "s3cret");
	assert_null(sasl_error(s));
	assert_false(sasl_cancelled(s));
	/* The exchange is over: another step fails and drops the credentials. */
	assert_int_equal(test_step_line(s, "AGEAYg==", NULL), SASL_FAIL);
	assert_null(sasl_username(s));
	assert_null(sasl_password(s));
	sasl_free(&s);
}

static void test_sasl_plain_no_initial(void **state)
{
	struct sasl_session *s = sasl_new("PLAIN");
	char *challenge;

	assert_int_equal(test_step_line(s, NULL, &challenge), SASL_CONTINUE);
	assert_string_equal(challenge, "");
	free(challenge);
	assert_null(sasl_username(s));
	assert_int_equal(TEST_STEP(s, "\0bob\0pw"), SASL_DONE);
	assert_string_equal(sasl_username(s), "bob");
	assert_string_equal(sasl_password(s), "pw");
	sasl_free(&s);

	/* Cancel after the challenge. */
	s = sasl_new("PLAIN");
	assert_int_equal(test_step_line(s, NULL, NULL), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, "*", NULL), SASL_FAIL);
	assert_true(sasl_cancelled(s));
	assert_non_null(sasl_error(s));
	sasl_free(&s);

	/* A second NULL (no response) is an error. */
	s = sasl_new("PLAIN");
	assert_int_equal(test_step_line(s, NULL, NULL), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, NULL, NULL), SASL_FAIL);
	assert_false(sasl_cancelled(s));
	sasl_free(&s);
}

static void test_sasl_plain_authzid(void **state)
{
	struct sasl_session *s = sasl_new("PLAIN");

	assert_int_equal(TEST_STEP(s, "bob\0bob\0pw"), SASL_DONE);
	assert_string_equal(sasl_username(s), "bob");
	sasl_free(&s);

	s = sasl_new("PLAIN");
	assert_int_equal(TEST_STEP(s, "admin\0bob\0pw"), SASL_FAIL);
	assert_null(sasl_username(s));
	assert_string_equal(sasl_error(s), "authzid differs from authcid");
	sasl_free(&s);

	/* Equality is byte for byte. */
	s = sasl_new("PLAIN");
	assert_int_equal(TEST_STEP(s, "Bob\0bob\0pw"), SASL_FAIL);
	sasl_free(&s);
	s = sasl_new("PLAIN");
	assert_int_equal(TEST_STEP(s, "bo\0bob\0pw"), SASL_FAIL);
	sasl_free(&s);
}

static void test_sasl_login(void **state)
{
	struct sasl_session *s = sasl_new("LOGIN");
	char *challenge;

	assert_int_equal(test_step_line(s, NULL, &challenge), SASL_CONTINUE);
	assert_string_equal(challenge, "VXNlcm5hbWU6"); /* "Username:" */
	free(challenge);
	assert_int_equal(test_step_line(s, "Ym9iQGV4YW1wbGUub3Jn", &challenge), SASL_CONTINUE);
	assert_string_equal(challenge, "UGFzc3dvcmQ6"); /* "Password:" */
	free(challenge);
	assert_null(sasl_username(s)); /* not before DONE */
	assert_int_equal(test_step_line(s, "aHVudGVyMg==", NULL), SASL_DONE);
	assert_string_equal(sasl_username(s), "bob@example.org");
	assert_string_equal(sasl_password(s), "hunter2");
	sasl_free(&s);

	/* Initial response carries the user name (AUTH LOGIN Ym9i). */
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_line(s, "Ym9i", &challenge), SASL_CONTINUE);
	assert_string_equal(challenge, "UGFzc3dvcmQ6");
	free(challenge);
	assert_int_equal(TEST_STEP(s, "p w"), SASL_DONE);
	assert_string_equal(sasl_username(s), "bob");
	assert_string_equal(sasl_password(s), "p w");
	sasl_free(&s);

	/* Cancel at the password prompt. */
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_line(s, "Ym9i", NULL), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, "*", NULL), SASL_FAIL);
	assert_true(sasl_cancelled(s));
	sasl_free(&s);
}

/* Each case: one PLAIN step whose (already encoded) line must fail. */
static void test_sasl_plain_fails_line(const char *line)
{
	struct sasl_session *s = sasl_new("PLAIN");
	char *challenge = (char *)1;

	assert_int_equal(sasl_step(s, line, strlen(line), &challenge), SASL_FAIL);
	assert_null(challenge);
	assert_null(sasl_username(s));
	assert_null(sasl_password(s));
	assert_non_null(sasl_error(s));
	sasl_free(&s);
}

static void test_sasl_plain_fails_raw(const void *data, size_t len)
{
	struct sasl_session *s = sasl_new("PLAIN");

	assert_int_equal(test_step_raw(s, data, len), SASL_FAIL);
	assert_null(sasl_username(s));
	sasl_free(&s);
}

#define TEST_PLAIN_FAILS(lit) test_sasl_plain_fails_raw(lit, sizeof(lit) - 1)

static void test_sasl_malformed_base64(void **state)
{
	test_sasl_plain_fails_line("AGFsaWNlAHB3!");    /* bad character */
	test_sasl_plain_fails_line("AGFsaWNlAHB");      /* missing padding */
	test_sasl_plain_fails_line("AGFsaWNl AHB3");    /* white space */
	test_sasl_plain_fails_line("AGFsaWNlAHB3\r\n"); /* CRLF left in */
	test_sasl_plain_fails_line("AGFsaWNlAHB3===="); /* excess padding */
	test_sasl_plain_fails_line("AGFsaWNlAHB3AA=A"); /* padding inside */
	test_sasl_plain_fails_line("AGFsaWNlAHB3AB=="); /* non-canonical trailing bits */
	test_sasl_plain_fails_line("AGFsaWNlAHB3-_=="); /* URL-safe alphabet */
	test_sasl_plain_fails_line("");                 /* empty initial must be "=" */
	test_sasl_plain_fails_line("=");                /* empty PLAIN message */
	test_sasl_plain_fails_line("==");
	test_sasl_plain_fails_line("*");

	{
		/* NUL inside the base64 text. */
		struct sasl_session *s = sasl_new("PLAIN");
		char *challenge;

		assert_int_equal(sasl_step(s, "AGFs\0WNlAHB3", 12, &challenge), SASL_FAIL);
		sasl_free(&s);
	}
}

static void test_sasl_malformed_plain(void **state)
{
	struct sasl_session *s;

	/* "AGFsaWNlAHB3" is "\0alice\0pw": the base64 cases above fail only by their flaw. */
	s = sasl_new("PLAIN");
	assert_int_equal(test_step_line(s, "AGFsaWNlAHB3", NULL), SASL_DONE);
	sasl_free(&s);
	TEST_PLAIN_FAILS("alicepw");       /* no NUL */
	TEST_PLAIN_FAILS("alice\0pw");     /* one NUL */
	TEST_PLAIN_FAILS("\0alice\0p\0w"); /* NUL in password */
	TEST_PLAIN_FAILS("\0\0pw");        /* empty authcid */
	TEST_PLAIN_FAILS("\0alice\0");     /* empty password */
	TEST_PLAIN_FAILS("\0\0");
	TEST_PLAIN_FAILS("\0al\nice\0pw");             /* control in user name */
	TEST_PLAIN_FAILS("\0al\x7fice\0pw");           /* DEL */
	TEST_PLAIN_FAILS("\0al\xc2\x85ice\0pw");       /* C1 control (NEL) */
	TEST_PLAIN_FAILS("\0al\xffice\0pw");           /* not UTF-8 */
	TEST_PLAIN_FAILS("\0al\xc0\xafice\0pw");       /* overlong '/' */
	TEST_PLAIN_FAILS("\0al\xe0\x80\xafice\0pw");   /* overlong '/', 3 bytes */
	TEST_PLAIN_FAILS("\0al\xf0\x80\x80\xafi\0pw"); /* overlong '/', 4 bytes */
	TEST_PLAIN_FAILS("\0al\xe0\x9f\xbfi\0pw");     /* overlong U+07FF */
	TEST_PLAIN_FAILS("\0al\xed\xa0\x80\0pw");      /* surrogate */
	TEST_PLAIN_FAILS("\0al\xf4\x90\x80\x80\0pw");  /* past U+10FFFF */
	TEST_PLAIN_FAILS("\0al\xc3\0pw");              /* truncated sequence */

	/* Valid UTF-8 user names pass. */
	s = sasl_new("PLAIN");
	assert_int_equal(TEST_STEP(s, "\0j\xc3\xbcrgen\xf0\x9f\x93\xa7\0p\xffw"), SASL_DONE);
	assert_string_equal(sasl_username(s), "j\xc3\xbcrgen\xf0\x9f\x93\xa7");
	assert_string_equal(sasl_password(s), "p\xffw"); /* passwords are opaque bytes */
	sasl_free(&s);
}

static void test_sasl_limits(void **state)
{
	size_t n = 3 * SASL_MAX_FIELD + 2;
	unsigned char *msg = xmalloc(n + 1);
	struct sasl_session *s;
	char *line;

	/* Three fields of exactly SASL_MAX_FIELD bytes: accepted. */
	memset(msg, 'a', n);
	msg[SASL_MAX_FIELD] = '\0';
	msg[2 * SASL_MAX_FIELD + 1] = '\0';
	s = sasl_new("PLAIN");
	assert_int_equal(test_step_raw(s, msg, n), SASL_DONE);
	assert_int_equal(strlen(sasl_username(s)), SASL_MAX_FIELD);
	assert_int_equal(strlen(sasl_password(s)), SASL_MAX_FIELD);
	sasl_free(&s);

	/* One byte more in the password: the input is too long. */
	msg[n] = 'a';
	test_sasl_plain_fails_raw(msg, n + 1);
	/* Over-long authcid or password with a short authzid. */
	memset(msg, 'a', n + 1);
	msg[0] = '\0';
	msg[SASL_MAX_FIELD + 2] = '\0';
	test_sasl_plain_fails_raw(msg, SASL_MAX_FIELD + 5); /* authcid of MAX+1 */
	msg[SASL_MAX_FIELD + 2] = 'a';
	msg[2] = '\0';
	test_sasl_plain_fails_raw(msg, SASL_MAX_FIELD + 4); /* password of MAX+1 */
	/* Over-long authzid, even when everything else is short. */
	memset(msg, 'a', n);
	msg[SASL_MAX_FIELD + 1] = '\0';
	memcpy(msg + SASL_MAX_FIELD + 2, "b\0c", 3);
	test_sasl_plain_fails_raw(msg, SASL_MAX_FIELD + 5);

	/* Base64 longer than SASL_MAX_INPUT is refused before decoding. */
	line = xmalloc(SASL_MAX_INPUT + 5);
	memset(line, 'A', SASL_MAX_INPUT + 4);
	line[SASL_MAX_INPUT + 4] = '\0';
	test_sasl_plain_fails_line(line);
	free(line);

	/* LOGIN fields obey the same limits. */
	memset(msg, 'a', SASL_MAX_FIELD + 1);
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_raw(s, msg, SASL_MAX_FIELD + 1), SASL_FAIL);
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_raw(s, msg, SASL_MAX_FIELD), SASL_CONTINUE);
	assert_int_equal(test_step_raw(s, msg, SASL_MAX_FIELD + 1), SASL_FAIL);
	sasl_free(&s);
	free(msg);
}

static void test_sasl_malformed_login(void **state)
{
	struct sasl_session *s;

	s = sasl_new("LOGIN");
	assert_int_equal(test_step_line(s, "=", NULL), SASL_FAIL); /* empty user name */
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_line(s, "", NULL), SASL_FAIL); /* bare empty initial */
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_line(s, NULL, NULL), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, "", NULL), SASL_FAIL); /* empty later response */
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(test_step_line(s, NULL, NULL), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, "=", NULL), SASL_FAIL); /* "=" only as initial */
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(TEST_STEP(s, "b\0b"), SASL_FAIL); /* NUL in user name */
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(TEST_STEP(s, "bob"), SASL_CONTINUE);
	assert_int_equal(TEST_STEP(s, "p\0w"), SASL_FAIL); /* NUL in password */
	assert_null(sasl_password(s));
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(TEST_STEP(s, "bob"), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, "", NULL), SASL_FAIL); /* empty password */
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(TEST_STEP(s, "bob"), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, "aHVudGVy Mg==", NULL), SASL_FAIL);
	sasl_free(&s);
	s = sasl_new("LOGIN");
	assert_int_equal(TEST_STEP(s, "bob"), SASL_CONTINUE);
	assert_int_equal(test_step_line(s, NULL, NULL), SASL_FAIL); /* missing response */
	sasl_free(&s);
}

/* ---- throttle ---- */

static void test_throttle_growth_cap_reset(void **state)
{
	struct throttle *t = throttle_new(100, 5000, 0, 0);
	static const unsigned expect[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};

	assert_int_equal(throttle_delay_ms(t, "192.0.2.1", 10), 0);
	for (size_t i = 0; i < N_ELEMENTS(expect); i++) {
		throttle_fail(t, "192.0.2.1", 10);
		assert_int_equal(throttle_delay_ms(t, "192.0.2.1", 10), expect[i]);
	}
	/* Other addresses are not affected. */
	assert_int_equal(throttle_delay_ms(t, "192.0.2.2", 10), 0);
	assert_int_equal(throttle_delay_ms(t, "192.0.2.10", 10), 0);
	/* Many failures: capped, no overflow of the shift or the counter. */
	for (int i = 0; i < 5000; i++)
		throttle_fail(t, "192.0.2.1", 10);
	assert_int_equal(throttle_delay_ms(t, "192.0.2.1", 10), 5000);
	assert_int_equal(throttle_count(t), 1);
	/* Success resets. */
	throttle_success(t, "192.0.2.1");
	assert_int_equal(throttle_delay_ms(t, "192.0.2.1", 10), 0);
	assert_int_equal(throttle_count(t), 0);
	throttle_success(t, "192.0.2.99"); /* unknown: nothing happens */
	throttle_fail(t, "192.0.2.1", 11);
	assert_int_equal(throttle_delay_ms(t, "192.0.2.1", 11), 100);
	throttle_free(&t);
	assert_null(t);
	throttle_free(&t);

	/* A huge base is capped by max too. */
	t = throttle_new(4000000000u, 30000, 0, 0);
	for (int i = 0; i < 40; i++)
		throttle_fail(t, "2001:db8::1", 1);
	assert_int_equal(throttle_delay_ms(t, "2001:db8::1", 1), 30000);
	throttle_free(&t);
}

static void test_throttle_decay(void **state)
{
	struct throttle *t = throttle_new(100, 60000, 60, 0);

	throttle_fail(t, "198.51.100.7", 1000);
	throttle_fail(t, "198.51.100.7", 1000);
	throttle_fail(t, "198.51.100.7", 1000);
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 1059), 400);
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 1060), 200);
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 1120), 100);
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 1180), 0);
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 999999), 0);
	/* A failure after partial decay counts from what is left: 2 left, now 3. */
	throttle_fail(t, "198.51.100.7", 1060);
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 1060), 400);
	/* Time going backwards does not lower the delay. */
	assert_int_equal(throttle_delay_ms(t, "198.51.100.7", 5), 400);
	throttle_free(&t);
}

static void test_throttle_bound(void **state)
{
	struct throttle *t = throttle_new(100, 5000, 0, 4);
	char ip[THROTTLE_IP_MAX * 2];

	throttle_fail(t, "10.0.0.1", 1);
	throttle_fail(t, "10.0.0.2", 2);
	throttle_fail(t, "10.0.0.3", 3);
	throttle_fail(t, "10.0.0.4", 4);
	throttle_fail(t, "10.0.0.1", 5); /* 10.0.0.1 is now the newest */
	throttle_fail(t, "10.0.0.5", 6); /* evicts 10.0.0.2, the oldest */
	assert_int_equal(throttle_count(t), 4);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.1", 6), 200);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.2", 6), 0);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.3", 6), 100);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.5", 6), 100);
	/* Eviction follows the last failure: 10.0.0.1 goes after 10.0.0.3 and .4. */
	throttle_fail(t, "10.0.0.7", 7);
	throttle_fail(t, "10.0.0.8", 8);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.1", 8), 200);
	throttle_fail(t, "10.0.0.9", 9);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.1", 9), 0);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.5", 9), 100);
	assert_int_equal(throttle_count(t), 4);
	/* A freed slot is reused without eviction. */
	throttle_success(t, "10.0.0.7");
	assert_int_equal(throttle_count(t), 3);
	throttle_fail(t, "10.0.0.6", 10);
	assert_int_equal(throttle_count(t), 4);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.5", 10), 100);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.6", 10), 100);
	throttle_free(&t);

	/* The default bound: THROTTLE_MAX_IPS addresses. */
	t = throttle_new(100, 5000, 0, 0);
	for (int i = 0; i < THROTTLE_MAX_IPS + 1000; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		throttle_fail(t, ip, i);
	}
	assert_int_equal(throttle_count(t), THROTTLE_MAX_IPS);
	assert_int_equal(throttle_delay_ms(t, "10.0.0.0", 0), 0);     /* evicted */
	assert_int_equal(throttle_delay_ms(t, "10.1.3.231", 0), 100); /* i = 66535 */
	/* Over-long strings are cut to THROTTLE_IP_MAX bytes. */
	memset(ip, 'f', sizeof(ip) - 1);
	ip[sizeof(ip) - 1] = '\0';
	throttle_fail(t, ip, 1);
	ip[sizeof(ip) - 2] = 'e';
	assert_int_equal(throttle_delay_ms(t, ip, 1), 100);
	ip[THROTTLE_IP_MAX - 1] = 'e';
	assert_int_equal(throttle_delay_ms(t, ip, 1), 0);
	throttle_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_password_hash_verify),
	        cmocka_unit_test(test_password_malformed),
	        cmocka_unit_test(test_password_generate),
	        cmocka_unit_test(test_cache_hit_and_misses),
	        cmocka_unit_test(test_cache_bound),
	        cmocka_unit_test(test_cache_disabled_and_long),
	        cmocka_unit_test(test_cache_verify_and_speed),
	        cmocka_unit_test(test_cache_threads),
	        cmocka_unit_test(test_sasl_mechs),
	        cmocka_unit_test(test_sasl_plain_initial),
	        cmocka_unit_test(test_sasl_plain_no_initial),
	        cmocka_unit_test(test_sasl_plain_authzid),
	        cmocka_unit_test(test_sasl_login),
	        cmocka_unit_test(test_sasl_malformed_base64),
	        cmocka_unit_test(test_sasl_malformed_plain),
	        cmocka_unit_test(test_sasl_limits),
	        cmocka_unit_test(test_sasl_malformed_login),
	        cmocka_unit_test(test_throttle_growth_cap_reset),
	        cmocka_unit_test(test_throttle_decay),
	        cmocka_unit_test(test_throttle_bound),
	};

	return cmocka_run_group_tests(tests, test_setup, test_teardown);
}
