-- Every push (claim notices, alerts, reminders, binding requests) is written here before it is sent and
-- marked when it is, so a timeout retries that message, a crash resumes the rest, and nothing is dropped.
CREATE TABLE notifications (
    id               INTEGER PRIMARY KEY,
    chat_id          INTEGER NOT NULL,
    payload          BLOB NOT NULL,             -- the Notification (template, macro, params, buttons), pickled
    status           TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    error            TEXT,
    created_at       TEXT NOT NULL,
    sent_at          TEXT
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at, id);
