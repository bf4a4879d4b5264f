-- 1000 customers and 100000 orders with their lines, for the export tests (tests/export) and
-- the export benchmark (bench/export). Runs on SQLite and PostgreSQL on a migrated, EMPTY
-- database (ids then count from 1: customer n % 1000 + 1 places order n) in one transaction,
-- in a second or two. Every order is reproducible from its id n:
--   created_at  2025-12-01 00:00:00 UTC + (n / 2) minutes (two orders share each minute)
--   status      new, awaiting_payment, paid, shipped, delivered, cancelled, refunded by n % 7
--   currency    XTR when n % 10 = 0, else RUB
--   lines       "Чай Сенча" × (1 + n % 3) at 45000 (450 in XTR); odd n also one
--               'Coffee, "Arabica"' at 120000 (1200 in XTR); total = their sum
--   comment     n % 1000 = 7: a formula ('=HYPERLINK(...)'); n % 1000 = 8: quotes, comma, newline
BEGIN;
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1000)
INSERT INTO customer (tg_id, username, first_name, last_name, language_code, created_at,
                      last_seen_at)
SELECT 900000000 + n, 'buyer' || n, 'Иван', 'Петров ' || n, 'ru', 1764547200, 1764547200
FROM seq;

WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 100000)
INSERT INTO orders (customer_id, status, contact_name, phone, address, comment, total, currency,
                    telegram_payment_charge_id, created_at, updated_at, paid_at)
SELECT n % 1000 + 1,
       CASE n % 7 WHEN 0 THEN 'new' WHEN 1 THEN 'awaiting_payment' WHEN 2 THEN 'paid'
                  WHEN 3 THEN 'shipped' WHEN 4 THEN 'delivered' WHEN 5 THEN 'cancelled'
                  ELSE 'refunded' END,
       'Покупатель ' || n, '+7999' || (1000000 + n), 'ул. Ленина, ' || n,
       CASE n % 1000 WHEN 7 THEN '=HYPERLINK("http://evil.example/","x")'
                     WHEN 8 THEN 'He said "ring twice", then
left' ELSE '' END,
       CASE WHEN n % 10 = 0 THEN (1 + n % 3) * 450 + n % 2 * 1200
            ELSE (1 + n % 3) * 45000 + n % 2 * 120000 END,
       CASE WHEN n % 10 = 0 THEN 'XTR' ELSE 'RUB' END,
       CASE WHEN n % 7 IN (2, 3, 4, 6) THEN 'charge-' || n END,
       1764547200 + (n / 2) * 60, 1764547200 + (n / 2) * 60 + 300,
       CASE WHEN n % 7 IN (2, 3, 4, 6) THEN 1764547200 + (n / 2) * 60 + 120 END
FROM seq;

INSERT INTO order_item (order_id, product_id, name, price, quantity)
SELECT id, NULL, 'Чай Сенча', CASE WHEN currency = 'XTR' THEN 450 ELSE 45000 END, 1 + id % 3
FROM orders;
INSERT INTO order_item (order_id, product_id, name, price, quantity)
SELECT id, NULL, 'Coffee, "Arabica"', CASE WHEN currency = 'XTR' THEN 1200 ELSE 120000 END, 1
FROM orders WHERE id % 2 = 1;
COMMIT;
