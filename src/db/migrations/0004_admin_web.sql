-- The admin panel: a flash message per session (shown once after an action) and the
-- dashboard's low-stock list without a table scan.
ALTER TABLE admin_session ADD COLUMN flash TEXT;
CREATE INDEX product_low_stock_idx ON product (stock, id) WHERE is_active = 1;
CREATE INDEX audit_log_user_idx ON audit_log (admin_user_id, created_at);
