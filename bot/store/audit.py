"""The append-only audit table: every state change writes a row in the same transaction."""

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store.db import Database


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any


def _dump(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


async def record(tx: aiosqlite.Connection, db: Database, *, actor: str, action: str, entity: str,
                 entity_id: object, before: Any = None, after: Any = None) -> None:
    """Write one audit row; call it inside the transaction that makes the change."""
    await tx.execute(
        "INSERT INTO audit (at, actor, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (db.now_iso(), actor, action, entity, str(entity_id), _dump(before), _dump(after)),
    )


class AuditLog:
    def __init__(self, db: Database):
        self.db = db

    async def of_entities(self, entities: tuple[str, ...]) -> list[AuditEntry]:
        """Every row about these kinds of entity, oldest first (for replaying the ledger)."""
        marks = ", ".join("?" * len(entities))
        rows = await self.db.fetchall(f"SELECT * FROM audit WHERE entity IN ({marks}) ORDER BY id", entities)
        return [_entry(r) for r in rows]

    async def latest(self, limit: int = 20, entity: str | None = None, entity_id: str | None = None,
                     offset: int = 0) -> list[AuditEntry]:
        """The newest rows first (of one kind of entity, or one entity, when given), ``offset`` rows skipped."""
        where, params = _where(entity, entity_id)
        rows = await self.db.fetchall(f"SELECT * FROM audit{where} ORDER BY id DESC LIMIT ? OFFSET ?",
                                      (*params, limit, offset))
        return [_entry(r) for r in rows]

    async def count(self, entity: str | None = None, entity_id: str | None = None) -> int:
        where, params = _where(entity, entity_id)
        return (await self.db.fetchone(f"SELECT COUNT(*) FROM audit{where}", params))[0]


def _where(entity: str | None, entity_id: str | None) -> tuple[str, tuple]:
    clauses = [(column, value) for column, value in (("entity", entity), ("entity_id", entity_id)) if value is not None]
    if not clauses:
        return "", ()
    return " WHERE " + " AND ".join(f"{column} = ?" for column, _ in clauses), tuple(v for _, v in clauses)


def _entry(r) -> AuditEntry:
    return AuditEntry(r["id"], r["at"], r["actor"], r["action"], r["entity"], r["entity_id"],
                      json.loads(r["before"]) if r["before"] else None,
                      json.loads(r["after"]) if r["after"] else None)
