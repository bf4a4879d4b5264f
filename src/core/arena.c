#include "core/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "core/banned.h"

struct arena_block {
    struct arena_block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

enum { ARENA_DEFAULT_BLOCK = 8192 };

void arena_init(struct arena *a, size_t block_size)
{
    a->head = NULL;
    a->block_size = block_size ? block_size : ARENA_DEFAULT_BLOCK;
    a->total = 0;
}

void arena_release(struct arena *a)
{
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->total = 0;
}

void arena_reset(struct arena *a)
{
    if (!a->head)
        return;
    struct arena_block *first = a->head;
    while (first->next) {
        struct arena_block *older = first->next;
        first->next = NULL;
        free(first);
        first = older;
    }
    /* keep the oldest block: it has the configured size, the others may be jumbo */
    first->used = 0;
    a->head = first;
    a->total = 0;
}

static size_t align_up(size_t n)
{
    size_t align = alignof(max_align_t);
    if (n > SIZE_MAX - align)
        die_oom(n);
    return (n + align - 1) & ~(align - 1);
}

void *arena_alloc(struct arena *a, size_t size)
{
    if (!a->block_size)
        a->block_size = ARENA_DEFAULT_BLOCK;
    size = align_up(size ? size : 1);
    struct arena_block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t block = size > a->block_size ? size : a->block_size;
        if (block > SIZE_MAX - sizeof *b)
            die_oom(block);
        struct arena_block *fresh = xmalloc(sizeof *fresh + block);
        fresh->size = block;
        fresh->used = 0;
        if (b && size > a->block_size) {
            /* a jumbo allocation goes behind the current block, which keeps its free space */
            fresh->next = b->next;
            b->next = fresh;
        } else {
            fresh->next = b;
            a->head = fresh;
        }
        b = fresh;
    }
    void *p = b->data + b->used;
    b->used += size;
    a->total += size;
    return p;
}

void *arena_calloc(struct arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        die_oom(SIZE_MAX);
    void *p = arena_alloc(a, count * size);
    memset(p, 0, count * size);
    return p;
}

char *arena_memdup(struct arena *a, const void *p, size_t n)
{
    char *copy = arena_alloc(a, n + 1);
    if (n)
        memcpy(copy, p, n);
    copy[n] = '\0';
    return copy;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
    return arena_memdup(a, s, strnlen(s, n));
}

char *arena_strdup(struct arena *a, const char *s)
{
    return arena_memdup(a, s, strlen(s));
}

char *arena_sprintf(struct arena *a, const char *fmt, ...)
{
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0) {
        va_end(ap);
        return arena_strdup(a, "");
    }
    char *s = arena_alloc(a, (size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
