/*
 * Two helpers every module may use, as in git:
 *
 *   ARRAY_SIZE(a)   the number of elements of an array (a compile error for a pointer)
 *   BUG(fmt, ...)   an invariant the code itself broke: a state no input can cause. Logs
 *                   "BUG: file:line: message" and aborts, so the fault is found where it
 *                   happened. Never for bad input, a failed call or a full disk: those are
 *                   errors returned as values (core/err.h).
 */
#ifndef TGSHOP_CORE_UTIL_H
#define TGSHOP_CORE_UTIL_H

#include <stddef.h>

/* 0, or a negative bit-field width (a compile error) when a is a pointer, not an array. */
#define ARRAY_SIZE_CHECK_(a)                                                                       \
    (0 * sizeof(struct {                                                                           \
         int not_an_array : __builtin_types_compatible_p(__typeof__(a), __typeof__(&(a)[0])) ? -1  \
                                                                                             : 1;  \
     }))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]) + ARRAY_SIZE_CHECK_(a))

#define BUG(...) bug_at(__FILE__, __LINE__, __VA_ARGS__)
_Noreturn void bug_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
