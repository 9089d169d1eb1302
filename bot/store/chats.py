"""Chats: the language each chat chose, whether it blocked the bot, and who it is (name and @username as
Telegram last told them)."""

from dataclasses import dataclass

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class Chat:
    chat_id: int
    locale: str
    blocked: bool


@dataclass(frozen=True)
class Person:
    """Who a chat is, for staff to read: the name and @username Telegram last gave (either may be unknown)."""

    chat_id: int
    name: str | None = None
    username: str | None = None


class Chats:
    def __init__(self, db: Database):
        self.db = db

    async def get(self, chat_id: int) -> Chat | None:
        row = await self.db.fetchone("SELECT * FROM chats WHERE chat_id = ?", (chat_id,))
        return Chat(row["chat_id"], row["locale"], bool(row["blocked"])) if row else None

    async def ensure(self, chat_id: int, locale: str = "zh", name: str | None = None,
                     username: str | None = None) -> Chat:
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT OR IGNORE INTO chats (chat_id, locale, created_at, name, username) VALUES (?, ?, ?, ?, ?)",
                (chat_id, locale, self.db.now_iso(), name, username),
            )
        return await self.get(chat_id)

    async def people(self, chat_ids: list[int]) -> dict[int, Person]:
        """Who each chat is (a chat the bot never heard from is a `Person` with its id only)."""
        if not chat_ids:
            return {}
        unique = list(dict.fromkeys(chat_ids))
        rows = await self.db.fetchall(f"SELECT chat_id, name, username FROM chats WHERE chat_id IN"
                                      f" ({', '.join('?' * len(unique))})", unique)
        known = {r["chat_id"]: Person(r["chat_id"], r["name"], r["username"]) for r in rows}
        return {chat_id: known.get(chat_id, Person(chat_id)) for chat_id in unique}

    async def reachable(self) -> list[int]:
        """Every chat the bot knows that has not blocked it."""
        return [r["chat_id"] for r in await self.db.fetchall("SELECT chat_id FROM chats WHERE blocked = 0 ORDER BY chat_id")]

    async def set_locale(self, chat_id: int, locale: str) -> None:
        await self.ensure(chat_id)
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE chats SET locale = ? WHERE chat_id = ?", (locale, chat_id))

    async def wrote_again(self, chat_id: int, name: str | None = None, username: str | None = None,
                          locale: str = "zh") -> bool:
        """The user wrote to the bot: known from now on (``locale`` for a chat not known yet), a blocked mark is
        lifted (audited), and a changed name or @username is recorded (written only when it changed). ``True``
        if there was a blocked mark."""
        row = await self.db.fetchone("SELECT blocked, name, username FROM chats WHERE chat_id = ?", (chat_id,))
        if row is None:
            await self.ensure(chat_id, locale, name, username)
            return False
        if (name, username) != (row["name"], row["username"]):
            await self.db.write("UPDATE chats SET name = ?, username = ? WHERE chat_id = ?", (name, username, chat_id))
        if not row["blocked"]:
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
