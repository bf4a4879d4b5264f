/* Admin panel logins (shop/admin_user.h: admin_user_verify) on both backends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/util.h"
#include "shop/admin_user.h"
#include "testdb.h"

static const char *backend;

static const char PASSWORD[] = "brisk-Lantern-42";

struct fixture {
    struct db *db;
    int64_t boss_id, clerk_id;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->db = testdb_open(backend, true);
    struct buf err = BUF_INIT;
    if (admin_user_create(f->db, "Boss", PASSWORD, true, &f->boss_id, &err) ||
        admin_user_create(f->db, "clerk", "other-Secret-77", false, &f->clerk_id, &err))
        fail_msg("create: %s", err.data);
    buf_release(&err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    free(f);
    return 0;
}

static int64_t last_login(struct db *db, int64_t id)
{
    int64_t t = -1;
    if (db_query_int(db, &t, "SELECT COALESCE(last_login, 0) FROM admin_user WHERE id = ?",
                     DB_INT(id)))
        fail_msg("%s", db_errmsg(db));
    return t;
}

static void right_password_logs_in(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(last_login(f->db, f->boss_id), 0);
    int64_t before = clock_now();
    struct admin_user u;
    assert_int_equal(admin_user_verify(f->db, "Boss", PASSWORD, &u), 0);
    assert_int_equal(u.id, f->boss_id);
    assert_string_equal(u.username, "Boss");
    assert_true(u.is_superuser);
    assert_true(u.is_active);
    /* the login is recorded */
    assert_true(last_login(f->db, f->boss_id) >= before);
    assert_int_equal(last_login(f->db, f->clerk_id), 0);
    /* the other account has its own password */
    assert_int_equal(admin_user_verify(f->db, "clerk", "other-Secret-77", &u), 0);
    assert_int_equal(u.id, f->clerk_id);
    assert_false(u.is_superuser);
}

static void username_case_does_not_matter(void **state)
{
    struct fixture *f = *state;
    struct admin_user u;
    const char *spellings[] = {"boss", "BOSS", "bOsS"};
    for (size_t i = 0; i < ARRAY_SIZE(spellings); i++) {
        memset(&u, 0, sizeof u);
        if (admin_user_verify(f->db, spellings[i], PASSWORD, &u))
            fail_msg("\"%s\" does not log in", spellings[i]);
        assert_int_equal(u.id, f->boss_id);
        assert_string_equal(u.username, "Boss"); /* the name as it was created */
    }
}

static void wrong_passwords_are_refused(void **state)
{
    struct fixture *f = *state;
    struct admin_user u;
    const char *wrong[] = {
        "brisk-lantern-42",  /* the password's case matters */
        "brisk-Lantern-42 ", /* so does every byte */
        "brisk-Lantern-4",   /* a prefix */
        "",                  /* empty */
        "other-Secret-77",   /* another account's password */
    };
    for (size_t i = 0; i < ARRAY_SIZE(wrong); i++)
        if (admin_user_verify(f->db, "Boss", wrong[i], &u) != ERR_FORBIDDEN)
            fail_msg("\"%s\" was not refused", wrong[i]);
    assert_int_equal(last_login(f->db, f->boss_id), 0); /* no login recorded */
}

static void unknown_users_are_refused(void **state)
{
    struct fixture *f = *state;
    struct admin_user u;
    const char *unknown[] = {"nobody", "", "Boss ", "Bos", "Boss%", "B_ss", "' OR 1=1 --"};
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
        if (admin_user_verify(f->db, unknown[i], PASSWORD, &u) != ERR_FORBIDDEN)
            fail_msg("\"%s\" was not refused", unknown[i]);
}

static void inactive_users_are_refused(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(
        db_exec(f->db, "UPDATE admin_user SET is_active = 0 WHERE id = ?", DB_INT(f->boss_id)), 0);
    struct admin_user u;
    /* the right password of a deactivated account is refused like a wrong one */
    assert_int_equal(admin_user_verify(f->db, "Boss", PASSWORD, &u), ERR_FORBIDDEN);
    assert_int_equal(last_login(f->db, f->boss_id), 0);
    /* and works again once it is active */
    assert_int_equal(
        db_exec(f->db, "UPDATE admin_user SET is_active = 1 WHERE id = ?", DB_INT(f->boss_id)), 0);
    assert_int_equal(admin_user_verify(f->db, "Boss", PASSWORD, &u), 0);
}

static void a_new_password_replaces_the_old(void **state)
{
    struct fixture *f = *state;
    struct buf err = BUF_INIT;
    assert_int_equal(admin_user_set_password(f->db, "BOSS", "fresh-Harbor-913", &err), 0);
    buf_release(&err);
    struct admin_user u;
    assert_int_equal(admin_user_verify(f->db, "Boss", PASSWORD, &u), ERR_FORBIDDEN);
    assert_int_equal(admin_user_verify(f->db, "Boss", "fresh-Harbor-913", &u), 0);
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(right_password_logs_in, setup, teardown),
        cmocka_unit_test_setup_teardown(username_case_does_not_matter, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_passwords_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(unknown_users_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(inactive_users_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_new_password_replaces_the_old, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
