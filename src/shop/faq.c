#include "shop/faq.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "shop/catalog.h"
#include "core/banned.h"

#define FAQ_COLUMNS "id, question, answer, position, is_active"

static void fill(void *item, struct db_rows *rows, struct arena *a)
{
    struct faq *f = item;
    f->id = db_int(rows, 0);
    f->question = db_text_dup(rows, 1, a);
    f->answer = db_text_dup(rows, 2, a);
    f->position = db_int(rows, 3);
    f->is_active = db_int(rows, 4) != 0;
}

static int read_faqs(struct db_rows *rows, struct arena *a, int limit, struct faq **out,
                     int *out_count)
{
    void *list;
    int rc = listing_read(rows, a, limit, sizeof **out, fill, &list, out_count);
    if (!rc)
        *out = list;
    return rc;
}

static bool valid_page(int64_t offset, int limit)
{
    return offset >= 0 && limit >= 1 && limit <= FAQ_PAGE_MAX;
}

/* Entries with is_active >= min_active: 1 for customers, 0 for staff. */
static int list_entries(struct db *db, struct arena *a, int min_active, int64_t offset, int limit,
                        struct faq **out, int *out_count, int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    if (!valid_page(offset, limit))
        return ERR_INVALID;
    int rc = db_query_int(db, out_total, "SELECT count(*) FROM faq WHERE is_active >= ?",
                          DB_INT(min_active));
    if (rc)
        return rc;
    struct db_rows *rows;
    rc = db_query(db, &rows,
                  "SELECT " FAQ_COLUMNS " FROM faq WHERE is_active >= ? "
                  "ORDER BY position, id LIMIT ? OFFSET ?",
                  DB_INT(min_active), DB_INT(limit), DB_INT(offset));
    return rc ? rc : read_faqs(rows, a, limit, out, out_count);
}

static int get_entry(struct db *db, struct arena *a, int min_active, int64_t id, struct faq *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT " FAQ_COLUMNS " FROM faq WHERE id = ? AND is_active >= ?",
                      DB_INT(id), DB_INT(min_active));
    if (rc)
        return rc;
    struct faq *list;
    int n;
    if ((rc = read_faqs(rows, a, 1, &list, &n)))
        return rc;
    if (!n)
        return ERR_NOTFOUND;
    *out = list[0];
    return 0;
}

int faq_list(struct db *db, struct arena *a, int64_t offset, int limit, struct faq **out,
             int *out_count, int64_t *out_total)
{
    return list_entries(db, a, 1, offset, limit, out, out_count, out_total);
}

int faq_get(struct db *db, struct arena *a, int64_t id, struct faq *out)
{
    return get_entry(db, a, 1, id, out);
}

int faq_search(struct db *db, struct arena *a, const char *query, int64_t offset, int limit,
               struct faq **out, int *out_count)
{
    *out = NULL;
    *out_count = 0;
    if (!valid_page(offset, limit))
        return ERR_INVALID;
    /* one LIKE per word; unused slots match everything so one statement serves all */
    const char *patterns[FAQ_SEARCH_WORDS];
    int words = 0;
    const char *p = query;
    while (*p && words < FAQ_SEARCH_WORDS) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, " \t\n");
        if (!len)
            break;
        patterns[words++] = catalog_like_pattern(a, arena_strndup(a, p, len));
        p += len;
    }
    for (int i = words; i < FAQ_SEARCH_WORDS; i++)
        patterns[i] = "%";
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT " FAQ_COLUMNS " FROM faq WHERE is_active = 1 "
                      "AND search_text LIKE ? ESCAPE '\\' AND search_text LIKE ? ESCAPE '\\' "
                      "AND search_text LIKE ? ESCAPE '\\' AND search_text LIKE ? ESCAPE '\\' "
                      "AND search_text LIKE ? ESCAPE '\\' AND search_text LIKE ? ESCAPE '\\' "
                      "AND search_text LIKE ? ESCAPE '\\' AND search_text LIKE ? ESCAPE '\\' "
                      "ORDER BY position, id LIMIT ? OFFSET ?",
                      DB_TEXT(patterns[0]), DB_TEXT(patterns[1]), DB_TEXT(patterns[2]),
                      DB_TEXT(patterns[3]), DB_TEXT(patterns[4]), DB_TEXT(patterns[5]),
                      DB_TEXT(patterns[6]), DB_TEXT(patterns[7]), DB_INT(limit), DB_INT(offset));
    return rc ? rc : read_faqs(rows, a, limit, out, out_count);
}

/* The stored search key: question and answer, folded. */
static char *faq_key(const char *question, const char *answer)
{
    struct buf key = BUF_INIT;
    utf8_search_key(&key, question, strlen(question));
    buf_addc(&key, '\n');
    utf8_search_key(&key, answer, strlen(answer));
    return buf_detach(&key, NULL);
}

int faq_create(struct db *db, const char *question, const char *answer, int64_t position,
               int64_t *out_id)
{
    char *key = faq_key(question, answer);
    int rc = db_query_int(db, out_id,
                          "INSERT INTO faq (question, answer, search_text, position) "
                          "VALUES (?, ?, ?, ?) RETURNING id",
                          DB_TEXT(question), DB_TEXT(answer), DB_TEXT(key), DB_INT(position));
    free(key);
    return rc;
}

int faq_update(struct db *db, int64_t id, const char *question, const char *answer,
               int64_t position, bool is_active)
{
    char *key = faq_key(question, answer);
    int rc = db_exec(db,
                     "UPDATE faq SET question = ?, answer = ?, search_text = ?, position = ?, "
                     "is_active = ?, updated_at = ? WHERE id = ?",
                     DB_TEXT(question), DB_TEXT(answer), DB_TEXT(key), DB_INT(position),
                     DB_INT(is_active), DB_INT(clock_now()), DB_INT(id));
    free(key);
    return rc ? rc : db_changes(db) ? 0 : ERR_NOTFOUND;
}

int faq_admin_list(struct db *db, struct arena *a, int64_t offset, int limit, struct faq **out,
                   int *out_count, int64_t *out_total)
{
    return list_entries(db, a, 0, offset, limit, out, out_count, out_total);
}

int faq_admin_get(struct db *db, struct arena *a, int64_t id, struct faq *out)
{
    return get_entry(db, a, 0, id, out);
}

int faq_save(struct db *db, int64_t id, const char *question, const char *answer, bool is_active,
             int64_t *out_id, struct listing_problem *why)
{
    int rc;
    if ((rc = listing_check_text(why, "question", "Question", question, true, FAQ_QUESTION_MAX)) ||
        (rc = listing_check_text(why, "answer", "Answer", answer, true, FAQ_ANSWER_MAX)))
        return rc;
    int64_t position = 0;
    bool update = id != 0 || !is_active;
    if (id) {
        rc = db_query_int(db, &position, "SELECT position FROM faq WHERE id = ?", DB_INT(id));
    } else {
        rc = db_query_int(db, &position, "SELECT COALESCE(max(position), 0) + 1 FROM faq");
        if (!rc)
            rc = faq_create(db, question, answer, position, &id);
    }
    if (!rc && update)
        rc = faq_update(db, id, question, answer, position, is_active);
    if (rc == ERR_NOTFOUND)
        return listing_refuse_code(why, rc, "", "No such question");
    if (!rc && out_id)
        *out_id = id;
    return rc;
}

int faq_set_active(struct db *db, int64_t id, bool active)
{
    int rc = db_exec(db, "UPDATE faq SET is_active = ?, updated_at = ? WHERE id = ?",
                     DB_INT(active), DB_INT(clock_now()), DB_INT(id));
    return rc ? rc : db_changes(db) ? 0 : ERR_NOTFOUND;
}

int faq_delete(struct db *db, int64_t id)
{
    int rc = db_exec(db, "DELETE FROM faq WHERE id = ?", DB_INT(id));
    return rc ? rc : db_changes(db) ? 0 : ERR_NOTFOUND;
}

int faq_shift(struct db *db, int64_t id, int delta)
{
    return listing_shift(db, "faq", NULL, id, delta);
}
