-- Who a chat is, as Telegram last told it: staff screens name people (王敏 @wangmin) instead of chat ids.
ALTER TABLE chats ADD COLUMN name TEXT;
ALTER TABLE chats ADD COLUMN username TEXT;
