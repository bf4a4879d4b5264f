/*
 * End-to-end harness for the storefront bot: one in-process sandbox (the
 * Bot API emulator), a fresh migrated database of the backend under test and
 * an in-process bot long-polling the sandbox over HTTP. Scripted customers
 * ("shoppers") act through the sandbox's user API over HTTP — type, share a
 * contact, press buttons, pay — and look at what they see: the chat as it is
 * now (edits applied, deletions gone) and the answers to their button presses.
 *
 * Every action waits until the bot has handled every update it caused
 * (shop_settle: the sandbox holds no unconfirmed update and the bot has none
 * in hand), so a test reads the outcome right after acting; nothing sleeps
 * to "wait enough". A shopper paces itself to the bot's anti-flood limit
 * (gate.h: burst 8, 3 per second) so scripted speed never trips it, except in
 * the test that means to.
 *
 *   shop_open("sqlite");
 *   struct shopper ann;
 *   shopper_new(&ann, 1001, "Ann", "en");
 *   shopper_say(&ann, "/start");
 *   struct toast t = shopper_press_label(&ann, "Catalogue");
 *   assert_string_contains(msg_text(shopper_screen(&ann)), expect("catalog_root"));
 *   shop_close();
 */
#ifndef TGSHOP_TESTS_BOT_SHOPPER_H
#define TGSHOP_TESTS_BOT_SHOPPER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bot/bot.h"
#include "core/arena.h"
#include "db/db.h"
#include "jobs/notify.h"
#include "jobs/worker.h"

struct shop {
    const char *backend;
    char db_url[1024];
    struct db *db; /* the test's own connection: fixtures and checks */
    struct arena arena;
    struct bot *bot;
    struct bot_options opt;
    int64_t admin_ids[1];
    struct queue_config queue; /* the database queue of the staff notes */
    struct notify_ctx notify;
    struct worker *sender;  /* a telegram_sending_queue worker, as in tgshop run */
    struct tg_flood *flood; /* shared by the bot and the sender */
};
extern struct shop shop;

/* The sandbox user whose private chat is the shop's admin chat (ADMIN_CHAT_IDS). */
enum { SHOP_ADMIN_ID = 777000111, SHOP_PAGE_SIZE = 2 };

/* Starts the sandbox, a fresh migrated database and the bot (page size SHOP_PAGE_SIZE,
 * Telegram Stars, the admin chat above, English by default). */
void shop_open(const char *backend);
void shop_close(void);
/* Stops the bot and starts a new one on the same database and sandbox. */
void shop_restart_bot(void);
/* Starts the bot again after a test stopped it (bot_stop(shop.bot); shop.bot = NULL). */
void shop_start_bot(void);
/* Waits (with a deadline) until the bot has handled every update the sandbox holds. */
void shop_settle(void);
/* Waits (with a deadline) until the sender worker has sent every queued staff note. */
void shop_settle_notes(void);

/* Calls the sandbox's user API over HTTP; fails the test unless the status is
 * expect_status. Returns the answer's "result" (a new reference; the whole answer for
 * errors). */
json_t *sandbox_api(int expect_status, const char *method, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct shopper {
    int64_t id;          /* Telegram user id = the private chat's id */
    int64_t customer_id; /* the customer row, once the bot knows the user (0 before) */
    double tokens;       /* mirror of the bot's anti-flood bucket */
    int64_t refilled_ms;
    bool no_pacing; /* the flood test presses as fast as it can */
    json_t *chat;   /* the messages as last read */
};

/* A new sandbox user (language "en", "ru", or NULL for none). */
void shopper_new(struct shopper *s, int64_t id, const char *first_name, const char *lang);
void shopper_free(struct shopper *s);
/* Registers the customer in the database the way the bot would (for fixtures that need a
 * customer id before the customer says anything). */
int64_t shopper_register(struct shopper *s, const char *first_name);

/* Waits, when needed, until the bot's anti-flood bucket certainly holds a token for this
 * user, and takes it. Every action below calls it; call it before bot_submit() of an update
 * from this user. */
void shopper_pace(struct shopper *s);

void shopper_say(struct shopper *s, const char *text);
void shopper_contact(struct shopper *s, const char *phone);

/* The answer to a pressed button, as the customer sees it. */
struct toast {
    bool answered; /* the spinner stopped */
    bool alert;    /* a dialog rather than a toast */
    char text[512];
};
/* Presses the button with this callback_data on a message of the chat. */
struct toast shopper_press(struct shopper *s, int64_t message_id, const char *data);
/* Presses the first button whose label contains `label` on the current screen (the bot's
 * latest message); fails the test when there is none. */
struct toast shopper_press_label(struct shopper *s, const char *label);
/* Presses the callback button `data` on the current screen; fails when it is not there. */
struct toast shopper_press_data(struct shopper *s, const char *data);
/* Pays the invoice in message_id; returns the pre-checkout outcome: "paid", "declined",
 * "timeout"; *error_message (may be NULL) gets the bot's reason for a decline. */
const char *shopper_pay(struct shopper *s, int64_t message_id, char *error_message, size_t size);

/* Re-reads the chat. The returned messages (oldest first) and screens are borrowed from s. */
json_t *shopper_messages(struct shopper *s);
/* The bot's latest message: what the customer looks at. */
json_t *shopper_screen(struct shopper *s);
/* The bot's latest message whose text contains fragment, or NULL. */
json_t *shopper_find(struct shopper *s, const char *fragment);
/* How many of the bot's messages contain fragment. */
int shopper_count(struct shopper *s, const char *fragment);
/* How many messages the bot has sent to this chat (all, deleted ones too: sandbox stats). */
int64_t shopper_delivered(struct shopper *s);

/* Message helpers. */
const char *msg_text(const json_t *msg); /* text or caption, "" when none */
int64_t msg_id(const json_t *msg);
/* The callback_data of the first inline button whose label contains label, or NULL. */
const char *msg_button(const json_t *msg, const char *label);
/* The label of the inline button with this callback_data, or NULL. */
const char *msg_label(const json_t *msg, const char *data);
/* All buttons as "label=data" lines, for failure messages (static buffer). */
const char *msg_buttons(const json_t *msg);
/* The reply keyboard the user has, or NULL. */
json_t *shopper_reply_keyboard(struct shopper *s);

/* The part of an English text (locales/en.json) the customer is sure to see: markup
 * stripped, the longest piece between placeholders (static buffer, one of 8). */
const char *expect(const char *key);
/* The same in another locale. */
const char *expect_in(const char *lang, const char *key);

/* Fails with the screen when haystack lacks needle. */
#define assert_contains(haystack, needle) assert_contains_at(haystack, needle, __FILE__, __LINE__)
void assert_contains_at(const char *haystack, const char *needle, const char *file, int line);
#define assert_not_contains(haystack, needle)                                                      \
    assert_not_contains_at(haystack, needle, __FILE__, __LINE__)
void assert_not_contains_at(const char *haystack, const char *needle, const char *file, int line);

/* One integer from the test's database connection (fails the test on error; ERR_NOTFOUND
 * gives `missing`). */
int64_t db_int_or(int64_t missing, const char *sql, int64_t arg);

#endif
