/*
 * mutf7.h - modified UTF-7 mailbox names (RFC 3501 5.1.3) to and from UTF-8.
 *
 * Decoding is strict: the only accepted form of a name is the one the encoder
 * produces, so decode(x) succeeds exactly when encode(decode(x)) == x. Refused:
 * '&' without '-', bad or non-minimal BASE64, non-zero padding bits, printable
 * US-ASCII or control characters encoded in BASE64, adjacent encoded runs
 * ("&AOk-&AOk-" must be "&AOkA6Q-"), lone or misordered UTF-16 surrogates,
 * control and 8-bit bytes. The encoder refuses invalid UTF-8 (overlong forms,
 * surrogates, > U+10FFFF) and control characters.
 *
 * Limits: IMAP_MUTF7_MAX_INPUT bytes of input in either direction.
 *
 * Attacker control: the names come from the client (mUTF-7 in IMAP4rev1) or
 * from stored names that clients chose (UTF-8).
 */
#ifndef TRESOR_IMAP_MUTF7_H
#define TRESOR_IMAP_MUTF7_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

#define IMAP_MUTF7_MAX_INPUT 4096

/*
 * Appends the UTF-8 form of the modified UTF-7 name in[0..len) to out. Returns
 * 0, or -1 with a static message in *error_r and out unchanged (also when out
 * lacks room for the worst case, len * 9 / 8 + 4 bytes).
 */
int imap_mutf7_to_utf8(const char *in, size_t len, struct buf *out, const char **error_r);

/*
 * Appends the modified UTF-7 form of the UTF-8 name in[0..len) to out. Returns
 * 0, or -1 with a static message in *error_r and out unchanged (also when out
 * lacks room for the worst case, 3 * len bytes).
 */
int imap_utf8_to_mutf7(const char *in, size_t len, struct buf *out, const char **error_r);

/* Whether in[0..len) is a valid modified UTF-7 name. */
bool imap_mutf7_is_valid(const char *in, size_t len);

#endif
