/* Every request the typed functions send names a real Bot API method with real, correctly
 * typed parameters, checked against the Bot API description (api.json, DESIGN §10) by
 * recording the requests with a small local HTTP server. Fields are checked recursively:
 * keyboards, inline results, InputMedia, prices and commands included. */
#include <microhttpd.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/parse.h"
#include "tg/client.h"
#include "core/banned.h"

/* A 1x1 PNG to upload. */
static const unsigned char png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0a, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

/* The recorded requests: {"method": ..., "params": {...}, "multipart": bool}. Multipart
 * fields are recorded as strings, uploaded files as {"$file": filename}. */
static pthread_mutex_t recorded_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *recorded;

struct upload {
    struct buf body;
    struct MHD_PostProcessor *form;
    json_t *fields;
};

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *filename, const char *content_type,
                                const char *transfer_encoding, const char *data, uint64_t off,
                                size_t size)
{
    struct upload *up = cls;
    (void)kind, (void)content_type, (void)transfer_encoding, (void)off;
    if (filename) {
        json_object_set_new(up->fields, key, json_pack("{s:s}", "$file", filename));
        return MHD_YES;
    }
    json_t *old = json_object_get(up->fields, key);
    struct buf value = BUF_INIT;
    if (json_is_string(old))
        buf_add(&value, json_string_value(old), json_string_length(old));
    buf_add(&value, data, size);
    json_object_set_new(up->fields, key, json_stringn(value.data, value.len));
    buf_release(&value);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_size, void **con_cls)
{
    (void)cls, (void)method, (void)version;
    struct upload *up = *con_cls;
    if (!up) {
        up = calloc(1, sizeof *up);
        buf_init(&up->body, 1 << 20);
        up->fields = json_object();
        const char *type =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (type && !strncmp(type, "multipart/form-data", 19))
            up->form = MHD_create_post_processor(conn, 65536, on_field, up);
        *con_cls = up;
        return MHD_YES;
    }
    if (*upload_size) {
        if (up->form)
            MHD_post_process(up->form, upload_data, *upload_size);
        else
            buf_add(&up->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    const char *slash = strrchr(url, '/');
    json_t *params =
        up->form ? json_incref(up->fields) : json_loadb(up->body.data, up->body.len, 0, NULL);
    pthread_mutex_lock(&recorded_lock);
    json_array_append_new(recorded, json_pack("{s:s, s:o*, s:b}", "method", slash ? slash + 1 : url,
                                              "params", params, "multipart", up->form != NULL));
    pthread_mutex_unlock(&recorded_lock);
    static const char reply[] = "{\"ok\":true,\"result\":true}";
    struct MHD_Response *res =
        MHD_create_response_from_buffer(sizeof reply - 1, (void *)reply, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, res);
    MHD_destroy_response(res);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    struct upload *up = *con_cls;
    if (!up)
        return;
    if (up->form)
        MHD_destroy_post_processor(up->form);
    buf_release(&up->body);
    json_decref(up->fields);
    free(up);
}

/* Sends a maximal request of every typed function (every option set) to the recorder. */
static void send_everything(struct tg_client *c)
{
    struct tg_keyboard *inline_kb = tg_keyboard_inline();
    tg_keyboard_callback(inline_kb, "A", "a");
    tg_keyboard_url(inline_kb, "Site", "https://example.com");
    tg_keyboard_row(inline_kb);
    tg_keyboard_switch_inline(inline_kb, "Search", "q");
    struct tg_keyboard *reply_kb = tg_keyboard_reply(true, true);
    tg_keyboard_contact(reply_kb, "Phone");
    tg_keyboard_text(reply_kb, "Cancel");
    struct tg_keyboard *remove_kb = tg_keyboard_remove();
    struct tg_keyboard *pay_kb = tg_keyboard_inline();
    tg_keyboard_pay(pay_kb, "Pay");
    struct tg_send_options send = {.parse_mode = TG_PARSE_HTML,
                                   .reply_markup = inline_kb,
                                   .disable_notification = true,
                                   .protect_content = true,
                                   .disable_link_preview = true,
                                   .reply_to_message_id = 3};
    struct tg_edit_options edit = {.parse_mode = TG_PARSE_MARKDOWN_V2,
                                   .reply_markup = inline_kb,
                                   .disable_link_preview = true};
    struct tg_target target = {.chat_id = 1, .message_id = 2};
    struct tg_target inline_target = {.inline_message_id = "IM"};
    struct tg_photo upload = {.kind = TG_PHOTO_BYTES, .data = png, .len = sizeof png};
    struct tg_photo by_id = {.kind = TG_PHOTO_FILE_ID, .ref = "FILE"};
    struct tg_photo by_url = {.kind = TG_PHOTO_URL, .ref = "https://example.com/p.jpg"};
    const char *const allowed[] = {"message", "callback_query", NULL};
    const struct tg_command commands[] = {{"start", "Start"}, {"help", "Help"}};
    const struct tg_price prices[] = {{"Tea", 300}, {"Delivery", 100}};
    const struct tg_invoice invoice = {.title = "Order",
                                       .description = "Tea",
                                       .payload = "order:1",
                                       .provider_token = "PROVIDER",
                                       .currency = "EUR",
                                       .prices = prices,
                                       .price_count = 2,
                                       .photo_url = "https://example.com/p.jpg",
                                       .need_name = true,
                                       .need_phone_number = true,
                                       .need_shipping_address = true};
    const struct tg_inline_result results[] = {
        {.type = TG_INLINE_ARTICLE,
         .id = "1",
         .title = "T",
         .description = "D",
         .thumbnail_url = "https://example.com/t.jpg",
         .parse_mode = TG_PARSE_HTML,
         .reply_markup = inline_kb,
         .message_text = "<b>x</b>"},
        {.type = TG_INLINE_PHOTO,
         .id = "2",
         .title = "T",
         .photo_url = "https://example.com/p.jpg",
         .thumbnail_url = "https://example.com/t.jpg",
         .caption = "C",
         .parse_mode = TG_PARSE_HTML},
        {.type = TG_INLINE_PHOTO, .id = "3", .photo_file_id = "FILE", .caption = "C"},
    };

    tg_get_me(c, NULL);
    struct tg_updates batch;
    tg_get_updates(c, &batch,
                   &(struct tg_get_updates){
                       .offset = 5, .limit = 10, .timeout_s = 0, .allowed_updates = allowed});
    tg_updates_release(&batch);
    tg_set_webhook(c, &(struct tg_webhook){.url = "https://example.com/hook",
                                           .secret_token = "s",
                                           .max_connections = 5,
                                           .drop_pending_updates = true,
                                           .allowed_updates = allowed});
    tg_delete_webhook(c, true);
    tg_get_webhook_info(c, NULL);
    tg_set_my_commands(c, commands, 2, "en");
    tg_send_message(c, NULL, 1, "<b>x</b>", &send);
    send.reply_markup = reply_kb;
    tg_send_message(c, NULL, 1, "x", &send);
    send.reply_markup = remove_kb;
    tg_send_message(c, NULL, 1, "x", &send);
    send.reply_markup = inline_kb;
    tg_send_photo(c, NULL, 1, &by_id, "<i>c</i>", &send);
    tg_send_photo(c, NULL, 1, &by_url, "c", &send);
    tg_send_photo(c, NULL, 1, &upload, "c", &send);
    tg_edit_message_text(c, NULL, &target, "x", &edit);
    tg_edit_message_text(c, NULL, &inline_target, "x", &edit);
    tg_edit_message_caption(c, NULL, &target, "c", &edit);
    tg_edit_message_media(c, NULL, &target, &by_id, "c", &edit);
    tg_edit_message_media(c, NULL, &inline_target, &upload, "c", &edit);
    tg_edit_message_reply_markup(c, NULL, &target, inline_kb);
    tg_edit_message_reply_markup(c, NULL, &target, NULL);
    tg_delete_message(c, 1, 2);
    tg_answer_callback_query(
        c, "CQ",
        &(struct tg_callback_answer){
            .text = "t", .show_alert = true, .url = "https://t.me/bot?start=x", .cache_time = 5});
    tg_answer_inline_query(
        c, "IQ", results, 3,
        &(struct tg_inline_answer){.cache_time = 10, .is_personal = true, .next_offset = "20"});
    send.reply_markup = pay_kb;
    tg_send_invoice(c, NULL, 1, &invoice, &send);
    tg_answer_pre_checkout_query(c, "PQ", true, NULL);
    tg_answer_pre_checkout_query(c, "PQ", false, "Sold out");
    tg_get_chat_member(c, NULL, "@channel", 7);
    tg_get_chat_member(c, NULL, "-1001", 7);
    for (enum tg_chat_action a = TG_ACTION_TYPING; a <= TG_ACTION_FIND_LOCATION; a++)
        tg_send_chat_action(c, 1, a);
    tg_keyboard_free(inline_kb);
    tg_keyboard_free(reply_kb);
    tg_keyboard_free(remove_kb);
    tg_keyboard_free(pay_kb);
}

/* --- checking values against api.json --- */

static json_t *api;

static bool matches_types(const json_t *value, const json_t *types, bool from_form, struct buf *why,
                          const char *path);

/* The named fields of type (following subtypes for unions), or false when value does not
 * fit the object type name. */
static bool matches_object(const json_t *value, const char *name, struct buf *why, const char *path)
{
    const json_t *type = json_object_get(json_object_get(api, "types"), name);
    if (!type) {
        buf_setf(why, "%s: unknown type %s", path, name);
        return false;
    }
    const json_t *subtypes = json_object_get(type, "subtypes");
    if (subtypes) {
        size_t i;
        const json_t *sub;
        json_array_foreach(subtypes, i, sub) if (matches_object(value, json_string_value(sub), why,
                                                                path)) return true;
        buf_setf(why, "%s: fits no kind of %s", path, name);
        return false;
    }
    if (!json_is_object(value)) {
        buf_setf(why, "%s: %s must be an object", path, name);
        return false;
    }
    const json_t *fields = json_object_get(type, "fields");
    const char *key;
    const json_t *field_value;
    json_object_foreach((json_t *)value, key, field_value)
    {
        const json_t *field = NULL, *f;
        size_t i;
        json_array_foreach(fields, i, f) if (!strcmp(json_string_value(json_object_get(f, "name")),
                                                     key)) field = f;
        char child[256];
        snprintf(child, sizeof child, "%s.%s", path, key);
        if (!field) {
            buf_setf(why, "%s: %s has no such field", child, name);
            return false;
        }
        if (!matches_types(field_value, json_object_get(field, "types"), false, why, child))
            return false;
    }
    size_t i;
    const json_t *f;
    json_array_foreach(fields, i, f)
    {
        const char *field_name = json_string_value(json_object_get(f, "name"));
        if (json_is_true(json_object_get(f, "required")) && !json_object_get(value, field_name)) {
            buf_setf(why, "%s: required field %s of %s is missing", path, field_name, name);
            return false;
        }
    }
    return true;
}

static bool matches_type(const json_t *value, const char *type, bool from_form, struct buf *why,
                         const char *path)
{
    int64_t n;
    if (!strcmp(type, "String"))
        return json_is_string(value);
    if (!strcmp(type, "Integer"))
        return json_is_integer(value) ||
               (from_form && json_is_string(value) && !parse_int64(json_string_value(value), &n));
    if (!strcmp(type, "Boolean"))
        return json_is_boolean(value) || (from_form && json_is_string(value) &&
                                          (!strcmp(json_string_value(value), "true") ||
                                           !strcmp(json_string_value(value), "false")));
    if (!strcmp(type, "InputFile"))
        return json_object_get(value, "$file") != NULL;
    if (from_form && json_is_string(value)) {
        /* a multipart field carries objects and arrays as JSON text */
        json_t *decoded = json_loads(json_string_value(value), 0, NULL);
        bool ok = decoded && matches_type(decoded, type, false, why, path);
        json_decref(decoded);
        return ok;
    }
    if (!strncmp(type, "Array of ", 9)) {
        if (!json_is_array(value))
            return false;
        size_t i;
        const json_t *item;
        json_t *inner = json_pack("[s]", type + 9);
        bool ok = true;
        json_array_foreach(value, i, item) ok = ok && matches_types(item, inner, false, why, path);
        json_decref(inner);
        return ok;
    }
    return matches_object(value, type, why, path);
}

static bool matches_types(const json_t *value, const json_t *types, bool from_form, struct buf *why,
                          const char *path)
{
    size_t i;
    const json_t *type;
    json_array_foreach(types, i, type) if (matches_type(value, json_string_value(type), from_form,
                                                        why, path)) return true;
    if (!why->len) {
        char *text = json_dumps(types, JSON_COMPACT);
        buf_setf(why, "%s: not a %s", path, text);
        free(text);
    }
    return false;
}

/* True when a parameter refers to the uploaded file field name ("attach://name"). */
static bool attached(const json_t *params, const char *name)
{
    char ref[128];
    snprintf(ref, sizeof ref, "attach://%s", name);
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)params, key,
                        value) if (json_is_string(value) &&
                                   strstr(json_string_value(value), ref)) return true;
    return false;
}

static void check_request(const json_t *request)
{
    const char *name = json_string_value(json_object_get(request, "method"));
    const json_t *params = json_object_get(request, "params");
    bool from_form = json_is_true(json_object_get(request, "multipart"));
    const json_t *method = json_object_get(json_object_get(api, "methods"), name);
    struct buf why = BUF_INIT;
    if (!method)
        fail_msg("%s is not a Bot API method", name);
    if (!json_is_object(params))
        fail_msg("%s: the body is not a JSON object", name);
    /* the parameters are checked as the fields of a type made of the method's parameters */
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)params, key, value)
    {
        const json_t *field = NULL, *f;
        size_t i;
        json_array_foreach(json_object_get(method, "fields"), i,
                           f) if (!strcmp(json_string_value(json_object_get(f, "name")), key))
            field = f;
        if (!field && from_form && json_object_get(value, "$file") && attached(params, key))
            continue;
        if (!field)
            fail_msg("%s has no parameter %s", name, key);
        buf_reset(&why);
        if (!matches_types(value, json_object_get(field, "types"), from_form, &why, key))
            fail_msg("%s: %s", name, why.data);
    }
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(method, "fields"), i, f)
    {
        const char *param = json_string_value(json_object_get(f, "name"));
        if (json_is_true(json_object_get(f, "required")) && !json_object_get(params, param))
            fail_msg("%s: required parameter %s is missing", name, param);
    }
    buf_release(&why);
}

static void test_every_request_matches_the_bot_api(void **state)
{
    (void)state;
    if (access(TG_TEST_API_JSON, R_OK)) {
        print_message("%s is not here: nothing to check against\n", TG_TEST_API_JSON);
        skip();
    }
    json_error_t error;
    api = json_load_file(TG_TEST_API_JSON, 0, &error);
    assert_non_null(api);
    recorded = json_array();
    struct MHD_Daemon *server = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_END);
    assert_non_null(server);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(server, MHD_DAEMON_INFO_BIND_PORT);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%u", (unsigned)info->port);
    struct tg_client *c;
    struct buf err = BUF_INIT;
    assert_int_equal(
        tg_client_new(&c, &(struct tg_client_options){.api_url = url, .token = "1:T"}, &err), 0);

    send_everything(c);

    tg_client_free(c);
    MHD_stop_daemon(server);
    size_t i;
    const json_t *request;
    json_t *methods = json_object();
    size_t multipart = 0;
    json_array_foreach(recorded, i, request)
    {
        check_request(request);
        json_object_set_new(methods, json_string_value(json_object_get(request, "method")),
                            json_true());
        multipart += json_is_true(json_object_get(request, "multipart"));
    }
    /* every call was sent (none refused by the client), all 19 methods are covered, and the
     * two uploads went as multipart */
    assert_int_equal(json_array_size(recorded), 31);
    assert_int_equal(json_object_size(methods), 19);
    assert_int_equal(multipart, 2);
    json_decref(methods);
    json_decref(recorded);
    json_decref(api);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_request_matches_the_bot_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
