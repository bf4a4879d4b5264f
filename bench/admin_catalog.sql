-- The admin benchmark's catalogue (bench/admin): a category tree of 10 roots, 100 branches
-- and 500 leaves, and 100000 products in the leaves (200 each). Runs on SQLite and PostgreSQL
-- on a migrated database in one transaction, after tests/support/orders_100k.sql.
--   name         "Item n <colour> <kind>": colour green, black, white, oolong, herbal by n % 5,
--                kind tea, coffee, cup, pot by (n / 5) % 4 (so "green tea" names 5000 products)
--   price        (n * 7919) % 1000000 minor units; stock (n * 31) % 50; every 13th inactive
--   created_at   2025-01-01 00:00:00 UTC + n minutes
BEGIN;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10)
INSERT INTO category (parent_id, name, position) SELECT NULL, 'Department ' || n, n FROM seq;

WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10)
INSERT INTO category (parent_id, name, position)
SELECT c.id, c.name || '.' || n, n FROM category c, seq WHERE c.parent_id IS NULL;

WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 5)
INSERT INTO category (parent_id, name, position)
SELECT c.id, c.name || '.' || n, n FROM category c, category p, seq
WHERE c.parent_id = p.id AND p.parent_id IS NULL;

WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 100000),
leaf AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM category c
         WHERE NOT EXISTS (SELECT 1 FROM category d WHERE d.parent_id = c.id)),
named AS (SELECT n, 'Item ' || n || ' ' ||
                 CASE n % 5 WHEN 0 THEN 'green' WHEN 1 THEN 'black' WHEN 2 THEN 'white'
                            WHEN 3 THEN 'oolong' ELSE 'herbal' END || ' ' ||
                 CASE (n / 5) % 4 WHEN 0 THEN 'tea' WHEN 1 THEN 'coffee' WHEN 2 THEN 'cup'
                                  ELSE 'pot' END AS name
          FROM seq)
INSERT INTO product (category_id, name, search_text, price, stock, is_active, created_at,
                     updated_at)
SELECT leaf.id, named.name, lower(named.name), (n * 7919) % 1000000, (n * 31) % 50,
       CASE WHEN n % 13 = 0 THEN 0 ELSE 1 END, 1735689600 + n * 60, 1735689600 + n * 60
FROM named JOIN leaf ON leaf.k = n % 500;
COMMIT;
