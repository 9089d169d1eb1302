-- PTB's persistence (conversation states, user/chat data, the button-data cache), one row per key, so an
-- update rewrites one row instead of everything.
CREATE TABLE ptb_state (
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (kind, key)
);
