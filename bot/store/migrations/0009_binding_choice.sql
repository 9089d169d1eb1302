-- A chat bound to several enterprises acts for the one it chose (or had confirmed) last: /bind lists, switches
-- and removes bindings. The highest number of the chat's bindings is the current one.
ALTER TABLE enterprise_chats ADD COLUMN chosen_seq INTEGER NOT NULL DEFAULT 0;
