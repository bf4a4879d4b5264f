-- What keeps the admin panel's busiest pages from re-reading large tables on every request
-- (docs/PERFORMANCE.md, "Admin panel"). Everything here is kept in step by triggers, in the
-- transaction of the change, whoever makes it: the domain functions, another process, a bulk
-- load in SQL.

-- Counters of whole tables:
--   category_version  grows with every change of the category table, so that a process that
--                     keeps the category tree between requests (src/web/pages/products.c)
--                     sees in one row whether its copy is still the tree
--   product_count     the number of products: the unfiltered product list's count
--   product_search_version (SQLite) grows with every change of what the product search's
--                     FTS5 index holds, so a process can keep a search's matches
CREATE TABLE table_counter (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO table_counter (name, value) VALUES ('category_version', 1);
INSERT INTO table_counter (name, value) SELECT 'product_count', count(*) FROM product;

-- The number and sum of the orders per UTC day of creation (floor(created_at / 86400)),
-- status and currency: the order list's totals over whole days come from here
-- (src/shop/order_query.c) instead of from every matching order.
CREATE TABLE order_day_total (
    day BIGINT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    order_count BIGINT NOT NULL,
    total_sum BIGINT NOT NULL,
    PRIMARY KEY (day, status, currency)
);
INSERT INTO order_day_total (day, status, currency, order_count, total_sum)
SELECT (created_at - ((created_at % 86400) + 86400) % 86400) / 86400, status, currency,
       count(*), sum(total)
FROM orders GROUP BY 1, 2, 3;

{{SQLITE}}
CREATE TRIGGER category_version_insert AFTER INSERT ON category BEGIN
    UPDATE table_counter SET value = value + 1 WHERE name = 'category_version';
END;
CREATE TRIGGER category_version_update AFTER UPDATE ON category BEGIN
    UPDATE table_counter SET value = value + 1 WHERE name = 'category_version';
END;
CREATE TRIGGER category_version_delete AFTER DELETE ON category BEGIN
    UPDATE table_counter SET value = value + 1 WHERE name = 'category_version';
END;

INSERT INTO table_counter (name, value) VALUES ('product_search_version', 1);
CREATE TRIGGER product_count_insert AFTER INSERT ON product BEGIN
    UPDATE table_counter SET value = value + 1
    WHERE name IN ('product_count', 'product_search_version');
END;
CREATE TRIGGER product_count_delete AFTER DELETE ON product BEGIN
    UPDATE table_counter SET value = value - 1 WHERE name = 'product_count';
    UPDATE table_counter SET value = value + 1 WHERE name = 'product_search_version';
END;
CREATE TRIGGER product_search_version_update AFTER UPDATE OF search_text ON product
WHEN old.search_text IS NOT new.search_text BEGIN
    UPDATE table_counter SET value = value + 1 WHERE name = 'product_search_version';
END;

-- An order's share of its day's total (delta +1: it is there, -1: it left) is added by inserting
-- it into this view, so that the arithmetic is written once.
CREATE VIEW order_day_share (created_at, status, currency, total, delta) AS
SELECT 0, '', '', 0, 0 WHERE 0;
CREATE TRIGGER order_day_share_add INSTEAD OF INSERT ON order_day_share BEGIN
    INSERT INTO order_day_total (day, status, currency, order_count, total_sum)
    VALUES ((new.created_at - ((new.created_at % 86400) + 86400) % 86400) / 86400, new.status,
            new.currency, new.delta, new.delta * new.total)
    ON CONFLICT (day, status, currency) DO UPDATE
    SET order_count = order_count + excluded.order_count,
        total_sum = total_sum + excluded.total_sum;
END;
CREATE TRIGGER order_day_total_insert AFTER INSERT ON orders BEGIN
    INSERT INTO order_day_share VALUES (new.created_at, new.status, new.currency, new.total, 1);
END;
CREATE TRIGGER order_day_total_delete AFTER DELETE ON orders BEGIN
    INSERT INTO order_day_share VALUES (old.created_at, old.status, old.currency, old.total, -1);
END;
CREATE TRIGGER order_day_total_update AFTER UPDATE OF status, currency, total, created_at ON orders
WHEN old.status IS NOT new.status OR old.currency IS NOT new.currency
     OR old.total IS NOT new.total OR old.created_at IS NOT new.created_at
BEGIN
    INSERT INTO order_day_share VALUES (old.created_at, old.status, old.currency, old.total, -1);
    INSERT INTO order_day_share VALUES (new.created_at, new.status, new.currency, new.total, 1);
END;
{{END}}
{{POSTGRES}}
CREATE FUNCTION category_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_counter SET value = value + 1 WHERE name = 'category_version';
    RETURN NULL;
END $$;
CREATE TRIGGER category_version_bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON category
    FOR EACH STATEMENT EXECUTE FUNCTION category_version_bump();

CREATE FUNCTION product_count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_counter SET value = value + (SELECT count(*) FROM inserted)
    WHERE name = 'product_count';
    RETURN NULL;
END $$;
CREATE FUNCTION product_count_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_counter SET value = value - (SELECT count(*) FROM deleted)
    WHERE name = 'product_count';
    RETURN NULL;
END $$;
CREATE FUNCTION product_count_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE table_counter SET value = 0 WHERE name = 'product_count';
    RETURN NULL;
END $$;
CREATE TRIGGER product_count_insert AFTER INSERT ON product REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION product_count_inserted();
CREATE TRIGGER product_count_delete AFTER DELETE ON product REFERENCING OLD TABLE AS deleted
    FOR EACH STATEMENT EXECUTE FUNCTION product_count_deleted();
CREATE TRIGGER product_count_truncate AFTER TRUNCATE ON product
    FOR EACH STATEMENT EXECUTE FUNCTION product_count_truncated();

CREATE FUNCTION order_day(at BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT (at - ((at % 86400) + 86400) % 86400) / 86400
$$;
-- One order's share of a day's total: delta is +1 (it is there) or -1 (it left).
CREATE FUNCTION order_day_total_add(at BIGINT, st TEXT, cur TEXT, amount BIGINT, delta INT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO order_day_total AS t (day, status, currency, order_count, total_sum)
    VALUES (order_day(at), st, cur, delta, delta * amount)
    ON CONFLICT (day, status, currency) DO UPDATE
    SET order_count = t.order_count + excluded.order_count,
        total_sum = t.total_sum + excluded.total_sum;
$$;
-- An update takes its two rows in one order (old first when its key is smaller), so that two
-- transactions moving orders in opposite directions cannot wait for each other.
CREATE FUNCTION order_day_total_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM order_day_total_add(new.created_at, new.status, new.currency, new.total, 1);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM order_day_total_add(old.created_at, old.status, old.currency, old.total, -1);
    ELSIF (old.created_at, old.status, old.currency, old.total)
          IS DISTINCT FROM (new.created_at, new.status, new.currency, new.total) THEN
        IF (order_day(old.created_at), old.status, old.currency)
           <= (order_day(new.created_at), new.status, new.currency) THEN
            PERFORM order_day_total_add(old.created_at, old.status, old.currency, old.total, -1);
            PERFORM order_day_total_add(new.created_at, new.status, new.currency, new.total, 1);
        ELSE
            PERFORM order_day_total_add(new.created_at, new.status, new.currency, new.total, 1);
            PERFORM order_day_total_add(old.created_at, old.status, old.currency, old.total, -1);
        END IF;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION order_day_total_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM order_day_total;
    RETURN NULL;
END $$;
CREATE TRIGGER order_day_total_change AFTER INSERT OR DELETE OR UPDATE OF status, currency, total,
    created_at ON orders FOR EACH ROW EXECUTE FUNCTION order_day_total_change();
CREATE TRIGGER order_day_total_truncate AFTER TRUNCATE ON orders
    FOR EACH STATEMENT EXECUTE FUNCTION order_day_total_truncated();
{{END}}
