-- The admin panel's order list and the export (src/shop/order_query.h) read orders newest
-- first, a page at a time, by (created_at, id), optionally of one status, and add up totals
-- per currency for the same filter. These two indexes replace the (created_at) and
-- (status, created_at) ones: the keyset order (created_at, id) is in the key, and currency and
-- total ride along so that counting and summing a filtered set reads only the index.
DROP INDEX orders_status_created_idx;
DROP INDEX orders_created_idx;
CREATE INDEX orders_created_id_idx ON orders (created_at, id, currency, total);
CREATE INDEX orders_status_created_id_idx ON orders (status, created_at, id, currency, total);
