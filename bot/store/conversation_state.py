"""PTB's persistence data (see `bot.telegram_adapter.persistence`): opaque values by kind and key."""

from bot.store.db import Database


class ConversationState:
    def __init__(self, db: Database):
        self.db = db

    async def load(self, kind: str) -> dict[str, bytes]:
        rows = await self.db.fetchall("SELECT key, value FROM ptb_state WHERE kind = ?", (kind,))
        return {r["key"]: r["value"] for r in rows}

    async def apply(self, changes: dict[tuple[str, str], bytes | None]) -> None:
        """Write every change in one transaction: a value is upserted, ``None`` deletes the row."""
        upserts = [(kind, key, value) for (kind, key), value in changes.items() if value is not None]
        deletes = [(kind, key) for (kind, key), value in changes.items() if value is None]
        async with self.db.transaction() as tx:
            await tx.executemany("INSERT INTO ptb_state (kind, key, value) VALUES (?, ?, ?)"
                                 " ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value", upserts)
            await tx.executemany("DELETE FROM ptb_state WHERE kind = ? AND key = ?", deletes)
