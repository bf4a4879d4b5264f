#include "web/throttle.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "core/banned.h"

enum { SLOTS = 4096, KEY_MAX = 160 };

struct slot {
    char key[KEY_MAX]; /* "u:name" (lower case) or "ip:addr"; "" = free */
    int failures;
    int64_t window_start;
};

struct throttle {
    pthread_mutex_t lock;
    struct throttle_limits limits;
    struct slot slots[SLOTS];
};

struct throttle *throttle_new(const struct throttle_limits *limits)
{
    struct throttle *t = xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->limits = *limits;
    if (!t->limits.per_user)
        t->limits.per_user = 5;
    if (!t->limits.per_ip)
        t->limits.per_ip = 20;
    if (!t->limits.window_s)
        t->limits.window_s = 900;
    return t;
}

void throttle_free(struct throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static void make_key(char out[KEY_MAX], const char *prefix, const char *value)
{
    snprintf(out, KEY_MAX, "%s%s", prefix, value ? value : "");
    for (char *c = out; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

/* The slot of key among its 16 probe positions, or NULL; with create, a free, expired or
 * else the oldest slot is taken over for it. Under the lock. */
static struct slot *find(struct throttle *t, const char *key, bool create, int64_t now)
{
    size_t h = 5381;
    for (const char *c = key; *c; c++)
        h = h * 33 + (unsigned char)*c;
    struct slot *victim = NULL;
    for (size_t probe = 0; probe < 16; probe++) {
        struct slot *s = &t->slots[(h + probe) % SLOTS];
        if (!strcmp(s->key, key))
            return s;
        bool reusable = !s->key[0] || now - s->window_start >= t->limits.window_s;
        bool victim_reusable =
            victim && (!victim->key[0] || now - victim->window_start >= t->limits.window_s);
        if (!victim || (reusable && !victim_reusable) ||
            (!victim_reusable && s->window_start < victim->window_start))
            victim = s;
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    memcpy(victim->key, key, strlen(key) + 1);
    victim->window_start = now;
    return victim;
}

static int64_t wait_for(struct throttle *t, const char *key, int limit, int64_t now)
{
    struct slot *s = find(t, key, false, now);
    if (!s || now - s->window_start >= t->limits.window_s || s->failures < limit)
        return 0;
    return s->window_start + t->limits.window_s - now;
}

/* The keys of a username and an address; returns the time now. */
static int64_t make_keys(char ukey[KEY_MAX], char ikey[KEY_MAX], const char *username,
                         const char *ip)
{
    make_key(ukey, "u:", username);
    make_key(ikey, "ip:", ip);
    return clock_now();
}

int64_t throttle_check(struct throttle *t, const char *username, const char *ip)
{
    char ukey[KEY_MAX], ikey[KEY_MAX];
    int64_t now = make_keys(ukey, ikey, username, ip);
    pthread_mutex_lock(&t->lock);
    int64_t a = wait_for(t, ukey, t->limits.per_user, now);
    int64_t b = wait_for(t, ikey, t->limits.per_ip, now);
    pthread_mutex_unlock(&t->lock);
    return a > b ? a : b;
}

static void count(struct throttle *t, const char *key, int64_t now)
{
    struct slot *s = find(t, key, true, now);
    if (now - s->window_start >= t->limits.window_s) {
        s->window_start = now;
        s->failures = 0;
    }
    s->failures++;
}

void throttle_failure(struct throttle *t, const char *username, const char *ip)
{
    char ukey[KEY_MAX], ikey[KEY_MAX];
    int64_t now = make_keys(ukey, ikey, username, ip);
    pthread_mutex_lock(&t->lock);
    count(t, ukey, now);
    count(t, ikey, now);
    pthread_mutex_unlock(&t->lock);
}

void throttle_success(struct throttle *t, const char *username)
{
    char ukey[KEY_MAX];
    make_key(ukey, "u:", username);
    pthread_mutex_lock(&t->lock);
    struct slot *s = find(t, ukey, false, clock_now());
    if (s)
        s->key[0] = '\0';
    pthread_mutex_unlock(&t->lock);
}
