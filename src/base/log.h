/*
 * log.h - one line per event on stderr, in key=value form.
 *
 * Every line starts with the time and a level: `ts=2026-11-26T12:00:00.123Z
 * level=info ` followed by the caller's key=value pairs, e.g.
 * `imap session=7f3a user=alice@example.org cmd=FETCH ms=3`. Lines are written
 * with one write(2) so that lines from worker threads never interleave.
 * Never log a password, a key, or the content of a message.
 *
 * Limits: a line is cut at LOG_LINE_MAX bytes. Attacker control: callers must
 * pass client-supplied values through log_safe() (which replaces control
 * characters and spaces) before logging them.
 */
#ifndef TRESOR_BASE_LOG_H
#define TRESOR_BASE_LOG_H

#include <stddef.h>

#define LOG_LINE_MAX 2048

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

/*
 * Copies at most 64 bytes of untrusted text into out (size >= 68) with every
 * byte outside printable ASCII, and '=' and ' ', replaced by '?', so a
 * client-supplied value cannot forge log fields. Returns out.
 */
#define LOG_SAFE_SIZE 68
const char *log_safe(char out[LOG_SAFE_SIZE], const char *in, size_t len);

#endif
