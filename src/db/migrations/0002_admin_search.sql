-- What the admin panel needs to stay fast on large tables (see src/shop/catalog.h and
-- customer.h for the queries that use these), and the mailing audiences of issue 10.

-- Product search by any part of the name: a trigram index over product.search_text (the
-- utf8_search_key of the name, kept in step by src/shop/catalog.c). SQLite: an FTS5 table
-- with the trigram tokenizer, kept in step by triggers; PostgreSQL: pg_trgm, whose GIN index
-- serves `search_text LIKE '%...%'` directly.
{{SQLITE}}
CREATE VIRTUAL TABLE product_fts USING fts5(search_text, content='product', content_rowid='id',
    tokenize='trigram');
INSERT INTO product_fts (rowid, search_text) SELECT id, search_text FROM product;
CREATE TRIGGER product_fts_insert AFTER INSERT ON product BEGIN
    INSERT INTO product_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER product_fts_delete AFTER DELETE ON product BEGIN
    INSERT INTO product_fts (product_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER product_fts_update AFTER UPDATE OF search_text ON product BEGIN
    INSERT INTO product_fts (product_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO product_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
{{END}}
{{POSTGRES}}
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX product_search_trgm_idx ON product USING gin (search_text gin_trgm_ops);
{{END}}

-- the product list's sort orders, each with id as the tie-breaker of a stable order
CREATE INDEX product_price_idx ON product (price, id);
CREATE INDEX product_stock_idx ON product (stock, id);
CREATE INDEX product_created_idx ON product (created_at, id);
CREATE INDEX product_name_idx ON product (name, id);

-- customer search by name or username: utf8_search_key of "username first_name last_name",
-- kept in step by customer_touch (rows from before this migration get an ASCII lower case
-- until their next contact)
ALTER TABLE customer ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
UPDATE customer SET search_text = lower(COALESCE(username, '') || ' ' || first_name || ' ' ||
    COALESCE(last_name, ''));

-- the dashboard's revenue by day of payment
CREATE INDEX orders_paid_idx ON orders (paid_at) WHERE paid_at IS NOT NULL;

-- mailing audiences (src/shop/mailing.h): optionally only customers of one language, and for
-- 'buyers' optionally only those who ordered in [ordered_from, ordered_to)
ALTER TABLE mailing ADD COLUMN language TEXT CHECK (language IS NULL OR length(language) BETWEEN 2 AND 8);
ALTER TABLE mailing ADD COLUMN ordered_from BIGINT;
ALTER TABLE mailing ADD COLUMN ordered_to BIGINT;
