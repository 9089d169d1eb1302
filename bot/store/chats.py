"""Chats: the language each chat chose, and whether it blocked the bot."""

from dataclasses import dataclass

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class Chat:
    chat_id: int
    locale: str
    blocked: bool


class Chats:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, chat_id: int) -> Chat | None:
        row = await self.db.fetchone("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        return Chat(row["chat_id"], row["locale"], bool(row["blocked"])) if row else None

    async def ensure(self, chat_id: int, locale: str = "zh") -> Chat:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT OR IGNORE INTO chats (chat_id, locale, created_at) VALUES (?, ?, ?)",
                (chat_id, locale, self.db.now_iso()),
            )
        return await self.get(chat_id)

    async def reachable(self) -> list[int]:
        """Every chat the bot knows that has not blocked it."""
        return [r["chat_id"] for r in await self.db.fetchall("SELECT chat_id FROM chats WHERE blocked = 0 ORDER BY chat_id")]

    async def set_locale(self, chat_id: int, locale: str) -> None:
        await self.ensure(chat_id)
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE chats SET locale = ? WHERE chat_id = ?", (locale, chat_id))

    async def wrote_again(self, chat_id: int) -> bool:
        """The user wrote to the bot: a blocked mark is lifted (audited). ``True`` if there was one."""
        row = await self.db.fetchone("SELECT blocked FROM chats WHERE chat_id = ?", (chat_id,))
        if row is None or not row["blocked"]:
            return False
        await self.set_blocked(chat_id, False, actor=f"user:{chat_id}")
        return True

    async def set_blocked(self, chat_id: int, blocked: bool, actor: str = "system") -> None:
        """A chat that blocked the bot (Telegram ``Forbidden``) is skipped by later broadcasts."""
        await self.ensure(chat_id)
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE chats SET blocked = ? WHERE chat_id = ?", (int(blocked), chat_id))
            await audit.record(tx, self.db, actor=actor, action="chat.blocked" if blocked else "chat.unblocked",
                               entity="chat", entity_id=chat_id, after={"blocked": blocked})
