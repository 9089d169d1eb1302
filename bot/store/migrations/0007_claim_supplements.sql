-- Staff ask the bank for more on a claim, and the bank answers with text and files: each question and each
-- answer is a row, kept with the claim and shown on its review notice.
CREATE TABLE claim_supplements (
    id          INTEGER PRIMARY KEY,
    claim_id    INTEGER NOT NULL REFERENCES claims(id),
    kind        TEXT NOT NULL CHECK (kind IN ('question', 'answer')),
    actor       TEXT NOT NULL,
    text        TEXT NOT NULL,
    files       TEXT NOT NULL DEFAULT '[]',     -- JSON [[telegram file id, file name], ...]
    created_at  TEXT NOT NULL
);
CREATE INDEX claim_supplements_by_claim ON claim_supplements (claim_id, id);
