/*
 * Allocation with one out-of-memory policy for the whole program: print a
 * line to stderr and abort. A shop server that cannot allocate a few bytes
 * cannot do anything useful, and checking every small allocation by hand is
 * where C programs grow their bugs (git and redis decided the same).
 * Sizes are checked for overflow.
 */
#ifndef TGSHOP_CORE_XALLOC_H
#define TGSHOP_CORE_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* xmalloc(count * size), aborting if the product overflows. */
void *xmallocarray(size_t count, size_t size);
void *xreallocarray(void *ptr, size_t count, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);

/* Abort with a message: for out-of-memory and impossible states only. */
_Noreturn void die_oom(size_t size);

#endif
