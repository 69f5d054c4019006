/*
 * date.c - RFC 5322 3.3 date-time, with the obsolete forms of 4.3: two- and
 * three-digit years, named zones (UT, GMT, EST ... PDT), military zones (read as
 * -0000 as 4.3 advises), missing seconds, missing day of week, missing zone, comments
 * and extra white space anywhere.
 *
 * Limits: DATE_MAX bytes are read (a date is about 40). Attacker control: the text.
 */
#include "mime/mime-private.h"

#include "base/mem.h"
#include "base/str.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DATE_MAX 256

struct date_lex {
	char s[DATE_MAX + 1];
	size_t n, i;
};

static void strip_comments(const char *in, size_t len, struct date_lex *lx)
{
	int depth = 0;

	lx->n = lx->i = 0;
	for (size_t i = 0; i < len && lx->n < DATE_MAX; i++) {
		if (in[i] == '(')
			depth++;
		else if (in[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0)
			lx->s[lx->n++] = strchr("\r\n\t,", in[i]) ? ' ' : in[i];
	}
	lx->s[lx->n] = '\0';
}

static void skip_space(struct date_lex *lx)
{
	while (lx->i < lx->n && lx->s[lx->i] == ' ')
		lx->i++;
}

/* Reads 1..max digits; returns the count read (0 if none). */
static size_t read_num(struct date_lex *lx, size_t max, int *v)
{
	size_t n = 0;

	skip_space(lx);
	*v = 0;
	while (lx->i < lx->n && n < max && isdigit((unsigned char)lx->s[lx->i])) {
		*v = *v * 10 + (lx->s[lx->i++] - '0');
		n++;
	}
	if (lx->i < lx->n && isdigit((unsigned char)lx->s[lx->i]))
		return 0; /* too many digits */
	return n;
}

static size_t read_word(struct date_lex *lx, char *w, size_t max)
{
	size_t n = 0;

	skip_space(lx);
	while (lx->i < lx->n && isalpha((unsigned char)lx->s[lx->i])) {
		if (n < max)
			w[n++] = lx->s[lx->i];
		lx->i++;
	}
	w[n] = '\0';
	return n;
}

static int month_index(const char *w)
{
	static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
	                                     "jul", "aug", "sep", "oct", "nov", "dec"};

	if (strlen(w) < 3)
		return -1;
	for (int m = 0; m < 12; m++) {
		if (str_has_prefix_ci(w, months[m]))
			return m;
	}
	return -1;
}

static bool zone_name(const char *w, int *tz)
{
	static const struct {
		const char *name;
		int minutes;
	} zones[] = {{"UT", 0},        {"UTC", 0},       {"GMT", 0},       {"Z", 0},
	             {"EST", -5 * 60}, {"EDT", -4 * 60}, {"CST", -6 * 60}, {"CDT", -5 * 60},
	             {"MST", -7 * 60}, {"MDT", -6 * 60}, {"PST", -8 * 60}, {"PDT", -7 * 60}};

	for (size_t i = 0; i < N_ELEMENTS(zones); i++) {
		if (str_eq_ci(w, zones[i].name)) {
			*tz = zones[i].minutes;
			return true;
		}
	}
	/* RFC 5322 4.3: military zones and other names are -0000, i.e. unknown */
	*tz = 0;
	return strlen(w) > 0;
}

static void read_zone(struct date_lex *lx, int *tz)
{
	char w[16];
	int v;

	skip_space(lx);
	*tz = 0;
	if (lx->i < lx->n && (lx->s[lx->i] == '+' || lx->s[lx->i] == '-')) {
		int sign = lx->s[lx->i++] == '-' ? -1 : 1;

		if (read_num(lx, 4, &v) == 4 && v % 100 < 60)
			*tz = sign * (v / 100 * 60 + v % 100);
		return;
	}
	if (read_word(lx, w, sizeof(w) - 1) > 0)
		zone_name(w, tz);
}

int64_t mime_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool read_time(struct date_lex *lx, int *h, int *mi, int *s)
{
	if (read_num(lx, 2, h) == 0 || lx->i >= lx->n || lx->s[lx->i] != ':')
		return false;
	lx->i++;
	if (read_num(lx, 2, mi) == 0)
		return false;
	*s = 0;
	if (lx->i < lx->n && lx->s[lx->i] == ':') {
		lx->i++;
		if (read_num(lx, 2, s) == 0)
			return false;
	}
	if (lx->i < lx->n && !strchr(" +-", lx->s[lx->i]))
		return false; /* "21:5x" */
	return *h <= 23 && *mi <= 59 && *s <= 60;
}

static int fix_year(int y, size_t digits)
{
	if (digits == 2)
		return y < 50 ? 2000 + y : 1900 + y; /* RFC 5322 4.3 */
	if (digits == 3)
		return 1900 + y;
	return y;
}

bool mime_parse_date(const char *s, size_t len, time_t *t_r, int *tz_minutes_r)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct date_lex lx;
	int day, mon, year, h, mi, sec, tz;
	size_t nd, save;
	char w[16];

	strip_comments(s, len, &lx);
	save = lx.i;
	if (read_word(&lx, w, sizeof(w) - 1) == 0)
		lx.i = save; /* no day of week */
	if (read_num(&lx, 2, &day) == 0 || read_word(&lx, w, sizeof(w) - 1) == 0 ||
	    (mon = month_index(w)) < 0 || (nd = read_num(&lx, 4, &year)) < 2 ||
	    !read_time(&lx, &h, &mi, &sec))
		return false;
	year = fix_year(year, nd);
	if (day < 1 || day > mdays[mon] || year < 1900)
		return false;
	read_zone(&lx, &tz);
	if (sec == 60)
		sec = 59;
	*t_r = (time_t)mime_days_from_civil(year, mon + 1, day) * 86400 + h * 3600 + mi * 60 + sec -
	       (time_t)tz * 60;
	*tz_minutes_r = tz;
	return true;
}

bool mime_sent_date(const struct mime_message *msg, time_t *t_r, int *tz_minutes_r)
{
	const struct mime_slice *d = &msg->root->hdr[MIME_H_DATE];

	return d->p != NULL && mime_parse_date(d->p, d->len, t_r, tz_minutes_r);
}

void mime_format_date(time_t t, char out[MIME_DATE_LEN + 1])
{
	static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct tm tm;

	/* Names from tables, not strftime: the locale must not change a header. */
	gmtime_r(&t, &tm);
	/* The remainders keep every field to its width (and the compiler sure of it). */
	snprintf(out, MIME_DATE_LEN + 1, "%s, %02u %s %04u %02u:%02u:%02u +0000",
	         days[tm.tm_wday % 7], (unsigned)tm.tm_mday % 100u, months[tm.tm_mon % 12],
	         (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)tm.tm_hour % 100u,
	         (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u);
}
