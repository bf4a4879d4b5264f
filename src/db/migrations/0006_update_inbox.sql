-- The bot's inbox of polled updates (src/bot/bot.c): an update is stored here before the
-- next getUpdates confirms it to Telegram, and forgotten once it is handled, so confirming
-- early loses nothing when the bot stops in the middle (the rows left are handled at start).
CREATE TABLE update_inbox (
    update_id BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    received_at BIGINT NOT NULL DEFAULT {{NOW}}
);
