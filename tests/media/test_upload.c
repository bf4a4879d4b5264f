/* Uploaded pictures (src/media/upload.c): real JPEG, PNG and WebP files made here with libgd
 * are stored re-encoded with a thumbnail; hostile files (empty, text, wrong magic, truncated,
 * polyglots, decompression bombs, huge or Telegram-refused dimensions) are refused with a
 * clear message and leave no file behind. */
#define _XOPEN_SOURCE 700 /* nftw */
#define _GNU_SOURCE       /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <ftw.h>
#include <gd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "media/upload.h"
#include "testfile.h"

static char media_root[256];
static int media_counter;

/* A fresh, not yet existing media directory. */
static const char *new_media_dir(struct buf *out)
{
    buf_setf(out, "%s/media-%d", media_root, ++media_counter);
    return out->data;
}

/* A w × h picture with a colour pattern, so encoders have something to encode. */
static gdImagePtr make_picture(int w, int h)
{
    gdImagePtr im = gdImageCreateTrueColor(w, h);
    assert_non_null(im);
    for (int y = 0; y < h; y += 4)
        for (int x = 0; x < w; x += 4)
            gdImageFilledRectangle(im, x, y, x + 3, y + 3,
                                   gdTrueColor(x * 255 / w, y * 255 / h, (x + y) % 256));
    return im;
}

enum kind { JPEG, PNG, WEBP, GIF };

/* im encoded as kind into out. */
static void encode(gdImagePtr im, enum kind kind, struct buf *out)
{
    int size = 0;
    void *data = kind == JPEG   ? gdImageJpegPtr(im, &size, 90)
                 : kind == PNG  ? gdImagePngPtr(im, &size)
                 : kind == WEBP ? gdImageWebpPtr(im, &size)
                                : gdImageGifPtr(im, &size);
    assert_non_null(data);
    buf_reset(out);
    buf_add(out, data, (size_t)size);
    gdFree(data);
}

/* A w × h picture encoded as kind. */
static void make_file(int w, int h, enum kind kind, struct buf *out)
{
    gdImagePtr im = make_picture(w, h);
    encode(im, kind, out);
    gdImageDestroy(im);
}

/* The JPEG at path, decoded (destroy it). */
static gdImagePtr load_jpeg(const char *path)
{
    struct buf data = BUF_INIT;
    testfile_read(&data, path);
    assert_memory_equal(data.data, "\xff\xd8\xff", 3);
    gdImagePtr im = gdImageCreateFromJpegPtr((int)data.len, data.data);
    if (!im)
        fail_msg("%s does not decode as a JPEG", path);
    buf_release(&data);
    return im;
}

static void assert_jpeg_size(const char *path, int w, int h)
{
    gdImagePtr im = load_jpeg(path);
    assert_int_equal(gdImageSX(im), w);
    assert_int_equal(gdImageSY(im), h);
    gdImageDestroy(im);
}

/* Files in dir, 0 when it does not exist. */
static int count_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

static int store(struct media_image *out, const char *media, const struct buf *file,
                 const struct media_limits *limits, struct buf *err)
{
    buf_reset(err);
    return media_store_upload(out, media, "products", file->data, file->len, limits, err);
}

static void jpeg_png_and_webp_are_stored_with_a_thumbnail(void **state)
{
    (void)state;
    static const struct {
        enum kind kind;
        const char *type;
    } cases[] = {{JPEG, "image/jpeg"}, {PNG, "image/png"}, {WEBP, "image/webp"}};
    struct buf media = BUF_INIT, file = BUF_INIT, err = BUF_INIT, products = BUF_INIT;
    new_media_dir(&media);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_file(800, 600, cases[i].kind, &file);
        struct media_image img;
        if (store(&img, media.data, &file, NULL, &err))
            fail_msg("%s: %s", cases[i].type, err.data);
        assert_string_equal(img.upload_type, cases[i].type);
        assert_int_equal(img.width, 800);
        assert_int_equal(img.height, 600);
        assert_jpeg_size(img.path, 800, 600);
        assert_jpeg_size(img.thumb_path, 320, 240);

        /* the colours survive the re-encoding: the pattern's bottom right is blue-ish white */
        gdImagePtr im = load_jpeg(img.path);
        int c = gdImageGetTrueColorPixel(im, 10, 10);
        assert_true(gdTrueColorGetRed(c) < 40 && gdTrueColorGetGreen(c) < 40);
        c = gdImageGetTrueColorPixel(im, 790, 590);
        assert_true(gdTrueColorGetRed(c) > 200 && gdTrueColorGetGreen(c) > 200);
        gdImageDestroy(im);
        media_image_release(&img);
    }
    buf_setf(&products, "%s/products", media.data);
    assert_int_equal(count_files(products.data), 6);
    buf_release(&media);
    buf_release(&file);
    buf_release(&err);
    buf_release(&products);
}

/* MEDIA_DIR/products/<32 hex digits>.jpg and -thumb.jpg, a new name for every upload. */
static void names_are_random_and_never_from_the_user(void **state)
{
    (void)state;
    struct buf media = BUF_INIT, file = BUF_INIT, err = BUF_INIT, prefix = BUF_INIT;
    struct media_image a, b;
    make_file(64, 64, PNG, &file);
    buf_setf(&prefix, "%s/products/", new_media_dir(&media));
    assert_int_equal(store(&a, media.data, &file, NULL, &err), 0);
    assert_int_equal(store(&b, media.data, &file, NULL, &err), 0);
    assert_string_not_equal(a.path, b.path);
    const struct media_image *both[] = {&a, &b};
    for (int i = 0; i < 2; i++) {
        const char *p = both[i]->path, *t = both[i]->thumb_path;
        assert_int_equal(strncmp(p, prefix.data, prefix.len), 0);
        const char *name = p + prefix.len;
        assert_int_equal(strlen(name), 32 + 4);
        assert_int_equal(strspn(name, "0123456789abcdef"), 32);
        assert_string_equal(name + 32, ".jpg");
        assert_int_equal(strncmp(t, p, prefix.len + 32), 0);
        assert_string_equal(t + prefix.len + 32, "-thumb.jpg");
    }

    /* the folder comes from the code, and a path in it is refused anyway */
    struct media_image c;
    buf_reset(&err);
    assert_int_equal(media_store_upload(&c, media.data, "../etc", file.data, file.len, NULL, &err),
                     ERR_INVALID);
    assert_null(c.path);

    /* removing takes both files away */
    media_image_remove(&a);
    assert_int_equal(access(a.path, F_OK), -1);
    assert_int_equal(access(a.thumb_path, F_OK), -1);
    assert_int_equal(access(b.path, F_OK), 0);
    media_image_release(&a);
    media_image_release(&b);
    buf_release(&media);
    buf_release(&file);
    buf_release(&err);
    buf_release(&prefix);
}

static void large_pictures_are_scaled_down_and_transparency_becomes_white(void **state)
{
    (void)state;
    struct buf media = BUF_INIT, file = BUF_INIT, err = BUF_INIT;
    struct media_image img;
    make_file(3000, 1000, JPEG, &file);
    assert_int_equal(store(&img, new_media_dir(&media), &file, NULL, &err), 0);
    assert_int_equal(img.width, MEDIA_STORED_SIDE);
    assert_int_equal(img.height, MEDIA_STORED_SIDE / 3);
    assert_jpeg_size(img.path, MEDIA_STORED_SIDE, MEDIA_STORED_SIDE / 3);
    assert_jpeg_size(img.thumb_path, MEDIA_THUMB_SIDE, MEDIA_THUMB_SIDE / 3);
    media_image_release(&img);

    /* a tall one fits the thumbnail by its height */
    make_file(300, 900, WEBP, &file);
    assert_int_equal(store(&img, media.data, &file, NULL, &err), 0);
    assert_jpeg_size(img.path, 300, 900);
    assert_jpeg_size(img.thumb_path, MEDIA_THUMB_SIDE / 3, MEDIA_THUMB_SIDE);
    media_image_release(&img);

    /* a PNG whose left half is transparent: white there, the colour on the right */
    gdImagePtr im = gdImageCreateTrueColor(200, 100);
    gdImageAlphaBlending(im, 0);
    gdImageSaveAlpha(im, 1);
    gdImageFilledRectangle(im, 0, 0, 99, 99, gdTrueColorAlpha(0, 0, 0, gdAlphaTransparent));
    gdImageFilledRectangle(im, 100, 0, 199, 99, gdTrueColor(200, 20, 20));
    encode(im, PNG, &file);
    gdImageDestroy(im);
    assert_int_equal(store(&img, media.data, &file, NULL, &err), 0);
    im = load_jpeg(img.path);
    int left = gdImageGetTrueColorPixel(im, 30, 50), right = gdImageGetTrueColorPixel(im, 170, 50);
    assert_true(gdTrueColorGetRed(left) > 245 && gdTrueColorGetGreen(left) > 245 &&
                gdTrueColorGetBlue(left) > 245);
    assert_true(gdTrueColorGetRed(right) > 180 && gdTrueColorGetGreen(right) < 50);
    gdImageDestroy(im);
    media_image_release(&img);
    buf_release(&media);
    buf_release(&file);
    buf_release(&err);
}

/* A JPEG segment (marker, then payload) inserted right after the SOI of jpeg. */
static void insert_segment(struct buf *jpeg, unsigned char marker, const char *payload, size_t len)
{
    struct buf out = BUF_INIT;
    buf_add(&out, jpeg->data, 2);
    unsigned char head[4] = {0xff, marker, (unsigned char)((len + 2) >> 8),
                             (unsigned char)(len + 2)};
    buf_add(&out, head, sizeof head);
    buf_add(&out, payload, len);
    buf_add(&out, jpeg->data + 2, jpeg->len - 2);
    buf_reset(jpeg);
    buf_add(jpeg, out.data, out.len);
    buf_release(&out);
}

static void assert_not_in(const char *path, const char *needle)
{
    struct buf data = BUF_INIT;
    testfile_read(&data, path);
    if (memmem(data.data, data.len, needle, strlen(needle)))
        fail_msg("%s still holds \"%s\"", path, needle);
    buf_release(&data);
}

/* Metadata and whatever hides around the picture are not stored: EXIF with a GPS position,
 * a comment with a PHP script, an HTML page and a ZIP archive after the end of the picture. */
static void metadata_and_polyglots_are_stripped(void **state)
{
    (void)state;
    static const char exif[] = "Exif\0\0MM\0*\0\0\0\x08GPSLatitude 55.7558 N secret-home";
    static const char php[] = "<?php system($_GET['c']); ?>";
    static const char tail[] = "<html><script>alert(document.cookie)</script></html>"
                               "PK\x03\x04\x14\0\0\0\0\0payload.sh";
    static const char *needles[] = {"Exif", "secret-home", "<?php", "<script", "PK\x03\x04"};
    struct buf media = BUF_INIT, file = BUF_INIT, err = BUF_INIT;
    new_media_dir(&media);
    for (int kind = JPEG; kind <= PNG; kind++) {
        make_file(120, 80, (enum kind)kind, &file);
        if (kind == JPEG) {
            insert_segment(&file, 0xfe, php, sizeof php - 1);   /* COM */
            insert_segment(&file, 0xe1, exif, sizeof exif - 1); /* APP1 */
            assert_non_null(memmem(file.data, file.len, "secret-home", 11));
        }
        buf_add(&file, tail, sizeof tail - 1);
        struct media_image img;
        if (store(&img, media.data, &file, NULL, &err))
            fail_msg("polyglot %d refused: %s", kind, err.data);
        assert_jpeg_size(img.path, 120, 80);
        for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
            assert_not_in(img.path, needles[i]);
            assert_not_in(img.thumb_path, needles[i]);
        }
        media_image_release(&img);
    }
    buf_release(&media);
    buf_release(&file);
    buf_release(&err);
}

/* A JPEG 200 × 100, red on the left and blue on the right, tagged with an EXIF orientation
 * (big-endian TIFF, one IFD0 entry). */
static void make_turned_jpeg(int orientation, struct buf *out)
{
    gdImagePtr im = gdImageCreateTrueColor(200, 100);
    gdImageFilledRectangle(im, 0, 0, 99, 99, gdTrueColor(220, 0, 0));
    gdImageFilledRectangle(im, 100, 0, 199, 99, gdTrueColor(0, 0, 220));
    encode(im, JPEG, out);
    gdImageDestroy(im);
    char exif[] = "Exif\0\0MM\0\x2a\0\0\0\x08"         /* TIFF header, IFD0 at 8 */
                  "\0\x01"                             /* one entry */
                  "\x01\x12\0\x03\0\0\0\x01\0\x00\0\0" /* Orientation, SHORT, 1 */
                  "\0\0\0\0";                          /* no next IFD */
    exif[6 + 8 + 2 + 9] = (char)orientation;
    insert_segment(out, 0xe1, exif, sizeof exif - 1);
}

static bool is_red(gdImagePtr im, int x, int y)
{
    int c = gdImageGetTrueColorPixel(im, x, y);
    return gdTrueColorGetRed(c) > 150 && gdTrueColorGetBlue(c) < 80;
}

/* Phone photos taken sideways are stored upright: the EXIF tag that said so is gone. */
static void exif_orientation_is_applied(void **state)
{
    (void)state;
    static const struct {
        int orientation, w, h;
        int red_x, red_y; /* where the red half is in the stored picture */
    } cases[] = {
        {1, 200, 100, 20, 50},  /* as stored */
        {3, 200, 100, 180, 50}, /* upside down */
        {6, 100, 200, 50, 20},  /* turned: the left side becomes the top */
        {8, 100, 200, 50, 180}, /* turned the other way */
        {2, 200, 100, 180, 50}, /* mirrored */
    };
    struct buf media = BUF_INIT, file = BUF_INIT, err = BUF_INIT;
    new_media_dir(&media);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_turned_jpeg(cases[i].orientation, &file);
        struct media_image img;
        if (store(&img, media.data, &file, NULL, &err))
            fail_msg("orientation %d: %s", cases[i].orientation, err.data);
        assert_int_equal(img.width, cases[i].w);
        assert_int_equal(img.height, cases[i].h);
        gdImagePtr im = load_jpeg(img.path);
        assert_int_equal(gdImageSX(im), cases[i].w);
        if (!is_red(im, cases[i].red_x, cases[i].red_y) ||
            is_red(im, cases[i].w - 1 - cases[i].red_x, cases[i].h - 1 - cases[i].red_y))
            fail_msg("orientation %d: the red half is not at %d,%d", cases[i].orientation,
                     cases[i].red_x, cases[i].red_y);
        gdImageDestroy(im);
        assert_jpeg_size(img.thumb_path, cases[i].w, cases[i].h); /* small: not scaled */
        media_image_release(&img);
    }
    buf_release(&media);
    buf_release(&file);
    buf_release(&err);
}

/* Sets the width and height in a JPEG's SOF0 segment, as a hostile file would declare. */
static void forge_jpeg_size(struct buf *jpeg, unsigned w, unsigned h)
{
    unsigned char *d = (unsigned char *)jpeg->data;
    for (size_t i = 2; i + 9 < jpeg->len; i++) {
        if (d[i] == 0xff && d[i + 1] == 0xc0) {
            d[i + 5] = (unsigned char)(h >> 8), d[i + 6] = (unsigned char)h;
            d[i + 7] = (unsigned char)(w >> 8), d[i + 8] = (unsigned char)w;
            return;
        }
    }
    fail_msg("no SOF0 in the JPEG");
}

/* Sets the width and height in a PNG's IHDR (its checksum no longer matches: the header alone
 * must refuse it). */
static void forge_png_size(struct buf *png, unsigned w, unsigned h)
{
    unsigned char *d = (unsigned char *)png->data + 16;
    for (int i = 0; i < 4; i++) {
        d[i] = (unsigned char)(w >> (24 - 8 * i));
        d[4 + i] = (unsigned char)(h >> (24 - 8 * i));
    }
}

struct hostile {
    const char *what;
    struct buf file;
    struct media_limits limits;
    int code;
    const char *message; /* part of what the user reads */
};

static void hostile_files_are_refused_and_leave_nothing(void **state)
{
    (void)state;
    struct hostile cases[] = {
        {.what = "zero bytes", .code = ERR_INVALID, .message = "empty"},
        {.what = "text renamed .jpg", .code = ERR_INVALID, .message = "not a JPEG, PNG or WebP"},
        {.what = "a GIF", .code = ERR_INVALID, .message = "not a JPEG, PNG or WebP"},
        {.what = "a PNG with wrong magic", .code = ERR_INVALID, .message = "not a JPEG"},
        {.what = "a JPEG cut in half", .code = ERR_INVALID, .message = "damaged"},
        {.what = "a JPEG without its last byte", .code = ERR_INVALID, .message = "damaged"},
        {.what = "a JPEG with its data overwritten", .code = ERR_INVALID, .message = "damaged"},
        {.what = "a PNG cut in half", .code = ERR_INVALID, .message = "damaged"},
        {.what = "a WebP cut in half", .code = ERR_INVALID, .message = "damaged"},
        {.what = "a JPEG header only", .code = ERR_INVALID, .message = "damaged"},
        {.what = "a JPEG declaring 8000x6000", .code = ERR_TOOBIG, .message = "megapixels"},
        {.what = "a PNG bomb", .code = ERR_TOOBIG, .message = "1 megapixels"},
        {.what = "too many bytes", .code = ERR_TOOBIG, .message = "at most 2000"},
        {.what = "a 21:1 banner", .code = ERR_TOOBIG, .message = "Telegram"},
        {.what = "6000 + 4500 pixels", .code = ERR_TOOBIG, .message = "Telegram"},
    };
    enum { N = sizeof cases / sizeof cases[0] };
    for (int i = 0; i < N; i++)
        buf_init(&cases[i].file, 0);
    struct hostile *c = cases;
    c++; /* zero bytes: nothing */
    buf_adds(&(c++)->file, "Hello! This is a text file, not a photo.\n");
    make_file(50, 50, GIF, &(c++)->file);
    make_file(50, 50, PNG, &c->file);
    (c++)->file.data[0] = 'X';
    make_file(400, 300, JPEG, &c->file);
    buf_truncate(&c->file, c->file.len / 2), c++;
    make_file(400, 300, JPEG, &c->file);
    buf_truncate(&c->file, c->file.len - 1), c++;
    make_file(400, 300, JPEG, &c->file);
    memset(c->file.data + c->file.len / 2, 0xff, 64), c++; /* a run of marker bytes mid-scan */
    make_file(400, 300, PNG, &c->file);
    buf_truncate(&c->file, c->file.len / 2), c++;
    make_file(400, 300, WEBP, &c->file);
    buf_truncate(&c->file, c->file.len / 2), c++;
    make_file(400, 300, JPEG, &c->file);
    buf_truncate(&c->file, 700), c++; /* the tables and the frame header, no scan */
    make_file(400, 300, JPEG, &c->file);
    forge_jpeg_size(&(c++)->file, 8000, 6000); /* 48 MP: ~190 MB if it were decoded */
    gdImagePtr plain = gdImageCreateTrueColor(2000, 1500);
    encode(plain, PNG, &c->file); /* 3 MP of black: a small file */
    gdImageDestroy(plain);
    assert_true(c->file.len < 100000);
    (c++)->limits.max_pixels = 1000000;
    make_file(400, 300, JPEG, &c->file);
    (c++)->limits.max_bytes = 2000;
    make_file(2100, 100, PNG, &(c++)->file);
    make_file(60, 45, PNG, &c->file);
    forge_png_size(&(c++)->file, 6000, 4500);
    assert_ptr_equal(c, cases + N);

    struct buf media = BUF_INIT, err = BUF_INIT;
    new_media_dir(&media);
    for (int i = 0; i < N; i++) {
        struct media_image img;
        int rc = store(&img, media.data, &cases[i].file, &cases[i].limits, &err);
        if (rc != cases[i].code || !strstr(err.data, cases[i].message))
            fail_msg("%s: got %d \"%s\", want %d \"…%s…\"", cases[i].what, rc, err.data,
                     cases[i].code, cases[i].message);
        assert_null(img.path);
        assert_int_equal(count_files(media.data), 0);
        buf_release(&cases[i].file);
    }
    buf_release(&media);
    buf_release(&err);
}

static void an_unwritable_media_dir_is_an_io_error(void **state)
{
    (void)state;
    struct buf media = BUF_INIT, file = BUF_INIT, err = BUF_INIT, products = BUF_INIT;
    struct media_image img;
    /* a regular file where the folder should be: fails for root too */
    assert_int_equal(mkdir(new_media_dir(&media), 0755), 0);
    buf_setf(&products, "%s/products", media.data);
    FILE *f = fopen(products.data, "w");
    assert_non_null(f);
    fclose(f);
    make_file(100, 100, JPEG, &file);
    assert_int_equal(store(&img, media.data, &file, NULL, &err), ERR_IO);
    assert_non_null(strstr(err.data, products.data));
    assert_null(img.path);
    assert_int_equal(count_files(media.data), 1);
    buf_release(&media);
    buf_release(&file);
    buf_release(&err);
    buf_release(&products);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    snprintf(media_root, sizeof media_root, "/tmp/tgshop-media-test-XXXXXX");
    if (!mkdtemp(media_root)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jpeg_png_and_webp_are_stored_with_a_thumbnail),
        cmocka_unit_test(names_are_random_and_never_from_the_user),
        cmocka_unit_test(large_pictures_are_scaled_down_and_transparency_becomes_white),
        cmocka_unit_test(metadata_and_polyglots_are_stripped),
        cmocka_unit_test(exif_orientation_is_applied),
        cmocka_unit_test(hostile_files_are_refused_and_leave_nothing),
        cmocka_unit_test(an_unwritable_media_dir_is_an_io_error),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    nftw(media_root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return failed;
}
