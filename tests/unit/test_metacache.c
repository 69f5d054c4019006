/*
 * test_metacache.c - the process-wide message metadata cache (store/metacache.c):
 * hits and misses, the byte budget with least-recently-used eviction, entries
 * evicted while in use, the cache turned off, and several threads at once.
 * Eviction is per shard (message id modulo METACACHE_SHARDS, each with an equal
 * part of the budget): the eviction tests use ids of one shard, S(n), and
 * budgets of METACACHE_SHARDS times what one shard should hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/mem.h"
#include "store/metacache.h"
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define S(n)      ((uint64_t)(n)*METACACHE_SHARDS)
#define BUDGET(n) ((size_t)(n)*METACACHE_SHARDS)

static struct store_message_meta tm_meta(uint64_t id, size_t headers_len)
{
	struct store_message_meta m;
	char *h = xmalloc(headers_len + 1);

	memset(&m, 0, sizeof(m));
	memset(h, 'h', headers_len);
	h[headers_len] = '\0';
	m.message_id = id;
	m.size = id * 10;
	m.envelope = xasprintf("(envelope %llu)", (unsigned long long)id);
	m.headers = h;
	return m;
}

static const struct store_message_meta *tm_put(uint64_t id, size_t headers_len)
{
	struct store_message_meta m = tm_meta(id, headers_len);
	struct store_meta_ref *ref;
	const struct store_message_meta *got = store_metacache_put(&m, &ref);

	assert_null(m.envelope); /* taken over */
	store_metacache_release(&ref);
	return got;
}

static bool tm_cached(uint64_t id)
{
	struct store_meta_ref *ref;
	const struct store_message_meta *m = store_metacache_get(id, &ref);
	bool hit = m != NULL;

	if (hit) {
		char want[64];
		snprintf(want, sizeof(want), "(envelope %llu)", (unsigned long long)id);
		assert_string_equal(m->envelope, want);
		assert_int_equal(m->size, id * 10);
	}
	store_metacache_release(&ref);
	return hit;
}

static void test_hit_and_miss(void **state)
{
	store_metacache_configure(1 << 20);
	assert_false(tm_cached(1));
	tm_put(1, 100);
	assert_true(tm_cached(1));
	assert_false(tm_cached(2));
	store_metacache_clear();
	assert_false(tm_cached(1));
}

static void test_put_twice_keeps_one(void **state)
{
	struct store_message_meta m = tm_meta(7, 10);
	struct store_meta_ref *a, *b;
	const struct store_message_meta *first, *second;

	store_metacache_configure(1 << 20);
	first = store_metacache_put(&m, &a);
	m = tm_meta(7, 10);
	second = store_metacache_put(&m, &b);
	assert_ptr_equal(first, second); /* the second copy was dropped */
	store_metacache_release(&a);
	store_metacache_release(&b);
	assert_null(a);
	store_metacache_clear();
}

static void test_budget_evicts_least_recently_used(void **state)
{
	/* Each entry is a little over 10 KiB: five fit in 52 KiB, six do not. */
	store_metacache_configure(BUDGET(52 * 1024));
	for (uint64_t n = 1; n <= 5; n++)
		tm_put(S(n), 10 * 1024);
	assert_true(tm_cached(S(1))); /* now the most recently used */
	tm_put(S(6), 10 * 1024);
	tm_put(S(7), 10 * 1024);
	assert_true(tm_cached(S(1)));
	assert_false(tm_cached(S(2)));
	assert_false(tm_cached(S(3)));
	assert_true(tm_cached(S(4)) && tm_cached(S(5)) && tm_cached(S(6)) && tm_cached(S(7)));
	/* Another shard has its own part of the budget. */
	tm_put(S(8) + 1, 10 * 1024);
	assert_true(tm_cached(S(8) + 1) && tm_cached(S(7)));
	store_metacache_clear();
}

static void test_too_large_is_private(void **state)
{
	struct store_message_meta m;
	struct store_meta_ref *ref;
	const struct store_message_meta *got;

	store_metacache_configure(BUDGET(4096));
	m = tm_meta(9, 8192);
	got = store_metacache_put(&m, &ref);
	assert_int_equal(strlen(got->headers), 8192); /* usable while referenced */
	assert_false(tm_cached(9));
	store_metacache_release(&ref); /* freed here: LeakSanitizer would tell */
	store_metacache_clear();
}

static void test_evicted_while_in_use(void **state)
{
	struct store_message_meta m;
	struct store_meta_ref *ref;
	const struct store_message_meta *held;

	store_metacache_configure(BUDGET(25 * 1024)); /* two entries of 10 KiB fit */
	m = tm_meta(S(1), 10 * 1024);
	held = store_metacache_put(&m, &ref);
	tm_put(S(2), 10 * 1024);
	tm_put(S(3), 10 * 1024); /* evicts S(1), which is still referenced */
	assert_false(tm_cached(S(1)));
	assert_int_equal(held->size, S(1) * 10);
	store_metacache_release(&ref);
	store_metacache_clear();
}

static void test_off(void **state)
{
	struct store_message_meta m;
	struct store_meta_ref *ref;
	const struct store_message_meta *got;

	store_metacache_configure(0);
	m = tm_meta(5, 10);
	got = store_metacache_put(&m, &ref);
	assert_string_equal(got->envelope, "(envelope 5)");
	store_metacache_release(&ref);
	assert_false(tm_cached(5));
}

static void *tm_worker(void *arg)
{
	uint64_t base = (uint64_t)(uintptr_t)arg;

	for (uint64_t i = 0; i < 2000; i++) {
		uint64_t id = base + i % 300;
		if (!tm_cached(id))
			tm_put(id, 64);
	}
	return NULL;
}

static void test_threads(void **state)
{
	pthread_t t[4];

	store_metacache_configure(100 * 1024);
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, tm_worker, (void *)(i % 2 * 1000)), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	store_metacache_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hit_and_miss),
	        cmocka_unit_test(test_put_twice_keeps_one),
	        cmocka_unit_test(test_budget_evicts_least_recently_used),
	        cmocka_unit_test(test_too_large_is_private),
	        cmocka_unit_test(test_evicted_while_in_use),
	        cmocka_unit_test(test_off),
	        cmocka_unit_test(test_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
