-- The button-data cache is kept a row per keyboard (kind callback_keyboard); the old single-blob row goes.
DELETE FROM ptb_state WHERE kind = 'callback';
