-- Money is integer fen; dates are ISO text; timestamps ISO text in Asia/Shanghai.

CREATE TABLE programs (
    id            TEXT PRIMARY KEY,
    fund_resumed  INTEGER NOT NULL DEFAULT 0,   -- staff resumed after a 第十九条 pause
    updated_at    TEXT NOT NULL
);

CREATE TABLE enterprises (
    id           INTEGER PRIMARY KEY,
    credit_code  TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    region       TEXT,
    industry     TEXT,
    code_checked INTEGER NOT NULL DEFAULT 1,   -- 0: bound by staff although the check character fails
    created_at   TEXT NOT NULL
);

CREATE TABLE banks (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE bank_levels (                    -- 第十二条: the level each bank was last told about
    program_id    TEXT NOT NULL REFERENCES programs(id),
    bank_id       INTEGER NOT NULL REFERENCES banks(id),
    level         TEXT NOT NULL CHECK (level IN ('normal', 'warning', 'suspend')),
    suspended_on  TEXT,                        -- date the suspension notice went out, after approval
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (program_id, bank_id)
);

CREATE TABLE chats (
    chat_id     INTEGER PRIMARY KEY,
    locale      TEXT NOT NULL DEFAULT 'zh',
    blocked     INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

CREATE TABLE enterprise_chats (
    enterprise_id  INTEGER NOT NULL REFERENCES enterprises(id),
    chat_id        INTEGER NOT NULL REFERENCES chats(chat_id),
    status         TEXT NOT NULL CHECK (status IN ('active', 'pending', 'rejected')),
    created_at     TEXT NOT NULL,
    PRIMARY KEY (enterprise_id, chat_id)
);

CREATE TABLE officers (
    bank_id     INTEGER NOT NULL REFERENCES banks(id),
    chat_id     INTEGER NOT NULL REFERENCES chats(chat_id),
    active      INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (bank_id, chat_id)
);

CREATE TABLE invites (
    code        TEXT PRIMARY KEY,
    bank_id     INTEGER NOT NULL REFERENCES banks(id),
    created_by  INTEGER NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     INTEGER,
    used_at     TEXT
);

CREATE TABLE loans (
    id                        INTEGER PRIMARY KEY,
    program_id                TEXT NOT NULL REFERENCES programs(id),
    bank_id                   INTEGER NOT NULL REFERENCES banks(id),
    report_date               TEXT NOT NULL,
    loan_id                   TEXT NOT NULL,
    credit_code               TEXT NOT NULL,
    enterprise                TEXT NOT NULL,
    principal_fen             INTEGER NOT NULL CHECK (principal_fen > 0),
    issued_on                 TEXT NOT NULL,
    due_on                    TEXT NOT NULL,
    overdue_days              INTEGER NOT NULL CHECK (overdue_days >= 0),
    ip_type                   TEXT,
    insurer                   TEXT,
    ip_pledged_principal_fen  INTEGER,
    outstanding_fen           INTEGER,
    UNIQUE (program_id, bank_id, report_date, loan_id)
);
CREATE INDEX loans_by_snapshot ON loans (program_id, bank_id, report_date);
CREATE INDEX loans_by_enterprise ON loans (credit_code);

CREATE TABLE claims (
    id               INTEGER PRIMARY KEY,
    claim_no         TEXT NOT NULL UNIQUE,
    program_id       TEXT NOT NULL REFERENCES programs(id),
    bank_id          INTEGER NOT NULL REFERENCES banks(id),
    loan_id          TEXT NOT NULL,
    credit_code      TEXT NOT NULL,
    enterprise       TEXT NOT NULL,
    principal_fen    INTEGER NOT NULL,
    loss_fen         INTEGER NOT NULL,
    overdue_days     INTEGER NOT NULL,
    ceiling_fen      INTEGER NOT NULL,
    approved_fen     INTEGER,
    paid_fen         INTEGER,
    paid_on          TEXT,
    status           TEXT NOT NULL,
    note             TEXT,
    filed_at         TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX claims_by_status ON claims (status, filed_at);
CREATE INDEX claims_by_enterprise ON claims (credit_code);

CREATE TABLE recoveries (
    id             INTEGER PRIMARY KEY,
    claim_id       INTEGER NOT NULL REFERENCES claims(id),
    recovered_fen  INTEGER NOT NULL CHECK (recovered_fen > 0),
    return_fen     INTEGER NOT NULL,
    received_on    TEXT NOT NULL,
    deadline       TEXT NOT NULL,
    returned_on    TEXT
);

CREATE TABLE alerts (                          -- one row per pushed level change, so a restart doesn't resend
    id          INTEGER PRIMARY KEY,
    program_id  TEXT NOT NULL,
    bank_id     INTEGER REFERENCES banks(id),
    kind        TEXT NOT NULL,
    level       TEXT,
    created_at  TEXT NOT NULL,
    resolved_at TEXT
);

CREATE TABLE broadcasts (
    id           INTEGER PRIMARY KEY,
    created_by   INTEGER NOT NULL,
    audience     TEXT NOT NULL,
    text         TEXT NOT NULL,
    document     TEXT,
    status       TEXT NOT NULL CHECK (status IN ('draft', 'sending', 'done', 'cancelled')),
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);

CREATE TABLE broadcast_outbox (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts(id),
    chat_id       INTEGER NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'blocked')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT,
    sent_at       TEXT,
    PRIMARY KEY (broadcast_id, chat_id)
);

CREATE TABLE audit (                           -- append-only: who, when, what, before and after
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    before     TEXT,
    after      TEXT
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
