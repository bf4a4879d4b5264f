-- The admin panel: a flash message per session (shown once after an action) and the
-- dashboard's low-stock list and sales per day without table scans.
ALTER TABLE admin_session ADD COLUMN flash TEXT;
CREATE INDEX product_low_stock_idx ON product (stock, id) WHERE is_active = 1;
CREATE INDEX audit_log_user_idx ON audit_log (admin_user_id, created_at);
-- the dashboard's sales per day read only this index, not the order rows
CREATE INDEX orders_sales_idx ON orders (created_at, status, total);
-- ... and which days changed since the last look (orders changed since a moment)
CREATE INDEX orders_updated_idx ON orders (updated_at);
