/* The order export (src/export) on both backends: 100k orders to CSV and XLSX with every row
 * checked, memory bounded, formula injection, BOM, empty results and failures. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "db/migrate.h"
#include "export/export.h"
#include "testdb.h"

static const char *backend;

enum { N = 100000, DEC1 = 1764547200, RSS_BOUND_KIB = 32 * 1024 };

/* ---- files ---- */

static char *read_fd(int fd, size_t *out_len)
{
    struct buf b = BUF_INIT;
    char chunk[65536];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        buf_add(&b, chunk, (size_t)n);
    return buf_detach(&b, out_len);
}

static char *read_file(const char *path, size_t *out_len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    char *s = read_fd(fd, out_len);
    close(fd);
    return s;
}

/* Runs the export into a temporary file and returns its path (free it; unlink the file). */
static char *export_file(struct db *db, const struct order_filter *f,
                         const struct export_options *opt, int64_t *out_rows)
{
    char *path = strdup("/tmp/tgshop-export-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    struct buf err = BUF_INIT;
    int rc = export_orders(db, f, opt, fd, out_rows, &err);
    if (rc)
        fail_msg("export: %s", err.data);
    buf_release(&err);
    close(fd);
    return path;
}

/* One member of a zip file, through unzip(1). */
static char *unzip_member(const char *zip, const char *member, size_t *out_len)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "unzip -p '%s' '%s'", zip, member);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char *s = read_fd(fileno(p), out_len);
    assert_int_equal(pclose(p), 0);
    return s;
}

/* ---- an RFC 4180 reader, independent of the writer ---- */

struct csv_reader {
    const char *p, *end;
    struct buf field;
};

/* Reads the next field into r->field; returns 1 when it ends a record, 0 when more fields
 * follow, -1 at the end of input. */
static int csv_next_field(struct csv_reader *r)
{
    buf_reset(&r->field);
    if (r->p >= r->end)
        return -1;
    if (*r->p == '"') {
        r->p++;
        for (;;) {
            const char *q = memchr(r->p, '"', (size_t)(r->end - r->p));
            assert_non_null(q); /* an unterminated quoted field */
            buf_add(&r->field, r->p, (size_t)(q - r->p));
            r->p = q + 1;
            if (r->p < r->end && *r->p == '"') { /* a doubled quote is one quote */
                buf_addc(&r->field, '"');
                r->p++;
            } else {
                break;
            }
        }
    } else {
        const char *start = r->p;
        while (r->p < r->end && *r->p != ',' && *r->p != '\r' && *r->p != '\n')
            r->p++;
        buf_add(&r->field, start, (size_t)(r->p - start));
    }
    if (r->p < r->end && *r->p == ',') {
        r->p++;
        return 0;
    }
    /* records end with CRLF, never a bare LF */
    assert_true(r->p + 1 < r->end + 1 && r->p[0] == '\r' && r->p[1] == '\n');
    r->p += 2;
    return 1;
}

/* Reads one record into fields (at most max, each a malloc'd string); returns the count, or
 * -1 at the end of input. */
static int csv_record(struct csv_reader *r, char **fields, int max)
{
    int n = 0, rc;
    do {
        rc = csv_next_field(r);
        if (rc < 0)
            return n ? n : -1;
        assert_true(n < max);
        fields[n++] = strdup(r->field.data);
    } while (rc == 0);
    return n;
}

static void free_fields(char **fields, int n)
{
    for (int i = 0; i < n; i++)
        free(fields[i]);
}

/* ---- what tests/support/orders_100k.sql made of order n ---- */

static const char *const statuses[] = {"new",       "awaiting_payment", "paid",    "shipped",
                                       "delivered", "cancelled",        "refunded"};

struct expected {
    bool xtr, paid;
    int64_t total, units, created, customer;
    char comment[64];
};

static struct expected expect_order(int64_t n)
{
    struct expected e = {.xtr = n % 10 == 0,
                         .paid = n % 7 == 2 || n % 7 == 3 || n % 7 == 4 || n % 7 == 6};
    int64_t q = 1 + n % 3;
    e.total = q * (e.xtr ? 450 : 45000) + (n % 2 ? (e.xtr ? 1200 : 120000) : 0);
    e.units = q + n % 2;
    e.created = DEC1 + (n / 2) * 60;
    e.customer = n % 1000 + 1;
    if (n % 1000 == 7)
        snprintf(e.comment, sizeof e.comment, "=HYPERLINK(\"http://evil.example/\",\"x\")");
    else if (n % 1000 == 8)
        snprintf(e.comment, sizeof e.comment, "He said \"ring twice\", then\nleft");
    return e;
}

static void utc(int64_t t, char *out, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static void money(char *out, size_t size, int64_t v, bool xtr)
{
    if (xtr)
        snprintf(out, size, "%lld", (long long)v);
    else
        snprintf(out, size, "%lld.%02lld", (long long)(v / 100), (long long)(v % 100));
}

/* ---- the 100k fixture, loaded once per backend ---- */

/* Both groups' state: the 100k database (url set) or a small fresh one (customer set). */
struct fixture {
    struct db *db;
    char url[1024];
    int64_t customer;
};

static int load_fixture(struct db *db)
{
    size_t len;
    char *sql = read_file(TGSHOP_ORDERS_FIXTURE, &len);
    int rc = db_exec_script(db, sql);
    free(sql);
    if (rc)
        fprintf(stderr, "fixture: %s\n", db_errmsg(db));
    return rc;
}

static int big_setup(void **state)
{
    struct fixture *b = calloc(1, sizeof *b);
    snprintf(b->url, sizeof b->url, "%s", testdb_new_url(backend));
    struct buf err = BUF_INIT;
    if (db_open(&b->db, b->url, &err) || migrate_apply(b->db, NULL, &err) || load_fixture(b->db)) {
        fprintf(stderr, "100k fixture: %s\n", err.data);
        return -1;
    }
    buf_release(&err);
    *state = b;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *b = *state;
    db_close(b->db);
    free(b);
    return 0;
}

/* Exports every order to path in a fresh process (main's --measure mode) and returns how
 * much its resident set grew. Under ASan the
 * child runs with a small quarantine, else freed memory would count as growth. */
static long measured_growth_kib(const char *url, const char *format, const char *path)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        const char *asan = getenv("ASAN_OPTIONS");
        char options[1024];
        snprintf(options, sizeof options, "%s%squarantine_size_mb=1:detect_leaks=0",
                 asan ? asan : "", asan && *asan ? ":" : "");
        setenv("ASAN_OPTIONS", options, 1);
        execl("/proc/self/exe", "test_export", "--measure", url, format, path, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t len;
    char *out = read_fd(fds[0], &len);
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    long kib = atol(out);
    free(out);
    return kib;
}

/* Exports the 100k orders in a child process; checks its memory and returns the file. */
static char *export_100k(const struct fixture *b, const char *format)
{
    char *path = strdup("/tmp/tgshop-export-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    long kib = measured_growth_kib(b->url, format, path);
    fprintf(stderr, "# RSS growth exporting %d orders to %s on %s: %ld KiB\n", N, format, backend,
            kib);
    assert_true(kib > 0 && kib < RSS_BOUND_KIB);
    return path;
}

static void progress(int64_t done, int64_t total, void *ctx)
{
    int64_t *last = ctx;
    assert_true(done > *last);
    assert_true(done <= total);
    *last = done;
}

static void csv_of_100k_orders_reads_back_exactly(void **state)
{
    struct fixture *b = *state;
    char *path = export_100k(b, "csv");
    size_t len;
    char *csv = read_file(path, &len);
    unlink(path);
    free(path);
    assert_memory_equal(csv, "Order,Created (UTC),Status,Total,Currency,Items,", 48);
    struct csv_reader r = {csv, csv + len, BUF_INIT};
    char *f[32];
    int nf = csv_record(&r, f, 32);
    assert_int_equal(nf, 18);
    free_fields(f, nf);
    int64_t count = 0;
    char want[256];
    while ((nf = csv_record(&r, f, 32)) > 0) {
        assert_int_equal(nf, 18);
        int64_t n = N - count++; /* newest first: ids count down */
        struct expected e = expect_order(n);
        snprintf(want, sizeof want, "%lld", (long long)n);
        assert_string_equal(f[0], want);
        utc(e.created, want, sizeof want);
        assert_string_equal(f[1], want);
        assert_string_equal(f[2], statuses[n % 7]);
        money(want, sizeof want, e.total, e.xtr);
        assert_string_equal(f[3], want);
        assert_string_equal(f[4], e.xtr ? "XTR" : "RUB");
        char p1[32], p2[32];
        money(p1, sizeof p1, e.xtr ? 450 : 45000, e.xtr);
        money(p2, sizeof p2, e.xtr ? 1200 : 120000, e.xtr);
        int w = snprintf(want, sizeof want, "Чай Сенча × %lld @ %s", (long long)(1 + n % 3), p1);
        if (n % 2)
            snprintf(want + w, sizeof want - (size_t)w, "; Coffee, \"Arabica\" × 1 @ %s", p2);
        assert_string_equal(f[5], want);
        snprintf(want, sizeof want, "%lld", (long long)e.units);
        assert_string_equal(f[6], want);
        snprintf(want, sizeof want, "Покупатель %lld", (long long)n);
        assert_string_equal(f[7], want);
        snprintf(want, sizeof want, "'+7999%lld", (long long)(1000000 + n)); /* neutralised */
        assert_string_equal(f[8], want);
        snprintf(want, sizeof want, "ул. Ленина, %lld", (long long)n);
        assert_string_equal(f[9], want);
        if (e.comment[0] == '=')
            snprintf(want, sizeof want, "'%s", e.comment);
        else
            snprintf(want, sizeof want, "%s", e.comment);
        assert_string_equal(f[10], want);
        snprintf(want, sizeof want, "%lld", (long long)(900000000 + e.customer));
        assert_string_equal(f[11], want);
        snprintf(want, sizeof want, "buyer%lld", (long long)e.customer);
        assert_string_equal(f[12], want);
        snprintf(want, sizeof want, "Иван Петров %lld", (long long)e.customer);
        assert_string_equal(f[13], want);
        if (e.paid)
            utc(e.created + 120, want, sizeof want);
        else
            want[0] = '\0';
        assert_string_equal(f[14], want);
        if (e.paid)
            snprintf(want, sizeof want, "charge-%lld", (long long)n);
        assert_string_equal(f[15], want);
        assert_string_equal(f[16], "");
        utc(e.created + 300, want, sizeof want);
        assert_string_equal(f[17], want);
        free_fields(f, nf);
    }
    assert_int_equal(count, N);
    buf_release(&r.field);
    free(csv);
}

/* ---- a small reader of the sheet XML libxlsxwriter writes ---- */

struct xcell {
    int col; /* 0 = A */
    int style;
    bool inline_string;
    char value[512]; /* <v> or the inline string, XML entities decoded */
};

static void xml_text(char *out, size_t size, const char *s, const char *end)
{
    size_t n = 0;
    static const struct {
        const char *entity, *c;
    } entities[] = {{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}};
    while (s < end && n + 1 < size) {
        bool replaced = false;
        for (size_t i = 0; i < 4 && !replaced; i++) {
            size_t el = strlen(entities[i].entity);
            if ((size_t)(end - s) >= el && !memcmp(s, entities[i].entity, el)) {
                out[n++] = entities[i].c[0];
                s += el;
                replaced = true;
            }
        }
        if (!replaced)
            out[n++] = *s++;
    }
    out[n] = '\0';
}

/* Searches stay near p: the sheet is 80 MB, and ASan checks the whole range given to each
 * memmem (and measures the whole rest of the string in each str* call), which would make a
 * row-by-row walk quadratic. The window grows until the needle or the end is found. */
static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t window = 4096; p < end; window *= 2) {
        const char *stop = (size_t)(end - p) > window ? p + window : end;
        const char *hit = memmem(p, (size_t)(stop - p), needle, n);
        if (hit || stop == end)
            return hit;
    }
    return NULL;
}

/* The value after key (' r="') inside [tag, tag_end), as a number in *out when asked. */
static const char *attr(const char *tag, const char *tag_end, const char *key, int *out)
{
    const char *p = find(tag, tag_end, key);
    if (!p)
        return NULL;
    p += strlen(key);
    if (out)
        *out = (int)strtol(p, NULL, 10);
    return p;
}

/* Parses the cells of the next row in [*p, end) into cells; advances *p past the row.
 * Returns the row number (1-based), 0 when no row is left. */
static int xml_row(const char **p, const char *end, struct xcell *cells, int *out_count)
{
    const char *row = find(*p, end, "<row ");
    if (!row)
        return 0;
    const char *row_end = find(row, end, "</row>");
    assert_non_null(row_end);
    const char *row_tag_end = find(row, row_end, ">");
    int number = 0;
    attr(row, row_tag_end, " r=\"", &number);
    int n = 0;
    for (const char *c = find(row, row_end, "<c "); c; c = find(c + 1, row_end, "<c ")) {
        const char *tag_end = find(c, row_end, ">");
        struct xcell *x = &cells[n++];
        *x = (struct xcell){.style = 0};
        const char *ref = attr(c, tag_end, " r=\"", NULL);
        x->col = ref[0] - 'A';
        attr(c, tag_end, " s=\"", &x->style);
        const char *t = attr(c, tag_end, " t=\"", NULL);
        x->inline_string = t && !strncmp(t, "inlineStr", 9);
        const char *open = find(tag_end, row_end, x->inline_string ? "<t" : "<v>");
        open = find(open, row_end, ">") + 1;
        const char *close = find(open, row_end, x->inline_string ? "</t>" : "</v>");
        xml_text(x->value, sizeof x->value, open, close);
    }
    *out_count = n;
    *p = row_end + 6;
    return number;
}

/* The number format code of each cell style of styles.xml. */
static int style_formats(const char *styles, char codes[][32], int max)
{
    const char *xfs = strstr(styles, "<cellXfs");
    assert_non_null(xfs);
    const char *xfs_end = strstr(xfs, "</cellXfs>");
    int n = 0;
    for (const char *xf = strstr(xfs, "<xf "); xf && xf < xfs_end && n < max;
         xf = strstr(xf + 1, "<xf ")) {
        int id = 0;
        attr(xf, strchr(xf, '>'), " numFmtId=\"", &id);
        /* libxlsxwriter stores Excel's own formats by their built-in number */
        snprintf(codes[n], 32, "%s", id == 3 ? "#,##0" : id == 4 ? "#,##0.00" : "builtin");
        char key[48];
        snprintf(key, sizeof key, "<numFmt numFmtId=\"%d\" formatCode=\"", id);
        const char *custom = strstr(styles, key);
        if (custom) {
            custom += strlen(key);
            xml_text(codes[n], 32, custom, strchr(custom, '"'));
        }
        n++;
    }
    return n;
}

static void xlsx_of_100k_orders_has_typed_cells(void **state)
{
    struct fixture *b = *state;
    char *path = export_100k(b, "xlsx");
    size_t len;
    char *styles = unzip_member(path, "xl/styles.xml", &len);
    char codes[32][32];
    int nstyles = style_formats(styles, codes, 32);
    free(styles);
    char *sheet = unzip_member(path, "xl/worksheets/sheet1.xml", &len);
    unlink(path);
    free(path);
    const char *p = sheet, *end = sheet + len;
    assert_null(find(p, end, "<f>")); /* not a single formula */
    assert_non_null(find(p, end, "<autoFilter ref=\"A1:R100001\"/>"));
    struct xcell cells[32];
    int nc;
    assert_int_equal(xml_row(&p, end, cells, &nc), 1);
    assert_int_equal(nc, 18);
    assert_true(cells[0].inline_string);
    assert_string_equal(cells[0].value, "Order");
    assert_string_equal(cells[17].value, "Updated (UTC)");
    int64_t count = 0;
    int row;
    char want[256];
    while ((row = xml_row(&p, end, cells, &nc)) > 0) {
        int64_t n = N - count++;
        assert_int_equal(row, count + 1);
        struct expected e = expect_order(n);
        /* A: the id, a number */
        assert_int_equal(cells[0].col, 0);
        assert_false(cells[0].inline_string);
        assert_int_equal(atoll(cells[0].value), n);
        /* B: a date cell: a serial day number with a date format */
        assert_int_equal(cells[1].col, 1);
        assert_false(cells[1].inline_string);
        assert_true(cells[1].style < nstyles);
        assert_string_equal(codes[cells[1].style], "yyyy-mm-dd hh:mm:ss");
        double serial = strtod(cells[1].value, NULL);
        assert_true(fabs(serial - ((double)e.created / 86400.0 + 25569.0)) < 1e-6);
        /* C: the status, a string */
        assert_true(cells[2].inline_string);
        assert_string_equal(cells[2].value, statuses[n % 7]);
        /* D: money, a number in major units formatted with the currency's decimals */
        assert_false(cells[3].inline_string);
        assert_true(fabs(strtod(cells[3].value, NULL) - (double)e.total / (e.xtr ? 1.0 : 100.0)) <
                    1e-9);
        assert_string_equal(codes[cells[3].style], e.xtr ? "#,##0" : "#,##0.00");
        /* the rest by column letter: empty cells are absent */
        for (int i = 4; i < nc; i++) {
            const struct xcell *c = &cells[i];
            switch (c->col) {
            case 6: /* units */
                assert_false(c->inline_string);
                assert_int_equal(atoll(c->value), e.units);
                break;
            case 8: /* the phone stays as it is: a string cell is never a formula */
                snprintf(want, sizeof want, "+7999%lld", (long long)(1000000 + n));
                assert_true(c->inline_string);
                assert_string_equal(c->value, want);
                break;
            case 10:
                assert_true(c->inline_string);
                assert_string_equal(c->value, e.comment);
                break;
            case 11:
                assert_false(c->inline_string);
                assert_int_equal(atoll(c->value), 900000000 + e.customer);
                break;
            case 14:
                assert_true(e.paid);
                assert_string_equal(codes[c->style], "yyyy-mm-dd hh:mm:ss");
                break;
            }
        }
        /* A-J, L-N and R always; K with a comment; O and P when paid; Q never */
        assert_int_equal(nc, 14 + e.paid * 2 + (e.comment[0] != '\0'));
    }
    assert_int_equal(count, N);
    free(sheet);
}

static void filters_reach_the_export(void **state)
{
    struct fixture *b = *state;
    int64_t rows = 0;
    struct order_filter paid_day = {.has_status = true,
                                    .status = ORDER_PAID,
                                    .created_from = DEC1 + 86400,
                                    .created_to = DEC1 + 2 * 86400 - 1};
    int64_t last_progress = 0;
    struct export_options opt = {
        .format = EXPORT_CSV, .progress = progress, .progress_ctx = &last_progress};
    char *path = export_file(b->db, &paid_day, &opt, &rows);
    unlink(path);
    free(path);
    /* day 2 holds orders 2880..5759 (two a minute); every seventh, from 2882, is paid */
    int64_t want = 0;
    for (int64_t n = 2880; n <= 5759; n++)
        want += n % 7 == 2;
    assert_int_equal(rows, want);
    assert_int_equal(last_progress, want); /* told once at the end */
}

/* ---- small cases, on a fresh database each ---- */

static int small_setup(void **state)
{
    struct fixture *s = calloc(1, sizeof *s);
    s->db = testdb_open(backend, true);
    if (db_query_int(s->db, &s->customer,
                     "INSERT INTO customer (tg_id, first_name) VALUES (77, 'Eve') RETURNING id"))
        return -1;
    *state = s;
    return 0;
}

static void add_named_order(struct fixture *s, const char *contact, int64_t created)
{
    if (db_exec(s->db,
                "INSERT INTO orders (customer_id, contact_name, phone, total, currency, "
                "created_at, updated_at) VALUES (?, ?, '', 100, 'RUB', ?, ?)",
                DB_INT(s->customer), DB_TEXT(contact), DB_INT(created), DB_INT(created)))
        fail_msg("%s", db_errmsg(s->db));
}

static const char *const dangerous[] = {
    "=1+1", "+SUM(A1:A9)", "-2+3", "@cmd|' /C calc'!A0", "\tTAB", "\rCR", "safe = text",
};

static void formulas_are_neutralised(void **state)
{
    struct fixture *s = *state;
    size_t count = sizeof dangerous / sizeof *dangerous;
    for (size_t i = 0; i < count; i++) /* oldest first, so the export lists them backwards */
        add_named_order(s, dangerous[count - 1 - i], DEC1 + (int64_t)i);
    struct export_options csv_opt = {.format = EXPORT_CSV};
    char *path = export_file(s->db, &(struct order_filter){0}, &csv_opt, NULL);
    size_t len;
    char *csv = read_file(path, &len);
    unlink(path);
    free(path);
    struct csv_reader r = {csv, csv + len, BUF_INIT};
    char *f[32];
    int nf = csv_record(&r, f, 32);
    free_fields(f, nf);
    for (size_t i = 0; i < count; i++) {
        nf = csv_record(&r, f, 32);
        assert_int_equal(nf, 18);
        char want[64];
        bool risky = strchr("=+-@\t\r", dangerous[i][0]) != NULL;
        snprintf(want, sizeof want, "%s%s", risky ? "'" : "", dangerous[i]);
        assert_string_equal(f[7], want);
        free_fields(f, nf);
    }
    buf_release(&r.field);
    free(csv);

    struct export_options xlsx_opt = {.format = EXPORT_XLSX};
    path = export_file(s->db, &(struct order_filter){0}, &xlsx_opt, NULL);
    char *sheet = unzip_member(path, "xl/worksheets/sheet1.xml", &len);
    unlink(path);
    free(path);
    const char *p = sheet, *end = sheet + len;
    assert_null(find(p, end, "<f>"));
    struct xcell cells[32];
    int nc;
    xml_row(&p, end, cells, &nc);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(xml_row(&p, end, cells, &nc), (int)i + 2);
        const struct xcell *contact = NULL;
        for (int c = 0; c < nc; c++)
            if (cells[c].col == 7)
                contact = &cells[c];
        assert_non_null(contact);
        assert_true(contact->inline_string); /* a string as it is, never a formula */
        if (dangerous[i][0] == '\r')         /* Excel's escape for a control character */
            assert_string_equal(contact->value, "_x000D_CR");
        else
            assert_string_equal(contact->value, dangerous[i]);
    }
    free(sheet);
}

static void bom_only_when_asked(void **state)
{
    struct fixture *s = *state;
    add_named_order(s, "Ёжик", DEC1);
    for (int bom = 0; bom <= 1; bom++) {
        struct export_options opt = {.format = EXPORT_CSV, .bom = bom};
        char *path = export_file(s->db, &(struct order_filter){0}, &opt, NULL);
        size_t len;
        char *csv = read_file(path, &len);
        unlink(path);
        free(path);
        const char *body = csv;
        if (bom) {
            assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
            body += 3;
        }
        assert_memory_equal(body, "Order,", 6);
        assert_non_null(strstr(body, "Ёжик"));
        free(csv);
    }
}

static void empty_result_is_a_header_only(void **state)
{
    struct fixture *s = *state;
    int64_t rows = -1;
    struct export_options csv_opt = {.format = EXPORT_CSV};
    char *path = export_file(s->db, &(struct order_filter){0}, &csv_opt, &rows);
    assert_int_equal(rows, 0);
    size_t len;
    char *csv = read_file(path, &len);
    unlink(path);
    free(path);
    assert_string_equal(csv, "Order,Created (UTC),Status,Total,Currency,Items,Units,Contact "
                             "name,Phone,Address,Comment,Telegram id,Username,Customer,Paid "
                             "(UTC),Telegram charge id,Provider charge id,Updated (UTC)\r\n");
    free(csv);
    struct export_options xlsx_opt = {.format = EXPORT_XLSX};
    path = export_file(s->db, &(struct order_filter){0}, &xlsx_opt, &rows);
    assert_int_equal(rows, 0);
    char *sheet = unzip_member(path, "xl/worksheets/sheet1.xml", &len);
    unlink(path);
    free(path);
    const char *p = sheet, *end = sheet + len;
    assert_non_null(find(p, end, "<dimension ref=\"A1:R1\"/>"));
    struct xcell cells[32];
    int nc;
    assert_int_equal(xml_row(&p, end, cells, &nc), 1);
    assert_int_equal(xml_row(&p, end, cells, &nc), 0);
    free(sheet);
}

static void failures_are_reported(void **state)
{
    struct fixture *s = *state;
    add_named_order(s, "Ann", DEC1);
    struct buf err = BUF_INIT;
    /* a full disk */
    int full = open("/dev/full", O_WRONLY);
    assert_true(full >= 0);
    struct export_options csv_opt = {.format = EXPORT_CSV};
    assert_int_equal(export_orders(s->db, &(struct order_filter){0}, &csv_opt, full, NULL, &err),
                     ERR_IO);
    assert_non_null(strstr(err.data, "No space left"));
    struct export_options xlsx_opt = {.format = EXPORT_XLSX};
    buf_reset(&err);
    assert_int_equal(export_orders(s->db, &(struct order_filter){0}, &xlsx_opt, full, NULL, &err),
                     ERR_IO);
    assert_non_null(strstr(err.data, "No space left"));
    close(full);
    /* no room for the temporary file */
    xlsx_opt.tmpdir = "/nonexistent/dir";
    buf_reset(&err);
    assert_int_equal(
        export_orders(s->db, &(struct order_filter){0}, &xlsx_opt, STDERR_FILENO, NULL, &err),
        ERR_IO);
    assert_non_null(strstr(err.data, "/nonexistent/dir"));
    buf_release(&err);
    /* names */
    enum export_format fmt;
    assert_int_equal(export_format_parse("xlsx", &fmt), 0);
    assert_int_equal(fmt, EXPORT_XLSX);
    assert_int_equal(export_format_parse("xls", &fmt), ERR_INVALID);
    assert_string_equal(export_content_type(EXPORT_CSV), "text/csv; charset=utf-8");
}

/* The peak resident set of this process image in KiB: VmHWM, since getrusage's ru_maxrss
 * carries the peak of the image before execve over. */
static long peak_rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    char line[256];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* --measure URL FORMAT PATH: exports everything to PATH and prints the RSS growth in KiB. */
static int measure(const char *url, const char *format, const char *path)
{
    struct db *db;
    struct buf err = BUF_INIT;
    struct export_options opt = {0};
    if (db_open(&db, url, &err) || export_format_parse(format, &opt.format)) {
        fprintf(stderr, "measure: %s\n", err.data);
        return 1;
    }
    int out = open(path, O_WRONLY | O_TRUNC);
    long before = peak_rss_kib();
    int64_t rows = 0;
    int rc = export_orders(db, &(struct order_filter){0}, &opt, out, &rows, &err);
    long after = peak_rss_kib();
    if (rc || rows != N) {
        fprintf(stderr, "measure: %s (%lld rows)\n", err.data, (long long)rows);
        return 1;
    }
    printf("%ld\n", after - before + 1);
    close(out);
    db_close(db);
    buf_release(&err);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "--measure"))
        return measure(argv[2], argv[3], argv[4]);
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest small[] = {
        cmocka_unit_test_setup_teardown(formulas_are_neutralised, small_setup, teardown),
        cmocka_unit_test_setup_teardown(bom_only_when_asked, small_setup, teardown),
        cmocka_unit_test_setup_teardown(empty_result_is_a_header_only, small_setup, teardown),
        cmocka_unit_test_setup_teardown(failures_are_reported, small_setup, teardown),
    };
    const struct CMUnitTest big[] = {
        cmocka_unit_test(csv_of_100k_orders_reads_back_exactly),
        cmocka_unit_test(xlsx_of_100k_orders_has_typed_cells),
        cmocka_unit_test(filters_reach_the_export),
    };
    int failed = cmocka_run_group_tests_name("small", small, NULL, NULL);
    failed += cmocka_run_group_tests_name("100k", big, big_setup, teardown);
    testdb_cleanup();
    return failed;
}
