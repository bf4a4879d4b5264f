#include "shop/demo.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
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

/* ---- Seeding -------------------------------------------------------------------------- */

struct seed {
    const char *currency;
    demo_draw_fn *draw;
    void *draw_ctx;
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
    struct demo_picture pic = {d->name, subs[d->sub].name, subs[d->sub].hue};
    picture_path(path, s, i + 1);
    if (s->written < i + 1)
        s->written = i + 1; /* before drawing: a failed write may leave the file behind */
    int rc = s->draw(s->draw_ctx, &pic, path->data, &s->msg);
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
    if (!opt->draw) {
        buf_setf(err, "demo: no picture drawer given");
        return ERR_INVALID;
    }
    if (!valid_currency(opt->currency)) {
        buf_setf(err, "demo: currency must be XTR or a three-letter ISO 4217 code, not %s",
                 opt->currency ? opt->currency : "(none)");
        return ERR_INVALID;
    }

    struct seed s = {
        .currency = opt->currency,
        .draw = opt->draw,
        .draw_ctx = opt->draw_ctx,
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
    buf_release(&s.dir);
    buf_release(&s.msg);
    return rc;
}
