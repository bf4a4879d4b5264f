#include "shop/channel.h"

#include "core/err.h"
#include "core/banned.h"

int channel_list_active(struct db *db, struct arena *a, struct channel **out, int *out_count)
{
    *out = NULL;
    *out_count = 0;
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT id, chat_ref, title, invite_link FROM channel WHERE is_active = 1 "
                      "ORDER BY position, id LIMIT ?",
                      DB_INT(CHANNEL_MAX));
    if (rc)
        return rc;
    struct channel *list = arena_calloc(a, CHANNEL_MAX, sizeof *list);
    int n = 0;
    while (n < CHANNEL_MAX && (rc = db_next(rows)) > 0) {
        list[n].id = db_int(rows, 0);
        list[n].chat_ref = db_text_dup(rows, 1, a);
        list[n].title = db_text_dup(rows, 2, a);
        list[n].invite_link = db_text_dup(rows, 3, a);
        n++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    *out = list;
    *out_count = n;
    return 0;
}

int channel_create(struct db *db, const char *chat_ref, const char *title, const char *invite_link,
                   int64_t *out_id)
{
    return db_query_int(db, out_id,
                        "INSERT INTO channel (chat_ref, title, invite_link) VALUES (?, ?, ?) "
                        "RETURNING id",
                        DB_TEXT(chat_ref), DB_TEXT(title), DB_TEXT(invite_link));
}
