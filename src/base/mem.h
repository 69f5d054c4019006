/*
 * mem.h - allocation that never returns NULL, and invariant checks.
 *
 * Running out of memory is fatal (STYLE.md, "Memory and ownership"): every
 * allocation in Tresor goes through this family, which aborts with a message
 * instead of returning NULL. ASSERT() marks an internal invariant; a broken one
 * aborts with file and line (error tier 1).
 *
 * Limits: none of its own. Attacker control: none; callers bound sizes first.
 */
#ifndef TRESOR_BASE_MEM_H
#define TRESOR_BASE_MEM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Allocates n * size bytes, aborting if the product overflows. */
void *xreallocarray(void *ptr, size_t n, size_t size);
/*
 * Makes room for element n of a growing array of *cap elements of size bytes:
 * when full, the capacity doubles (first: its first size). Returns the array.
 */
void *xgrowarray(void *ptr, size_t n, size_t *cap, size_t size, size_t first);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates the copy. */
char *xstrndup(const char *s, size_t n);
char *xmemdup(const void *p, size_t n);
/*
 * Allocator settings for the long-running server, set once before threads
 * start: freed memory up to MEM_TRIM_THRESHOLD stays with the process, and
 * blocks below MEM_MMAP_THRESHOLD come from the heap, not from a fresh
 * mmap. Without this glibc returns the buffers of every sealed message to the
 * kernel and faults them in again for the next: measured with
 * bench/seal-bench, 10 KB sealed in 175 us instead of 500, 1 MB in 5.7 ms
 * instead of 19.
 */
#define MEM_TRIM_THRESHOLD ((size_t)4 << 20)
#define MEM_MMAP_THRESHOLD ((size_t)4 << 20)
void mem_tune_for_server(void);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Frees *p and sets it to NULL; accepts NULL. */
#define XFREE(p)                                                                                   \
	do {                                                                                       \
		free(p);                                                                           \
		(p) = NULL;                                                                        \
	} while (0)

void panic_at(const char *file, int line, const char *fmt, ...)
        __attribute__((noreturn, format(printf, 3, 4)));

#define PANIC(...) panic_at(__FILE__, __LINE__, __VA_ARGS__)
#define ASSERT(cond)                                                                               \
	do {                                                                                       \
		if (__builtin_expect(!(cond), 0))                                                  \
			panic_at(__FILE__, __LINE__, "assertion failed: %s", #cond);               \
	} while (0)

#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

#endif
