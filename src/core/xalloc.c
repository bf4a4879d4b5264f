#include "core/xalloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/banned.h"

_Noreturn void die_oom(size_t size)
{
    fprintf(stderr, "tgshop: out of memory (allocating %zu bytes)\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        die_oom(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        die_oom(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        die_oom(size);
    return p;
}

void *xmallocarray(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        die_oom(SIZE_MAX);
    return xmalloc(count * size);
}

void *xreallocarray(void *ptr, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        die_oom(SIZE_MAX);
    return xrealloc(ptr, count * size);
}

void *xmemdup(const void *p, size_t n)
{
    char *copy = xmalloc(n + 1);
    if (n)
        memcpy(copy, p, n);
    copy[n] = '\0';
    return copy;
}

char *xstrndup(const char *s, size_t n)
{
    return xmemdup(s, strnlen(s, n));
}

char *xstrdup(const char *s)
{
    return xmemdup(s, strlen(s));
}
