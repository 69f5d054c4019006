/*
 * str.h - small string helpers: ASCII case-insensitive comparison, trimming,
 * splitting comma lists, and parsing bounded integers.
 *
 * Limits: none beyond the callers'. Attacker control: inputs may be
 * client-supplied; every function is bounded by the lengths it is given.
 */
#ifndef TRESOR_BASE_STR_H
#define TRESOR_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool str_eq_ci(const char *a, const char *b);
/* Compares n bytes of a with NUL-terminated b, ignoring ASCII case. */
bool str_eqn_ci(const char *a, size_t n, const char *b);
bool str_has_prefix_ci(const char *s, const char *prefix);
/* Finds needle in haystack ignoring ASCII case; NULL if absent. */
const char *str_find_ci(const char *hay, size_t hay_len, const char *needle, size_t needle_len);
void str_lower(char *s);
void str_upper(char *s);
/* Trims ASCII white space at both ends, in place; returns s moved past leading space. */
char *str_trim(char *s);

/*
 * Splits a comma-separated list into trimmed, non-empty items. Returns the
 * number of items; *items_r is an array of newly allocated strings that the
 * caller frees with str_list_free().
 */
size_t str_split_list(const char *s, char ***items_r);
void str_list_free(char ***_items, size_t n);

/* Parses a decimal number in [min, max] from the whole of s. */
bool str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *value_r);
/*
 * Decodes the UTF-8 character at p (n bytes available, n > 0) into *cp_r.
 * Returns its length (1 to 4), or 0 for an invalid sequence (RFC 3629 4):
 * overlong forms, surrogates, code points past U+10FFFF, truncated sequences.
 */
size_t str_utf8_char(const unsigned char *p, size_t n, uint32_t *cp_r);

#endif
