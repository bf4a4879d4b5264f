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
    {"GET", "/customers", page_customers, NULL, WEB_LOGIN, "Customers"},
    {"GET", "/customers/{id}", page_customer, NULL, WEB_LOGIN, NULL},
    {"POST", "/customers/{id}/ban", page_customer_ban, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"POST", "/customers/{id}/unban", page_customer_unban, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/categories", page_categories, NULL, WEB_LOGIN, "Categories"},
    {"GET", "/categories/new", page_category_new_form, NULL, WEB_LOGIN, NULL},
    {"POST", "/categories/new", page_category_create, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/categories/{id}", page_category_edit, NULL, WEB_LOGIN, NULL},
    {"POST", "/categories/{id}", page_category_update, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"POST", "/categories/{id}/move", page_category_move, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"POST", "/categories/{id}/active", page_category_active, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/categories/{id}/delete", page_category_delete_form, NULL, WEB_LOGIN, NULL},
    {"POST", "/categories/{id}/delete", page_category_delete, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/products", page_products, NULL, WEB_LOGIN, "Products"},
    {"POST", "/products/bulk", page_products_bulk, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/products/new", page_product_new_form, NULL, WEB_LOGIN, NULL},
    {"POST", "/products/new", page_product_create, NULL, WEB_LOGIN | WEB_CSRF, NULL},
    {"GET", "/products/{id}", page_product_edit, NULL, WEB_LOGIN, NULL},
    {"POST", "/products/{id}", page_product_update, NULL, WEB_LOGIN | WEB_CSRF, NULL},
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
