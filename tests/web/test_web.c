/* The admin panel over real sockets (libcurl as the browser), on SQLite and PostgreSQL:
 * sign-in, sessions, CSRF, throttling, superuser pages, escaping, caps, static files,
 * staff accounts, the dashboard, the audit log and the webhook endpoint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/clock.h"
#include "core/err.h"
#include "db/migrate.h"
#include "http_client.h"
#include "shop/admin_user.h"
#include "testdb.h"
#include "web/routes.h"
#include "web/web.h"

static const char *backend;
static struct db *db;
static struct web *web;
static struct test_client browser;
static struct test_response resp;
static int64_t boss_id, clerk_id;
static int updates_seen;
static struct buf last_update;

static const char BOSS_PASSWORD[] = "Correct-horse-7";
static const char CLERK_PASSWORD[] = "Battery-staple-8";
static const char WEBHOOK_SECRET[] = "hook-secret-0123456789";

static int on_update(void *ctx, const char *json, size_t len)
{
    (void)ctx;
    if (len == 0 || json[0] != '{')
        return ERR_INVALID;
    updates_seen++;
    buf_reset(&last_update);
    buf_add(&last_update, json, len);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    const char *url = testdb_new_url(backend);
    char *db_url = strdup(url);
    struct buf err = BUF_INIT;
    if (db_open(&db, db_url, &err) || migrate_apply(db, NULL, &err))
        fail_msg("database: %s", err.data);
    assert_int_equal(admin_user_create(db, "boss", BOSS_PASSWORD, true, &boss_id, &err), 0);
    assert_int_equal(admin_user_create(db, "clerk", CLERK_PASSWORD, false, &clerk_id, &err), 0);
    assert_int_equal(admin_user_create(db, "victim", "Quiet-River-91", false, NULL, &err), 0);
    struct web_options opt = {
        .database_url = db_url,
        .listen_port = 0,
        .currency = "RUB",
        .sandbox_url = "http://127.0.0.1:9/",
        .webhook_secret = WEBHOOK_SECRET,
        .on_update = on_update,
        .db_connections = 4,
        .throttle = {.per_user = 3, .per_ip = 12, .window_s = 600},
    };
    if (web_start(&web, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    test_client_init(&browser, web_url(web));
    *state = db_url;
    return 0;
}

static int teardown(void **state)
{
    test_response_release(&resp);
    test_client_release(&browser);
    web_stop(web);
    db_close(db);
    buf_release(&last_update);
    free(*state);
    testdb_cleanup();
    return 0;
}

static long sign_in(struct test_client *c, const char *user, const char *password)
{
    struct test_response r = {0};
    /* signed in already, /login sends to the dashboard: its forms have the token too */
    if (test_get(c, &r, "/login") == 303)
        assert_int_equal(test_get(c, &r, "/"), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&username=", test_form_csrf(&r));
    buf_add_url_encoded(&form, user, strlen(user));
    buf_adds(&form, "&password=");
    buf_add_url_encoded(&form, password, strlen(password));
    long status = test_post_form(c, &resp, "/login", form.data);
    buf_release(&form);
    test_response_release(&r);
    return status;
}

/* POSTs form (urlencoded, without csrf) with the token of the page at from. */
static long post_with_csrf(struct test_client *c, const char *from, const char *path,
                           const char *form)
{
    assert_int_equal(test_get(c, &resp, from), 200);
    struct buf body = BUF_INIT;
    buf_addf(&body, "csrf=%s%s%s", test_form_csrf(&resp), *form ? "&" : "", form);
    long status = test_post_form(c, &resp, path, body.data);
    buf_release(&body);
    return status;
}

static void signed_in_as(struct test_client *c, const char *user, const char *password)
{
    test_client_clear_cookies(c);
    assert_int_equal(sign_in(c, user, password), 303);
    assert_string_equal(test_header(&resp, "Location"), "/");
}

static void contains(const struct test_response *r, const char *text)
{
    if (!strstr(r->body.data, text))
        fail_msg("the page lacks \"%s\":\n%.3000s", text, r->body.data);
}

static void lacks(const struct test_response *r, const char *text)
{
    if (strstr(r->body.data, text))
        fail_msg("the page has \"%s\"", text);
}

/* A route's pattern with {id} replaced by a real account id. */
static const char *route_path(const struct web_route *r)
{
    static char path[128];
    const char *brace = strchr(r->pattern, '{');
    if (!brace) {
        snprintf(path, sizeof path, "%s", r->pattern);
    } else {
        const char *close = strchr(brace, '}');
        snprintf(path, sizeof path, "%.*s%lld%s", (int)(brace - r->pattern), r->pattern,
                 (long long)clerk_id, close + 1);
    }
    if (strchr(path, '*'))
        *strchr(path, '*') = '\0';
    return path;
}

static void sign_in_sets_strict_cookies(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    assert_int_equal(test_get(&browser, &resp, "/"), 303);
    assert_string_equal(test_header(&resp, "Location"), "/login?next=%2F");
    assert_int_equal(sign_in(&browser, "boss", BOSS_PASSWORD), 303);
    const char *cookie = test_header(&resp, "Set-Cookie");
    assert_non_null(cookie);
    assert_non_null(strstr(cookie, "tgshop_session="));
    assert_non_null(strstr(cookie, "; HttpOnly"));
    assert_non_null(strstr(cookie, "; SameSite=Strict"));
    assert_non_null(strstr(cookie, "; Path=/"));
    assert_non_null(strstr(cookie, "; Max-Age=43200"));
    assert_null(strstr(cookie, "Secure")); /* plain http here */
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    contains(&resp, "<h1>Dashboard</h1>");
    contains(&resp, ">boss</a>");
    contains(&resp, "href=\"http://127.0.0.1:9//\""); /* the sandbox chat link */

    /* behind an https proxy the cookie is Secure */
    struct test_client tls;
    test_client_init(&tls, web_url(web));
    tls.extra_header = "X-Forwarded-Proto: https";
    assert_int_equal(sign_in(&tls, "boss", BOSS_PASSWORD), 303);
    assert_non_null(strstr(test_header(&resp, "Set-Cookie"), "; Secure"));
    test_client_release(&tls);
}

static void wrong_logins_get_one_generic_answer(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    assert_int_equal(sign_in(&browser, "clerk", "wrong-password-1"), 401);
    contains(&resp, "Wrong username or password.");
    struct buf first = BUF_INIT;
    const char *msg = strstr(resp.body.data, "form-error");
    assert_non_null(msg);
    buf_add(&first, msg, strcspn(msg, "<"));
    assert_int_equal(sign_in(&browser, "nobody-here", "wrong-password-1"), 401);
    msg = strstr(resp.body.data, "form-error");
    assert_non_null(msg);
    assert_int_equal(strncmp(first.data, msg, first.len), 0);
    contains(&resp, "value=\"nobody-here\""); /* the username is kept */
    lacks(&resp, "wrong-password-1");         /* the password never */
    buf_release(&first);
    assert_null(test_client_cookie(&browser, "tgshop_session"));
}

/* next= leads only to a path on this site: whatever a browser would read as another host
 * ("//host" once it drops a tab or newline, or reads "\\" as "/") sends to "/". */
static void sign_in_redirects_only_on_this_site(void **state)
{
    (void)state;
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    const char *hostile[] = {"//evil.example",    "/%5Cevil.example",  "/%09/evil.example",
                             "/%0A/evil.example", "/%0D/evil.example", "/%20/evil.example",
                             "/x%5C..%5Cevil",    "/%7F/evil.example", "http://evil.example"};
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        struct buf path = BUF_INIT;
        buf_addf(&path, "/login?next=%s", hostile[i]);
        assert_int_equal(test_get(&browser, &resp, path.data), 303);
        if (strcmp(test_header(&resp, "Location"), "/"))
            fail_msg("next=%s led to %s", hostile[i], test_header(&resp, "Location"));
        buf_release(&path);
    }
    assert_int_equal(test_get(&browser, &resp, "/login?next=%2Fproducts%3Fpage%3D2"), 303);
    assert_string_equal(test_header(&resp, "Location"), "/products?page=2");
    /* the sign-in form's own next field goes through the same check */
    test_client_clear_cookies(&browser);
    assert_int_equal(test_get(&browser, &resp, "/login"), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&username=boss&password=%s&next=/%%09/evil.example",
             test_form_csrf(&resp), BOSS_PASSWORD);
    assert_int_equal(test_post_form(&browser, &resp, "/login", form.data), 303);
    assert_string_equal(test_header(&resp, "Location"), "/");
    buf_release(&form);
}

/* Bytes that are not UTF-8 in a form, a query or the path get a clear 400, never a
 * database error; a long User-Agent is cut on a character boundary. */
static void text_that_is_not_utf8_is_refused(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    assert_int_equal(test_get(&browser, &resp, "/login"), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&username=boss%%ff&password=x", test_form_csrf(&resp));
    assert_int_equal(test_post_form(&browser, &resp, "/login", form.data), 400);
    contains(&resp, "not valid UTF-8");
    buf_release(&form);
    assert_null(test_client_cookie(&browser, "tgshop_session"));

    /* 299 bytes of "a" and a two-byte "é": 300 bytes would cut the "é" in two */
    struct buf agent = BUF_INIT;
    buf_adds(&agent, "User-Agent: ");
    for (int i = 0; i < 299; i++)
        buf_adds(&agent, "a");
    buf_adds(&agent, "\xc3\xa9");
    struct test_client ua;
    test_client_init(&ua, web_url(web));
    ua.extra_header = agent.data;
    assert_int_equal(sign_in(&ua, "boss", BOSS_PASSWORD), 303);
    assert_int_equal(test_get(&ua, &resp, "/audit?user=%ff"), 400);
    contains(&resp, "not valid UTF-8");
    assert_int_equal(test_get(&ua, &resp, "/audit?user=b%C3%B6ss"), 200);
    assert_int_equal(test_get(&ua, &resp, "/customers/%ff"), 400);
    /* a User-Agent that is not text at all is not kept, the sign-in still works */
    buf_reset(&agent);
    buf_adds(&agent, "User-Agent: \xff\xfe");
    ua.extra_header = agent.data;
    test_client_clear_cookies(&ua);
    assert_int_equal(sign_in(&ua, "boss", BOSS_PASSWORD), 303);
    test_client_release(&ua);
    buf_release(&agent);
}

static void every_post_needs_the_csrf_token(void **state)
{
    (void)state;
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    int checked = 0;
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        if (strcmp(r->method, "POST") || !(r->needs & WEB_CSRF))
            continue;
        const char *path = route_path(r);
        assert_int_equal(test_post_form(&browser, &resp, path,
                                        "username=csrfvictim&password=Xx-123456&password2=Xx-"
                                        "123456&is_active=1"),
                         403);
        contains(&resp, "This form has expired or did not come from this site");
        char wrong[128];
        char token[SESSION_TOKEN_LEN + 1];
        session_random_token(token);
        snprintf(wrong, sizeof wrong, "csrf=%s&username=csrfvictim", token);
        assert_int_equal(test_post_form(&browser, &resp, path, wrong), 403);
        assert_int_equal(test_post_form(&browser, &resp, path, "csrf=&username=x"), 403);
        checked++;
    }
    assert_true(checked >= 6);
    /* nothing happened: no account was made, the session still works */
    int64_t n = -1;
    assert_int_equal(
        db_query_int(db, &n, "SELECT count(*) FROM admin_user WHERE username = 'csrfvictim'"), 0);
    assert_int_equal(n, 0);
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    /* the sign-in form too: a token from another browser does not count */
    struct test_client other;
    test_client_init(&other, web_url(web));
    assert_int_equal(test_get(&other, &resp, "/login"), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&username=boss&password=%s", test_form_csrf(&resp), BOSS_PASSWORD);
    test_client_clear_cookies(&browser);
    assert_int_equal(test_post_form(&browser, &resp, "/login", form.data), 403);
    buf_release(&form);
    test_client_release(&other);
}

static void session_id_rotates_at_sign_in(void **state)
{
    (void)state;
    /* an id planted before sign-in is never adopted */
    test_client_clear_cookies(&browser);
    const char planted[] = "PLANTEDplantedPLANTEDplantedPLANTEDplanted1";
    test_client_set_cookie(&browser, "tgshop_session", planted);
    assert_int_equal(sign_in(&browser, "boss", BOSS_PASSWORD), 303);
    const char *now = test_client_cookie(&browser, "tgshop_session");
    assert_non_null(now);
    assert_string_not_equal(now, planted);
    struct test_client attacker;
    test_client_init(&attacker, web_url(web));
    test_client_set_cookie(&attacker, "tgshop_session", planted);
    assert_int_equal(test_get(&attacker, &resp, "/"), 303);

    /* signing in again replaces the old session, which stops working */
    char before[128];
    snprintf(before, sizeof before, "%s", now);
    assert_int_equal(sign_in(&browser, "boss", BOSS_PASSWORD), 303);
    assert_string_not_equal(test_client_cookie(&browser, "tgshop_session"), before);
    test_client_clear_cookies(&attacker);
    test_client_set_cookie(&attacker, "tgshop_session", before);
    assert_int_equal(test_get(&attacker, &resp, "/"), 303);
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    test_client_release(&attacker);
}

static void sign_out_ends_the_session_on_the_server(void **state)
{
    (void)state;
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    char stolen[128];
    snprintf(stolen, sizeof stolen, "%s", test_client_cookie(&browser, "tgshop_session"));
    assert_int_equal(post_with_csrf(&browser, "/", "/logout", ""), 303);
    assert_string_equal(test_header(&resp, "Location"), "/login?bye=1");
    const char *left = test_client_cookie(&browser, "tgshop_session");
    assert_true(!left || !*left);
    assert_int_equal(test_get(&browser, &resp, "/login?bye=1"), 200);
    contains(&resp, "You have signed out.");
    /* a copy of the cookie is worthless now */
    struct test_client copy;
    test_client_init(&copy, web_url(web));
    test_client_set_cookie(&copy, "tgshop_session", stolen);
    assert_int_equal(test_get(&copy, &resp, "/"), 303);
    test_client_release(&copy);
}

static void password_change_ends_other_sessions(void **state)
{
    (void)state;
    struct test_client laptop;
    test_client_init(&laptop, web_url(web));
    signed_in_as(&laptop, "clerk", CLERK_PASSWORD);
    signed_in_as(&browser, "clerk", CLERK_PASSWORD);
    /* validation errors next to the fields */
    assert_int_equal(post_with_csrf(&browser, "/account/password", "/account/password",
                                    "current_password=nope&new_password=short&new_password2=x"),
                     400);
    contains(&resp, "This is not your current password.");
    contains(&resp, "password is too short");
    char form[200];
    snprintf(form, sizeof form,
             "current_password=%s&new_password=New-Secret-42&new_password2=New-Secret-43",
             CLERK_PASSWORD);
    assert_int_equal(post_with_csrf(&browser, "/account/password", "/account/password", form), 400);
    contains(&resp, "The two new passwords differ.");
    char old_cookie[128];
    snprintf(old_cookie, sizeof old_cookie, "%s", test_client_cookie(&browser, "tgshop_session"));
    snprintf(form, sizeof form,
             "current_password=%s&new_password=New-Secret-42&new_password2=New-Secret-42",
             CLERK_PASSWORD);
    assert_int_equal(post_with_csrf(&browser, "/account/password", "/account/password", form), 303);
    assert_string_not_equal(test_client_cookie(&browser, "tgshop_session"), old_cookie);
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    contains(&resp, "Your password was changed.");
    assert_int_equal(test_get(&laptop, &resp, "/"), 303); /* the other session ended */
    test_client_clear_cookies(&laptop);
    assert_int_equal(sign_in(&laptop, "clerk", CLERK_PASSWORD), 401);
    assert_int_equal(sign_in(&laptop, "clerk", "New-Secret-42"), 303);
    /* back to the known password for the other tests */
    struct buf err = BUF_INIT;
    assert_int_equal(admin_user_set_password(db, "clerk", CLERK_PASSWORD, &err), 0);
    buf_release(&err);
    test_client_release(&laptop);
}

static void brute_force_is_throttled_per_account(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sign_in(&browser, "victim", "guess-number-x"), 401);
    /* now even the right password is refused, with a clear message */
    assert_int_equal(sign_in(&browser, "victim", "Quiet-River-91"), 429);
    contains(&resp, "Too many failed sign-in attempts");
    contains(&resp, "try again in 10 minutes");
    assert_null(test_client_cookie(&browser, "tgshop_session"));
    /* other accounts are not locked out */
    assert_int_equal(sign_in(&browser, "boss", BOSS_PASSWORD), 303);
}

static void superuser_pages_are_forbidden_to_staff(void **state)
{
    (void)state;
    signed_in_as(&browser, "clerk", CLERK_PASSWORD);
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    lacks(&resp, "href=\"/staff\""); /* not even in the navigation */
    lacks(&resp, "href=\"/audit\"");
    const char *csrf = test_form_csrf(&resp);
    char token[64];
    snprintf(token, sizeof token, "%s", csrf);
    int checked = 0;
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        if ((r->needs & WEB_SUPERUSER) != WEB_SUPERUSER)
            continue;
        const char *path = route_path(r);
        if (!strcmp(r->method, "GET")) {
            assert_int_equal(test_get(&browser, &resp, path), 403);
        } else {
            char form[200];
            snprintf(form, sizeof form,
                     "csrf=%s&username=sneaky&password=Sneaky-pass-1&password2=Sneaky-pass-1&"
                     "is_superuser=1&is_active=1",
                     token);
            assert_int_equal(test_post_form(&browser, &resp, path, form), 403);
        }
        contains(&resp, "for superusers only");
        checked++;
    }
    assert_true(checked >= 6);
    struct admin_user me;
    assert_int_equal(admin_user_get(db, clerk_id, &me), 0);
    assert_false(me.is_superuser);
}

static void login_is_required_everywhere(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        if (!(r->needs & WEB_LOGIN) || strcmp(r->method, "GET"))
            continue;
        assert_int_equal(test_get(&browser, &resp, route_path(r)), 303);
        assert_non_null(strstr(test_header(&resp, "Location"), "/login?next="));
    }
}

static const char HOSTILE[] = "<script>alert(1)</script>\"'&";

static void hostile_input_is_escaped(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    assert_int_equal(sign_in(&browser, HOSTILE, "x"), 401);
    lacks(&resp, "<script>alert(1)");
    contains(&resp, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;");
    assert_int_equal(
        test_get(&browser, &resp, "/login?next=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E"), 200);
    lacks(&resp, "<script>alert(1)");
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    assert_int_equal(
        test_get(&browser, &resp, "/audit?user=%3Cscript%3Ealert(1)%3C%2Fscript%3E&action=%22x"),
        200);
    lacks(&resp, "<script>alert(1)");
    contains(&resp, "value=\"&lt;script&gt;");
    /* a hostile name in the database shows as text on the dashboard */
    assert_int_equal(db_exec(db,
                             "INSERT INTO customer (tg_id, first_name, username) VALUES (?, ?, ?)",
                             DB_INT(777001), DB_TEXT(HOSTILE), DB_TEXT("<b>bold</b>")),
                     0);
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    lacks(&resp, "<script>alert(1)");
    lacks(&resp, "<b>bold</b>");
    contains(&resp, "&lt;script&gt;alert(1)");
    /* the create-account form keeps hostile input as text */
    char form[300];
    snprintf(form, sizeof form, "username=%s&password=a&password2=b",
             "%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert_int_equal(post_with_csrf(&browser, "/staff/new", "/staff/new", form), 400);
    lacks(&resp, "<script>alert(1)");
    contains(&resp, "value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"");
}

static void security_headers_on_every_answer(void **state)
{
    (void)state;
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    const char *paths[] = {"/",
                           "/login",
                           "/staff",
                           "/audit",
                           "/nothing-here",
                           "/static/admin.css",
                           "/static/missing.css"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        test_get(&browser, &resp, paths[i]);
        const char *csp = test_header(&resp, "Content-Security-Policy");
        assert_non_null(csp);
        assert_non_null(strstr(csp, "default-src 'self'"));
        assert_non_null(strstr(csp, "frame-ancestors 'none'"));
        assert_null(strstr(csp, "unsafe-inline"));
        assert_string_equal(test_header(&resp, "X-Content-Type-Options"), "nosniff");
        assert_string_equal(test_header(&resp, "X-Frame-Options"), "DENY");
        assert_string_equal(test_header(&resp, "Referrer-Policy"), "same-origin");
    }
    /* the HTML has no inline script or style for the CSP to block */
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    lacks(&resp, "<script");
    lacks(&resp, "style=");
    lacks(&resp, "<style");
    assert_int_equal(test_get(&browser, &resp, "/nothing-here"), 404);
    contains(&resp, "There is no such page.");
    assert_int_equal(test_post_form(&browser, &resp, "/staff", "a=b"), 405);
    assert_string_equal(test_header(&resp, "Allow"), "GET");
}

static void oversized_bodies_are_refused(void **state)
{
    (void)state;
    size_t n = 4u << 20;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    memcpy(big, "username=", 9);
    big[n] = '\0';
    /* refused from the Content-Length, before the body: curl waits for that answer */
    browser.extra_header = "Expect: 100-continue";
    assert_int_equal(test_post_form(&browser, &resp, "/login", big), 413);
    browser.extra_header = NULL;
    contains(&resp, "too large");
    /* a browser sends a slightly oversized form whole and then gets the page */
    big[(1u << 20) + 100] = '\0';
    assert_int_equal(test_post_form(&browser, &resp, "/login", big), 413);
    contains(&resp, "The request is too large.");
    free(big);
    assert_int_equal(test_get(&browser, &resp, "/static/admin.css"), 200);
}

/* Without signing in, a form cannot make the server hold many times its size, and no page
 * but the product form takes a file. */
static void forms_without_uploads_are_bounded(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    struct buf form = BUF_INIT;
    for (int i = 0; i < 300000; i++)
        buf_adds(&form, "a=&");
    assert_int_equal(test_post_form(&browser, &resp, "/login", form.data), 413);
    contains(&resp, "The form has too many fields.");
    buf_release(&form);
    const char body[] =
        "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nboss\r\n"
        "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\nBYTES\r\n--XyZ--\r\n";
    assert_int_equal(test_request(&browser, &resp, "POST", "/login",
                                  "multipart/form-data; boundary=XyZ", body, strlen(body)),
                     413);
    contains(&resp, "This page does not take file uploads.");
    /* a multipart body where no file is taken is held to the form cap, not the upload one */
    size_t n = 2u << 20;
    char *big = malloc(n + 1);
    memset(big, 'a', n);
    big[n] = '\0';
    browser.extra_header = "Expect: 100-continue";
    assert_int_equal(test_request(&browser, &resp, "POST", "/login",
                                  "multipart/form-data; boundary=XyZ", big, n),
                     413);
    browser.extra_header = NULL;
    free(big);
}

static void static_files_refuse_traversal(void **state)
{
    (void)state;
    assert_int_equal(test_get(&browser, &resp, "/static/admin.css"), 200);
    assert_string_equal(test_header(&resp, "Content-Type"), "text/css; charset=utf-8");
    assert_non_null(test_header(&resp, "ETag"));
    const char *paths[] = {"/static/../web.c",
                           "/static/%2e%2e%2fweb.c",
                           "/static/..%2f..%2fCMakeLists.txt",
                           "/media/../../etc/passwd",
                           "/media/%2e%2e/%2e%2e/etc/passwd",
                           "/media/%2fetc%2fpasswd",
                           "/static/layout_top.html"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++)
        if (test_get(&browser, &resp, paths[i]) != 404)
            fail_msg("%s answered %ld", paths[i], resp.status);
}

static int64_t account_id(const char *name)
{
    int64_t id = 0;
    assert_int_equal(
        db_query_int(db, &id, "SELECT id FROM admin_user WHERE username = ?", DB_TEXT(name)), 0);
    return id;
}

static void superusers_manage_staff(void **state)
{
    (void)state;
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    /* validation: messages next to the fields, input kept */
    assert_int_equal(post_with_csrf(&browser, "/staff/new", "/staff/new",
                                    "username=new+one&password=123&password2=123"),
                     400);
    contains(&resp, "username may contain only letters");
    contains(&resp, "value=\"new one\"");
    assert_int_equal(post_with_csrf(&browser, "/staff/new", "/staff/new",
                                    "username=clerk&password=Good-pass-77&password2=Good-pass-77"),
                     400);
    contains(&resp, "already exists");
    assert_int_equal(post_with_csrf(&browser, "/staff/new", "/staff/new",
                                    "username=packer&password=Good-pass-77&password2=Good-pass-77"),
                     303);
    assert_int_equal(test_get(&browser, &resp, "/staff"), 200);
    contains(&resp, "Account &quot;packer&quot; created.");
    contains(&resp, ">packer</a>");
    int64_t id = account_id("packer");

    struct test_client packer;
    test_client_init(&packer, web_url(web));
    signed_in_as(&packer, "packer", "Good-pass-77");

    /* deactivating asks first, then ends the account's sessions */
    char path[64], form[64];
    snprintf(path, sizeof path, "/staff/%lld", (long long)id);
    assert_int_equal(post_with_csrf(&browser, path, path, ""), 200);
    contains(&resp, "Deactivate &quot;packer&quot;?");
    contains(&resp, "name=\"confirm\" value=\"yes\"");
    assert_int_equal(test_get(&packer, &resp, "/"), 200); /* nothing done yet */
    assert_int_equal(post_with_csrf(&browser, path, path, "confirm=yes"), 303);
    assert_int_equal(test_get(&packer, &resp, "/"), 303);
    test_client_clear_cookies(&packer);
    assert_int_equal(sign_in(&packer, "packer", "Good-pass-77"), 401);

    /* reactivate, make superuser, reset the password */
    assert_int_equal(post_with_csrf(&browser, path, path, "is_active=1&is_superuser=1"), 303);
    snprintf(form, sizeof form, "password=Other-pass-88&password2=Other-pass-88");
    char reset[80];
    snprintf(reset, sizeof reset, "%s/password", path);
    assert_int_equal(post_with_csrf(&browser, path, reset, form), 303);
    assert_int_equal(sign_in(&packer, "packer", "Other-pass-88"), 303);
    assert_int_equal(test_get(&packer, &resp, "/staff"), 200);

    /* a superuser cannot lock themselves out */
    snprintf(path, sizeof path, "/staff/%lld", (long long)boss_id);
    assert_int_equal(post_with_csrf(&browser, path, path, "is_active=1"), 400);
    contains(&resp, "cannot deactivate your own account");

    /* and everything is in the audit log */
    assert_int_equal(test_get(&browser, &resp, "/audit?object=admin_user&user=boss"), 200);
    contains(&resp, "created staff account &quot;packer&quot;");
    contains(&resp, "active yes -&gt; no");
    contains(&resp, "reset the password of &quot;packer&quot;");
    test_client_release(&packer);
}

static void audit_log_pages_keep_filters(void **state)
{
    (void)state;
    for (int i = 0; i < 130; i++)
        assert_int_equal(db_exec(db,
                                 "INSERT INTO audit_log (username, action, object_type, "
                                 "object_id, details) VALUES ('robot', 'touch', 'thing', ?, ?)",
                                 DB_INT(i + 1), DB_TEXT("bulk")),
                         0);
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    assert_int_equal(test_get(&browser, &resp, "/audit?action=touch"), 200);
    contains(&resp, "1–100 of 130");
    contains(&resp, "href=\"/audit?action=touch&amp;sort=time&amp;dir=desc&amp;page=2\"");
    contains(&resp, "thing #130"); /* newest first */
    lacks(&resp, "thing #30<");
    assert_int_equal(test_get(&browser, &resp, "/audit?action=touch&sort=time&dir=desc&page=2"),
                     200);
    contains(&resp, "101–130 of 130");
    contains(&resp, "thing #30<");
    /* sort links flip the direction and keep the filter */
    contains(&resp, "href=\"/audit?action=touch&amp;sort=time&amp;dir=asc\"");
    assert_int_equal(test_get(&browser, &resp, "/audit?action=touch&sort=bogus&page=-4"), 200);
    contains(&resp, "1–100 of 130");
}

static void dashboard_shows_sales(void **state)
{
    (void)state;
    int64_t now = clock_now(), customer = 0, category = 0;
    assert_int_equal(db_query_int(db, &customer,
                                  "INSERT INTO customer (tg_id, first_name, last_name) VALUES "
                                  "(900001, 'Anna', 'Karenina') RETURNING id"),
                     0);
    assert_int_equal(
        db_query_int(db, &category, "INSERT INTO category (name) VALUES ('Tea') RETURNING id"), 0);
    assert_int_equal(db_exec(db,
                             "INSERT INTO product (category_id, name, price, stock) VALUES "
                             "(?, 'Rare oolong', 1000, 2)",
                             DB_INT(category)),
                     0);
    struct {
        const char *status;
        int64_t total, age_days;
    } orders[] = {{"paid", 150000, 0},
                  {"delivered", 50000, 3},
                  {"shipped", 25000, 20},
                  {"cancelled", 9900, 0},
                  {"paid", 1000, 40}};
    for (size_t i = 0; i < sizeof orders / sizeof *orders; i++) {
        char charge[32];
        snprintf(charge, sizeof charge, "charge-%zu", i);
        assert_int_equal(db_exec(db,
                                 "INSERT INTO orders (customer_id, status, contact_name, total, "
                                 "currency, telegram_payment_charge_id, created_at) VALUES "
                                 "(?, ?, 'Anna K', ?, 'RUB', ?, ?)",
                                 DB_INT(customer), DB_TEXT(orders[i].status),
                                 DB_INT(orders[i].total),
                                 DB_TEXT(strcmp(orders[i].status, "cancelled") ? charge : NULL),
                                 DB_INT(now - orders[i].age_days * 86400)),
                         0);
    }
    signed_in_as(&browser, "boss", BOSS_PASSWORD);
    int64_t t0 = clock_mono_us();
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    int64_t took_us = clock_mono_us() - t0;
    print_message("dashboard rendered in %lld µs (%s)\n", (long long)took_us, backend);
    contains(&resp, "1500.00 ₽"); /* today */
    contains(&resp, "2000.00 ₽"); /* 7 days */
    contains(&resp, "2250.00 ₽"); /* 30 days: the 40-day-old is out */
    contains(&resp, "<p class=\"muted\">1 paid of 1 order(s)</p>");
    contains(&resp, "Awaiting shipment <span class=\"badge\">2</span>");
    contains(&resp, "Anna Karenina");
    contains(&resp, "Rare oolong</a> <span class=\"badge\">2 left</span>");
    contains(&resp, "<svg viewBox=\"-16 0 752 180\"");
    contains(&resp, "class=\"bar today\"");
    /* an older order refunded: the past days are counted again */
    assert_int_equal(db_exec(db,
                             "UPDATE orders SET status = 'refunded', updated_at = ? "
                             "WHERE status = 'delivered'",
                             DB_INT(clock_now())),
                     0);
    assert_int_equal(test_get(&browser, &resp, "/"), 200);
    contains(&resp, "1500.00 ₽"); /* 7 days, without the refund */
    contains(&resp, "1750.00 ₽"); /* 30 days */
    lacks(&resp, "2250.00 ₽");
}

static long webhook_post(const char *secret, const char *body)
{
    struct test_client hook;
    test_client_init(&hook, web_url(web));
    char header[128];
    snprintf(header, sizeof header, "X-Telegram-Bot-Api-Secret-Token: %s", secret);
    hook.extra_header = secret ? header : NULL;
    long status =
        test_request(&hook, &resp, "POST", "/tg/webhook", "application/json", body, strlen(body));
    test_client_release(&hook);
    return status;
}

static void webhook_checks_the_secret(void **state)
{
    (void)state;
    const char update[] = "{\"update_id\":5,\"message\":{\"text\":\"hi\"}}";
    updates_seen = 0;
    assert_int_equal(webhook_post(NULL, update), 401);
    assert_int_equal(webhook_post("hook-secret-0123456788", update), 401);
    assert_int_equal(webhook_post("hook", update), 401);
    assert_int_equal(updates_seen, 0);
    assert_int_equal(webhook_post(WEBHOOK_SECRET, update), 200);
    assert_int_equal(updates_seen, 1);
    assert_string_equal(last_update.data, update);
    assert_int_equal(webhook_post(WEBHOOK_SECRET, "[1,2]"), 400);
    assert_int_equal(updates_seen, 1);
}

static void first_admin_is_created_once(void **state)
{
    (void)state;
    struct db *fresh = testdb_open(backend, true);
    char password[21];
    bool created = false;
    struct buf err = BUF_INIT;
    assert_int_equal(admin_user_create_first(fresh, password, &created, &err), 0);
    assert_true(created);
    assert_int_equal(strlen(password), 20);
    struct admin_user u;
    assert_int_equal(admin_user_verify(fresh, "admin", password, &u), 0);
    assert_true(u.is_superuser);
    assert_int_equal(admin_user_create_first(fresh, password, &created, &err), 0);
    assert_false(created); /* never again */
    /* a database that has accounts gets none */
    assert_int_equal(admin_user_create_first(db, password, &created, &err), 0);
    assert_false(created);
    buf_release(&err);
    db_close(fresh);
}

/* A flood of failed sign-ins under other names cannot push a locked account out of the
 * throttle's table: when there is no room, a new name is refused instead. */
static void locked_accounts_stay_locked_under_a_flood(void **state)
{
    (void)state;
    struct throttle_limits limits = {.per_user = 2, .per_ip = 1000000, .window_s = 600};
    struct throttle *t = throttle_new(&limits);
    throttle_failure(t, "victim", "203.0.113.9");
    throttle_failure(t, "victim", "203.0.113.9");
    assert_true(throttle_check(t, "victim", "203.0.113.10") > 0);
    char name[32];
    for (int i = 0; i < 20000; i++) {
        snprintf(name, sizeof name, "flood%d", i);
        throttle_failure(t, name, "198.51.100.1");
        throttle_failure(t, name, "198.51.100.1");
    }
    assert_true(throttle_check(t, "victim", "203.0.113.10") > 0);
    /* the table is full of locked names: one never seen waits too, it does not evict */
    assert_true(throttle_check(t, "never-seen", "203.0.113.10") > 0);
    throttle_free(t);
}

/* IPv6 addresses count by their /64: a client owns all of it. */
static void ipv6_addresses_are_throttled_by_network(void **state)
{
    (void)state;
    struct throttle_limits limits = {.per_user = 100, .per_ip = 3, .window_s = 600};
    struct throttle *t = throttle_new(&limits);
    throttle_failure(t, "a", "2001:db8:1:2::1");
    throttle_failure(t, "b", "2001:db8:1:2:ffff::2");
    throttle_failure(t, "c", "2001:DB8:1:2:abcd:ef01:2345:6789");
    assert_true(throttle_check(t, "d", "2001:db8:1:2::99") > 0);
    assert_int_equal(throttle_check(t, "d", "2001:db8:1:3::1"), 0);
    /* an IPv4 address is the same key however it is written */
    throttle_failure(t, "a", "192.0.2.7");
    throttle_failure(t, "b", "::ffff:192.0.2.7");
    throttle_failure(t, "c", "192.0.2.7");
    assert_true(throttle_check(t, "d", "::ffff:192.0.2.7") > 0);
    assert_true(throttle_check(t, "d", "192.0.2.7") > 0);
    assert_int_equal(throttle_check(t, "d", "192.0.2.8"), 0);
    throttle_free(t);
}

/* Last: it locks 127.0.0.1 out of signing in. */
static void brute_force_is_throttled_per_address(void **state)
{
    (void)state;
    test_client_clear_cookies(&browser);
    long status = 0;
    for (int i = 0; i < 20 && status != 429; i++) {
        char name[32];
        snprintf(name, sizeof name, "spray%d", i);
        status = sign_in(&browser, name, "Spring2026!");
    }
    assert_int_equal(status, 429);
    assert_int_equal(sign_in(&browser, "boss", BOSS_PASSWORD), 429);
    contains(&resp, "Too many failed sign-in attempts");
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sign_in_sets_strict_cookies),
        cmocka_unit_test(wrong_logins_get_one_generic_answer),
        cmocka_unit_test(sign_in_redirects_only_on_this_site),
        cmocka_unit_test(text_that_is_not_utf8_is_refused),
        cmocka_unit_test(every_post_needs_the_csrf_token),
        cmocka_unit_test(session_id_rotates_at_sign_in),
        cmocka_unit_test(sign_out_ends_the_session_on_the_server),
        cmocka_unit_test(password_change_ends_other_sessions),
        cmocka_unit_test(brute_force_is_throttled_per_account),
        cmocka_unit_test(superuser_pages_are_forbidden_to_staff),
        cmocka_unit_test(login_is_required_everywhere),
        cmocka_unit_test(hostile_input_is_escaped),
        cmocka_unit_test(security_headers_on_every_answer),
        cmocka_unit_test(oversized_bodies_are_refused),
        cmocka_unit_test(forms_without_uploads_are_bounded),
        cmocka_unit_test(static_files_refuse_traversal),
        cmocka_unit_test(superusers_manage_staff),
        cmocka_unit_test(audit_log_pages_keep_filters),
        cmocka_unit_test(dashboard_shows_sales),
        cmocka_unit_test(webhook_checks_the_secret),
        cmocka_unit_test(first_admin_is_created_once),
        cmocka_unit_test(locked_accounts_stay_locked_under_a_flood),
        cmocka_unit_test(ipv6_addresses_are_throttled_by_network),
        cmocka_unit_test(brute_force_is_throttled_per_address),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
