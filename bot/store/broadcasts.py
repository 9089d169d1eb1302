"""Broadcasts and their outbox: one row per recipient, marked in the step that completes its send,
so a restart resumes where it stopped."""

from dataclasses import dataclass

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class Broadcast:
    id: int
    created_by: int
    audience: str
    text: str
    document: str | None
    status: str
    created_at: str
    finished_at: str | None


@dataclass(frozen=True)
class OutboxCounts:
    pending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0


def _broadcast(row) -> Broadcast:
    return Broadcast(row["id"], row["created_by"], row["audience"], row["text"], row["document"], row["status"],
                     row["created_at"], row["finished_at"])


class Broadcasts:
    def __init__(self, db: Database):
        self.db = db

    async def create(self, created_by: int, audience: str, text: str, recipients: dict[int, str],
                     document: str | None = None) -> Broadcast:
        """A broadcast ready to send, with one pending outbox row per recipient (chat id -> name)."""
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO broadcasts (created_by, audience, text, document, status, created_at)"
                " VALUES (?, ?, ?, ?, 'sending', ?)",
                (created_by, audience, text, document, self.db.now_iso()))
            broadcast_id = cur.lastrowid
            await tx.executemany(
                "INSERT OR IGNORE INTO broadcast_outbox (broadcast_id, chat_id, name, status) VALUES (?, ?, ?, 'pending')",
                [(broadcast_id, chat_id, name) for chat_id, name in recipients.items()])
            await audit.record(tx, self.db, actor=f"user:{created_by}", action="broadcast.create",
                               entity="broadcast", entity_id=broadcast_id,
                               after={"audience": audience, "recipients": len(recipients), "text": text})
        return await self.get(broadcast_id)

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def pending(self, broadcast_id: int, limit: int = 100) -> list[tuple[int, str, int]]:
        """The next recipients still to send: (chat id, name, attempts so far)."""
        rows = await self.db.fetchall(
            "SELECT chat_id, name, attempts FROM broadcast_outbox WHERE broadcast_id = ? AND status = 'pending'"
            " ORDER BY chat_id LIMIT ?", (broadcast_id, limit))
        return [(r["chat_id"], r["name"], r["attempts"]) for r in rows]

    async def retry_later(self, broadcast_id: int, chat_id: int, error: str) -> None:
        """A transient failure: count the attempt, keep the recipient pending."""
        await self.db.write("UPDATE broadcast_outbox SET attempts = attempts + 1, error = ?"
                            " WHERE broadcast_id = ? AND chat_id = ?", (error, broadcast_id, chat_id))

    async def sending(self) -> list[Broadcast]:
        """Broadcasts not finished: resumed at start-up after a crash or restart."""
        return [_broadcast(r) for r in await self.db.fetchall("SELECT * FROM broadcasts WHERE status = 'sending' ORDER BY id")]

    async def recent(self, limit: int = 10) -> list[Broadcast]:
        return [_broadcast(r) for r in await self.db.fetchall("SELECT * FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))]

    async def mark(self, broadcast_id: int, chat_id: int, status: str, error: str | None = None) -> None:
        await self.db.write(
            "UPDATE broadcast_outbox SET status = ?, error = ?, attempts = attempts + 1,"
            " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE broadcast_id = ? AND chat_id = ?",
            (status, error, status, self.db.now_iso(), broadcast_id, chat_id))

    async def counts(self, broadcast_id: int) -> OutboxCounts:
        rows = await self.db.fetchall(
            "SELECT status, COUNT(*) AS n FROM broadcast_outbox WHERE broadcast_id = ? GROUP BY status",
            (broadcast_id,))
        return OutboxCounts(**{r["status"]: r["n"] for r in rows})

    async def finish(self, broadcast_id: int, status: str, actor: str) -> None:
        """End a broadcast as ``done`` or ``cancelled``, with its figures in the audit row."""
        counts = await self.counts(broadcast_id)
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE broadcasts SET status = ?, finished_at = ? WHERE id = ?",
                             (status, self.db.now_iso(), broadcast_id))
            await audit.record(tx, self.db, actor=actor, action=f"broadcast.{status}", entity="broadcast",
                               entity_id=broadcast_id, before={"status": "sending"},
                               after={"status": status, **counts.__dict__})
