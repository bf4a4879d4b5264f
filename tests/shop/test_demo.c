/* The demo catalogue (src/shop/demo.c, pictures by src/media/demo_pictures.c) on both backends:
 * what it seeds, its pictures, when it stays out of the way, and that a failure leaves neither rows
 * nor files behind. */
#define _XOPEN_SOURCE 700 /* nftw, to remove the test's media directories */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <gd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "db/migrate.h"
#include "media/demo_pictures.h"
#include "shop/catalog.h"
#include "shop/demo.h"
#include "shop/faq.h"
#include "testdb.h"
#include "testfile.h"

static const char *backend;
static struct db
    *shared; /* one database for the group: making one per test is slow on PostgreSQL */
static char media_root[256];
static int media_counter;

static int64_t count(struct db *db, const char *sql)
{
    int64_t n = -1;
    if (db_query_int(db, &n, sql))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return n;
}

/* A fresh, not yet existing media directory under this run's temporary root. */
static const char *new_media_dir(struct buf *out)
{
    buf_setf(out, "%s/media-%d", media_root, ++media_counter);
    return out->data;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* The file at path is a JPEG of the demo's size. */
static void assert_picture(const char *path)
{
    struct buf data = BUF_INIT;
    testfile_read(&data, path);
    assert_true(data.len > 1000);
    gdImagePtr im = gdImageCreateFromJpegPtr((int)data.len, data.data);
    if (!im)
        fail_msg("%s does not decode as a JPEG", path);
    assert_int_equal(gdImageSX(im), MEDIA_DEMO_SIZE);
    assert_int_equal(gdImageSY(im), MEDIA_DEMO_SIZE);
    gdImageDestroy(im);
    buf_release(&data);
}

static int seed(struct db *db, const char *media, const char *currency, struct demo_report *r,
                struct buf *err)
{
    return media_demo_seed(db, media, currency, NULL, r, err);
}

static void run(struct db *db, const char *sql)
{
    if (db_exec(db, sql))
        fail_msg("%s: %s", sql, db_errmsg(db));
}

/* The shared database, emptied of what a test before may have left. */
static struct db *empty_db(void)
{
    run(shared, "DELETE FROM product");
    run(shared, "DELETE FROM category WHERE parent_id IS NOT NULL"); /* two levels at most */
    run(shared, "DELETE FROM category");
    run(shared, "DELETE FROM faq");
    return shared;
}

static void assert_empty(struct db *db)
{
    assert_int_equal(count(db, "SELECT count(*) FROM category"), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM product"), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM faq"), 0);
}

static void seeds_an_empty_database(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf media = BUF_INIT, err = BUF_INIT, prefix = BUF_INIT;
    struct demo_report r;
    new_media_dir(&media);
    assert_int_equal(seed(db, media.data, "RUB", &r, &err), 0);
    assert_false(r.skipped);
    assert_int_equal(r.categories, 9);
    assert_int_equal(r.products, 30);
    assert_int_equal(r.faqs, 8);
    assert_int_equal(count(db, "SELECT count(*) FROM category"), 9);
    assert_int_equal(count(db, "SELECT count(*) FROM product"), 30);
    assert_int_equal(count(db, "SELECT count(*) FROM faq"), 8);
    assert_int_equal(count(db, "SELECT count(*) FROM channel"), 0);

    /* two levels: 3 roots of 2 children each, products only in the children, none empty */
    assert_int_equal(count(db, "SELECT count(*) FROM category WHERE parent_id IS NULL"), 3);
    assert_int_equal(count(db, "SELECT count(*) FROM category c WHERE parent_id IS NULL AND "
                               "(SELECT count(*) FROM category k WHERE k.parent_id = c.id) <> 2"),
                     0);
    assert_int_equal(count(db, "SELECT count(*) FROM category c JOIN category p "
                               "ON p.id = c.parent_id WHERE p.parent_id IS NULL"),
                     6);
    assert_int_equal(count(db, "SELECT count(*) FROM product p JOIN category c "
                               "ON c.id = p.category_id WHERE c.parent_id IS NULL"),
                     0);
    assert_int_equal(count(db, "SELECT count(*) FROM category c WHERE parent_id IS NOT NULL AND "
                               "NOT EXISTS (SELECT 1 FROM product p WHERE p.category_id = c.id)"),
                     0);

    /* prices in kopecks within 190.00..2990.00; stock spread: sold out, nearly gone, plenty */
    assert_int_equal(count(db, "SELECT min(price) FROM product"), 19000);
    assert_int_equal(count(db, "SELECT max(price) FROM product"), 299000);
    assert_int_equal(count(db, "SELECT count(*) FROM product WHERE price % 100 <> 0"), 0);
    assert_true(count(db, "SELECT count(*) FROM product WHERE stock = 0") >= 2);
    assert_true(count(db, "SELECT count(*) FROM product WHERE stock BETWEEN 1 AND 3") >= 2);
    assert_true(count(db, "SELECT count(*) FROM product WHERE stock BETWEEN 10 AND 100") >= 20);
    assert_int_equal(count(db, "SELECT count(*) FROM product WHERE stock > 100"), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM product WHERE description = ''"), 0);
    assert_int_equal(count(db, "SELECT count(DISTINCT name) FROM product"), 30);

    /* every product has its own picture, a JPEG of the demo size, under MEDIA_DIR/demo */
    buf_setf(&prefix, "%s/demo/product-", media.data);
    struct db_rows *rows;
    assert_int_equal(db_query(db, &rows, "SELECT photo_path FROM product ORDER BY id"), 0);
    int n = 0, rc;
    while ((rc = db_next(rows)) > 0) {
        const char *path = db_text(rows, 0);
        assert_non_null(path);
        assert_memory_equal(path, prefix.data, prefix.len);
        assert_picture(path);
        n++;
    }
    assert_int_equal(rc, 0);
    db_rows_free(rows);
    assert_int_equal(n, 30);
    assert_int_equal(count(db, "SELECT count(DISTINCT photo_path) FROM product"), 30);

    /* what a customer sees: the root level, a search by a lower-case word, the FAQ */
    struct arena a;
    arena_init(&a, 0);
    struct catalog_entry *entries;
    int got;
    int64_t total;
    assert_int_equal(catalog_level(db, &a, 0, 0, 10, &entries, &got, &total), 0);
    assert_int_equal(total, 3);
    assert_int_equal(entries[0].kind, CATALOG_CATEGORY);
    assert_int_equal(catalog_search(db, &a, "сенча", 0, 10, &entries, &got), 0);
    assert_int_equal(got, 1);
    assert_string_equal(entries[0].name, "Зелёный чай Сенча");
    struct faq *faqs;
    assert_int_equal(faq_search(db, &a, "оплатить", 0, 10, &faqs, &got), 0);
    assert_true(got >= 1);
    arena_release(&a);

    buf_release(&prefix);
    buf_release(&media);
    buf_release(&err);
}

/* A fingerprint of the seeded rows: ids, prices, stocks, paths and the FAQ. */
static void fingerprint(struct db *db, struct buf *out)
{
    struct db_rows *rows;
    buf_reset(out);
    assert_int_equal(db_query(db, &rows,
                              "SELECT 'p', id, price, stock, photo_path FROM product UNION ALL "
                              "SELECT 'c', id, 0, 0, name FROM category UNION ALL "
                              "SELECT 'f', id, 0, 0, question FROM faq ORDER BY 1, 2"),
                     0);
    int rc;
    while ((rc = db_next(rows)) > 0)
        buf_addf(out, "%s %lld %lld %lld %s\n", db_text(rows, 0), (long long)db_int(rows, 1),
                 (long long)db_int(rows, 2), (long long)db_int(rows, 3), db_text(rows, 4));
    assert_int_equal(rc, 0);
    db_rows_free(rows);
}

/* A shop that wrote its FAQ before adding products keeps its FAQ as it is; a second seed then
 * finds the catalogue filled and changes nothing, not even a picture. */
static void a_shops_faq_is_kept_and_seeding_again_changes_nothing(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf media = BUF_INIT, err = BUF_INIT, before = BUF_INIT, after = BUF_INIT,
               path = BUF_INIT;
    struct demo_report r;
    int64_t id;
    assert_int_equal(faq_create(db, "Свой вопрос?", "Свой ответ.", 1, &id), 0);
    assert_int_equal(seed(db, new_media_dir(&media), "RUB", &r, &err), 0);
    assert_false(r.skipped);
    assert_int_equal(r.products, 30);
    assert_int_equal(r.faqs, 0);
    assert_int_equal(count(db, "SELECT count(*) FROM faq"), 1);
    fingerprint(db, &before);
    buf_setf(&path, "%s/demo/product-1.jpg", media.data);
    assert_int_equal(unlink(path.data), 0);

    assert_int_equal(seed(db, media.data, "RUB", &r, &err), 0);
    assert_true(r.skipped);
    assert_int_equal(r.categories + r.products + r.faqs, 0);
    fingerprint(db, &after);
    assert_string_equal(before.data, after.data);
    assert_false(exists(path.data)); /* no picture was drawn again */

    buf_release(&media);
    buf_release(&err);
    buf_release(&before);
    buf_release(&after);
    buf_release(&path);
}

static void an_existing_category_skips_the_seed(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf media = BUF_INIT, err = BUF_INIT;
    struct demo_report r;
    int64_t id;
    assert_int_equal(catalog_create_category(db, 0, "Наше", "", 1, &id), 0);
    assert_int_equal(seed(db, new_media_dir(&media), "RUB", &r, &err), 0);
    assert_true(r.skipped);
    assert_int_equal(count(db, "SELECT count(*) FROM category"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM product"), 0);
    assert_int_equal(count(db, "SELECT count(*) FROM faq"), 0);
    assert_false(exists(media.data));
    buf_release(&media);
    buf_release(&err);
}

static void an_unwritable_media_dir_leaves_nothing(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf media = BUF_INIT, err = BUF_INIT;
    struct demo_report r;
    /* a regular file where the directory should be: fails for root too */
    FILE *f = fopen(new_media_dir(&media), "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(seed(db, media.data, "RUB", &r, &err), ERR_IO);
    assert_non_null(strstr(err.data, "cannot create directory"));
    assert_non_null(strstr(err.data, media.data));
    assert_non_null(strstr(err.data, "Not a directory"));
    assert_false(r.skipped);
    assert_int_equal(r.products, 0);
    assert_empty(db);
    buf_release(&media);
    buf_release(&err);
}

static void a_failure_midway_removes_the_pictures(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf media = BUF_INIT, err = BUF_INIT, path = BUF_INIT;
    struct demo_report r;
    /* the fifth picture cannot be written: a directory sits where its temporary file goes */
    buf_setf(&path, "%s/demo/product-5.jpg.tmp", new_media_dir(&media));
    assert_int_equal(mkdir(media.data, 0755), 0);
    buf_setf(&err, "%s/demo", media.data);
    assert_int_equal(mkdir(err.data, 0755), 0);
    assert_int_equal(mkdir(path.data, 0755), 0);

    buf_reset(&err);
    assert_int_equal(seed(db, media.data, "RUB", &r, &err), ERR_IO);
    assert_non_null(strstr(err.data, "product-5.jpg"));
    assert_empty(db);
    for (int n = 1; n <= 5; n++) {
        buf_setf(&path, "%s/demo/product-%d.jpg", media.data, n);
        assert_false(exists(path.data));
    }
    buf_release(&media);
    buf_release(&err);
    buf_release(&path);
}

/* Same inputs, same pictures, whatever the currency; prices follow the currency's minor unit;
 * without the font the pictures are shapes only, but every product still has one. */
static void pictures_are_deterministic_and_need_no_font(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf m1 = BUF_INIT, m2 = BUF_INIT, m3 = BUF_INIT, err = BUF_INIT, path = BUF_INIT,
               a = BUF_INIT, b = BUF_INIT;
    struct demo_report r;
    assert_int_equal(seed(db, new_media_dir(&m1), "RUB", &r, &err), 0);
    assert_int_equal(seed(empty_db(), new_media_dir(&m2), "XTR", &r, &err), 0);
    assert_int_equal(r.products, 30);
    assert_int_equal(count(db, "SELECT min(price) FROM product"), 50);
    assert_int_equal(count(db, "SELECT max(price) FROM product"), 900);
    assert_int_equal(count(db, "SELECT count(*) FROM product WHERE price % 5 <> 0"), 0);
    for (int n = 1; n <= 30; n++) {
        buf_setf(&path, "%s/demo/product-%d.jpg", m1.data, n);
        testfile_read(&a, path.data);
        buf_setf(&path, "%s/demo/product-%d.jpg", m2.data, n);
        testfile_read(&b, path.data);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
    }

    /* without the font: shapes only, still a picture for every product */
    assert_int_equal(
        media_demo_seed(empty_db(), new_media_dir(&m3), "JPY", "/nonexistent/x.ttf", &r, &err), 0);
    assert_int_equal(r.products, 30);
    assert_int_equal(count(db, "SELECT min(price) FROM product"), 190); /* no decimals: yen */
    assert_int_equal(count(db, "SELECT max(price) FROM product"), 2990);
    for (int n = 1; n <= 30; n++) {
        buf_setf(&path, "%s/demo/product-%d.jpg", m3.data, n);
        assert_picture(path.data);
    }
    testfile_read(&b, path.data); /* product-30 without text differs from the one with text */
    buf_setf(&path, "%s/demo/product-30.jpg", m1.data);
    testfile_read(&a, path.data);
    assert_false(a.len == b.len && !memcmp(a.data, b.data, a.len));

    buf_release(&m1);
    buf_release(&m2);
    buf_release(&m3);
    buf_release(&err);
    buf_release(&path);
    buf_release(&a);
    buf_release(&b);
}

struct racer {
    const char *url, *media;
    struct demo_report report;
    int rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct buf err = BUF_INIT;
    struct db *db;
    r->rc = db_open(&db, r->url, &err);
    if (!r->rc) {
        r->rc = seed(db, r->media, "RUB", &r->report, &err);
        db_close(db);
    }
    if (r->rc)
        fprintf(stderr, "racer: %s\n", err.data);
    buf_release(&err);
    return NULL;
}

/* Two processes starting on one fresh database (two `tgshop run`, or `run` and `seed-demo`):
 * one seeds, the other finds the catalogue filled. */
static void two_seeds_at_once_seed_once(void **state)
{
    (void)state;
    struct buf url = BUF_INIT, media = BUF_INIT, err = BUF_INIT;
    struct db *db;
    buf_adds(&url, testdb_new_url(backend));
    assert_int_equal(db_open(&db, url.data, &err), 0);
    assert_int_equal(migrate_apply(db, NULL, &err), 0);
    struct racer racers[2] = {{url.data, new_media_dir(&media), {0}, 0},
                              {url.data, media.data, {0}, 0}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    assert_int_equal(racers[0].rc, 0);
    assert_int_equal(racers[1].rc, 0);
    assert_int_equal(racers[0].report.skipped + racers[1].report.skipped, 1);
    assert_int_equal(racers[0].report.products + racers[1].report.products, 30);
    assert_int_equal(count(db, "SELECT count(*) FROM product"), 30);
    assert_int_equal(count(db, "SELECT count(*) FROM category"), 9);
    assert_int_equal(count(db, "SELECT count(*) FROM faq"), 8);
    db_close(db);
    buf_release(&url);
    buf_release(&media);
    buf_release(&err);
}

static void bad_options_are_refused(void **state)
{
    (void)state;
    struct db *db = empty_db();
    struct buf err = BUF_INIT;
    struct demo_report r;
    assert_int_equal(seed(db, NULL, "RUB", &r, &err), ERR_INVALID);
    assert_non_null(strstr(err.data, "media directory"));
    buf_reset(&err);
    assert_int_equal(seed(db, "", "RUB", &r, &err), ERR_INVALID);
    buf_reset(&err);
    assert_int_equal(seed(db, media_root, "rub", &r, &err), ERR_INVALID);
    assert_non_null(strstr(err.data, "rub"));
    buf_reset(&err);
    assert_int_equal(seed(db, media_root, NULL, &r, &err), ERR_INVALID);
    buf_reset(&err);
    struct demo_options no_drawer = {media_root, "RUB", NULL, NULL};
    assert_int_equal(demo_seed(db, &no_drawer, &r, &err), ERR_INVALID);
    assert_non_null(strstr(err.data, "drawer"));
    assert_empty(db);
    buf_release(&err);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    snprintf(media_root, sizeof media_root, "/tmp/tgshop-demo-test-XXXXXX");
    if (!mkdtemp(media_root)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(seeds_an_empty_database),
        cmocka_unit_test(a_shops_faq_is_kept_and_seeding_again_changes_nothing),
        cmocka_unit_test(an_existing_category_skips_the_seed),
        cmocka_unit_test(an_unwritable_media_dir_leaves_nothing),
        cmocka_unit_test(a_failure_midway_removes_the_pictures),
        cmocka_unit_test(pictures_are_deterministic_and_need_no_font),
        cmocka_unit_test(two_seeds_at_once_seed_once),
        cmocka_unit_test(bad_options_are_refused),
    };
    shared = testdb_open(backend, true);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    db_close(shared);
    nftw(media_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    testdb_cleanup();
    return failed;
}
