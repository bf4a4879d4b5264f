#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/dotenv.h"
#include "core/err.h"
#include "core/log.h"

#define S(lit) lit, sizeof(lit) - 1

/* The seed's .env.example, verbatim in spirit: quotes, comments, an inline comment. */
static const char seed_env[] =
    "# PostgreSQL\n"
    "POSTGRES_DB=store_db\n"
    "POSTGRES_USER=store_user\n"
    "POSTGRES_PASSWORD=your_strong_password\n"
    "\n"
    "# Django\n"
    "DJANGO_KEY='your_super_secret_django_key_here' # Можно сгенерировать через: python -c '...'\n"
    "DJANGO_DEBUG=True\n"
    "\n"
    "# Telegram Bot\n"
    "BOT_TOKEN='123456789:AAE_abcdefghijklmnopqrstuvwxyz0123'\n";

static void parses_the_seed_example(void **state)
{
    (void)state;
    struct dotenv env;
    struct buf err = BUF_INIT;
    assert_int_equal(dotenv_parse(&env, S(seed_env), ".env", &err), 0);
    assert_string_equal(dotenv_get(&env, "POSTGRES_DB"), "store_db");
    assert_string_equal(dotenv_get(&env, "DJANGO_KEY"), "your_super_secret_django_key_here");
    assert_string_equal(dotenv_get(&env, "DJANGO_DEBUG"), "True");
    assert_string_equal(dotenv_get(&env, "BOT_TOKEN"),
                        "123456789:AAE_abcdefghijklmnopqrstuvwxyz0123");
    assert_null(dotenv_get(&env, "MISSING"));
    dotenv_release(&env);
    buf_release(&err);
}

static void quoting_export_and_spacing(void **state)
{
    (void)state;
    static const char text[] = "\xef\xbb\xbf"
                               "export A=1\r\n"
                               "  B = spaced value   \n"
                               "C=\"line\\nnext \\\"q\\\" \\$HOME #not comment\"  # comment\n"
                               "E=\n"
                               "F=a#b\n"
                               "G=x # y\n"
                               "A=2\n"
                               "export_key=3\n";
    struct dotenv env;
    struct buf err = BUF_INIT;
    int rc = dotenv_parse(&env, S(text), "t", &err);
    if (rc)
        fail_msg("%s", err.data);
    assert_string_equal(dotenv_get(&env, "A"), "2"); /* last wins */
    assert_string_equal(dotenv_get(&env, "B"), "spaced value");
    assert_string_equal(dotenv_get(&env, "C"), "line\nnext \"q\" $HOME #not comment");
    assert_string_equal(dotenv_get(&env, "E"), "");
    assert_string_equal(dotenv_get(&env, "F"), "a#b");
    assert_string_equal(dotenv_get(&env, "G"), "x");
    assert_string_equal(dotenv_get(&env, "export_key"), "3");
    dotenv_release(&env);
    buf_release(&err);
}

static void malformed_lines_name_file_and_line(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *message;
    } cases[] = {
        {"A=1\nthis is not a pair\n", "x.env:2: expected KEY=VALUE (no '=' after the key)"},
        {"=value\n", "x.env:1: expected KEY=VALUE (a key starts with a letter or _)"},
        {"1KEY=v\n", "x.env:1: expected KEY=VALUE (a key starts with a letter or _)"},
        {"A='open\n", "x.env:1: unterminated single quote"},
        {"A=\"open\\\"\n", "x.env:1: unterminated double quote"},
        {"\n\nA=\"x\" trailing\n", "x.env:3: unexpected text after closing quote"},
        {"KEY-NAME=1\n", "x.env:1: expected KEY=VALUE (no '=' after the key)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct dotenv env;
        struct buf err = BUF_INIT;
        assert_int_equal(dotenv_parse(&env, cases[i].text, strlen(cases[i].text), "x.env", &err),
                         ERR_INVALID);
        assert_string_equal(err.data, cases[i].message);
        assert_int_equal(env.count, 0);
        buf_release(&err);
    }
    struct dotenv env;
    struct buf err = BUF_INIT;
    assert_int_equal(dotenv_parse(&env, "A=1\0B=2", 7, "bin", &err), ERR_INVALID);
    assert_string_equal(err.data, "bin: contains a NUL byte; not a text file");
    assert_int_equal(dotenv_load(&env, "/nonexistent/.env", &err), ERR_NOTFOUND);
    buf_release(&err);
}

static void every_byte_value_is_handled(void **state)
{
    (void)state;
    /* a crude fuzz: random lines of random bytes must parse or fail cleanly */
    srand(7);
    for (int round = 0; round < 2000; round++) {
        char text[64];
        size_t len = (size_t)(rand() % (int)sizeof text);
        for (size_t i = 0; i < len; i++)
            text[i] = (char)(rand() % 4 ? "A=\"' #\\\nx"[rand() % 9] : rand() % 256);
        struct dotenv env;
        struct buf err = BUF_INIT;
        if (dotenv_parse(&env, text, len, "fuzz", &err) == 0)
            dotenv_release(&env);
        else
            assert_true(err.len > 0);
        buf_release(&err);
    }
}

/* Loads a configuration from a list of KEY=VALUE strings. */
static int load(struct config *cfg, struct buf *err, char *const *environ)
{
    struct config_source src = {environ, NULL};
    return config_load(cfg, &src, err);
}

static void defaults(void **state)
{
    (void)state;
    char *env[] = {NULL};
    struct config cfg;
    struct buf err = BUF_INIT;
    assert_int_equal(load(&cfg, &err, env), 0);
    assert_string_equal(cfg.database_url, "sqlite:data/tgshop.db");
    assert_null(cfg.redis_url);
    assert_null(cfg.bot_token);
    assert_string_equal(cfg.telegram_api_url, "https://api.telegram.org");
    assert_string_equal(cfg.currency, "XTR");
    assert_string_equal(cfg.listen_host, "127.0.0.1");
    assert_int_equal(cfg.listen_port, 8000);
    assert_string_equal(cfg.default_language, "ru");
    assert_true(cfg.send_rate == 30);
    assert_int_equal(cfg.page_size, 6);
    assert_int_equal(cfg.reservation_minutes, 30);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.log_format, LOG_TEXT);
    assert_false(cfg.debug);
    assert_false(cfg.trust_proxy); /* X-Forwarded-For is ignored unless told */
    config_release(&cfg);
    buf_release(&err);
}

static void seed_keys_build_the_postgres_url(void **state)
{
    (void)state;
    char *env[] = {"POSTGRES_DB=store_db",
                   "POSTGRES_USER=store_user",
                   "POSTGRES_PASSWORD=p@ss:w/rd",
                   "POSTGRES_HOST=db",
                   "DJANGO_KEY=0123456789abcdefXYZ",
                   "DJANGO_DEBUG=True",
                   "TRUST_PROXY=yes",
                   NULL};
    struct config cfg;
    struct buf err = BUF_INIT;
    assert_int_equal(load(&cfg, &err, env), 0);
    assert_string_equal(cfg.database_url, "postgres://store_user:p%40ss%3Aw%2Frd@db:5432/store_db");
    assert_string_equal(cfg.secret_key, "0123456789abcdefXYZ");
    assert_true(cfg.debug);
    assert_true(cfg.trust_proxy);
    char *masked = config_mask_url(cfg.database_url);
    assert_string_equal(masked, "postgres://store_user:***@db:5432/store_db");
    free(masked);
    config_release(&cfg);
    buf_release(&err);
}

static void own_keys_win_over_aliases_and_parse(void **state)
{
    (void)state;
    char *env[] = {"DATABASE_URL=postgres://u:pw@h/db",
                   "POSTGRES_DB=ignored",
                   "SECRET_KEY=0123456789abcdef-own",
                   "DJANGO_KEY=0123456789abcdef-alias",
                   "ADMIN_CHAT_IDS= 123, -100200 ,42",
                   "LISTEN=[::1]:9000",
                   "SEND_RATE=2.5",
                   "LOG_LEVEL=debug",
                   "LOG_FORMAT=json",
                   "PAYMENT_PROVIDER_TOKEN=284685063:TEST:x",
                   "CURRENCY=USD",
                   "TELEGRAM_API_URL=http://127.0.0.1:8081/",
                   "REDIS_URL=redis://:pw@127.0.0.1:6379/0",
                   "DEFAULT_LANGUAGE=en",
                   NULL};
    struct config cfg;
    struct buf err = BUF_INIT;
    int rc = load(&cfg, &err, env);
    if (rc)
        fail_msg("%s", err.data);
    assert_string_equal(cfg.database_url, "postgres://u:pw@h/db");
    assert_string_equal(cfg.secret_key, "0123456789abcdef-own");
    assert_int_equal(cfg.admin_chat_count, 3);
    assert_true(cfg.admin_chat_ids[1] == -100200);
    assert_string_equal(cfg.listen_host, "::1");
    assert_int_equal(cfg.listen_port, 9000);
    assert_true(cfg.send_rate == 2.5);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(cfg.log_format, LOG_JSON);
    assert_string_equal(cfg.currency, "USD");
    assert_string_equal(cfg.telegram_api_url, "http://127.0.0.1:8081");
    assert_string_equal(cfg.default_language, "en");
    config_release(&cfg);
    buf_release(&err);
}

static void environment_wins_over_dotenv(void **state)
{
    (void)state;
    struct dotenv file;
    struct buf err = BUF_INIT;
    assert_int_equal(dotenv_parse(&file, S("SEND_RATE=5\nLOG_LEVEL=warn\n"), ".env", &err), 0);
    char *env[] = {"SEND_RATE=7", NULL};
    struct config_source src = {env, &file};
    struct config cfg;
    assert_int_equal(config_load(&cfg, &src, &err), 0);
    assert_true(cfg.send_rate == 7);
    assert_int_equal(cfg.log_level, LOG_WARN);
    config_release(&cfg);
    dotenv_release(&file);
    buf_release(&err);
}

static void invalid_values_name_the_key(void **state)
{
    (void)state;
    static const struct {
        const char *setting;
        const char *message;
    } cases[] = {
        {"SEND_RATE=fast",
         "SEND_RATE must be a number of messages per second from 0.1 to 100000, got \"fast\""},
        {"SEND_RATE=1e-300", /* a rate whose interval overflows the pacer's integers */
         "SEND_RATE must be a number of messages per second from 0.1 to 100000, got \"1e-300\""},
        {"SEND_RATE=0",
         "SEND_RATE must be a number of messages per second from 0.1 to 100000, got \"0\""},
        {"SEND_RATE=-3",
         "SEND_RATE must be a number of messages per second from 0.1 to 100000, got \"-3\""},
        {"DATABASE_URL=mysql://root:hunter2@x/db",
         "DATABASE_URL must be sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB, got "
         "\"mysql://root:***@x/db\""},
        {"DATABASE_URL=sqlite:", "DATABASE_URL must be sqlite:PATH or "
                                 "postgres://USER:PASSWORD@HOST:PORT/DB, got \"sqlite:\""},
        {"LISTEN=8000", "LISTEN must be HOST:PORT (for example 127.0.0.1:8000 or [::1]:8000), got "
                        "\"8000\""},
        {"LISTEN=localhost:99999", "LISTEN must be HOST:PORT (for example 127.0.0.1:8000 or "
                                   "[::1]:8000), got \"localhost:99999\""},
        {"LOG_LEVEL=loud", "LOG_LEVEL must be one of debug, info, warn, error, got \"loud\""},
        {"LOG_FORMAT=xml", "LOG_FORMAT must be text or json, got \"xml\""},
        {"DEFAULT_LANGUAGE=de", "DEFAULT_LANGUAGE must be ru or en, got \"de\""},
        {"ADMIN_CHAT_IDS=1,two", "ADMIN_CHAT_IDS must be a comma-separated list of Telegram chat "
                                 "ids, got \"1,two\""},
        {"ADMIN_CHAT_IDS=1,,2", "ADMIN_CHAT_IDS must be a comma-separated list of Telegram chat "
                                "ids, got \"1,,2\""},
        {"CURRENCY=rub", "CURRENCY must be a three-letter ISO 4217 code such as RUB, USD or XTR, "
                         "got \"rub\""},
        {"CURRENCY=RUB", "CURRENCY must be XTR (Telegram Stars) when PAYMENT_PROVIDER_TOKEN is "
                         "unset; set the provider token to take payments in other currencies, "
                         "got \"RUB\""},
        {"BOT_TOKEN=secret-but-wrong", "BOT_TOKEN must be a token from @BotFather "
                                       "(123456789:ABC...), got a value of 16 characters that "
                                       "is not one"},
        {"WEBHOOK_SECRET=has space", "WEBHOOK_SECRET must be 1-256 characters of A-Z, a-z, 0-9, "
                                     "_ and -"},
        {"WEBHOOK_URL=ftp://x", "WEBHOOK_URL must be an https:// URL Telegram can reach, got "
                                "\"ftp://x\""},
        {"TELEGRAM_API_URL=api.telegram.org", "TELEGRAM_API_URL must be an http:// or https:// "
                                              "URL, got \"api.telegram.org\""},
        {"DJANGO_DEBUG=sure", "DEBUG must be true or false, got \"sure\""},
        {"TRUST_PROXY=nginx", "TRUST_PROXY must be true or false, got \"nginx\""},
        {"PAGE_SIZE=0", "PAGE_SIZE must be a whole number from 1 to 20, got \"0\""},
        {"PAGE_SIZE=many", "PAGE_SIZE must be a whole number from 1 to 20, got \"many\""},
        {"RESERVATION_MINUTES=1441",
         "RESERVATION_MINUTES must be a whole number from 1 to 1440, got \"1441\""},
        {"LISTEN=[::1:80", "LISTEN must be HOST:PORT (for example 127.0.0.1:8000 or [::1]:8000), "
                           "got \"[::1:80\""},
        {"DJANGO_KEY=short", "SECRET_KEY must be at least 16 characters long (it signs sessions)"},
        {"POSTGRES_DB=x", NULL}, /* valid: the seed's minimal form */
        {"REDIS_URL=localhost:6379", "REDIS_URL must be redis://[:PASSWORD@]HOST[:PORT][/DB], "
                                     "got \"localhost:6379\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *env[] = {(char *)cases[i].setting, NULL};
        struct config cfg;
        struct buf err = BUF_INIT;
        int rc = load(&cfg, &err, env);
        if (!cases[i].message) {
            assert_int_equal(rc, 0);
            config_release(&cfg);
        } else {
            assert_int_equal(rc, ERR_INVALID);
            assert_string_equal(err.data, cases[i].message);
            assert_null(cfg.database_url); /* released */
        }
        buf_release(&err);
    }
    log_clear_secrets();
}

static void secrets_never_reach_the_log(void **state)
{
    (void)state;
    char *env[] = {"BOT_TOKEN=123456789:AAE_abcdefghijklmnopqrstuvwxyz0123",
                   "DATABASE_URL=postgres://shop:pa55word-x@db/shop",
                   "SECRET_KEY=very-secret-key-material", NULL};
    struct config cfg;
    struct buf err = BUF_INIT;
    assert_int_equal(load(&cfg, &err, env), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    assert_non_null(out);
    log_setup(LOG_DEBUG, LOG_TEXT, out);
    log_info("calling https://api.telegram.org/bot%s/getMe", cfg.bot_token);
    log_warn("dsn %s and key %s", cfg.database_url, cfg.secret_key);
    log_info("two lines\nforged ERROR line");
    log_setup(LOG_INFO, LOG_JSON, out);
    log_debug("hidden below the level");
    log_error("json \"quoted\" %s", cfg.bot_token);
    fclose(out);
    assert_null(strstr(text, "AAE_abcdefghijklmnopqrstuvwxyz0123"));
    assert_null(strstr(text, "pa55word-x"));
    assert_null(strstr(text, "very-secret-key-material"));
    assert_non_null(strstr(text, "/bot***/getMe"));
    assert_non_null(strstr(text, "postgres://shop:***@db/shop"));
    assert_non_null(strstr(text, "two lines\\nforged ERROR line"));
    assert_null(strstr(text, "hidden below"));
    assert_non_null(strstr(text, "\"level\":\"error\",\"msg\":\"json \\\"quoted\\\" ***\"}"));
    /* exactly one line per event */
    int lines = 0;
    for (char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    free(text);
    log_setup(LOG_INFO, LOG_TEXT, NULL);
    log_clear_secrets();
    config_release(&cfg);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_the_seed_example),
        cmocka_unit_test(quoting_export_and_spacing),
        cmocka_unit_test(malformed_lines_name_file_and_line),
        cmocka_unit_test(every_byte_value_is_handled),
        cmocka_unit_test(defaults),
        cmocka_unit_test(seed_keys_build_the_postgres_url),
        cmocka_unit_test(own_keys_win_over_aliases_and_parse),
        cmocka_unit_test(environment_wins_over_dotenv),
        cmocka_unit_test(invalid_values_name_the_key),
        cmocka_unit_test(secrets_never_reach_the_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
