/*
 * buf.h - byte buffers with a hard maximum.
 *
 * A struct buf grows on demand up to buf->max bytes. Appending past the maximum
 * is an invariant violation and aborts (STYLE.md: "writing past it aborts rather
 * than overflows"); code that takes input from the network checks
 * buf_room() first and answers the client, so the abort never fires on bad input.
 * The data is always NUL-terminated one byte past len, so it can be used as a
 * C string when it holds text.
 *
 * Limits: max is set by the creator; BUF_MAX_DEFAULT otherwise.
 */
#ifndef TRESOR_BASE_BUF_H
#define TRESOR_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* A buffer created with max 0 takes this maximum (1 GiB). */
#define BUF_MAX_DEFAULT ((size_t)1 << 30)

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

void buf_init(struct buf *b, size_t max);
void buf_deinit(struct buf *b);
struct buf *buf_new(size_t max);
void buf_free(struct buf **_b);

/* Bytes that may still be appended before the maximum. */
size_t buf_room(const struct buf *b);
void buf_reset(struct buf *b);
/* Drops everything after the first len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Zeroes the contents, then empties the buffer (it keeps its memory for reuse). */
void buf_reset_wipe(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Gives up the data to the caller (who frees it) and resets the buffer. */
char *buf_steal(struct buf *b, size_t *len_r);
/* Wipes the contents with sodium-grade zeroing before they are released. */
void buf_wipe(struct buf *b);

#endif
