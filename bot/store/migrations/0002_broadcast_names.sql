-- A broadcast recipient's name (the enterprise or the bank) for {{ name }}, captured when the outbox is made.
ALTER TABLE broadcast_outbox ADD COLUMN name TEXT NOT NULL DEFAULT '';
CREATE INDEX broadcasts_by_status ON broadcasts (status, id);
