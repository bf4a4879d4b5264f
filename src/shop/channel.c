#include "shop/channel.h"

#include <string.h>

#include "core/err.h"
#include "core/parse.h"
#include "core/banned.h"

#define CHANNEL_COLUMNS "id, chat_ref, title, invite_link, position, is_active, created_at"

static void fill(void *item, struct db_rows *rows, struct arena *a)
{
    struct channel *c = item;
    c->id = db_int(rows, 0);
    c->chat_ref = db_text_dup(rows, 1, a);
    c->title = db_text_dup(rows, 2, a);
    c->invite_link = db_text_dup(rows, 3, a);
    c->position = db_int(rows, 4);
    c->is_active = db_int(rows, 5) != 0;
    c->created_at = db_int(rows, 6);
}

/* Channels with is_active >= min_active, in order: 1 for the gate, 0 for staff. */
static int list_channels(struct db *db, struct arena *a, int min_active, int max,
                         struct channel **out, int *out_count)
{
    *out = NULL;
    *out_count = 0;
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT " CHANNEL_COLUMNS " FROM channel WHERE is_active >= ? "
                      "ORDER BY position, id LIMIT ?",
                      DB_INT(min_active), DB_INT(max));
    if (rc)
        return rc;
    void *list;
    if ((rc = listing_read(rows, a, max, sizeof **out, fill, &list, out_count)))
        return rc;
    *out = list;
    return 0;
}

int channel_list_active(struct db *db, struct arena *a, struct channel **out, int *out_count)
{
    return list_channels(db, a, 1, CHANNEL_MAX, out, out_count);
}

int channel_list_all(struct db *db, struct arena *a, struct channel **out, int *out_count)
{
    return list_channels(db, a, 0, CHANNEL_ADMIN_MAX, out, out_count);
}

int channel_create(struct db *db, const char *chat_ref, const char *title, const char *invite_link,
                   int64_t *out_id)
{
    return db_query_int(db, out_id,
                        "INSERT INTO channel (chat_ref, title, invite_link, position) "
                        "VALUES (?, ?, ?, (SELECT COALESCE(max(position), 0) + 1 FROM channel)) "
                        "RETURNING id",
                        DB_TEXT(chat_ref), DB_TEXT(title), DB_TEXT(invite_link));
}

int channel_get(struct db *db, struct arena *a, int64_t id, struct channel *out)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT " CHANNEL_COLUMNS " FROM channel WHERE id = ?", DB_INT(id));
    if (rc)
        return rc;
    return listing_read_one(rows, a, out, fill);
}

/* A chat id (a non-zero integer; channels are -100...) or a public @username. */
static bool valid_chat_ref(const char *s)
{
    if (!s || !*s)
        return false;
    if (s[0] == '@') {
        size_t len = strlen(s + 1);
        if (len < 5 || len > 32 ||
            strspn(s + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                          "0123456789_") != len)
            return false;
        return !(s[1] >= '0' && s[1] <= '9') && s[1] != '_';
    }
    int64_t id;
    return parse_int64(s, &id) == 0 && id != 0;
}

static bool valid_link(const char *s)
{
    static const char *const prefixes[] = {"https://t.me/", "https://telegram.me/", "tg://"};
    size_t len = strlen(s);
    if (len > CHANNEL_LINK_MAX || strpbrk(s, " \t\r\n\"'<>"))
        return false;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
        size_t n = strlen(prefixes[i]);
        if (len > n && !strncmp(s, prefixes[i], n))
            return true;
    }
    return false;
}

/* ERR_CONFLICT when activating one more channel would pass CHANNEL_MAX. */
static int check_active_room(struct db *db, int64_t id, struct listing_problem *why)
{
    int64_t active = 0;
    int rc = db_query_int(
        db, &active, "SELECT count(*) FROM channel WHERE is_active = 1 AND id <> ?", DB_INT(id));
    if (rc)
        return rc;
    if (active >= CHANNEL_MAX)
        return listing_refuse_code(why, ERR_CONFLICT, "is_active",
                                   "At most %d channels can be active at once", CHANNEL_MAX);
    return 0;
}

int channel_save(struct db *db, const struct channel_input *in, int64_t *out_id,
                 struct listing_problem *why)
{
    if (!valid_chat_ref(in->chat_ref))
        return listing_refuse(why, "chat_ref",
                              "Give the channel's chat id (-100...) or its @username "
                              "(5-32 letters, digits and _)");
    int rc = listing_check_text(why, "title", "Title", in->title, true, CHANNEL_TITLE_MAX);
    if (rc)
        return rc;
    const char *link = in->invite_link && *in->invite_link ? in->invite_link : NULL;
    if (link && !valid_link(link))
        return listing_refuse(why, "invite_link",
                              "The invite link must be a https://t.me/... address");
    if (!link && in->chat_ref[0] != '@')
        return listing_refuse(why, "invite_link",
                              "A channel named by its chat id needs an invite link");
    if (in->is_active && (rc = check_active_room(db, in->id, why)))
        return rc;
    int64_t id = in->id;
    if (!id) {
        rc = channel_create(db, in->chat_ref, in->title, link, &id);
        if (!rc && !in->is_active)
            rc = db_exec(db, "UPDATE channel SET is_active = 0 WHERE id = ?", DB_INT(id));
    } else {
        rc = db_exec(db,
                     "UPDATE channel SET chat_ref = ?, title = ?, invite_link = ?, is_active = ? "
                     "WHERE id = ?",
                     DB_TEXT(in->chat_ref), DB_TEXT(in->title), DB_TEXT(link),
                     DB_INT(in->is_active), DB_INT(id));
        if (!rc && !db_changes(db))
            rc = listing_refuse_code(why, ERR_NOTFOUND, "", "No such channel");
    }
    if (rc == ERR_CONFLICT && db_error(db)->kind == DB_E_UNIQUE)
        return listing_refuse_code(why, rc, "chat_ref", "This channel is in the list already");
    if (!rc && out_id)
        *out_id = id;
    return rc;
}

int channel_set_active(struct db *db, int64_t id, bool active, struct listing_problem *why)
{
    int rc;
    if (active && (rc = check_active_room(db, id, why)))
        return rc;
    rc = db_exec(db, "UPDATE channel SET is_active = ? WHERE id = ?", DB_INT(active), DB_INT(id));
    return rc               ? rc
           : db_changes(db) ? 0
                            : listing_refuse_code(why, ERR_NOTFOUND, "", "No such channel");
}

int channel_delete(struct db *db, int64_t id)
{
    int rc = db_exec(db, "DELETE FROM channel WHERE id = ?", DB_INT(id));
    return rc ? rc : db_changes(db) ? 0 : ERR_NOTFOUND;
}

int channel_shift(struct db *db, int64_t id, int delta)
{
    return listing_shift(db, "channel", NULL, id, delta);
}
