/*
 * mem.c - the xmalloc family and panic_at(); see mem.h.
 */
#include "base/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

void panic_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tresor: panic at %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *check(void *p, size_t size)
{
	if (p == NULL && size != 0)
		PANIC("out of memory allocating %zu bytes", size);
	return p;
}

void *xmalloc(size_t size)
{
	return check(malloc(size ? size : 1), size ? size : 1);
}

void *xcalloc(size_t n, size_t size)
{
	if (n == 0 || size == 0)
		n = size = 1;
	return check(calloc(n, size), n * size);
}

void *xrealloc(void *ptr, size_t size)
{
	return check(realloc(ptr, size ? size : 1), size ? size : 1);
}

void *xreallocarray(void *ptr, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		PANIC("allocation overflow: %zu * %zu", n, size);
	return xrealloc(ptr, n * size);
}

void *xgrowarray(void *ptr, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return ptr;
	*cap = *cap ? *cap * 2 : first;
	return xreallocarray(ptr, *cap, size);
}

char *xstrdup(const char *s)
{
	return xmemdup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	return xmemdup(s, strnlen(s, n));
}

char *xmemdup(const void *p, size_t n)
{
	char *d;

	if (n == SIZE_MAX)
		PANIC("allocation overflow");
	d = xmalloc(n + 1);
	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		PANIC("out of memory formatting a string");
	return s;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

void mem_tune_for_server(void)
{
	mallopt(M_TRIM_THRESHOLD, (int)MEM_TRIM_THRESHOLD);
	mallopt(M_MMAP_THRESHOLD, (int)MEM_MMAP_THRESHOLD);
}
