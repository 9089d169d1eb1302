-- One-time, expiring codes that staff, or an officer of a bank that lent to the enterprise, give to a person
-- they know: opened as a deep link, the code binds that chat to the enterprise without another confirmation.
CREATE TABLE binding_codes (
    code           TEXT PRIMARY KEY,
    enterprise_id  INTEGER NOT NULL REFERENCES enterprises(id),
    created_by     INTEGER NOT NULL,
    expires_at     TEXT NOT NULL,
    used_by        INTEGER,
    used_at        TEXT
);
