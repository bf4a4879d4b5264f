#include "web/routes.h"

#include "core/banned.h"

const struct web_route web_routes[] = {
    /* method, pattern, page, raw, needs, nav */
    {"GET", "/", page_dashboard, NULL, WEB_LOGIN, "Dashboard"},
    {"GET", "/login", page_login_form, NULL, 0, NULL},
    {"POST", "/login", page_login, NULL, WEB_CSRF, NULL},
    {"POST", "/logout", page_logout, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/account/password", page_password_form, NULL, WEB_LOGIN, NULL},
    {"POST", "/account/password", page_password, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/staff", page_staff_list, NULL, WEB_SUPERUSER, "Staff"},
    {"GET", "/staff/new", page_staff_new_form, NULL, WEB_SUPERUSER, NULL},
    {"POST", "/staff/new", page_staff_create, NULL, WEB_SUPERUSER | WEB_CSRF, NULL},
    {"GET", "/staff/{id}", page_staff_edit, NULL, WEB_SUPERUSER, NULL},
    {"POST", "/staff/{id}", page_staff_update, NULL, WEB_SUPERUSER | WEB_CSRF, NULL},
    {"POST", "/staff/{id}/password", page_staff_reset_password, NULL, WEB_SUPERUSER | WEB_CSRF,
     NULL},
    {"GET", "/audit", page_audit_log, NULL, WEB_SUPERUSER, "Audit log"},
    {"GET", "/static/*", NULL, raw_static, 0, NULL},
    {"GET", "/media/*", NULL, raw_media, 0, NULL},
    {"POST", "/tg/webhook", NULL, raw_webhook, WEB_OWN_AUTH, NULL},
};

const size_t web_route_count = sizeof web_routes / sizeof *web_routes;
