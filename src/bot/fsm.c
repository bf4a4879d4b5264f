#include "bot/fsm.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/banned.h"

int fsm_get(struct db *db, int64_t tg_user_id, char *state, size_t size, json_t **out_data)
{
    state[0] = '\0';
    *out_data = NULL;
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT state, data FROM fsm_state WHERE tg_user_id = ?",
                      DB_INT(tg_user_id));
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0) {
        snprintf(state, size, "%s", db_text(rows, 0));
        const char *text = db_text(rows, 1);
        *out_data = json_loads(text ? text : "{}", 0, NULL);
        rc = 0;
    }
    db_rows_free(rows);
    if (!json_is_object(*out_data)) {
        json_decref(*out_data); /* a damaged row reads as empty, not as a crash */
        *out_data = json_object();
    }
    return rc < 0 ? rc : 0;
}

int fsm_set(struct db *db, int64_t tg_user_id, const char *state, const json_t *data)
{
    char *text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    int rc = db_exec(db,
                     "INSERT INTO fsm_state (tg_user_id, state, data, updated_at) "
                     "VALUES (?, ?, ?, ?) ON CONFLICT (tg_user_id) DO UPDATE SET "
                     "state = excluded.state, data = excluded.data, "
                     "updated_at = excluded.updated_at",
                     DB_INT(tg_user_id), DB_TEXT(state), DB_TEXT(text ? text : "{}"),
                     DB_INT(clock_now()));
    free(text);
    return rc;
}

int fsm_clear(struct db *db, int64_t tg_user_id)
{
    return db_exec(db, "DELETE FROM fsm_state WHERE tg_user_id = ?", DB_INT(tg_user_id));
}
