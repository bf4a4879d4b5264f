/*
 * struct arena: a bump allocator for work that ends at one point (an HTTP
 * request, a Telegram update, a CLI command). Everything allocated from it is
 * freed together by arena_release(); nothing is freed one by one.
 * Allocations are aligned for any type; out of memory aborts.
 */
#ifndef TGSHOP_CORE_ARENA_H
#define TGSHOP_CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* newest block first */
    size_t block_size;        /* default size of a new block */
    size_t total;             /* bytes handed out, for limits and stats */
};

#define ARENA_INIT                                                                                 \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* block_size 0 picks a default (8 KiB). */
void arena_init(struct arena *a, size_t block_size);
/* Frees every block; the arena is empty and reusable afterwards. */
void arena_release(struct arena *a);
/* Frees all but the first block and makes it empty again: for loops that
 * reuse one arena per iteration without going back to malloc. */
void arena_reset(struct arena *a);

void *arena_alloc(struct arena *a, size_t size);
void *arena_calloc(struct arena *a, size_t count, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_memdup(struct arena *a, const void *p, size_t n);
char *arena_sprintf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
