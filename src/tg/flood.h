/*
 * Flood control: one state per process, shared by every thread and every
 * Telegram client that sends for the same bot (the bot's workers, the mailing
 * senders). It keeps two things:
 *
 *   - holds: a 429 "retry after N" for a chat holds back every call to that
 *     chat for N seconds; a 429 without a chat holds back every call of the bot;
 *   - a pacer for new messages (sends, not edits): a global rate (SEND_RATE) over
 *     all chats, and about one message a second per chat with a short burst,
 *     as Telegram asks.
 *
 *   struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = cfg->send_rate});
 *   ... tg_client_options.flood = f for every client (tg/client.h does the rest) ...
 *   if (tg_flood_acquire(f, chat_id, TG_FLOOD_MESSAGE, deadline_us, NULL) == 0)
 *       send();                            // and on a 429:
 *   tg_flood_report(f, chat_id, retry_after, clock_mono_us());
 *
 * The interface is two operations, reserve (non-blocking: may this call go
 * now, else when?) and report (a 429 came), so a state shared by several processes (in
 * Redis) can implement the same two. Times are clock_mono_us().
 *
 * A new state does not know what the process before it sent: it takes every
 * chat (and the global rate) as having had its burst when it was made, so a
 * restarted bot does not add a second burst to the first (the burst is back
 * after a few seconds).
 *
 * A waiting call sleeps until the earliest time reserve names and asks
 * again, so a hold reported meanwhile is honoured too, and a refused call
 * takes nothing from the pacer.
 */
#ifndef TGSHOP_TG_FLOOD_H
#define TGSHOP_TG_FLOOD_H

#include <stdatomic.h>
#include <stdint.h>

struct tg_flood;

struct tg_flood_options {
    double rate;      /* messages per second over all chats (SEND_RATE); 0 = 30 */
    int burst;        /* messages the global rate lets out at once; 0 = rate / 10, at least 1 */
    double chat_rate; /* messages per second to one chat; 0 = 0.9 (Telegram: about 1) */
    int chat_burst;   /* messages one chat may get at once; 0 = 3 */
};

/* What a call is, for the pacer: a new message (paced and held) or any other call (held
 * only: edits, answers to queries, deletions, getChatMember...). */
enum tg_flood_use { TG_FLOOD_CALL, TG_FLOOD_MESSAGE };

struct tg_flood_stats {
    uint64_t reports;     /* 429s reported */
    uint64_t held;        /* calls that waited for a hold */
    uint64_t paced;       /* messages that waited for the pacer */
    uint64_t failed_fast; /* calls refused because the wait would pass their deadline */
    int64_t waited_ms;    /* total time calls waited */
};

/* A new state; opt NULL = all defaults. */
struct tg_flood *tg_flood_new(const struct tg_flood_options *opt);
void tg_flood_free(struct tg_flood *f);

/* May a call to chat_id (0 = a call without a chat) go at now_us? 0: yes, and a message
 * takes its place in the pacer; ERR_FLOOD: not yet, *out_at_us is the earliest time it may
 * (try again then: another sender may have taken that place meanwhile). Does not block. */
int tg_flood_reserve(struct tg_flood *f, int64_t *out_at_us, int64_t chat_id, enum tg_flood_use use,
                     int64_t now_us);

/* Waits until a call to chat_id may go: 0, or ERR_FLOOD at once when it could not go before
 * deadline_us (0 = none), or ERR_TIMEOUT when cancel (may be NULL) was set while waiting.
 * *out_wait_us (may be NULL) gets how long it waited, or, with ERR_FLOOD, how long it would
 * have had to. */
int tg_flood_acquire(struct tg_flood *f, int64_t chat_id, enum tg_flood_use use,
                     int64_t deadline_us, const atomic_bool *cancel, int64_t *out_wait_us);

/* The earliest time a message to chat_id could go, as far as that chat's pacer and the holds
 * tell (the global rate aside); takes nothing. For a scheduler that serves free chats first. */
int64_t tg_flood_ready_at(struct tg_flood *f, int64_t chat_id, int64_t now_us);

/* A 429 with retry_after seconds for chat_id (0 = for the whole bot), received at now_us. */
void tg_flood_report(struct tg_flood *f, int64_t chat_id, int retry_after_s, int64_t now_us);

void tg_flood_get_stats(struct tg_flood *f, struct tg_flood_stats *out);

#endif
