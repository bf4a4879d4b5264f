/*
 * Sign-in throttling against password guessing: failures are counted per username and
 * per client address over a window; past the limit, sign-in attempts for that key are
 * refused (without checking the password) until the window has passed. A success clears
 * the username's count. An IPv6 address counts by its /64. In memory, bounded: the oldest
 * keys are forgotten first, but never a locked one; when a new key finds no room among
 * locked ones it is refused until one of them expires. Thread-safe.
 */
#ifndef TGSHOP_WEB_THROTTLE_H
#define TGSHOP_WEB_THROTTLE_H

#include <stdint.h>

struct throttle;

struct throttle_limits {
    int per_user; /* failures of one username within window_s; 0 = 5 */
    int per_ip;   /* failures from one address within window_s; 0 = 20 */
    int window_s; /* 0 = 900 */
};

struct throttle *throttle_new(const struct throttle_limits *limits);
void throttle_free(struct throttle *t);
/* 0 when username may try from ip now; otherwise the seconds to wait. */
int64_t throttle_check(struct throttle *t, const char *username, const char *ip);
void throttle_failure(struct throttle *t, const char *username, const char *ip);
void throttle_success(struct throttle *t, const char *username);

#endif
