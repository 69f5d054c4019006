/*
 * datetime.h - IMAP date-time ("17-Jul-1996 02:44:25 -0700", RFC 9051 9
 * date-time) in and out, for APPEND and INTERNALDATE.
 */
#ifndef TRESOR_IMAP_DATETIME_H
#define TRESOR_IMAP_DATETIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define IMAP_DATETIME_LEN 26 /* "dd-Mon-yyyy hh:mm:ss +zzzz" */

/* Parses a date-time; false if malformed or out of range. */
bool imap_datetime_parse(const char *s, size_t len, time_t *t_r, int *tz_minutes_r);
/* Writes the date-time (without quotes) into out (IMAP_DATETIME_LEN + 1 bytes). */
void imap_datetime_format(time_t t, int tz_minutes, char out[IMAP_DATETIME_LEN + 1]);

#endif
