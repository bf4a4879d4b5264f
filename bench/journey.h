/*
 * One simulated customer's full journey through the shop, played through the
 * sandbox's user API (sandbox_user_api(), in-process) while the bot talks to
 * the sandbox over HTTP:
 *
 *   /start -> Catalog -> a category -> a subcategory -> a product -> "+" ->
 *   Add to cart -> Cart -> Checkout -> name -> shared contact -> address ->
 *   Confirm -> pay the invoice -> "paid" confirmation
 *
 * Each step is an action followed by a wait for the bot's answer as the user
 * would see it in the chat: the screen the next step needs (a message or an
 * edit with the expected buttons, the invoice, the payment confirmation) and,
 * for a pressed button, the callback answer. Its end-to-end time runs from
 * just before the action to the moment the last of these events is read.
 * Between steps the customer "thinks" for think_ms..1.5*think_ms, which keeps
 * it under the bot's anti-flood limit (8 at once, then 3 per second).
 */
#ifndef TGSHOP_BENCH_JOURNEY_H
#define TGSHOP_BENCH_JOURNEY_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "hist.h"
#include "sandbox/sandbox.h"

enum journey_step {
    STEP_START,
    STEP_CATALOG,
    STEP_CATEGORY,
    STEP_SUBCATEGORY,
    STEP_PRODUCT,
    STEP_PLUS,
    STEP_ADD,
    STEP_CART,
    STEP_CHECKOUT,
    STEP_NAME,
    STEP_PHONE,
    STEP_ADDRESS,
    STEP_CONFIRM,
    STEP_PAY,
    STEP_COUNT
};

extern const char *const journey_step_names[STEP_COUNT];

enum { JOURNEY_SECONDS_MAX = 3600 };

struct journey_slot;

/* What all customers share: options in, figures out (guarded by lock). */
struct journey_shared {
    struct sandbox *sb;
    int think_ms;
    int step_timeout_ms;
    int poll_us;   /* pause between two reads of a chat's events while waiting */
    int64_t t0_ms; /* clock_mono_ms() at the start of the run */
    pthread_mutex_t lock;
    struct hist steps[STEP_COUNT]; /* end-to-end time of each step */
    struct hist all;               /* of every step */
    /* bot updates caused by the steps completed in each second since t0 */
    _Atomic uint32_t per_second[JOURNEY_SECONDS_MAX];
    _Atomic uint64_t updates; /* bot updates caused by completed steps */
    _Atomic int64_t last_done_ms;
    /* the event pump (journey.c) */
    pthread_t pump;
    pthread_mutex_t wait_lock;
    bool pump_stop;
    struct journey_slot *slots;
    int slot_count;
};

/* Starts the thread that reads the chats of waiting customers; slots = the most customers that
 * play at once (their driver threads). */
int journey_pump_start(struct journey_shared *s, int slots);
void journey_pump_stop(struct journey_shared *s);

/* Plays customer user_id (a sandbox user who exists) from driver thread number slot; rng_seed
 * picks the category and the product. Returns 0 when the order was paid, else ERR_* with why (which
 * step, what happened). */
int journey_run(struct journey_shared *s, int slot, int64_t user_id, unsigned rng_seed,
                struct buf *why);

#endif
