"""The notification outbox: one row per push, written before it is sent and marked when it is."""

import pickle
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.db import Database


@dataclass(frozen=True)
class Queued:
    id: int
    chat_id: int
    notification: Any
    attempts: int


class Notifications:
    def __init__(self, db: Database):
        self.db = db

    async def add(self, notifications: list[Any]) -> list[int]:
        """Queue each notification (joins the caller's transaction when there is one)."""
        now = self.db.now_iso()
        ids = []
        async with self.db.transaction() as tx:
            for note in notifications:
                cur = await tx.execute(
                    "INSERT INTO notifications (chat_id, payload, status, next_attempt_at, created_at)"
                    " VALUES (?, ?, 'pending', ?, ?)",
                    (note.chat_id, pickle.dumps(note, protocol=pickle.HIGHEST_PROTOCOL), now, now))
                ids.append(cur.lastrowid)
        return ids

    async def due(self, ids: list[int] | None = None, limit: int = 500) -> list[Queued]:
        """Pending notifications whose time has come, oldest first (only ``ids`` when given)."""
        sql = "SELECT id, chat_id, payload, attempts FROM notifications WHERE status = 'pending'"
        params: list = []
        if ids is not None:
            sql += f" AND id IN ({', '.join('?' * len(ids))})"
            params += ids
        else:
            sql += " AND next_attempt_at <= ?"
            params.append(self.db.now_iso())
        rows = await self.db.fetchall(sql + " ORDER BY id LIMIT ?", (*params, limit))
        return [Queued(r["id"], r["chat_id"], pickle.loads(r["payload"]), r["attempts"]) for r in rows]

    async def mark(self, notification_id: int, status: str, error: str | None = None) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE notifications SET status = ?, error = ?, sent_at = ? WHERE id = ?",
                             (status, error, self.db.now_iso() if status == "sent" else None, notification_id))

    async def retry_later(self, notification_id: int, attempts: int, error: str, at: datetime) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE notifications SET attempts = ?, error = ?, next_attempt_at = ? WHERE id = ?",
                             (attempts, error, at.isoformat(timespec="seconds"), notification_id))

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM notifications GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
