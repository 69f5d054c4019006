/*
 * str.c - small string helpers; see str.h.
 */
#include "base/str.h"

#include "base/mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool str_eq_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

bool str_eqn_ci(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && strncasecmp(a, b, n) == 0;
}

bool str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

const char *str_find_ci(const char *hay, size_t hay_len, const char *needle, size_t needle_len)
{
	size_t i;

	if (needle_len == 0)
		return hay;
	if (needle_len > hay_len)
		return NULL;
	for (i = 0; i + needle_len <= hay_len; i++) {
		if (tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[0]) &&
		    strncasecmp(hay + i, needle, needle_len) == 0)
			return hay + i;
	}
	return NULL;
}

void str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

void str_upper(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)toupper((unsigned char)*s);
}

char *str_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

size_t str_split_list(const char *s, char ***items_r)
{
	char **items = NULL;
	size_t n = 0;
	const char *p = s;

	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *item = xstrndup(p, len);
		char *t = str_trim(item);

		if (*t != '\0') {
			items = xreallocarray(items, n + 1, sizeof(*items));
			items[n++] = xstrdup(t);
		}
		free(item);
		p += len;
		if (*p == ',')
			p++;
	}
	*items_r = items;
	return n;
}

void str_list_free(char ***_items, size_t n)
{
	size_t i;

	if (*_items == NULL)
		return;
	for (i = 0; i < n; i++)
		free((*_items)[i]);
	XFREE(*_items);
}

bool str_to_u64(const char *s, size_t len, uint64_t max, uint64_t *value_r)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (d > max || v > max / 10 || v * 10 > max - d)
			return false;
		v = v * 10 + d;
	}
	*value_r = v;
	return true;
}

/* The length of the UTF-8 sequence that starts with byte b, or 0 if b cannot start one. */
static size_t utf8_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		return 2;
	if ((b & 0xf0) == 0xe0)
		return 3;
	if (b >= 0xf0 && b <= 0xf4)
		return 4;
	return 0;
}

size_t str_utf8_char(const unsigned char *p, size_t n, uint32_t *cp_r)
{
	static const uint32_t min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t need = utf8_len(p[0]);
	uint32_t cp;

	if (need == 0 || need > n)
		return 0;
	cp = need == 1 ? p[0] : p[0] & (0x7f >> need);
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if (cp < min_cp[need] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	*cp_r = cp;
	return need;
}
