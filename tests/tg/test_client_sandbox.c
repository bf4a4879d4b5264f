/* The client against the sandbox over real HTTP: every method's success path and every
 * error class, as the shop will meet them. Each test gets a fresh sandbox. */
#include <microhttpd.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "sandbox/sandbox.h"
#include "tg/client.h"
#include "tg/flood.h"
#include "core/banned.h"

#define TOKEN "123456:sandbox-test-token"
#define ANNA  1001
#define BORIS 1002

/* A 1x1 PNG: the smallest picture the sandbox accepts as a photo. */
static const unsigned char png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

struct env {
    struct sandbox *sb;
    struct tg_client *c;
    struct arena arena; /* the updates a test reads */
    struct buf err;
    int64_t offset; /* confirms the updates read so far */
};

static struct tg_client *new_client(struct env *e, const char *token, int64_t timeout_ms)
{
    struct tg_client *c;
    struct buf err = BUF_INIT;
    if (tg_client_new(&c,
                      &(struct tg_client_options){
                          .api_url = sandbox_url(e->sb), .token = token, .timeout_ms = timeout_ms},
                      &err))
        fail_msg("tg_client_new: %s", err.data);
    buf_release(&err);
    return c;
}

/* Calls the sandbox's user API and returns its result (a new reference); takes body. */
static json_t *user_api(struct env *e, const char *method, json_t *body, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *user_api(struct env *e, const char *method, json_t *body, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    struct buf out = BUF_INIT;
    int status = sandbox_user_api(e->sb, method, path, text, &out);
    if (status != 200)
        fail_msg("%s %s: HTTP %d %s", method, path, status, out.data);
    json_t *reply = json_loads(out.data, 0, NULL);
    json_t *result = json_incref(json_object_get(reply, "result"));
    assert_non_null(result);
    json_decref(reply);
    json_decref(body);
    free(text);
    buf_release(&out);
    return result;
}

static void add_user(struct env *e, int64_t id, const char *name)
{
    json_decref(user_api(e, "POST",
                         json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)id, "first_name", name,
                                   "language_code", "ru", "started", 1),
                         "/sandbox/api/users"));
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof *e);
    struct buf err = BUF_INIT;
    if (sandbox_start(&e->sb, &(struct sandbox_options){.bot_token = TOKEN}, &err)) {
        fprintf(stderr, "sandbox_start: %s\n", err.data);
        buf_release(&err);
        free(e);
        return -1;
    }
    buf_release(&err);
    e->c = new_client(e, TOKEN, 5000);
    arena_init(&e->arena, 0);
    add_user(e, ANNA, "Анна");
    add_user(e, BORIS, "Boris");
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    tg_client_free(e->c);
    sandbox_stop(e->sb);
    arena_release(&e->arena);
    buf_release(&e->err);
    free(e);
    return 0;
}

static void assert_kind(struct tg_client *c, int rc, enum tg_result_kind kind)
{
    const struct tg_result *r = tg_client_result(c);
    if (r->kind != kind)
        fail_msg("want %s, got %s (rc %d): %s", tg_result_kind_name(kind),
                 tg_result_kind_name(r->kind), rc, r->description);
    assert_int_equal(rc, tg_result_code(r));
}

static void assert_ok(struct tg_client *c, int rc)
{
    assert_kind(c, rc, TG_OK);
}

/* The next update of the given type, skipping others (my_chat_member of new users, ...);
 * confirms everything it reads. */
static const struct tg_update *expect_update(struct env *e, enum tg_update_type type)
{
    int64_t deadline = clock_mono_ms() + 5000;
    while (clock_mono_ms() < deadline) {
        struct tg_updates batch;
        assert_ok(e->c, tg_get_updates(e->c, &batch,
                                       &(struct tg_get_updates){
                                           .offset = e->offset, .limit = 1, .timeout_s = 2}));
        e->offset = batch.next_offset;
        struct tg_update *u = NULL;
        if (json_array_size(batch.items) == 1) {
            u = arena_alloc(&e->arena, sizeof *u);
            if (tg_update_from_json(u, &e->arena, json_array_get(batch.items, 0), &e->err))
                fail_msg("update: %s", e->err.data);
        }
        tg_updates_release(&batch);
        if (u && u->type == type)
            return u;
    }
    fail_msg("no update of type %d within 5 s", (int)type);
    return NULL;
}

/* Reads and confirms every pending update. */
static void drain_updates(struct env *e)
{
    for (;;) {
        struct tg_updates batch;
        assert_ok(e->c,
                  tg_get_updates(e->c, &batch, &(struct tg_get_updates){.offset = e->offset}));
        size_t count = json_array_size(batch.items);
        e->offset = batch.next_offset;
        tg_updates_release(&batch);
        if (count == 0)
            return;
    }
}

/* The messages of a user's chat as the user sees them. */
static json_t *chat_messages(struct env *e, int64_t chat_id)
{
    json_t *chat = user_api(e, "GET", NULL, "/sandbox/api/chats/%lld", (long long)chat_id);
    json_t *messages = json_incref(json_object_get(chat, "messages"));
    json_decref(chat);
    return messages;
}

static void test_get_me_and_wrong_token(void **state)
{
    struct env *e = *state;
    const struct tg_user *me;
    assert_ok(e->c, tg_get_me(e->c, &me));
    assert_int_equal(me->id, 123456);
    assert_true(me->is_bot);
    assert_non_null(me->username);

    struct tg_client *wrong = new_client(e, "123456:not-the-token", 5000);
    int rc = tg_get_me(wrong, &me);
    assert_kind(wrong, rc, TG_UNAUTHORIZED);
    assert_int_equal(rc, ERR_FORBIDDEN);
    assert_int_equal(tg_client_result(wrong)->error_code, 401);
    assert_null(me);
    tg_client_free(wrong);

    /* an unknown method is Telegram's 404 */
    assert_kind(e->c, tg_call(e->c, NULL, "sendTelepathy", NULL), TG_NOT_FOUND);
}

static void test_send_edit_and_delete_a_message(void **state)
{
    struct env *e = *state;
    const struct tg_message *sent;
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "◀", "page:1");
    tg_keyboard_callback(kb, "▶", "page:3");
    assert_ok(e->c, tg_send_message(e->c, &sent, ANNA, "<b>Каталог</b>, стр. 2",
                                    &(struct tg_send_options){.parse_mode = TG_PARSE_HTML,
                                                              .reply_markup = kb}));
    assert_non_null(sent);
    assert_int_equal(sent->chat.id, ANNA);
    assert_string_equal(sent->text, "Каталог, стр. 2");
    int64_t id = sent->message_id;

    json_t *messages = chat_messages(e, ANNA);
    json_t *last = json_array_get(messages, json_array_size(messages) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "text")), "Каталог, стр. 2");
    assert_non_null(json_object_get(last, "reply_markup"));
    json_decref(messages);

    struct tg_target target = {.chat_id = ANNA, .message_id = id};
    const struct tg_message *edited;
    assert_ok(e->c, tg_edit_message_text(e->c, &edited, &target, "Каталог, стр. 3",
                                         &(struct tg_edit_options){.reply_markup = kb}));
    assert_string_equal(edited->text, "Каталог, стр. 3");
    /* the same content again: harmless, reported as such */
    int rc = tg_edit_message_text(e->c, &edited, &target, "Каталог, стр. 3",
                                  &(struct tg_edit_options){.reply_markup = kb});
    assert_int_equal(rc, 0);
    assert_kind(e->c, rc, TG_NOT_MODIFIED);
    assert_null(edited);

    assert_ok(e->c, tg_edit_message_reply_markup(e->c, &edited, &target, NULL));
    assert_ok(e->c, tg_delete_message(e->c, ANNA, id));
    assert_kind(e->c, tg_delete_message(e->c, ANNA, id), TG_BAD_REQUEST);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_MESSAGE_NOT_FOUND);
    assert_kind(e->c, tg_edit_message_text(e->c, NULL, &target, "gone", NULL), TG_BAD_REQUEST);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_MESSAGE_NOT_FOUND);
    tg_keyboard_free(kb);

    /* a reply to a message that is not there */
    assert_kind(e->c,
                tg_send_message(e->c, NULL, ANNA, "re",
                                &(struct tg_send_options){.reply_to_message_id = id}),
                TG_BAD_REQUEST);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_MESSAGE_NOT_FOUND);
    /* an unknown chat */
    assert_kind(e->c, tg_send_message(e->c, NULL, 999999, "hi", NULL), TG_BAD_REQUEST);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_CHAT_NOT_FOUND);
}

static void test_photos_by_upload_file_id_and_url(void **state)
{
    struct env *e = *state;
    const struct tg_message *sent;
    struct tg_photo upload = {
        .kind = TG_PHOTO_BYTES, .data = png, .len = sizeof png, .filename = "tea.png"};
    assert_ok(e->c, tg_send_photo(e->c, &sent, ANNA, &upload, "Чай «Молочный улун»", NULL));
    assert_non_null(sent->photo_file_id);
    assert_string_equal(sent->caption, "Чай «Молочный улун»");
    char *file_id = strdup(sent->photo_file_id); /* cached as a product's file_id would be */
    struct tg_target target = {.chat_id = ANNA, .message_id = sent->message_id};

    assert_ok(e->c, tg_send_photo(e->c, &sent, BORIS,
                                  &(struct tg_photo){.kind = TG_PHOTO_FILE_ID, .ref = file_id},
                                  NULL, NULL));
    assert_string_equal(sent->photo_file_id, file_id);
    assert_ok(e->c, tg_send_photo(e->c, &sent, BORIS,
                                  &(struct tg_photo){.kind = TG_PHOTO_URL,
                                                     .ref = "https://example.com/tea.jpg"},
                                  NULL, NULL));
    assert_non_null(sent->photo_file_id);

    const struct tg_message *edited;
    assert_ok(e->c, tg_edit_message_caption(e->c, &edited, &target, "Новая цена", NULL));
    assert_string_equal(edited->caption, "Новая цена");
    assert_ok(e->c, tg_edit_message_media(e->c, &edited, &target, &upload, "С новым фото", NULL));
    assert_non_null(edited->photo_file_id);
    assert_ok(e->c, tg_edit_message_media(
                        e->c, &edited, &target,
                        &(struct tg_photo){.kind = TG_PHOTO_FILE_ID, .ref = file_id}, NULL, NULL));

    /* bytes that are no picture, and a file_id Telegram does not know */
    assert_kind(e->c,
                tg_send_photo(e->c, NULL, ANNA,
                              &(struct tg_photo){.kind = TG_PHOTO_BYTES, .data = "text", .len = 4},
                              NULL, NULL),
                TG_BAD_REQUEST);
    assert_kind(e->c,
                tg_send_photo(e->c, NULL, ANNA,
                              &(struct tg_photo){.kind = TG_PHOTO_FILE_ID, .ref = "nope"}, NULL,
                              NULL),
                TG_BAD_REQUEST);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_INVALID_FILE_ID);
    free(file_id);
}

/* Limits the client would refuse, sent raw: the sandbox answers like Telegram. */
static void test_limits_enforced_by_the_server(void **state)
{
    struct env *e = *state;
    struct buf text = BUF_INIT;
    for (int i = 0; i < TG_TEXT_MAX + 1; i++)
        buf_addc(&text, 'a');
    json_t *params = json_pack("{s:i, s:s}", "chat_id", ANNA, "text", text.data);
    assert_kind(e->c, tg_call(e->c, NULL, "sendMessage", params), TG_BAD_REQUEST);
    json_decref(params);
    params = json_pack("{s:i, s:s, s:{s:[[{s:s, s:s}]]}}", "chat_id", ANNA, "text", "x",
                       "reply_markup", "inline_keyboard", "text", "b", "callback_data",
                       "0123456789012345678901234567890123456789012345678901234567890123456789");
    assert_kind(e->c, tg_call(e->c, NULL, "sendMessage", params), TG_BAD_REQUEST);
    assert_non_null(strstr(tg_client_result(e->c)->description, "BUTTON_DATA_INVALID"));
    json_decref(params);
    params = json_pack("{s:i, s:s}", "chat_id", ANNA, "text", "");
    assert_kind(e->c, tg_call(e->c, NULL, "sendMessage", params), TG_BAD_REQUEST);
    json_decref(params);

    /* the raw call's success path */
    json_t *result;
    params = json_pack("{s:i, s:s}", "chat_id", ANNA, "text", "raw");
    assert_ok(e->c, tg_call(e->c, &result, "sendMessage", params));
    assert_string_equal(json_string_value(json_object_get(result, "text")), "raw");
    json_decref(result);
    json_decref(params);
    buf_release(&text);
}

static void test_blocked_and_unreachable_users(void **state)
{
    struct env *e = *state;
    json_decref(user_api(e, "POST", NULL, "/sandbox/api/users/%d/block", ANNA));
    assert_kind(e->c, tg_send_message(e->c, NULL, ANNA, "Скидки!", NULL), TG_FORBIDDEN);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_BLOCKED);
    assert_int_equal(tg_client_result(e->c)->error_code, 403);
    json_decref(user_api(e, "POST", NULL, "/sandbox/api/users/%d/unblock", ANNA));
    assert_ok(e->c, tg_send_message(e->c, NULL, ANNA, "С возвращением", NULL));

    json_decref(user_api(e, "POST",
                         json_pack("{s:i, s:s}", "id", 1003, "first_name", "Never started"),
                         "/sandbox/api/users"));
    assert_kind(e->c, tg_send_message(e->c, NULL, 1003, "hi", NULL), TG_FORBIDDEN);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_CANT_INITIATE);

    json_decref(user_api(e, "POST",
                         json_pack("{s:i, s:s, s:b, s:b}", "id", 1004, "first_name", "Gone",
                                   "started", 1, "deactivated", 1),
                         "/sandbox/api/users"));
    assert_kind(e->c, tg_send_message(e->c, NULL, 1004, "hi", NULL), TG_FORBIDDEN);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_DEACTIVATED);
}

static void test_flood_control(void **state)
{
    struct env *e = *state;
    sandbox_set_rate_limits(e->sb, 0, 1);
    assert_ok(e->c, tg_send_message(e->c, NULL, ANNA, "one", NULL));
    int rc = tg_send_message(e->c, NULL, ANNA, "two", NULL);
    assert_kind(e->c, rc, TG_FLOOD);
    assert_int_equal(rc, ERR_FLOOD);
    assert_true(tg_client_result(e->c)->retry_after >= 1);
    /* the limit is per chat: another chat is served */
    assert_ok(e->c, tg_send_message(e->c, NULL, BORIS, "one", NULL));
}

/* The sandbox's counter of one method: "calls" or "rate_limited". */
static json_int_t method_stat(struct env *e, const char *method, const char *what)
{
    json_t *stats = user_api(e, "GET", NULL, "/sandbox/api/stats");
    json_int_t n = json_integer_value(
        json_object_get(json_object_get(json_object_get(stats, "methods"), method), what));
    json_decref(stats);
    return n;
}

static struct tg_client *flood_client(struct env *e, struct tg_flood *f)
{
    struct tg_client *c;
    struct buf err = BUF_INIT;
    if (tg_client_new(
            &c,
            &(struct tg_client_options){
                .api_url = sandbox_url(e->sb), .token = TOKEN, .timeout_ms = 5000, .flood = f},
            &err))
        fail_msg("tg_client_new: %s", err.data);
    buf_release(&err);
    return c;
}

static void test_shared_flood_state_honours_retry_after(void **state)
{
    struct env *e = *state;
    /* a pacer looser than the sandbox's 1 message/s per chat: the second send gets a 429 */
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.chat_rate = 100});
    struct tg_client *a = flood_client(e, f), *b = flood_client(e, f);
    sandbox_set_rate_limits(e->sb, 0, 1);
    assert_ok(a, tg_send_message(a, NULL, ANNA, "one", NULL));
    int64_t started = clock_mono_ms();
    /* the 429 is reported, waited out and the message sent once more: it arrives */
    assert_ok(a, tg_send_message(a, NULL, ANNA, "two", NULL));
    assert_true(clock_mono_ms() - started >= 900);
    assert_int_equal(method_stat(e, "sendMessage", "rate_limited"), 1);
    /* a hold seen by one client holds the other: b waits instead of meeting a 429 */
    tg_flood_report(f, ANNA, 1, clock_mono_us());
    assert_ok(b, tg_send_message(b, NULL, ANNA, "three", NULL));
    assert_int_equal(method_stat(e, "sendMessage", "rate_limited"), 1);
    /* other chats are not held */
    started = clock_mono_ms();
    tg_flood_report(f, ANNA, 30, clock_mono_us());
    assert_ok(b, tg_send_message(b, NULL, BORIS, "hi", NULL));
    assert_true(clock_mono_ms() - started < 900);
    /* where waiting makes no sense: a call that cannot go before its deadline fails at once
     * with the flood result, and nothing is sent */
    json_int_t calls = method_stat(e, "sendMessage", "calls");
    tg_client_set_deadline(b, clock_mono_us() + 100000);
    int rc = tg_send_message(b, NULL, ANNA, "late", NULL);
    assert_kind(b, rc, TG_FLOOD);
    assert_true(tg_client_result(b)->retry_after >= 29);
    assert_int_equal(method_stat(e, "sendMessage", "calls"), calls);
    assert_true(clock_mono_ms() - started < 5000);
    tg_client_free(a);
    tg_client_free(b);
    tg_flood_free(f);
}

static void test_pacer_stays_within_the_chat_limit(void **state)
{
    struct env *e = *state;
    /* the sandbox allows 3 at once and 1 a second per chat, like the pacer: 6 sends, no 429 */
    struct tg_flood *f = tg_flood_new(NULL);
    struct tg_client *c = flood_client(e, f);
    json_decref(user_api(e, "POST",
                         json_pack("{s:i, s:i}", "per_chat_rate", 1, "per_chat_burst", 3),
                         "/sandbox/api/limits"));
    int64_t started = clock_mono_ms();
    for (int i = 0; i < 5; i++)
        assert_ok(c, tg_send_message(c, NULL, BORIS, "burst", NULL));
    /* the 4th and 5th waited a second each (and a new state starts as if the chat had just had
     * its burst) */
    assert_true(clock_mono_ms() - started >= 1900);
    assert_int_equal(method_stat(e, "sendMessage", "rate_limited"), 0);
    struct tg_flood_stats st;
    tg_flood_get_stats(f, &st);
    assert_true(st.paced >= 2);
    tg_client_free(c);
    tg_flood_free(f);
}

static void test_server_errors_and_timeouts(void **state)
{
    struct env *e = *state;
    sandbox_set_faults(e->sb, &(struct sandbox_fault){.status = 502}, 1, NULL);
    assert_kind(e->c, tg_send_message(e->c, NULL, ANNA, "x", NULL), TG_SERVER);
    assert_int_equal(tg_client_result(e->c)->error_code, 502);
    assert_int_equal(tg_result_code(tg_client_result(e->c)), ERR_NETWORK);

    sandbox_set_faults(e->sb, &(struct sandbox_fault){.delay_ms = 2000}, 1, NULL);
    struct tg_client *impatient = new_client(e, TOKEN, 300);
    int64_t started = clock_mono_ms();
    assert_kind(impatient, tg_get_me(impatient, NULL), TG_TIMEOUT);
    assert_true(clock_mono_ms() - started < 1500);
    sandbox_set_faults(e->sb, NULL, 0, NULL);
    /* the same client works again once the server is fast */
    assert_ok(impatient, tg_get_me(impatient, NULL));
    /* a long poll may outlast the client's timeout: its wait is added to it */
    struct tg_updates batch;
    drain_updates(e);
    started = clock_mono_ms();
    assert_ok(impatient,
              tg_get_updates(impatient, &batch,
                             &(struct tg_get_updates){.offset = e->offset, .timeout_s = 1}));
    assert_true(clock_mono_ms() - started >= 900);
    assert_int_equal(json_array_size(batch.items), 0);
    tg_updates_release(&batch);
    tg_client_free(impatient);
}

static void test_network_errors(void **state)
{
    struct env *e = *state;
    assert_ok(e->c, tg_get_me(e->c, NULL));
    sandbox_stop(e->sb);
    e->sb = NULL;
    assert_kind(e->c, tg_get_me(e->c, NULL), TG_NETWORK);
}

struct delayed_text {
    struct env *e;
    int64_t delay_ms;
};

static void *send_text_later(void *arg)
{
    struct delayed_text *d = arg;
    clock_sleep_ms(d->delay_ms);
    json_decref(user_api(d->e, "POST", json_pack("{s:s}", "text", "/start promo"),
                         "/sandbox/api/users/%d/messages", ANNA));
    return NULL;
}

static void test_long_polling_wakes_up_for_a_message(void **state)
{
    struct env *e = *state;
    struct tg_updates batch;
    drain_updates(e);
    assert_ok(e->c, tg_get_updates(e->c, &batch, &(struct tg_get_updates){.offset = e->offset}));
    assert_int_equal(json_array_size(batch.items), 0);
    assert_int_equal(batch.next_offset, e->offset);
    tg_updates_release(&batch);

    pthread_t thread;
    struct delayed_text later = {e, 300};
    assert_int_equal(pthread_create(&thread, NULL, send_text_later, &later), 0);
    int64_t started = clock_mono_ms();
    assert_ok(e->c, tg_get_updates(e->c, &batch,
                                   &(struct tg_get_updates){.offset = e->offset, .timeout_s = 20}));
    int64_t waited = clock_mono_ms() - started;
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_true(waited >= 250 && waited < 10000); /* it waited, and woke up for the message */
    assert_int_equal(json_array_size(batch.items), 1);

    struct tg_update u;
    assert_int_equal(tg_update_from_json(&u, &e->arena, json_array_get(batch.items, 0), &e->err),
                     0);
    assert_int_equal(u.type, TG_UPDATE_MESSAGE);
    assert_string_equal(u.message->command, "/start");
    assert_string_equal(u.message->command_args, "promo");
    assert_int_equal(u.message->from->id, ANNA);
    assert_int_equal(batch.next_offset, u.update_id + 1);
    e->offset = batch.next_offset;
    tg_updates_release(&batch);

    /* confirmed: not delivered again */
    assert_ok(e->c, tg_get_updates(e->c, &batch, &(struct tg_get_updates){.offset = e->offset}));
    assert_int_equal(json_array_size(batch.items), 0);
    tg_updates_release(&batch);
}

struct poll {
    struct tg_client *c;
    int64_t offset;
    int rc;
    atomic_bool done;
};

static void *long_poll(void *arg)
{
    struct poll *p = arg;
    struct tg_updates batch;
    p->rc = tg_get_updates(p->c, &batch,
                           &(struct tg_get_updates){.offset = p->offset, .timeout_s = 20});
    if (!p->rc)
        tg_updates_release(&batch);
    atomic_store(&p->done, true);
    return NULL;
}

static void test_a_second_poller_conflicts(void **state)
{
    struct env *e = *state;
    struct tg_updates batch;
    drain_updates(e);

    struct poll first = {.c = new_client(e, TOKEN, 5000), .offset = e->offset};
    pthread_t thread;
    atomic_init(&first.done, false);
    assert_int_equal(pthread_create(&thread, NULL, long_poll, &first), 0);
    /* poll as a second bot process would, until the first poller is told it was replaced */
    int64_t deadline = clock_mono_ms() + 10000;
    while (!atomic_load(&first.done) && clock_mono_ms() < deadline) {
        /* whichever of the two polls started last wins; here that may be the first */
        int rc = tg_get_updates(e->c, &batch,
                                &(struct tg_get_updates){.offset = e->offset, .timeout_s = 1});
        if (rc)
            assert_kind(e->c, rc, TG_CONFLICT);
        else
            tg_updates_release(&batch);
    }
    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_kind(first.c, first.rc, TG_CONFLICT);
    assert_int_equal(tg_client_result(first.c)->reason, TG_REASON_OTHER_POLLER);
    tg_client_free(first.c);
}

static void test_callback_query_and_answer(void **state)
{
    struct env *e = *state;
    const struct tg_message *sent;
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "В корзину", "cart:add:7");
    assert_ok(e->c, tg_send_message(e->c, &sent, ANNA, "Чай",
                                    &(struct tg_send_options){.reply_markup = kb}));
    int64_t message_id = sent->message_id;
    tg_keyboard_free(kb);
    json_t *pressed = user_api(e, "POST",
                               json_pack("{s:I, s:s}", "message_id", (json_int_t)message_id,
                                         "callback_data", "cart:add:7"),
                               "/sandbox/api/users/%d/callback", ANNA);
    json_decref(pressed);

    const struct tg_update *u = expect_update(e, TG_UPDATE_CALLBACK_QUERY);
    const struct tg_callback_query *q = u->callback_query;
    assert_string_equal(q->data, "cart:add:7");
    assert_int_equal(q->from.id, ANNA);
    assert_int_equal(q->message->message_id, message_id);
    assert_int_equal(q->message->chat.id, ANNA);
    assert_ok(e->c, tg_answer_callback_query(
                        e->c, q->id,
                        &(struct tg_callback_answer){.text = "Добавлено", .show_alert = true}));
    json_t *query = user_api(e, "GET", NULL, "/sandbox/api/queries/%s", q->id);
    json_t *answer = json_object_get(query, "answer");
    assert_string_equal(json_string_value(json_object_get(answer, "text")), "Добавлено");
    assert_true(json_is_true(json_object_get(answer, "show_alert")));
    json_decref(query);
    /* a query answers once */
    assert_kind(e->c, tg_answer_callback_query(e->c, q->id, NULL), TG_BAD_REQUEST);
}

static void test_inline_query_and_answer(void **state)
{
    struct env *e = *state;
    json_decref(user_api(e, "POST", json_pack("{s:s}", "query", "доставка"),
                         "/sandbox/api/users/%d/inline_query", BORIS));
    const struct tg_update *u = expect_update(e, TG_UPDATE_INLINE_QUERY);
    assert_string_equal(u->inline_query->query, "доставка");
    assert_int_equal(u->inline_query->from.id, BORIS);
    struct tg_inline_result results[] = {
        {.type = TG_INLINE_ARTICLE,
         .id = "faq:1",
         .title = "Доставка",
         .description = "Сроки и цены",
         .message_text = "<b>Доставка</b>: 1-3 дня",
         .parse_mode = TG_PARSE_HTML},
        {.type = TG_INLINE_ARTICLE, .id = "faq:2", .title = "Оплата", .message_text = "Stars"},
    };
    assert_ok(e->c, tg_answer_inline_query(
                        e->c, u->inline_query->id, results, 2,
                        &(struct tg_inline_answer){.next_offset = "2", .is_personal = true}));
    json_t *query = user_api(e, "GET", NULL, "/sandbox/api/queries/%s", u->inline_query->id);
    json_t *shown = json_object_get(json_object_get(query, "answer"), "results");
    assert_int_equal(json_array_size(shown), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(shown, 0), "title")),
                        "Доставка");
    json_decref(query);
}

static void test_invoice_pre_checkout_and_payment(void **state)
{
    struct env *e = *state;
    const struct tg_message *sent;
    struct tg_price price = {"Заказ №7", 150};
    struct tg_invoice invoice = {.title = "Заказ №7",
                                 .description = "Чай ×2",
                                 .payload = "order:7",
                                 .currency = "XTR",
                                 .prices = &price,
                                 .price_count = 1};
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_pay(kb, "Оплатить 150 ⭐");
    assert_ok(e->c, tg_send_invoice(e->c, &sent, ANNA, &invoice,
                                    &(struct tg_send_options){.reply_markup = kb}));
    tg_keyboard_free(kb);
    int64_t message_id = sent->message_id;

    json_decref(user_api(e, "POST", json_pack("{s:I}", "message_id", (json_int_t)message_id),
                         "/sandbox/api/users/%d/pay", ANNA));
    const struct tg_update *u = expect_update(e, TG_UPDATE_PRE_CHECKOUT_QUERY);
    assert_string_equal(u->pre_checkout_query->invoice_payload, "order:7");
    assert_string_equal(u->pre_checkout_query->currency, "XTR");
    assert_int_equal(u->pre_checkout_query->total_amount, 150);
    assert_ok(e->c, tg_answer_pre_checkout_query(e->c, u->pre_checkout_query->id, true, NULL));

    u = expect_update(e, TG_UPDATE_MESSAGE);
    const struct tg_successful_payment *paid = u->message->successful_payment;
    assert_non_null(paid);
    assert_string_equal(paid->invoice_payload, "order:7");
    assert_int_equal(paid->total_amount, 150);
    assert_non_null(paid->telegram_payment_charge_id);

    /* a refusal reaches the user with the bot's message */
    json_decref(user_api(e, "POST", json_pack("{s:I}", "message_id", (json_int_t)message_id),
                         "/sandbox/api/users/%d/pay", ANNA));
    u = expect_update(e, TG_UPDATE_PRE_CHECKOUT_QUERY);
    assert_ok(e->c, tg_answer_pre_checkout_query(e->c, u->pre_checkout_query->id, false,
                                                 "Товар закончился"));
}

static void test_chat_members(void **state)
{
    struct env *e = *state;
    json_decref(user_api(e, "POST",
                         json_pack("{s:s, s:s}", "title", "Shop news", "username", "@shop_news"),
                         "/sandbox/api/channels"));
    json_decref(user_api(e, "POST", json_pack("{s:i, s:s}", "user_id", ANNA, "status", "member"),
                         "/sandbox/api/channels/@shop_news/members"));
    const struct tg_chat_member *m;
    assert_ok(e->c, tg_get_chat_member(e->c, &m, "@shop_news", ANNA));
    assert_int_equal(m->status, TG_MEMBER_MEMBER);
    assert_int_equal(m->user.id, ANNA);
    assert_true(tg_chat_member_is_present(m));
    int rc = tg_get_chat_member(e->c, &m, "@shop_news", BORIS);
    if (rc == 0)
        assert_false(tg_chat_member_is_present(m));
    else
        assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_MEMBER_NOT_FOUND);
    assert_kind(e->c, tg_get_chat_member(e->c, &m, "@no_such_channel", ANNA), TG_BAD_REQUEST);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_CHAT_NOT_FOUND);
}

static void test_webhook_commands_and_chat_action(void **state)
{
    struct env *e = *state;
    const struct tg_webhook_info *info;
    assert_ok(e->c, tg_get_webhook_info(e->c, &info));
    assert_string_equal(info->url, "");

    const char *const allowed[] = {"message", "callback_query", NULL};
    assert_ok(e->c, tg_set_webhook(e->c, &(struct tg_webhook){.url = "http://127.0.0.1:9/hook",
                                                              .secret_token = "s3cret_-",
                                                              .max_connections = 10,
                                                              .allowed_updates = allowed}));
    assert_ok(e->c, tg_get_webhook_info(e->c, &info));
    assert_string_equal(info->url, "http://127.0.0.1:9/hook");
    assert_int_equal(info->max_connections, 10);
    struct tg_updates batch;
    assert_kind(e->c, tg_get_updates(e->c, &batch, &(struct tg_get_updates){0}), TG_CONFLICT);
    assert_int_equal(tg_client_result(e->c)->reason, TG_REASON_WEBHOOK_ACTIVE);
    assert_null(batch.items);
    /* nobody listens there: the update stays pending until the webhook goes with it */
    json_decref(user_api(e, "POST", json_pack("{s:s}", "text", "hello?"),
                         "/sandbox/api/users/%d/messages", ANNA));
    assert_ok(e->c, tg_get_webhook_info(e->c, &info));
    assert_int_equal(info->pending_update_count, 1);
    assert_ok(e->c, tg_delete_webhook(e->c, true));
    assert_ok(e->c, tg_get_webhook_info(e->c, &info));
    assert_string_equal(info->url, "");
    assert_int_equal(info->pending_update_count, 0);

    const struct tg_command commands[] = {{"start", "Главное меню"}, {"cart", "Корзина"}};
    assert_ok(e->c, tg_set_my_commands(e->c, commands, 2, NULL));
    assert_ok(e->c, tg_set_my_commands(e->c, commands, 1, "en"));
    assert_ok(e->c, tg_send_chat_action(e->c, ANNA, TG_ACTION_TYPING));
    assert_ok(e->c, tg_send_chat_action(e->c, ANNA, TG_ACTION_UPLOAD_PHOTO));
    /* a raw call with an action Telegram does not know */
    json_t *params = json_pack("{s:i, s:s}", "chat_id", ANNA, "action", "dancing");
    assert_kind(e->c, tg_call(e->c, NULL, "sendChatAction", params), TG_BAD_REQUEST);
    json_decref(params);
}

/* The bot's side of a webhook: keeps the first delivery (body and secret header). */
struct hook {
    pthread_mutex_t lock;
    struct buf body;
    char secret[64];
    bool delivered;
};

static enum MHD_Result on_delivery(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_size, void **con_cls)
{
    struct hook *hook = cls;
    (void)url, (void)method, (void)version;
    if (!*con_cls) {
        *con_cls = hook; /* headers first: the body follows in later calls */
        return MHD_YES;
    }
    bool chunk = *upload_size != 0;
    pthread_mutex_lock(&hook->lock);
    if (chunk && !hook->delivered) {
        buf_add(&hook->body, upload_data, *upload_size);
    } else if (!chunk && !hook->delivered) {
        const char *secret =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Telegram-Bot-Api-Secret-Token");
        snprintf(hook->secret, sizeof hook->secret, "%s", secret ? secret : "");
        hook->delivered = true;
    }
    pthread_mutex_unlock(&hook->lock);
    *upload_size = 0;
    if (chunk)
        return MHD_YES;
    struct MHD_Response *res = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, res);
    MHD_destroy_response(res);
    return rc;
}

static void test_webhook_delivery_parses(void **state)
{
    struct env *e = *state;
    struct hook hook = {.lock = PTHREAD_MUTEX_INITIALIZER, .body = BUF_INIT};
    struct MHD_Daemon *server =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                         on_delivery, &hook, MHD_OPTION_END);
    assert_non_null(server);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/telegram/webhook",
             (unsigned)MHD_get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT)->port);
    drain_updates(e);
    assert_ok(e->c, tg_set_webhook(
                        e->c, &(struct tg_webhook){.url = url, .secret_token = "hook-secret_1"}));
    json_decref(user_api(e, "POST", json_pack("{s:s}", "text", "привет"),
                         "/sandbox/api/users/%d/messages", BORIS));

    int64_t deadline = clock_mono_ms() + 5000;
    bool delivered = false;
    while (!delivered && clock_mono_ms() < deadline) {
        pthread_mutex_lock(&hook.lock);
        delivered = hook.delivered;
        pthread_mutex_unlock(&hook.lock);
        if (!delivered)
            clock_sleep_ms(20);
    }
    MHD_stop_daemon(server);
    assert_true(delivered);
    assert_string_equal(hook.secret, "hook-secret_1");
    struct tg_update u;
    if (tg_update_parse(&u, &e->arena, hook.body.data, hook.body.len, &e->err))
        fail_msg("webhook body: %s", e->err.data);
    assert_int_equal(u.type, TG_UPDATE_MESSAGE);
    assert_string_equal(u.message->text, "привет");
    assert_int_equal(u.message->from->id, BORIS);
    assert_ok(e->c, tg_delete_webhook(e->c, false));
    buf_release(&hook.body);
}

static void test_reply_keyboards_and_contacts(void **state)
{
    struct env *e = *state;
    struct tg_keyboard *kb = tg_keyboard_reply(true, true);
    tg_keyboard_contact(kb, "📱 Отправить номер");
    tg_keyboard_row(kb);
    tg_keyboard_text(kb, "Отмена");
    assert_ok(e->c, tg_send_message(e->c, NULL, ANNA, "Ваш телефон?",
                                    &(struct tg_send_options){.reply_markup = kb}));
    tg_keyboard_free(kb);
    json_t *chat = user_api(e, "GET", NULL, "/sandbox/api/chats/%d", ANNA);
    assert_non_null(json_object_get(chat, "reply_keyboard"));
    json_decref(chat);

    json_decref(user_api(e, "POST", json_pack("{s:s}", "phone_number", "+79990001122"),
                         "/sandbox/api/users/%d/contact", ANNA));
    const struct tg_update *u = expect_update(e, TG_UPDATE_MESSAGE);
    assert_string_equal(u->message->contact->phone_number, "+79990001122");
    assert_int_equal(u->message->contact->user_id, ANNA);

    kb = tg_keyboard_remove();
    assert_ok(e->c, tg_send_message(e->c, NULL, ANNA, "Спасибо",
                                    &(struct tg_send_options){.reply_markup = kb}));
    tg_keyboard_free(kb);
    chat = user_api(e, "GET", NULL, "/sandbox/api/chats/%d", ANNA);
    assert_null(json_object_get(chat, "reply_keyboard"));
    json_decref(chat);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_get_me_and_wrong_token),
        T(test_send_edit_and_delete_a_message),
        T(test_photos_by_upload_file_id_and_url),
        T(test_limits_enforced_by_the_server),
        T(test_blocked_and_unreachable_users),
        T(test_flood_control),
        T(test_shared_flood_state_honours_retry_after),
        T(test_pacer_stays_within_the_chat_limit),
        T(test_server_errors_and_timeouts),
        T(test_network_errors),
        T(test_long_polling_wakes_up_for_a_message),
        T(test_a_second_poller_conflicts),
        T(test_callback_query_and_answer),
        T(test_inline_query_and_answer),
        T(test_invoice_pre_checkout_and_payment),
        T(test_chat_members),
        T(test_webhook_commands_and_chat_action),
        T(test_webhook_delivery_parses),
        T(test_reply_keyboards_and_contacts),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
