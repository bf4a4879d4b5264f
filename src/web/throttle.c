#include "web/throttle.h"

#include <arpa/inet.h>
#include <netinet/in.h>
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
    char key[KEY_MAX]; /* "u:name" (lower case), "ip:addr" or "ip:prefix/64"; "" = free */
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

/* The key of an address: IPv4 as it is, IPv6 by its /64 (one customer's network gets a
 * whole /64, so one address each would give an attacker 2^64 keys), an IPv4-mapped IPv6
 * address as the IPv4 address it is. */
static void make_ip_key(char out[KEY_MAX], const char *ip)
{
    struct in6_addr a6;
    char text[INET6_ADDRSTRLEN];
    if (!ip || inet_pton(AF_INET6, ip, &a6) != 1) {
        make_key(out, "ip:", ip);
        return;
    }
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        if (!inet_ntop(AF_INET, a6.s6_addr + 12, text, sizeof text))
            text[0] = '\0';
        make_key(out, "ip:", text);
        return;
    }
    memset(a6.s6_addr + 8, 0, 8);
    if (!inet_ntop(AF_INET6, &a6, text, sizeof text))
        text[0] = '\0';
    snprintf(out, KEY_MAX, "ip:%s/64", text);
}

static bool live(const struct throttle *t, const struct slot *s, int64_t now)
{
    return s->key[0] && now - s->window_start < t->limits.window_s;
}

/* A live key past its limit: sign-in is refused for it. */
static bool locked(const struct throttle *t, const struct slot *s, int64_t now)
{
    int limit = !strncmp(s->key, "u:", 2) ? t->limits.per_user : t->limits.per_ip;
    return live(t, s, now) && s->failures >= limit;
}

/* The slot of key among its 16 probe positions, or NULL. Then *out_victim is the slot a
 * new key would take (a free or expired one, else the oldest that is not locked), or NULL
 * when all 16 hold locked keys: those are never forgotten early, so the new key is refused
 * until one of them expires, in *out_wait_s seconds. Under the lock. */
static struct slot *find(struct throttle *t, const char *key, int64_t now, struct slot **out_victim,
                         int64_t *out_wait_s)
{
    size_t h = 5381;
    for (const char *c = key; *c; c++)
        h = h * 33 + (unsigned char)*c;
    struct slot *victim = NULL;
    int64_t wait_s = t->limits.window_s;
    for (size_t probe = 0; probe < 16; probe++) {
        struct slot *s = &t->slots[(h + probe) % SLOTS];
        if (!strcmp(s->key, key))
            return s;
        if (locked(t, s, now)) {
            if (s->window_start + t->limits.window_s - now < wait_s)
                wait_s = s->window_start + t->limits.window_s - now;
            continue;
        }
        if (!victim ||
            (live(t, victim, now) && (!live(t, s, now) || s->window_start < victim->window_start)))
            victim = s;
    }
    *out_victim = victim;
    *out_wait_s = victim ? 0 : wait_s;
    return NULL;
}

static int64_t wait_for(struct throttle *t, const char *key, int limit, int64_t now)
{
    struct slot *victim;
    int64_t full_wait_s;
    struct slot *s = find(t, key, now, &victim, &full_wait_s);
    if (!s)
        return full_wait_s;
    if (!live(t, s, now) || s->failures < limit)
        return 0;
    return s->window_start + t->limits.window_s - now;
}

/* The keys of a username and an address; returns the time now. */
static int64_t make_keys(char ukey[KEY_MAX], char ikey[KEY_MAX], const char *username,
                         const char *ip)
{
    make_key(ukey, "u:", username);
    make_ip_key(ikey, ip);
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
    struct slot *victim;
    int64_t full_wait_s;
    struct slot *s = find(t, key, now, &victim, &full_wait_s);
    if (!s && !victim)
        return; /* no room next to locked keys: this one is refused anyway */
    if (!s) {
        s = victim;
        memset(s, 0, sizeof *s);
        memcpy(s->key, key, strlen(key) + 1);
        s->window_start = now;
    }
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
    struct slot *victim;
    int64_t full_wait_s;
    struct slot *s = find(t, ukey, clock_now(), &victim, &full_wait_s);
    if (s)
        s->key[0] = '\0';
    pthread_mutex_unlock(&t->lock);
}
