/*
 * response.h - writing IMAP data into response buffers (see response.c).
 */
#ifndef TRESOR_IMAP_RESPONSE_H
#define TRESOR_IMAP_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>

struct evbuffer;

/* A quoted string or, when the value needs it, a literal. */
void imap_buf_string(struct evbuffer *out, const char *str, size_t len, bool utf8);
/* "(\Seen \Flagged kw1 kw2)" */
void imap_buf_flags(struct evbuffer *out, unsigned flags, const char *keywords, bool recent);
/* A system flag name ("\Seen", case-insensitive) to its store bit. */
bool imap_flag_parse(const char *name, size_t len, unsigned *flag_r);

#endif
