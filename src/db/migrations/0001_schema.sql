-- The complete tgshop schema (DESIGN §6). Runs on SQLite and PostgreSQL alike:
-- see src/db/migrate.h for the placeholders. Money is BIGINT minor units,
-- times are BIGINT UTC seconds, flags are SMALLINT 0/1. Prices are at most 10^12 minor units
-- and line quantities at most 999, so no sum of an order or a cart can overflow 64 bits.

CREATE TABLE admin_user (
    id {{ID}},
    username TEXT NOT NULL CHECK (length(username) BETWEEN 1 AND 150),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    is_superuser SMALLINT NOT NULL DEFAULT 0 CHECK (is_superuser IN (0, 1)),
    is_active SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    last_login BIGINT
);
-- "Admin" and "admin" are one account
CREATE UNIQUE INDEX admin_user_username_key ON admin_user (lower(username));

CREATE TABLE admin_session (
    id TEXT PRIMARY KEY,              -- hash of the cookie value, never the value itself
    user_id BIGINT NOT NULL REFERENCES admin_user (id) ON DELETE CASCADE,
    csrf_secret TEXT NOT NULL,
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    expires_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    ip TEXT,
    user_agent TEXT
);
CREATE INDEX admin_session_user_idx ON admin_session (user_id);
CREATE INDEX admin_session_expires_idx ON admin_session (expires_at);

CREATE TABLE customer (
    id {{ID}},
    tg_id BIGINT NOT NULL UNIQUE,
    username TEXT,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT,
    language_code TEXT,
    phone TEXT,
    is_blocked SMALLINT NOT NULL DEFAULT 0 CHECK (is_blocked IN (0, 1)),
    is_banned SMALLINT NOT NULL DEFAULT 0 CHECK (is_banned IN (0, 1)),
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    last_seen_at BIGINT NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX customer_created_idx ON customer (created_at);
-- mailing audiences: everyone who has not blocked the bot and is not banned
CREATE INDEX customer_reachable_idx ON customer (id) WHERE is_blocked = 0 AND is_banned = 0;

CREATE TABLE category (
    id {{ID}},
    parent_id BIGINT REFERENCES category (id) ON DELETE RESTRICT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL DEFAULT 0,
    is_active SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    updated_at BIGINT NOT NULL DEFAULT {{NOW}},
    CHECK (parent_id IS NULL OR parent_id <> id)
);
-- the bot lists the active children of one category, in order, a page at a time
CREATE INDEX category_children_idx ON category (parent_id, is_active, position, id);

CREATE TABLE product (
    id {{ID}},
    category_id BIGINT NOT NULL REFERENCES category (id) ON DELETE RESTRICT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    price BIGINT NOT NULL CHECK (price BETWEEN 0 AND 1000000000000),
    stock BIGINT NOT NULL DEFAULT 0 CHECK (stock >= 0),
    photo_path TEXT,
    photo_file_id TEXT,               -- Telegram's file_id once the photo was uploaded
    search_text TEXT NOT NULL DEFAULT '',  -- utf8_search_key(name): see src/core/utf8.h
    position BIGINT NOT NULL DEFAULT 0,
    is_active SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    updated_at BIGINT NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX product_category_idx ON product (category_id, is_active, position, id);

CREATE TABLE cart_item (
    id {{ID}},
    customer_id BIGINT NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    product_id BIGINT NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    quantity BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    price_at_add BIGINT NOT NULL CHECK (price_at_add BETWEEN 0 AND 1000000000000),  -- to show price changes
    added_at BIGINT NOT NULL DEFAULT {{NOW}},
    UNIQUE (customer_id, product_id)
);
CREATE INDEX cart_item_product_idx ON cart_item (product_id);

CREATE TABLE orders (
    id {{ID}},
    customer_id BIGINT NOT NULL REFERENCES customer (id) ON DELETE RESTRICT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'awaiting_payment', 'paid',
        'shipped', 'delivered', 'cancelled', 'refunded')),
    contact_name TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    total BIGINT NOT NULL CHECK (total >= 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    telegram_payment_charge_id TEXT UNIQUE,   -- a payment is applied at most once
    provider_payment_charge_id TEXT,
    reserved_until BIGINT,                    -- stock is held for the order until then
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    updated_at BIGINT NOT NULL DEFAULT {{NOW}},
    paid_at BIGINT,
    CHECK (status NOT IN ('paid', 'shipped', 'delivered', 'refunded')
           OR telegram_payment_charge_id IS NOT NULL)
);
CREATE INDEX orders_status_created_idx ON orders (status, created_at);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX orders_customer_idx ON orders (customer_id, created_at);
-- the expiry sweep looks only at reservations still waiting for payment
CREATE INDEX orders_reservation_idx ON orders (reserved_until) WHERE status = 'awaiting_payment';

CREATE TABLE order_item (
    id {{ID}},
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id BIGINT REFERENCES product (id) ON DELETE SET NULL,
    name TEXT NOT NULL,                       -- snapshot at order time
    price BIGINT NOT NULL CHECK (price BETWEEN 0 AND 1000000000000), -- snapshot
    quantity BIGINT NOT NULL CHECK (quantity BETWEEN 1 AND 999)
);
CREATE INDEX order_item_order_idx ON order_item (order_id);
CREATE INDEX order_item_product_idx ON order_item (product_id);

CREATE TABLE faq (
    id {{ID}},
    question TEXT NOT NULL CHECK (length(question) BETWEEN 1 AND 500),
    answer TEXT NOT NULL CHECK (length(answer) >= 1),
    search_text TEXT NOT NULL DEFAULT '',  -- utf8_search_key(question + answer)
    position BIGINT NOT NULL DEFAULT 0,
    is_active SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    updated_at BIGINT NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX faq_active_idx ON faq (is_active, position, id);

CREATE TABLE channel (
    id {{ID}},
    chat_ref TEXT NOT NULL UNIQUE CHECK (length(chat_ref) >= 2),  -- -100... id or @username
    title TEXT NOT NULL CHECK (length(title) >= 1),
    invite_link TEXT,
    position BIGINT NOT NULL DEFAULT 0,
    is_active SMALLINT NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at BIGINT NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE mailing (
    id {{ID}},
    text TEXT NOT NULL CHECK (length(text) >= 1),
    parse_mode TEXT NOT NULL DEFAULT 'HTML' CHECK (parse_mode IN ('', 'HTML', 'MarkdownV2')),
    photo_path TEXT,
    photo_file_id TEXT,
    button_text TEXT,
    button_url TEXT,
    audience TEXT NOT NULL DEFAULT 'all' CHECK (audience IN ('all', 'buyers', 'non_buyers')),
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'scheduled', 'sending',
        'done', 'cancelled')),
    scheduled_at BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    total_count BIGINT NOT NULL DEFAULT 0 CHECK (total_count >= 0),
    sent_count BIGINT NOT NULL DEFAULT 0 CHECK (sent_count >= 0),
    failed_count BIGINT NOT NULL DEFAULT 0 CHECK (failed_count >= 0),
    blocked_count BIGINT NOT NULL DEFAULT 0 CHECK (blocked_count >= 0),
    created_by BIGINT REFERENCES admin_user (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    updated_at BIGINT NOT NULL DEFAULT {{NOW}},
    CHECK ((button_text IS NULL) = (button_url IS NULL)),
    CHECK (status <> 'scheduled' OR scheduled_at IS NOT NULL)
);
CREATE INDEX mailing_status_idx ON mailing (status, scheduled_at);

CREATE TABLE mailing_delivery (
    id {{ID}},
    mailing_id BIGINT NOT NULL REFERENCES mailing (id) ON DELETE CASCADE,
    customer_id BIGINT NOT NULL REFERENCES customer (id) ON DELETE CASCADE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed',
        'blocked')),
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT,
    message_id BIGINT,
    sent_at BIGINT,
    updated_at BIGINT NOT NULL DEFAULT {{NOW}},
    UNIQUE (mailing_id, customer_id)          -- one row per recipient: the exactly-once record
);
CREATE INDEX mailing_delivery_status_idx ON mailing_delivery (mailing_id, status);
CREATE INDEX mailing_delivery_customer_idx ON mailing_delivery (customer_id);

CREATE TABLE fsm_state (
    tg_user_id BIGINT PRIMARY KEY,
    state TEXT NOT NULL CHECK (length(state) >= 1),
    data TEXT NOT NULL DEFAULT '{}',
    updated_at BIGINT NOT NULL DEFAULT {{NOW}}
);

CREATE TABLE processed_update (
    update_id BIGINT PRIMARY KEY,
    processed_at BIGINT NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX processed_update_time_idx ON processed_update (processed_at);

CREATE TABLE job (
    id {{ID}},
    queue TEXT NOT NULL CHECK (queue IN ('default', 'telegram_sending_queue')),
    kind TEXT NOT NULL CHECK (length(kind) >= 1),
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts BIGINT NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    run_at BIGINT NOT NULL DEFAULT {{NOW}},
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    unique_key TEXT UNIQUE,                   -- optional: enqueue the same work only once
    created_at BIGINT NOT NULL DEFAULT {{NOW}},
    updated_at BIGINT NOT NULL DEFAULT {{NOW}}
);
-- workers claim the oldest due job of their queue
CREATE INDEX job_claim_idx ON job (queue, status, run_at, id);
CREATE INDEX job_locked_idx ON job (locked_until) WHERE status = 'running';

CREATE TABLE audit_log (
    id {{ID}},
    admin_user_id BIGINT REFERENCES admin_user (id) ON DELETE SET NULL,
    username TEXT NOT NULL,                   -- kept when the account is deleted
    action TEXT NOT NULL CHECK (length(action) >= 1),
    object_type TEXT NOT NULL,
    object_id BIGINT,
    details TEXT NOT NULL DEFAULT '',
    ip TEXT,
    created_at BIGINT NOT NULL DEFAULT {{NOW}}
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
