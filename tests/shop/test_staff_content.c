/* The staff side of FAQ, channels and mailings
 * (src/shop/faq.h, channel.h, mailing.h, stats.h), on both backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "shop/catalog.h"
#include "shop/channel.h"
#include "shop/customer.h"
#include "shop/faq.h"
#include "shop/mailing.h"
#include "testdb.h"

static char *repeat(struct arena *a, const char *unit, size_t n)
{
    size_t len = strlen(unit);
    char *s = arena_alloc(a, len * n + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * len, unit, len);
    s[len * n] = '\0';
    return s;
}

static const char *faq_order(struct testdb_fixture *f)
{
    struct faq *list;
    int n;
    int64_t total;
    assert_int_equal(faq_admin_list(f->db, &f->a, 0, 100, &list, &n, &total), 0);
    struct buf out = BUF_INIT;
    for (int i = 0; i < n; i++)
        buf_addf(&out, "%s%s%s", i ? " " : "", list[i].question, list[i].is_active ? "" : "-");
    char *s = arena_strdup(&f->a, out.data);
    buf_release(&out);
    return s;
}

static void faq_crud_with_positions(void **state)
{
    struct testdb_fixture *f = *state;
    struct listing_problem why;
    int64_t a, b, c;
    assert_int_equal(faq_save(f->db, 0, "A?", "a", true, &a, &why), 0);
    assert_int_equal(faq_save(f->db, 0, "B?", "b", false, &b, &why), 0);
    assert_int_equal(faq_save(f->db, 0, "C?", "c", true, &c, &why), 0);
    assert_string_equal(faq_order(f), "A? B?- C?");
    /* customers see only active entries */
    struct faq *list;
    int n;
    int64_t total;
    assert_int_equal(faq_list(f->db, &f->a, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(faq_shift(f->db, c, -1), 0);
    assert_int_equal(faq_shift(f->db, c, -1), 0);
    assert_int_equal(faq_shift(f->db, c, -1), 0); /* already first */
    assert_string_equal(faq_order(f), "C? A? B?-");
    /* an edit keeps the place */
    assert_int_equal(faq_save(f->db, a, "A2?", "a2", false, NULL, &why), 0);
    assert_int_equal(faq_set_active(f->db, b, true), 0);
    assert_string_equal(faq_order(f), "C? A2?- B?");
    struct faq one;
    assert_int_equal(faq_admin_get(f->db, &f->a, a, &one), 0);
    assert_string_equal(one.answer, "a2");
    assert_int_equal(faq_get(f->db, &f->a, a, &one), ERR_NOTFOUND); /* inactive */
    /* validation */
    struct {
        int64_t id;
        const char *q, *a;
        int rc;
        const char *field, *message;
    } cases[] = {
        {0, "", "x", ERR_INVALID, "question", "Question is empty"},
        {0, "x", " ", ERR_INVALID, "answer", "Answer is empty"},
        {0, repeat(&f->a, "ё", 501), "x", ERR_INVALID, "question",
         "Question is 501 characters long, at most 500 are allowed"},
        {0, "x", repeat(&f->a, "a", 3501), ERR_INVALID, "answer",
         "Answer is 3501 characters long, at most 3500 are allowed"},
        {999999, "x", "y", ERR_NOTFOUND, "", "No such question"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&why, 0, sizeof why);
        assert_int_equal(faq_save(f->db, cases[i].id, cases[i].q, cases[i].a, true, NULL, &why),
                         cases[i].rc);
        assert_string_equal(why.field, cases[i].field);
        assert_string_equal(why.message, cases[i].message);
    }
    assert_int_equal(faq_delete(f->db, c), 0);
    assert_int_equal(faq_delete(f->db, c), ERR_NOTFOUND);
    assert_string_equal(faq_order(f), "A2?- B?");
}

static void channels_crud_and_validation(void **state)
{
    struct testdb_fixture *f = *state;
    struct listing_problem why;
    struct channel_input in = {0, "@tea_news", "Tea news", NULL, true};
    int64_t a, b;
    assert_int_equal(channel_save(f->db, &in, &a, &why), 0);
    in = (struct channel_input){0, "-1001234567890", "Private club", "https://t.me/+AbCdEf", false};
    assert_int_equal(channel_save(f->db, &in, &b, &why), 0);
    struct channel *list;
    int n;
    assert_int_equal(channel_list_all(f->db, &f->a, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_false(list[1].is_active);
    assert_int_equal(channel_list_active(f->db, &f->a, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(channel_shift(f->db, b, -1), 0);
    assert_int_equal(channel_list_all(f->db, &f->a, &list, &n), 0);
    assert_int_equal(list[0].id, b);
    struct {
        struct channel_input in;
        int rc;
        const char *field;
    } cases[] = {
        {{0, "tea_news", "T", NULL, true}, ERR_INVALID, "chat_ref"},
        {{0, "@abc", "T", NULL, true}, ERR_INVALID, "chat_ref"},     /* too short */
        {{0, "@1abcdef", "T", NULL, true}, ERR_INVALID, "chat_ref"}, /* starts with a digit */
        {{0, "@abc def", "T", NULL, true}, ERR_INVALID, "chat_ref"},
        {{0, "0", "T", NULL, true}, ERR_INVALID, "chat_ref"},
        {{0, "-100x", "T", NULL, true}, ERR_INVALID, "chat_ref"},
        {{0, "@other_one", "", NULL, true}, ERR_INVALID, "title"},
        {{0, "@other_one", "T", "http://evil.example/", true}, ERR_INVALID, "invite_link"},
        {{0, "-100999", "T", NULL, true}, ERR_INVALID, "invite_link"}, /* an id needs a link */
        {{0, "@tea_news", "Again", NULL, true}, ERR_CONFLICT, "chat_ref"},
        {{999999, "@other_one", "T", NULL, true}, ERR_NOTFOUND, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&why, 0, sizeof why);
        int rc = channel_save(f->db, &cases[i].in, NULL, &why);
        if (rc != cases[i].rc || strcmp(why.field, cases[i].field))
            fail_msg("case %zu: %d %s (%s)", i, rc, why.field, why.message);
    }
    /* at most CHANNEL_MAX active */
    for (int i = 1; i < CHANNEL_MAX; i++) {
        char ref[32];
        snprintf(ref, sizeof ref, "@channel_%d", i);
        in = (struct channel_input){0, ref, "T", NULL, true};
        assert_int_equal(channel_save(f->db, &in, NULL, &why), 0);
    }
    assert_int_equal(channel_set_active(f->db, b, true, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "At most 20 channels can be active at once");
    assert_int_equal(channel_set_active(f->db, a, false, &why), 0);
    assert_int_equal(channel_set_active(f->db, b, true, &why), 0);
    assert_int_equal(channel_delete(f->db, a), 0);
    assert_int_equal(channel_delete(f->db, a), ERR_NOTFOUND);
    struct channel c;
    assert_int_equal(channel_get(f->db, &f->a, b, &c), 0);
    assert_string_equal(c.invite_link, "https://t.me/+AbCdEf");
    assert_true(c.is_active);
}

static int64_t customer(struct testdb_fixture *f, int64_t tg_id, const char *lang)
{
    struct tg_profile p = {tg_id, NULL, "C", NULL, lang};
    struct customer c;
    assert_int_equal(customer_touch(f->db, &f->a, &p, &c), 0);
    return c.id;
}

static void order_for(struct testdb_fixture *f, int64_t customer_id, const char *status,
                      int64_t created, int64_t paid, int64_t total)
{
    static int charge;
    char id[32];
    snprintf(id, sizeof id, "charge-%d", ++charge);
    bool is_paid =
        strcmp(status, "new") && strcmp(status, "awaiting_payment") && strcmp(status, "cancelled");
    if (db_exec(f->db,
                "INSERT INTO orders (customer_id, status, total, currency, created_at, paid_at, "
                "telegram_payment_charge_id) VALUES (?, ?, ?, 'XTR', ?, ?, ?)",
                DB_INT(customer_id), DB_TEXT(status), DB_INT(total), DB_INT(created),
                DB_INT_OR_NULL(paid, paid != 0), DB_TEXT(is_paid || paid ? id : NULL)))
        fail_msg("order: %s", db_errmsg(f->db));
}

static void mailing_drafts_validation_and_states(void **state)
{
    struct testdb_fixture *f = *state;
    struct listing_problem why;
    struct mailing_input in = {.text = "<b>Sale!</b> 20% off", .audience = MAILING_TO_ALL};
    int64_t id;
    assert_int_equal(mailing_save(f->db, &in, &id, &why), 0);
    struct mailing m;
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.status, MAILING_DRAFT);
    assert_string_equal(m.text, "<b>Sale!</b> 20% off");
    assert_null(m.button_text);

    struct {
        struct mailing_input in;
        const char *field, *message;
    } cases[] = {
        {{.text = ""}, "text", "The text is empty"},
        {{.text = "<b>x"},
         "text",
         "The text: can't parse entities: Can't find end tag corresponding to start tag \"b\""},
        {{.text = "<div>x</div>"},
         "text",
         "The text: can't parse entities: Unsupported start tag \"div\" at byte offset 0"},
        {{.text = repeat(&f->a, "<i>я</i>", 4097)},
         "text",
         "The text is 4097 characters long, the limit is 4096"},
        {{.text = repeat(&f->a, "x", 1025), .photo_path = "/m/p.jpg"},
         "text",
         "The text (a photo caption) is 1025 characters long, the limit is 1024"},
        {{.text = "x", .photo_path = "../x.jpg"}, "photo", "The file name is not usable"},
        {{.text = "x", .button_text = "Shop"},
         "button_url",
         "Give both the button's text and its address, or neither"},
        {{.text = "x", .button_url = "https://t.me/shop"},
         "button_text",
         "Give both the button's text and its address, or neither"},
        {{.text = "x", .button_text = "Shop", .button_url = "javascript:alert(1)"},
         "button_url",
         "The button's address must be an http://, https:// or tg:// link"},
        {{.text = "x", .button_text = "Shop", .button_url = "https://a b"},
         "button_url",
         "The button's address must be an http://, https:// or tg:// link"},
        {{.text = "x", .button_text = repeat(&f->a, "b", 65), .button_url = "https://x.y"},
         "button_text",
         "The button's text is 65 characters long, at most 64 are allowed"},
        {{.text = "x", .audience = (enum mailing_audience)7},
         "audience",
         "Choose who receives the mailing"},
        {{.text = "x", .language = "EN"}, "language", "A language is a code like \"ru\" or \"en\""},
        {{.text = "x", .audience = MAILING_TO_BUYERS, .ordered_from = 200, .ordered_to = 100},
         "ordered_to",
         "The order dates must run forward"},
        {{.text = "x", .ordered_from = 100}, "audience", "Order dates choose among buyers only"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&why, 0, sizeof why);
        assert_int_equal(mailing_save(f->db, &cases[i].in, NULL, &why), ERR_INVALID);
        if (strcmp(why.field, cases[i].field) || strcmp(why.message, cases[i].message))
            fail_msg("case %zu: %s: %s", i, why.field, why.message);
    }
    /* an edit with a photo and a button */
    in = (struct mailing_input){.id = id,
                                .text = "New &amp; <i>better</i>",
                                .photo_path = "/m/sale.jpg",
                                .button_text = "Open the shop",
                                .button_url = "https://t.me/shop_bot?start=sale",
                                .audience = MAILING_TO_BUYERS,
                                .language = "ru",
                                .ordered_from = 1000,
                                .ordered_to = 5000};
    assert_int_equal(mailing_save(f->db, &in, NULL, &why), 0);
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.audience, MAILING_TO_BUYERS);
    assert_string_equal(m.language, "ru");
    assert_int_equal(m.ordered_to, 5000);
    assert_string_equal(m.button_url, "https://t.me/shop_bot?start=sale");

    /* states */
    int64_t now = clock_now();
    assert_int_equal(mailing_schedule(f->db, id, now - 3600, now, &why), ERR_INVALID);
    assert_string_equal(why.field, "scheduled_at");
    assert_int_equal(mailing_schedule(f->db, id, now + 400 * 86400, now, &why), ERR_INVALID);
    assert_int_equal(mailing_schedule(f->db, id, now + 3600, now, &why), 0);
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.status, MAILING_SCHEDULED);
    assert_int_equal(m.scheduled_at, now + 3600);
    assert_int_equal(mailing_save(f->db, &in, NULL, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "Only a draft can be edited");
    assert_int_equal(mailing_schedule(f->db, id, 0, now, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "A scheduled mailing cannot become scheduled");
    assert_int_equal(mailing_delete(f->db, id, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "Cancel the mailing before deleting it");
    assert_int_equal(mailing_unschedule(f->db, id, &why), 0);
    assert_int_equal(mailing_unschedule(f->db, id, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "A draft mailing cannot become draft");
    assert_int_equal(mailing_save(f->db, &in, NULL, &why), 0);
    assert_int_equal(mailing_schedule(f->db, id, 0, now, &why), 0); /* now */
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.scheduled_at, now);
    assert_int_equal(mailing_cancel(f->db, id, now, &why), 0);
    assert_int_equal(mailing_cancel(f->db, id, now, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "A cancelled mailing cannot become cancelled");
    assert_int_equal(mailing_cancel(f->db, 999999, now, &why), ERR_NOTFOUND);
    assert_int_equal(mailing_schedule(f->db, 999999, 0, now, &why), ERR_NOTFOUND);
    assert_false(mailing_transition_allowed(MAILING_DONE, MAILING_CANCELLED));
    assert_true(mailing_transition_allowed(MAILING_SENDING, MAILING_DONE));
    assert_false(mailing_transition_allowed(MAILING_SENDING, MAILING_DRAFT));
    struct mailing *list;
    int n;
    int64_t total;
    assert_int_equal(mailing_list(f->db, &f->a, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(list[0].status, MAILING_CANCELLED);
    assert_int_equal(mailing_delete(f->db, id, &why), 0);
    assert_int_equal(mailing_delete(f->db, id, &why), ERR_NOTFOUND);
}

static void mailing_audiences(void **state)
{
    struct testdb_fixture *f = *state;
    int64_t ru1 = customer(f, 1, "ru"), ru2 = customer(f, 2, "ru"), en1 = customer(f, 3, "en");
    int64_t blocked = customer(f, 4, "ru"), banned = customer(f, 5, "ru");
    customer(f, 6, NULL);
    assert_int_equal(customer_set_blocked(f->db, 4, true), 0);
    assert_int_equal(customer_set_banned(f->db, banned, true), 0);
    order_for(f, ru1, "paid", 1500, 1600, 100);
    order_for(f, en1, "delivered", 3000, 3100, 100);
    order_for(f, ru2, "cancelled", 1500, 0, 100);
    order_for(f, blocked, "paid", 1500, 1600, 100);
    struct {
        struct mailing_input in;
        int64_t reach;
    } cases[] = {
        {{.audience = MAILING_TO_ALL}, 4},
        {{.audience = MAILING_TO_ALL, .language = "ru"}, 2},
        {{.audience = MAILING_TO_BUYERS}, 2},
        {{.audience = MAILING_TO_BUYERS, .ordered_from = 1000, .ordered_to = 2000}, 1},
        {{.audience = MAILING_TO_BUYERS, .ordered_from = 2000}, 1},
        {{.audience = MAILING_TO_BUYERS, .language = "en", .ordered_to = 2000}, 0},
        {{.audience = MAILING_TO_NON_BUYERS}, 2},
    };
    struct listing_problem why;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        cases[i].in.text = "hi";
        int64_t id, reach = -1;
        assert_int_equal(mailing_save(f->db, &cases[i].in, &id, &why), 0);
        assert_int_equal(mailing_audience_count(f->db, id, &reach), 0);
        if (reach != cases[i].reach)
            fail_msg("case %zu: reach %lld, expected %lld", i, (long long)reach,
                     (long long)cases[i].reach);
    }
    /* the sender walks the audience in batches, each recipient once */
    struct mailing_input all = {.text = "hi", .audience = MAILING_TO_ALL};
    int64_t id;
    assert_int_equal(mailing_save(f->db, &all, &id, &why), 0);
    assert_int_equal(mailing_schedule(f->db, id, 0, clock_now(), &why), 0);
    struct mailing m;
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.total, 4);
    int64_t after = 0, last, added, sum = 0;
    int batches = 0;
    do {
        assert_int_equal(mailing_add_recipients(f->db, id, after, 3, &last, &added), 0);
        sum += added;
        after = last;
        batches++;
    } while (last);
    assert_int_equal(sum, 4);
    assert_int_equal(batches, 3);
    assert_int_equal(mailing_add_recipients(f->db, id, 0, 100, &last, &added), 0);
    assert_int_equal(added, 0); /* already there */
    assert_int_equal(mailing_add_recipients(f->db, id, 0, 0, &last, &added), ERR_INVALID);
}

int main(int argc, char **argv)
{
    testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(faq_crud_with_positions, testdb_fixture_setup,
                                        testdb_fixture_teardown),
        cmocka_unit_test_setup_teardown(channels_crud_and_validation, testdb_fixture_setup,
                                        testdb_fixture_teardown),
        cmocka_unit_test_setup_teardown(mailing_drafts_validation_and_states, testdb_fixture_setup,
                                        testdb_fixture_teardown),
        cmocka_unit_test_setup_teardown(mailing_audiences, testdb_fixture_setup,
                                        testdb_fixture_teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
