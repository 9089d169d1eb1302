"""Pushed alerts (bank warnings and suspensions, fund pauses), one row per change so a restart never resends."""

from dataclasses import dataclass

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class Alert:
    id: int
    program_id: str
    bank_id: int | None
    kind: str
    level: str | None
    created_at: str
    resolved_at: str | None


def _alert(row) -> Alert:
    return Alert(row["id"], row["program_id"], row["bank_id"], row["kind"], row["level"], row["created_at"],
                 row["resolved_at"])


class Alerts:
    def __init__(self, db: Database):
        self.db = db

    async def raise_alert(self, program_id: str, kind: str, actor: str, *, bank_id: int | None = None,
                          level: str | None = None) -> Alert:
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO alerts (program_id, bank_id, kind, level, created_at) VALUES (?, ?, ?, ?, ?)",
                (program_id, bank_id, kind, level, self.db.now_iso()))
            await audit.record(tx, self.db, actor=actor, action=f"alert.{kind}", entity="alert",
                               entity_id=cur.lastrowid, after={"program": program_id, "bank_id": bank_id,
                                                               "kind": kind, "level": level})
            alert_id = cur.lastrowid
        return _alert(await self.db.fetchone("SELECT * FROM alerts WHERE id = ?", (alert_id,)))

    async def resolve(self, alert_id: int, actor: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL",
                             (self.db.now_iso(), alert_id))
            await audit.record(tx, self.db, actor=actor, action="alert.resolve", entity="alert", entity_id=alert_id,
                               before={"resolved": False}, after={"resolved": True})

    async def open_alerts(self, program_id: str, kind: str | None = None, bank_id: int | None = None) -> list[Alert]:
        sql = "SELECT * FROM alerts WHERE program_id = ? AND resolved_at IS NULL"
        params: tuple = (program_id,)
        if kind is not None:
            sql += " AND kind = ?"
            params += (kind,)
        if bank_id is not None:
            sql += " AND bank_id = ?"
            params += (bank_id,)
        return [_alert(r) for r in await self.db.fetchall(sql + " ORDER BY id", params)]

    async def get(self, alert_id: int) -> Alert | None:
        row = await self.db.fetchone("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        return _alert(row) if row else None

    async def exists(self, program_id: str, kind: str) -> bool:
        """Whether an alert of this kind was ever raised (reminders are sent once each)."""
        return await self.db.fetchone("SELECT 1 FROM alerts WHERE program_id = ? AND kind = ?", (program_id, kind)) is not None
