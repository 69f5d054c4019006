/*
 * datetime.c - IMAP date-time parsing and formatting; see datetime.h.
 *
 * Attacker control: the APPEND date-time string; every field is range-checked.
 */
#include "imap/datetime.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool digits(const char *s, size_t n, int *v_r)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*v_r = v;
	return true;
}

bool imap_datetime_parse(const char *s, size_t len, time_t *t_r, int *tz_minutes_r)
{
	struct tm tm;
	int day, mon, year, hh, mm, ss, tzh, tzm;
	time_t t;

	/* RFC 9051: date-day-fixed is (SP DIGIT) / 2DIGIT. */
	if (len != IMAP_DATETIME_LEN || s[2] != '-' || s[6] != '-' || s[11] != ' ' ||
	    s[14] != ':' || s[17] != ':' || s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
		return false;
	if (!digits(s[0] == ' ' ? s + 1 : s, s[0] == ' ' ? 1 : 2, &day))
		return false;
	for (mon = 0; mon < 12 && strncasecmp(s + 3, months[mon], 3) != 0; mon++)
		;
	if (mon == 12 || !digits(s + 7, 4, &year) || !digits(s + 12, 2, &hh) ||
	    !digits(s + 15, 2, &mm) || !digits(s + 18, 2, &ss) || !digits(s + 22, 2, &tzh) ||
	    !digits(s + 24, 2, &tzm))
		return false;
	if (day < 1 || day > 31 || year < 1900 || hh > 23 || mm > 59 || ss > 60 || tzm > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	/* Seconds are added after timegm() so that only an impossible day changes tm_mday. */
	t = timegm(&tm) + ss;
	if (tm.tm_mday != day) /* 30-Feb would otherwise become 1-Mar */
		return false;
	*tz_minutes_r = (s[21] == '-' ? -1 : 1) * (tzh * 60 + tzm);
	*t_r = t - (time_t)*tz_minutes_r * 60;
	return true;
}

void imap_datetime_format(time_t t, int tz_minutes, char out[IMAP_DATETIME_LEN + 1])
{
	struct tm tm;
	time_t local = t + (time_t)tz_minutes * 60;
	int tz = tz_minutes < 0 ? -tz_minutes : tz_minutes;

	char tmp[64];

	gmtime_r(&local, &tm);
	snprintf(tmp, sizeof(tmp), "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", tm.tm_mday,
	         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec,
	         tz_minutes < 0 ? '-' : '+', (tz / 60) % 100, tz % 60);
	memcpy(out, tmp, IMAP_DATETIME_LEN);
	out[IMAP_DATETIME_LEN] = '\0';
}
