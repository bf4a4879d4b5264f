/*
 * The admin panel's route table: one line per page (routes.c), the way git lists its
 * commands. The dispatcher (web.c) does what a route's `needs` say before calling it:
 * WEB_LOGIN sends visitors without a session to the sign-in page, WEB_SUPERUSER answers
 * 403 to staff, and every POST checks the form's CSRF token (web_start refuses a POST
 * route that does not ask for WEB_CSRF, unless it is WEB_OWN_AUTH like the webhook).
 * Plain HTTP handlers (`raw`: static files, the webhook) get none of these checks, so
 * they may not ask for WEB_LOGIN or WEB_CSRF. Only routes with WEB_UPLOAD take files.
 *
 * To add a page:
 *   1. write src/web/pages/NAME.c with `void page_NAME(struct web_page *p)` handlers
 *      (web/page.h: render, redirect with a flash message, forms, lists, audit_log) and
 *      declare them below;
 *   2. add its templates as src/web/templates/NAME*.html (they start with
 *      {{>layout_top}} and end with {{>layout_bottom}});
 *   3. add one line per method and path to web_routes[] in routes.c (a `nav` label puts
 *      the GET page in the navigation bar), and the .c file to src/web/CMakeLists.txt.
 *   4. document the page in docs/admin.md; test it in tests/web/.
 */
#ifndef TGSHOP_WEB_ROUTES_H
#define TGSHOP_WEB_ROUTES_H

#include <stddef.h>

#include "http/server.h"
#include "web/page.h"

enum web_needs {
    WEB_LOGIN = 1 << 0,                   /* a signed-in account */
    WEB_SUPERUSER = (1 << 1) | WEB_LOGIN, /* a superuser */
    WEB_CSRF = 1 << 2,                    /* POST: the form's csrf field must match */
    WEB_OWN_AUTH = 1 << 3,                /* the handler authenticates the request itself */
    WEB_UPLOAD = 1 << 4, /* takes multipart file uploads (up to WEB_MAX_UPLOAD); without it a
                            file part is refused with 413 before it is written anywhere */
};

enum { WEB_MAX_UPLOAD = 10 << 20 };

struct web_route {
    const char *method;
    const char *pattern; /* http/server.h patterns: "/staff/{id}" */
    web_page_fn *page;   /* a page (session, database, templates)... */
    http_handler *raw;   /* ...or a plain HTTP handler (static files, webhook) */
    unsigned needs;
    const char *nav; /* label in the navigation bar, or NULL */
};

extern const struct web_route web_routes[];
extern const size_t web_route_count;

/* pages/auth.c */
web_page_fn page_login_form, page_login, page_logout, page_password_form, page_password;
/* pages/dashboard.c */
web_page_fn page_dashboard;
/* pages/staff.c */
web_page_fn page_staff_list, page_staff_new_form, page_staff_create, page_staff_edit,
    page_staff_update, page_staff_reset_password;
/* pages/customers.c */
web_page_fn page_customers, page_customer, page_customer_ban, page_customer_unban;
/* pages/categories.c */
web_page_fn page_categories, page_category_new_form, page_category_create, page_category_edit,
    page_category_update, page_category_move, page_category_active, page_category_delete_form,
    page_category_delete;
/* pages/products.c */
web_page_fn page_products, page_products_bulk, page_product_new_form, page_product_create,
    page_product_edit, page_product_update;
/* pages/faq.c */
web_page_fn page_faq, page_faq_new_form, page_faq_create, page_faq_edit, page_faq_update,
    page_faq_move, page_faq_active, page_faq_delete;
/* pages/channels.c */
web_page_fn page_channels, page_channel_new_form, page_channel_create, page_channel_edit,
    page_channel_update, page_channel_move, page_channel_active, page_channel_delete,
    page_channel_check;
/* pages/mailings.c */
web_page_fn page_mailings, page_mailing_new_form, page_mailing_create, page_mailing,
    page_mailing_edit, page_mailing_update, page_mailing_progress, page_mailing_schedule,
    page_mailing_unschedule, page_mailing_pause, page_mailing_resume, page_mailing_cancel,
    page_mailing_delete, page_mailing_test;
/* pages/orders.c */
web_page_fn page_orders_list, page_orders_export, page_order_detail, page_order_set_status;
/* pages/audit.c */
web_page_fn page_audit_log;
/* pages/jobs.c */
web_page_fn page_jobs, page_job_retry, page_job_discard;
/* pages/assets.c */
http_handler raw_static, raw_media, raw_webhook;

#endif
