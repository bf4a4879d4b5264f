#include "shop/demo.h"

#include <errno.h>
#include <gd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/utf8.h"
#include "shop/catalog.h"
#include "shop/faq.h"
#include "shop/money.h"
#include "core/banned.h"

/* ---- The content ---------------------------------------------------------------------- */

struct demo_top {
    const char *name;
    const char *description;
};

struct demo_sub {
    int top; /* index into tops */
    const char *name;
    const char *description;
    int hue; /* degrees: the colour family of its pictures */
};

struct demo_product {
    int sub; /* index into subs */
    const char *name;
    const char *description;
    int rubles; /* 190..2990; stars are derived from it */
    int stock;
};

struct demo_faq {
    const char *question;
    const char *answer;
};

static const struct demo_top tops[] = {
    {"Чай", "Листовой чай из Китая, Японии, Индии и Шри-Ланки."},
    {"Кофе", "Свежая обжарка: зёрна, молотый кофе и дрип-пакеты."},
    {"К чаю и кофе", "Посуда, аксессуары и сладости к чаепитию."},
};

static const struct demo_sub subs[] = {
    {0, "Зелёный и белый чай", "Свежие, травянистые и цветочные чаи.", 105},
    {0, "Чёрный чай и улуны", "Крепкие, солодовые и ароматные чаи.", 12},
    {1, "Кофе в зёрнах", "Моносорта и смеси для эспрессо и фильтра.", 28},
    {1, "Молотый кофе и дрип-пакеты", "Когда нет кофемолки или времени.", 40},
    {2, "Посуда и аксессуары", "Всё, чтобы заварить чай и кофе как следует.", 205},
    {2, "Сладости", "То, что хорошо к чашке чая.", 335},
};

static const struct demo_product products[] = {
    {0, "Зелёный чай Сенча",
     "Японский пропаренный чай с яркой травянистой свежестью и лёгкой сладостью. Заваривайте "
     "водой 70–80 °C одну-две минуты.",
     590, 42},
    {0, "Матча церемониальная",
     "Тонкий порошок из листьев тэнча ярко-зелёного цвета. Взбейте венчиком с водой 80 °C — "
     "получится густой бархатный напиток.",
     1490, 12},
    {0, "Лунцзин «Колодец дракона»",
     "Плоские листья из провинции Чжэцзян с ореховым ароматом и мягким вкусом. Один из десяти "
     "знаменитых чаёв Китая.",
     990, 3},
    {0, "Жасминовый чай Моли Хуа Ча",
     "Зелёный чай, много раз ароматизированный свежими цветами жасмина. Нежный, цветочный, "
     "успокаивающий.",
     450, 64},
    {0, "Белый чай Бай Му Дань",
     "Почки и молодые листья, высушенные на солнце. Медовый вкус с нотами сухофруктов.", 1190, 0},
    {1, "Ассам TGFOP",
     "Крепкий индийский чай с солодовыми нотами, хорош с молоком. Идеален для утра.", 390, 88},
    {1, "Цейлон Нувара Элия",
     "Высокогорный чай со Шри-Ланки: светлый настой, цитрусовая свежесть и лёгкая терпкость.", 490,
     35},
    {1, "Дарджилинг первого сбора",
     "Весенний сбор с гималайских склонов с мускатным ароматом. Заваривайте водой 90 °C не "
     "дольше трёх минут.",
     1290, 2},
    {1, "Эрл Грей с бергамотом",
     "Классическая смесь чёрного чая с маслом бергамота. Отлично с ломтиком лимона.", 350, 100},
    {1, "Улун Те Гуань Инь",
     "Слабоферментированный улун из Фуцзяни с цветочным ароматом сирени. Выдерживает до семи "
     "заварок.",
     890, 27},
    {2, "Эфиопия Иргачеффе",
     "Моносорт светлой обжарки: ноты бергамота, жасмина и лимона. Для фильтра и аэропресса.", 890,
     40},
    {2, "Колумбия Супремо",
     "Сбалансированный кофе средней обжарки с нотами карамели и ореха. Хорош при любом способе "
     "заваривания.",
     790, 55},
    {2, "Бразилия Сантос",
     "Мягкий кофе с низкой кислотностью, шоколадом и арахисом во вкусе. Основа для капучино и "
     "латте.",
     650, 70},
    {2, "Кения АА", "Яркий и сочный: чёрная смородина и грейпфрут. Для ценителей кислотности.",
     1090, 1},
    {2, "Эспрессо-смесь «Утро»",
     "Арабика и робуста тёмной обжарки: плотное тело и густая пенка. Для кофемашины и гейзерной "
     "кофеварки.",
     690, 95},
    {3, "Дрип-пакеты «Эфиопия», 10 шт",
     "Кофе, который заваривают прямо в чашке: повесьте пакет на край и пролейте водой 92 °C. "
     "Десять порций.",
     490, 60},
    {3, "Дрип-пакеты «Колумбия», 10 шт",
     "Десять порций сбалансированного кофе с карамельной сладостью. Удобно в дороге и в офисе.",
     490, 0},
    {3, "Молотый кофе для турки",
     "Очень тонкий помол с пряными нотами. Варите на медленном огне, пока не поднимется пенка.",
     450, 48},
    {3, "Молотый кофе для френч-пресса",
     "Крупный помол средней обжарки: шоколад и орех. Заваривайте четыре минуты и плавно "
     "опустите поршень.",
     520, 33},
    {3, "Колумбия без кофеина",
     "Декаф, очищенный от кофеина швейцарским водным методом. Вкус остаётся, бессонница — нет.",
     690, 15},
    {4, "Чайник из исинской глины",
     "Ручная работа, 200 мл. Со временем глина впитывает аромат чая, и каждый настой становится "
     "глубже.",
     2990, 2},
    {4, "Гайвань фарфоровая",
     "Классическая китайская чашка с крышкой на 150 мл для улунов и зелёных чаёв.", 890, 24},
    {4, "Воронка V60 керамическая",
     "Воронка для пуровера со спиральными рёбрами. Подходит для фильтров размера 02.", 1290, 18},
    {4, "Ручная кофемолка",
     "Керамические жернова и регулировка помола от эспрессо до френч-пресса. Помещается в "
     "рюкзак.",
     2490, 10},
    {4, "Венчик для матчи", "Бамбуковый венчик часэн на сто зубцов: пышная пенка без комочков.",
     990, 21},
    {5, "Пастила яблочная", "Воздушная белёвская пастила из печёных антоновских яблок. 100 г.", 190,
     75},
    {5, "Мёд гречишный", "Тёмный густой мёд с пряным ароматом: к чёрному чаю лучше сахара. 250 г.",
     390, 50},
    {5, "Шоколад горький 72%", "Плитка из эквадорских какао-бобов с нотами красных ягод. 80 г.",
     350, 64},
    {5, "Печенье амаретти",
     "Хрустящее снаружи и мягкое внутри печенье на миндальной муке. Коробка 150 г.", 450, 40},
    {5, "Варенье из сосновых шишек",
     "Молодые шишки в сиропе: хвойный аромат и янтарный цвет. Банка 220 г.", 590, 26},
};

static const struct demo_faq faqs[] = {
    {"Как сделать заказ?",
     "Откройте «Каталог», выберите категорию и товар, укажите количество и нажмите «В корзину». "
     "В «Корзине» нажмите «Оформить заказ»: бот спросит имя, телефон и адрес доставки, покажет "
     "итог и пришлёт счёт."},
    {"Как оплатить заказ?",
     "Прямо в Telegram: после оформления бот пришлёт счёт. Платите звёздами Telegram Stars или "
     "банковской картой — способ зависит от настроек магазина. Данные карты получает платёжный "
     "провайдер, магазин их не видит."},
    {"Как долго товар ждёт оплаты?",
     "Товары оформленного заказа отложены для вас, пока действует счёт. Если не оплатить вовремя, "
     "бронь снимается и заказ можно оформить заново."},
    {"Как и когда вы доставляете?",
     "Курьером по городу за 1–2 дня и почтой по всей России за 3–10 дней. Когда заказ отправлен, "
     "его статус в разделе «Мои заказы» меняется на «Отправлен»."},
    {"Можно ли вернуть товар?",
     "Да, в течение 14 дней, если упаковка не вскрыта. Напишите нам номер заказа, и мы вернём "
     "деньги тем же способом, которым вы платили."},
    {"Где посмотреть мои заказы?",
     "В разделе «Мои заказы» главного меню: там все ваши заказы со статусом и составом."},
    {"Как быстро найти товар или ответ?",
     "В любом чате наберите @ и имя бота, затем слова запроса: бот покажет подходящие ответы и "
     "товары."},
    {"Как с вами связаться?",
     "Нажмите «Помощь» в меню бота или напишите на shop@example.com. Отвечаем ежедневно с 9:00 "
     "до 21:00 по Москве."},
};

enum {
    TOPS = sizeof tops / sizeof tops[0],
    SUBS = sizeof subs / sizeof subs[0],
    PRODUCTS = sizeof products / sizeof products[0],
    FAQS = sizeof faqs / sizeof faqs[0],
};

/* A demo price in the currency's minor units: for Stars, 190..2990 rubles map onto 50..900
 * stars in steps of 5; any other currency takes the same figures in its whole units. */
static int64_t price_in(const char *currency, int rubles)
{
    if (!strcmp(currency, "XTR")) {
        int64_t stars = 50 + ((int64_t)rubles - 190) * 850 / 2800;
        return (stars + 2) / 5 * 5;
    }
    int64_t minor = rubles;
    for (int e = money_exponent(currency); e > 0; e--)
        minor *= 10;
    return minor;
}

/* ---- Pictures ------------------------------------------------------------------------- */

enum {
    JPEG_QUALITY = 85,
    TEXT_MARGIN = 40,
    TEXT_MAX_LINES = 3,
    TEXT_MAX_WORDS = 12,
    CIRCLES = 7,
};

struct rgb {
    int r, g, b;
};

/* h in degrees, s and v in 0..1. */
static struct rgb hsv(int h, double s, double v)
{
    h = ((h % 360) + 360) % 360;
    int sector = h / 60;
    double c = v * s, f = (h % 60) / 60.0;
    double x = c * (sector % 2 ? 1 - f : f);
    const double rgb[6][3] = {{c, x, 0}, {x, c, 0}, {0, c, x}, {0, x, c}, {x, 0, c}, {c, 0, x}};
    double m = v - c;
    return (struct rgb){(int)((rgb[sector][0] + m) * 255 + 0.5),
                        (int)((rgb[sector][1] + m) * 255 + 0.5),
                        (int)((rgb[sector][2] + m) * 255 + 0.5)};
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A small deterministic generator for the shapes (xorshift32; state never 0). */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

struct line {
    size_t start, end; /* bytes of the name */
    int width, left;   /* pixels; left: offset of the ink from the pen position */
};

struct painter {
    const char *font; /* NULL once libgd could not draw text: shapes only */
    struct buf tmp;
};

/* Stops drawing text for the rest of the seed, saying why once. */
static void give_up_text(struct painter *p, const char *why)
{
    log_warn("demo: pictures without text: font %s: %s", p->font, why);
    p->font = NULL;
}

/* Measures name[start, end) at size; false when libgd cannot (then text is given up). */
static bool measure(struct painter *p, double size, const char *name, size_t start, size_t end,
                    struct line *out)
{
    int br[8];
    buf_reset(&p->tmp);
    buf_add(&p->tmp, name + start, end - start);
    const char *e = gdImageStringFT(NULL, br, 0, p->font, size, 0.0, 0, 0, p->tmp.data);
    if (e) {
        give_up_text(p, e);
        return false;
    }
    *out = (struct line){start, end, br[2] - br[0], br[0]};
    return true;
}

struct words {
    int n;
    size_t start[TEXT_MAX_WORDS], end[TEXT_MAX_WORDS]; /* bytes of the name */
    bool binds[TEXT_MAX_WORDS]; /* a short word ("с", "из", "10") stays with the next one */
};

/* Splits name at spaces; false when it has no word or more than TEXT_MAX_WORDS. */
static bool split_words(const char *name, struct words *out)
{
    out->n = 0;
    for (size_t i = 0; name[i];) {
        if (name[i] == ' ') {
            i++;
            continue;
        }
        if (out->n == TEXT_MAX_WORDS)
            return false;
        out->start[out->n] = i;
        while (name[i] && name[i] != ' ')
            i++;
        out->end[out->n] = i;
        out->binds[out->n] = utf8_count(name + out->start[out->n], i - out->start[out->n]) <= 2;
        out->n++;
    }
    return out->n > 0;
}

/* Breaks the words into at most TEXT_MAX_LINES lines no wider than max_width at size: the
 * fewest lines, then the most even ones (least sum of squared widths), never after a short
 * word. Returns the number of lines, 0 when the name does
 * not fit, -1 when text was given up. */
static int wrap(struct painter *p, double size, const char *name, const struct words *w,
                int max_width, struct line lines[TEXT_MAX_LINES])
{
    struct line range[TEXT_MAX_WORDS][TEXT_MAX_WORDS]; /* [first][last word] */
    for (int i = 0; i < w->n; i++)
        for (int j = i; j < w->n; j++)
            if (!measure(p, size, name, w->start[i], w->end[j], &range[i][j]))
                return -1;

    int best = 0;
    int64_t best_cost = 0;
    for (int b1 = 1; b1 <= w->n; b1++) {
        for (int b2 = b1; b2 <= w->n; b2++) {
            int cuts[TEXT_MAX_LINES + 1] = {0, b1, b2, w->n}, k = 0;
            int64_t cost = 0;
            bool fits = true;
            struct line cand[TEXT_MAX_LINES];
            for (int seg = 0; seg < TEXT_MAX_LINES && fits; seg++) {
                if (cuts[seg] == cuts[seg + 1])
                    continue;
                int last = cuts[seg + 1] - 1;
                cand[k] = range[cuts[seg]][last];
                fits = cand[k].width <= max_width && (last == w->n - 1 || !w->binds[last]);
                cost += (int64_t)cand[k].width * cand[k].width;
                k++;
            }
            if (!fits || (best && (k > best || (k == best && cost >= best_cost))))
                continue;
            memcpy(lines, cand, sizeof cand[0] * (size_t)k);
            best = k;
            best_cost = cost;
        }
    }
    return best;
}

/* Draws text centred around (cx, baseline) with a soft shadow; false when text was given up. */
static bool draw_line(struct painter *p, gdImagePtr im, double size, const char *name,
                      const struct line *l, int cx, int baseline, int color)
{
    int br[8];
    int x = cx - l->width / 2 - l->left;
    buf_reset(&p->tmp);
    buf_add(&p->tmp, name + l->start, l->end - l->start);
    const char *e = gdImageStringFT(im, br, gdTrueColorAlpha(0, 0, 0, 80), p->font, size, 0.0,
                                    x + 3, baseline + 3, p->tmp.data);
    if (!e)
        e = gdImageStringFT(im, br, color, p->font, size, 0.0, x, baseline, p->tmp.data);
    if (e) {
        give_up_text(p, e);
        return false;
    }
    return true;
}

/* The product's name, as large as fits in three lines, on a translucent band; the
 * subcategory's name small above it. */
static void draw_texts(struct painter *p, gdImagePtr im, const struct demo_product *d, int hue)
{
    static const double sizes[] = {50, 43, 37, 32, 27};
    struct line lines[TEXT_MAX_LINES];
    struct words w;
    int n = 0;
    double size = 0;
    if (!split_words(d->name, &w))
        return; /* a name too long for the picture: the caption says it */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && n == 0; i++) {
        size = sizes[i];
        n = wrap(p, size, d->name, &w, DEMO_IMAGE_SIZE - 2 * TEXT_MARGIN, lines);
        if (n < 0)
            return;
    }
    if (n == 0)
        return;

    int line_h = (int)(size * 96 / 72 * 1.3);
    int cap = (int)(size * 96 / 72 * 0.72);
    int top = (DEMO_IMAGE_SIZE - n * line_h) / 2;
    struct rgb band = hsv(hue, 0.55, 0.22);
    gdImageFilledRectangle(im, 0, top - 36, DEMO_IMAGE_SIZE - 1, top + n * line_h + 36,
                           gdTrueColorAlpha(band.r, band.g, band.b, 60));
    int white = gdTrueColorAlpha(255, 255, 255, 0);
    for (int i = 0; i < n; i++)
        if (!draw_line(p, im, size, d->name, &lines[i], DEMO_IMAGE_SIZE / 2,
                       top + i * line_h + (line_h + cap) / 2, white))
            return;

    const char *sub = subs[d->sub].name;
    struct line label;
    if (!measure(p, 21, sub, 0, strlen(sub), &label))
        return;
    draw_line(p, im, 21, sub, &label, DEMO_IMAGE_SIZE / 2, top - 70,
              gdTrueColorAlpha(255, 255, 255, 10));
}

/* Product d's picture as JPEG bytes (free with gdFree), or NULL with msg set. */
static void *draw_picture(struct painter *p, const struct demo_product *d, int *out_size,
                          struct buf *msg)
{
    gdImagePtr im = gdImageCreateTrueColor(DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE);
    if (!im) {
        buf_setf(msg, "demo: cannot allocate a %dx%d image", DEMO_IMAGE_SIZE, DEMO_IMAGE_SIZE);
        return NULL;
    }
    uint32_t rng = fnv1a(d->name) | 1;
    int hue = subs[d->sub].hue + (int)(rng % 31) - 15;

    /* a vertical gradient from a light tint to a deep shade of the hue */
    struct rgb light = hsv(hue - 10, 0.28, 0.97), deep = hsv(hue + 10, 0.70, 0.52);
    for (int y = 0; y < DEMO_IMAGE_SIZE; y++) {
        int t = y * 256 / DEMO_IMAGE_SIZE;
        gdImageLine(im, 0, y, DEMO_IMAGE_SIZE - 1, y,
                    gdTrueColor(light.r + (deep.r - light.r) * t / 256,
                                light.g + (deep.g - light.g) * t / 256,
                                light.b + (deep.b - light.b) * t / 256));
    }
    /* soft translucent circles, some light, some in a neighbouring hue */
    for (int i = 0; i < CIRCLES; i++) {
        int cx = (int)(next_random(&rng) % DEMO_IMAGE_SIZE);
        int cy = (int)(next_random(&rng) % DEMO_IMAGE_SIZE);
        int r = 40 + (int)(next_random(&rng) % 150);
        struct rgb c = i % 2 ? (struct rgb){255, 255, 255} : hsv(hue + 40, 0.55, 0.85);
        gdImageFilledEllipse(im, cx, cy, 2 * r, 2 * r,
                             gdTrueColorAlpha(c.r, c.g, c.b, 96 + (int)(next_random(&rng) % 20)));
    }
    if (p->font)
        draw_texts(p, im, d, hue);

    void *jpeg = gdImageJpegPtr(im, out_size, JPEG_QUALITY);
    gdImageDestroy(im);
    if (!jpeg || *out_size <= 0) {
        if (jpeg)
            gdFree(jpeg);
        buf_setf(msg, "demo: cannot encode the picture of «%s» as JPEG", d->name);
        return NULL;
    }
    return jpeg;
}

/* ---- Files ---------------------------------------------------------------------------- */

/* mkdir -p dir; 0 or ERR_IO with msg set. */
static int make_dirs(const char *dir, struct buf *msg)
{
    struct buf path = BUF_INIT;
    buf_adds(&path, dir);
    int rc = 0;
    for (size_t i = 1; i <= path.len && !rc; i++) {
        if (path.data[i] != '/' && path.data[i] != '\0')
            continue;
        char saved = path.data[i];
        path.data[i] = '\0';
        struct stat st;
        if (mkdir(path.data, 0755) != 0 && errno != EEXIST)
            rc = ERR_IO;
        else if (stat(path.data, &st) != 0)
            rc = ERR_IO;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = ERR_IO;
        }
        if (rc)
            buf_setf(msg, "demo: cannot create directory %s: %s", path.data, strerror(errno));
        path.data[i] = saved;
    }
    buf_release(&path);
    return rc;
}

/* Writes data to path through a temporary file, so path is never half written. */
static int write_file(const char *path, const void *data, size_t len, struct buf *msg)
{
    struct buf tmp = BUF_INIT;
    buf_addf(&tmp, "%s.tmp", path);
    int rc = 0;
    FILE *f = fopen(tmp.data, "wb");
    if (!f) {
        buf_setf(msg, "demo: cannot write %s: %s", tmp.data, strerror(errno));
        rc = ERR_IO;
        goto done;
    }
    size_t n = fwrite(data, 1, len, f);
    int write_errno = errno;
    if (fclose(f) != 0 || n != len) {
        buf_setf(msg, "demo: cannot write %s: %s", tmp.data,
                 strerror(n != len ? write_errno : errno));
        rc = ERR_IO;
    } else if (rename(tmp.data, path) != 0) {
        buf_setf(msg, "demo: cannot rename %s to %s: %s", tmp.data, path, strerror(errno));
        rc = ERR_IO;
    }
    if (rc)
        unlink(tmp.data);
done:
    buf_release(&tmp);
    return rc;
}

/* ---- Seeding -------------------------------------------------------------------------- */

struct seed {
    const char *currency;
    struct painter painter;
    struct buf dir; /* MEDIA_DIR/demo */
    int written;    /* product-1..written.jpg may exist: removed when the seed fails */
    struct demo_report report;
    struct buf msg; /* the failure */
};

static void picture_path(struct buf *out, const struct seed *s, int n)
{
    buf_reset(out);
    buf_addf(out, "%s/product-%d.jpg", s->dir.data, n);
}

static void say_db_failed(struct db *db, struct buf *msg, const char *what, const char *name)
{
    buf_setf(msg, "demo: cannot create %s «%s»: %s", what, name, db_errmsg(db));
}

/* 1 when the table has a row, 0 when empty, < 0 on failure. */
static int has_rows(struct db *db, const char *sql, struct buf *msg)
{
    int64_t any = 0;
    int rc = db_query_int(db, &any, sql);
    if (rc) {
        buf_setf(msg, "demo: cannot look at the catalogue: %s", db_errmsg(db));
        return rc;
    }
    return any != 0;
}

static int add_product(struct db *db, struct seed *s, int i, int64_t category_id, struct buf *path)
{
    const struct demo_product *d = &products[i];
    int size = 0;
    void *jpeg = draw_picture(&s->painter, d, &size, &s->msg);
    if (!jpeg)
        return ERR_IO;
    picture_path(path, s, i + 1);
    if (s->written < i + 1)
        s->written = i + 1; /* before writing: a failed write may leave the file behind */
    int rc = write_file(path->data, jpeg, (size_t)size, &s->msg);
    gdFree(jpeg);
    if (rc)
        return rc;

    struct product p = {
        .category_id = category_id,
        .name = (char *)d->name,
        .description = (char *)d->description,
        .price = price_in(s->currency, d->rubles),
        .stock = d->stock,
        .photo_path = path->data,
    };
    int64_t id;
    if ((rc = catalog_create_product(db, &p, i + 1, &id)))
        say_db_failed(db, &s->msg, "product", d->name);
    return rc;
}

static int run_seed(struct db *db, void *ctx)
{
    struct seed *s = ctx;
    s->report = (struct demo_report){0}; /* db_transaction may run this again */
    buf_reset(&s->msg);
    struct buf path = BUF_INIT;
    int64_t top_ids[TOPS], sub_ids[SUBS], id;
    int rc;

    /* concurrent seeds queue here and the later ones find the catalogue filled (SQLite's
     * BEGIN IMMEDIATE already serialises writers) */
    if (db_kind(db) == DB_POSTGRES &&
        (rc = db_exec(db, "LOCK TABLE category IN SHARE ROW EXCLUSIVE MODE"))) {
        buf_setf(&s->msg, "demo: cannot lock the catalogue: %s", db_errmsg(db));
        goto done;
    }
    rc = has_rows(db,
                  "SELECT CASE WHEN EXISTS (SELECT 1 FROM category) OR "
                  "EXISTS (SELECT 1 FROM product) THEN 1 ELSE 0 END",
                  &s->msg);
    if (rc != 0) {
        s->report.skipped = rc > 0;
        rc = rc > 0 ? 0 : rc;
        goto done;
    }
    if ((rc = make_dirs(s->dir.data, &s->msg)))
        goto done;

    for (int i = 0; i < TOPS; i++) {
        if ((rc = catalog_create_category(db, 0, tops[i].name, tops[i].description, i + 1,
                                          &top_ids[i]))) {
            say_db_failed(db, &s->msg, "category", tops[i].name);
            goto done;
        }
        s->report.categories++;
    }
    for (int i = 0; i < SUBS; i++) {
        if ((rc = catalog_create_category(db, top_ids[subs[i].top], subs[i].name,
                                          subs[i].description, i + 1, &sub_ids[i]))) {
            say_db_failed(db, &s->msg, "category", subs[i].name);
            goto done;
        }
        s->report.categories++;
    }
    for (int i = 0; i < PRODUCTS; i++) {
        if ((rc = add_product(db, s, i, sub_ids[products[i].sub], &path)))
            goto done;
        s->report.products++;
    }

    if ((rc = has_rows(db, "SELECT CASE WHEN EXISTS (SELECT 1 FROM faq) THEN 1 ELSE 0 END",
                       &s->msg)) != 0) {
        rc = rc > 0 ? 0 : rc; /* the shop's own FAQ stays as it is */
        goto done;
    }
    for (int i = 0; i < FAQS; i++) {
        if ((rc = faq_create(db, faqs[i].question, faqs[i].answer, i + 1, &id))) {
            say_db_failed(db, &s->msg, "FAQ entry", faqs[i].question);
            goto done;
        }
        s->report.faqs++;
    }
done:
    buf_release(&path);
    return rc;
}

static bool valid_currency(const char *c)
{
    if (!c || strlen(c) != 3)
        return false;
    for (; *c; c++)
        if (*c < 'A' || *c > 'Z')
            return false;
    return true;
}

int demo_seed(struct db *db, const struct demo_options *opt, struct demo_report *out,
              struct buf *err)
{
    *out = (struct demo_report){0};
    if (!opt->media_dir || !*opt->media_dir) {
        buf_setf(err, "demo: no media directory given");
        return ERR_INVALID;
    }
    if (!valid_currency(opt->currency)) {
        buf_setf(err, "demo: currency must be XTR or a three-letter ISO 4217 code, not %s",
                 opt->currency ? opt->currency : "(none)");
        return ERR_INVALID;
    }

    struct seed s = {
        .currency = opt->currency,
        .painter = {.font = opt->font_path ? opt->font_path : DEMO_FONT_DEFAULT, .tmp = BUF_INIT},
        .dir = BUF_INIT,
        .msg = BUF_INIT,
    };
    size_t len = strlen(opt->media_dir);
    while (len > 1 && opt->media_dir[len - 1] == '/')
        len--;
    buf_add(&s.dir, opt->media_dir, len);
    buf_adds(&s.dir, "/demo");

    int rc = db_transaction(db, run_seed, &s);
    if (rc) {
        if (!s.msg.len)
            buf_setf(&s.msg, "demo: cannot save the catalogue: %s", db_errmsg(db));
        buf_setf(err, "%s", s.msg.data);
        struct buf path = BUF_INIT;
        for (int n = 1; n <= s.written; n++) {
            picture_path(&path, &s, n);
            if (unlink(path.data) != 0 && errno != ENOENT)
                log_warn("demo: cannot remove %s: %s", path.data, strerror(errno));
        }
        buf_release(&path);
    } else {
        *out = s.report;
        if (s.report.skipped)
            log_info("demo: the catalogue is not empty: no demo seeded");
        else
            log_info("demo: seeded %d categories, %d products and %d FAQ entries in %s",
                     s.report.categories, s.report.products, s.report.faqs, s.dir.data);
    }
    buf_release(&s.painter.tmp);
    buf_release(&s.dir);
    buf_release(&s.msg);
    return rc;
}
