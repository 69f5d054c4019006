/*
 * test_imap_view.c - unit tests for imap/view (the selected mailbox as a
 * session sees it: append, UID to sequence number lookup, removal, \Recent
 * count, the keyword union) and imap/datetime (RFC 9051 date-time parsing of
 * valid and malformed input, formatting and round trips).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "imap/datetime.h"
#include "imap/view.h"

/* ---- view ---- */

/* Entries used by most view tests: UIDs 2, 4, ..., 2 * TV_N (more than one growth step). */
#define TV_N 100

static struct imap_view *tv_even_view(void)
{
	struct imap_view *v = imap_view_new(42, "INBOX", false);
	uint32_t i;

	for (i = 1; i <= TV_N; i++)
		imap_view_append(v, 2 * i, i % 7, i % 10 == 0 ? xasprintf("kw%u", i) : NULL,
		                 1000 + i);
	return v;
}

static void test_view_new_empty(void **state)
{
	char name[] = "Archive/2024";
	struct imap_view *v = imap_view_new(7, name, true);
	char *kw;

	name[0] = 'X'; /* the view keeps its own copy */
	assert_int_equal(v->mailbox_id, 7);
	assert_string_equal(v->name, "Archive/2024");
	assert_true(v->readonly);
	assert_int_equal(v->count, 0);
	assert_int_equal(v->uidnext, 0);
	assert_int_equal(imap_view_seq(v, 1), 0);
	assert_int_equal(imap_view_seq(v, 0), 0);
	assert_int_equal(imap_view_recent_count(v), 0);
	kw = imap_view_keywords(v);
	assert_string_equal(kw, "");
	free(kw);
	imap_view_free(&v);
	assert_null(v);
	imap_view_free(&v);
}

static void test_view_append_and_seq(void **state)
{
	struct imap_view *v = tv_even_view();
	uint32_t i;

	assert_int_equal(v->count, TV_N);
	assert_true(v->cap >= TV_N);
	assert_int_equal(v->uidnext, 2 * TV_N + 1);
	for (i = 1; i <= TV_N; i++) {
		assert_int_equal(imap_view_seq(v, 2 * i), i);
		assert_int_equal(v->uids[i - 1], 2 * i);
		assert_int_equal(v->flags[i - 1], i % 7);
		assert_int_equal(v->modseqs[i - 1], 1000 + i);
		/* Absent UIDs between the present ones. */
		assert_int_equal(imap_view_seq(v, 2 * i - 1), 0);
	}
	assert_int_equal(imap_view_seq(v, 0), 0);
	assert_int_equal(imap_view_seq(v, 2 * TV_N + 1), 0);
	assert_int_equal(imap_view_seq(v, 2 * TV_N + 2), 0);
	assert_int_equal(imap_view_seq(v, UINT32_MAX), 0);
	assert_string_equal(v->keywords[9], "kw10");
	assert_null(v->keywords[0]);
	imap_view_free(&v);

	/* One entry, and UIDs at the edges of the range. */
	v = imap_view_new(1, "x", false);
	imap_view_append(v, 1, 0, NULL, 1);
	assert_int_equal(imap_view_seq(v, 1), 1);
	assert_int_equal(imap_view_seq(v, 2), 0);
	imap_view_append(v, UINT32_MAX - 1, 0, NULL, 2);
	assert_int_equal(imap_view_seq(v, UINT32_MAX - 1), 2);
	assert_int_equal(imap_view_seq(v, UINT32_MAX), 0);
	assert_int_equal(v->uidnext, UINT32_MAX);
	imap_view_free(&v);
}

static void test_view_remove(void **state)
{
	struct imap_view *v = tv_even_view();
	uint32_t i;

	/* From the middle: UID 100 at sequence 50 (it carries "kw50"). */
	assert_string_equal(v->keywords[49], "kw50");
	imap_view_remove(v, 50);
	assert_int_equal(v->count, TV_N - 1);
	assert_int_equal(imap_view_seq(v, 100), 0);
	assert_int_equal(imap_view_seq(v, 98), 49);
	assert_int_equal(imap_view_seq(v, 102), 50);
	assert_int_equal(v->flags[49], 51 % 7);
	assert_int_equal(v->modseqs[49], 1051);
	assert_null(v->keywords[49]);
	assert_string_equal(v->keywords[58], "kw60");
	for (i = 1; i < TV_N - 1; i++)
		assert_true(v->uids[i - 1] < v->uids[i]);
	/* The first and the last. */
	imap_view_remove(v, 1);
	assert_int_equal(imap_view_seq(v, 2), 0);
	assert_int_equal(imap_view_seq(v, 4), 1);
	imap_view_remove(v, v->count);
	assert_int_equal(v->count, TV_N - 3);
	assert_int_equal(imap_view_seq(v, 2 * TV_N), 0);
	assert_int_equal(imap_view_seq(v, 2 * TV_N - 2), TV_N - 3);
	assert_null(v->keywords[v->count - 1]);
	assert_string_equal(v->keywords[87], "kw90");
	/* UIDNEXT does not go back when messages go. */
	assert_int_equal(v->uidnext, 2 * TV_N + 1);
	/* Down to nothing. */
	while (v->count > 0)
		imap_view_remove(v, v->count > 3 ? 3 : v->count);
	assert_int_equal(imap_view_seq(v, 4), 0);
	imap_view_append(v, 500, 0, xstrdup("again"), 1);
	assert_int_equal(imap_view_seq(v, 500), 1);
	imap_view_free(&v);
}

static void test_view_recent_count(void **state)
{
	struct imap_view *v = tv_even_view();

	v->recent_uid = 0;
	assert_int_equal(imap_view_recent_count(v), TV_N);
	v->recent_uid = 150; /* 150, 152, ..., 200 */
	assert_int_equal(imap_view_recent_count(v), 26);
	v->recent_uid = 151;
	assert_int_equal(imap_view_recent_count(v), 25);
	v->recent_uid = 2 * TV_N;
	assert_int_equal(imap_view_recent_count(v), 1);
	v->recent_uid = 2 * TV_N + 1;
	assert_int_equal(imap_view_recent_count(v), 0);
	v->recent_uid = UINT32_MAX;
	assert_int_equal(imap_view_recent_count(v), 0);
	v->recent_uid = 150;
	imap_view_remove(v, imap_view_seq(v, 160));
	assert_int_equal(imap_view_recent_count(v), 25);
	imap_view_free(&v);
}

static void test_view_keywords(void **state)
{
	struct imap_view *v = imap_view_new(1, "INBOX", false);
	char *kw;

	imap_view_append(v, 1, 0, xstrdup("$Forwarded Work"), 1);
	imap_view_append(v, 2, 0, NULL, 2);
	imap_view_append(v, 3, 0, xstrdup("work  $forwarded   Urgent "), 3);
	imap_view_append(v, 4, 0, xstrdup(""), 4);
	imap_view_append(v, 5, 0, xstrdup("   "), 5);
	imap_view_append(v, 6, 0, xstrdup("Urgent Workshop WORK"), 6);
	imap_view_append(v, 7, 0, xstrdup("Wor $Junk"), 7);
	kw = imap_view_keywords(v);
	/* Each once, in order of first appearance, with the first spelling seen. */
	assert_string_equal(kw, "$Forwarded Work Urgent Workshop Wor $Junk");
	free(kw);
	/* Removing the only entry with a keyword removes it from the union. */
	imap_view_remove(v, 7);
	imap_view_remove(v, 1);
	kw = imap_view_keywords(v);
	assert_string_equal(kw, "work $forwarded Urgent Workshop");
	free(kw);
	imap_view_free(&v);
}

/* ---- datetime ---- */

static bool td_parse(const char *s, time_t *t_r, int *tz_r)
{
	return imap_datetime_parse(s, strlen(s), t_r, tz_r);
}

static void td_ok(const char *s, time_t want_t, int want_tz)
{
	time_t t = 1;
	int tz = 12345;

	if (!td_parse(s, &t, &tz))
		fail_msg("'%s' was rejected", s);
	if (t != want_t || tz != want_tz)
		fail_msg("'%s' gave %lld %d, expected %lld %d", s, (long long)t, tz,
		         (long long)want_t, want_tz);
}

static void td_bad(const char *s)
{
	time_t t = 1;
	int tz = 12345;

	if (td_parse(s, &t, &tz))
		fail_msg("'%s' was accepted as %lld %d", s, (long long)t, tz);
}

static void test_datetime_parse_valid(void **state)
{
	td_ok("17-Jul-1996 02:44:25 -0700", 837596665, -420);
	td_ok("01-Jan-2000 00:00:00 +0000", 946684800, 0);
	td_ok(" 1-Jan-2000 00:00:00 +0000", 946684800, 0);
	td_ok("01-jan-2000 00:00:00 +0000", 946684800, 0); /* month names ignore case */
	td_ok("01-JAN-2000 00:00:00 -0000", 946684800, 0);
	td_ok("01-Jan-2000 00:00:00 +1400", 946684800 - 14 * 3600, 840);
	td_ok("31-Dec-1999 16:30:00 -0730", 946684800, -450);
	td_ok("01-Jan-2000 05:30:00 +0530", 946684800, 330);
	td_ok("29-Feb-2000 12:00:00 +0000", 951825600, 0);
	td_ok("31-Dec-2099 23:59:59 +0000", 4102444799, 0);
	td_ok("01-Jan-1900 00:00:00 +0000", -2208988800LL, 0);
	/* A leap second is the next second. */
	td_ok("31-Dec-1998 23:59:60 +0000", 915148800, 0);
	/* Every month name. */
	td_ok("15-Feb-2024 00:00:00 +0000", 1707955200, 0);
	td_ok("15-Mar-2024 00:00:00 +0000", 1710460800, 0);
	td_ok("15-Apr-2024 00:00:00 +0000", 1713139200, 0);
	td_ok("15-May-2024 00:00:00 +0000", 1715731200, 0);
	td_ok("15-Jun-2024 00:00:00 +0000", 1718409600, 0);
	td_ok("15-Aug-2024 00:00:00 +0000", 1723680000, 0);
	td_ok("15-Sep-2024 00:00:00 +0000", 1726358400, 0);
	td_ok("15-Oct-2024 00:00:00 +0000", 1728950400, 0);
	td_ok("15-Nov-2024 00:00:00 +0000", 1731628800, 0);
	td_ok("15-Dec-2024 00:00:00 +0000", 1734220800, 0);
	/* Only len bytes are read. */
	{
		const char *s = "01-Jan-2000 00:00:00 +0000 trailing";
		time_t t;
		int tz;
		assert_true(imap_datetime_parse(s, IMAP_DATETIME_LEN, &t, &tz));
		assert_int_equal(t, 946684800);
	}
}

static void test_datetime_parse_invalid(void **state)
{
	/* Wrong length. */
	td_bad("");
	td_bad("1-Jan-2000 00:00:00 +0000");
	td_bad("01-Jan-2000 00:00:00 +0000 ");
	td_bad("01-Jan-2000 00:00:00 +000");
	td_bad("01-Jan-2000 00:00 +0000");
	td_bad("\"01-Jan-2000 00:00:00 +0000\"");
	/* Bad fields. */
	td_bad("01-Jax-2000 00:00:00 +0000");
	td_bad("01-Ja -2000 00:00:00 +0000");
	td_bad("32-Jan-2000 00:00:00 +0000");
	td_bad("00-Jan-2000 00:00:00 +0000");
	td_bad(" 0-Jan-2000 00:00:00 +0000");
	td_bad("1 -Jan-2000 00:00:00 +0000");
	td_bad("0a-Jan-2000 00:00:00 +0000");
	td_bad("01-Jan-1899 00:00:00 +0000");
	td_bad("01-Jan-20x0 00:00:00 +0000");
	td_bad("01-Jan-2000 24:00:00 +0000");
	td_bad("01-Jan-2000 23:60:00 +0000");
	td_bad("01-Jan-2000 23:59:61 +0000");
	td_bad("01-Jan-2000 -1:00:00 +0000");
	td_bad("01-Jan-2000 00:00:00 +0060");
	td_bad("01-Jan-2000 00:00:00 +00a0");
	/* Missing or wrong sign, wrong separators. */
	td_bad("01-Jan-2000 00:00:00 00000");
	td_bad("01-Jan-2000 00:00:00  0000");
	td_bad("01-Jan-2000 00:00:00 *0000");
	td_bad("01/Jan/2000 00:00:00 +0000");
	td_bad("01-Jan-2000T00:00:00 +0000");
	td_bad("01-Jan-2000 00.00.00 +0000");
	/* Days past the end of their month (timegm would roll them over). */
	td_bad("30-Feb-2000 00:00:00 +0000");
	td_bad("29-Feb-2001 00:00:00 +0000");
	td_bad("31-Apr-2024 00:00:00 +0000");
	/* NUL bytes inside the given length. */
	{
		char s[IMAP_DATETIME_LEN + 1] = "01-Jan-2000 00:00:00 +0000";
		time_t t;
		int tz;
		s[4] = '\0';
		assert_false(imap_datetime_parse(s, IMAP_DATETIME_LEN, &t, &tz));
	}
}

static void td_format(time_t t, int tz, const char *want)
{
	char out[IMAP_DATETIME_LEN + 1];

	memset(out, 'X', sizeof(out));
	imap_datetime_format(t, tz, out);
	assert_string_equal(out, want);
}

static void test_datetime_format(void **state)
{
	td_format(837596665, -420, "17-Jul-1996 02:44:25 -0700");
	td_format(946684800, 0, "01-Jan-2000 00:00:00 +0000");
	td_format(946684800, -450, "31-Dec-1999 16:30:00 -0730");
	td_format(946684800, 840, "01-Jan-2000 14:00:00 +1400");
	td_format(946684800, 330, "01-Jan-2000 05:30:00 +0530");
	td_format(0, 0, "01-Jan-1970 00:00:00 +0000");
	td_format(2147483647, 0, "19-Jan-2038 03:14:07 +0000");
	td_format(4102444799, 0, "31-Dec-2099 23:59:59 +0000");
	td_format(951825600, -1, "29-Feb-2000 11:59:00 -0001");
}

static void test_datetime_round_trip(void **state)
{
	const time_t instants[] = {0,          86399,      837596665,  946684800, 951825600,
	                           1700000000, 2147483647, 2147483648, 4102444799};
	const int zones[] = {0, -450, 840, -720, 330, 60, -1, 59, -839};
	char out[IMAP_DATETIME_LEN + 1];
	size_t i, j;

	for (i = 0; i < N_ELEMENTS(instants); i++) {
		for (j = 0; j < N_ELEMENTS(zones); j++) {
			time_t t = -1;
			int tz = 99999;
			imap_datetime_format(instants[i], zones[j], out);
			assert_int_equal(strlen(out), IMAP_DATETIME_LEN);
			if (!imap_datetime_parse(out, strlen(out), &t, &tz))
				fail_msg("formatted '%s' does not parse", out);
			if (t != instants[i] || tz != zones[j])
				fail_msg("'%s': %lld %d != %lld %d", out, (long long)t, tz,
				         (long long)instants[i], zones[j]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_view_new_empty),
	        cmocka_unit_test(test_view_append_and_seq),
	        cmocka_unit_test(test_view_remove),
	        cmocka_unit_test(test_view_recent_count),
	        cmocka_unit_test(test_view_keywords),
	        cmocka_unit_test(test_datetime_parse_valid),
	        cmocka_unit_test(test_datetime_parse_invalid),
	        cmocka_unit_test(test_datetime_format),
	        cmocka_unit_test(test_datetime_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
