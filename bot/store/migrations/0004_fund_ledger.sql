-- 第十九条: pausing and resuming the fund are recorded decisions (who, when, the bureaus' document or note),
-- replacing the single fund_resumed flag, which could only ever be switched on.
CREATE TABLE fund_decisions (
    id          INTEGER PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs(id),
    kind        TEXT NOT NULL CHECK (kind IN ('pause', 'resume')),
    paid_fen    INTEGER NOT NULL,              -- the cumulative compensation when decided
    note        TEXT,
    actor       TEXT NOT NULL,
    decided_at  TEXT NOT NULL
);
CREATE INDEX fund_decisions_by_program ON fund_decisions (program_id, id);

INSERT INTO fund_decisions (program_id, kind, paid_fen, note, actor, decided_at)
SELECT p.id, 'resume',
       (SELECT COALESCE(SUM(c.paid_fen), 0) FROM claims c WHERE c.program_id = p.id AND c.paid_fen IS NOT NULL),
       NULL, 'migration', p.updated_at
FROM programs p WHERE p.fund_resumed = 1;

ALTER TABLE programs DROP COLUMN fund_resumed;

-- A claim keeps the facts its ceiling was computed from, and the reasons shown with that ceiling.
ALTER TABLE claims ADD COLUMN ip_pledged_principal_fen INTEGER;
ALTER TABLE claims ADD COLUMN ip_type TEXT;
ALTER TABLE claims ADD COLUMN has_insurer INTEGER;
ALTER TABLE claims ADD COLUMN reasons TEXT NOT NULL DEFAULT '[]';
CREATE INDEX claims_by_program ON claims (program_id, status);
