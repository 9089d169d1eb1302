"""Cooperating banks, their officers' chats, and the level each bank was last told about (第十二条)."""

from dataclasses import dataclass

import aiosqlite

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class Bank:
    id: int
    name: str


@dataclass(frozen=True)
class Invite:
    code: str
    bank_id: int
    created_by: int
    expires_at: str
    used_by: int | None
    used_at: str | None


@dataclass(frozen=True)
class BankLevel:
    bank_id: int
    level: str
    suspended_on: str | None


class Banks:
    def __init__(self, db: Database):
        self.db = db

    async def by_name(self, name: str) -> Bank | None:
        row = await self.db.fetchone("SELECT id, name FROM banks WHERE name = ?", (name,))
        return Bank(row["id"], row["name"]) if row else None

    async def by_id(self, bank_id: int) -> Bank | None:
        row = await self.db.fetchone("SELECT id, name FROM banks WHERE id = ?", (bank_id,))
        return Bank(row["id"], row["name"]) if row else None

    async def all(self) -> list[Bank]:
        return [Bank(r["id"], r["name"]) for r in await self.db.fetchall("SELECT id, name FROM banks ORDER BY name")]

    async def ensure_in(self, tx: aiosqlite.Connection, name: str, actor: str) -> Bank:
        """The bank of that name, created (and audited) inside the caller's transaction if new."""
        row = await (await tx.execute("SELECT id, name FROM banks WHERE name = ?", (name,))).fetchone()
        if row:
            return Bank(row["id"], row["name"])
        cur = await tx.execute("INSERT INTO banks (name, created_at) VALUES (?, ?)", (name, self.db.now_iso()))
        await audit.record(tx, self.db, actor=actor, action="bank.create", entity="bank", entity_id=cur.lastrowid,
                           after={"name": name})
        return Bank(cur.lastrowid, name)

    async def ensure(self, name: str, actor: str) -> Bank:
        async with self.db.transaction() as tx:
            return await self.ensure_in(tx, name, actor)

    async def add_officer(self, bank_id: int, chat_id: int, actor: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("INSERT OR IGNORE INTO chats (chat_id, created_at) VALUES (?, ?)", (chat_id, self.db.now_iso()))
            await tx.execute(
                "INSERT INTO officers (bank_id, chat_id, active, created_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (bank_id, chat_id) DO UPDATE SET active = 1",
                (bank_id, chat_id, self.db.now_iso()),
            )
            await audit.record(tx, self.db, actor=actor, action="officer.add", entity="bank", entity_id=bank_id,
                               after={"chat_id": chat_id, "active": True})

    async def revoke_officer(self, bank_id: int, chat_id: int, actor: str) -> bool:
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE officers SET active = 0 WHERE bank_id = ? AND chat_id = ? AND active = 1",
                                   (bank_id, chat_id))
            if cur.rowcount:
                await audit.record(tx, self.db, actor=actor, action="officer.revoke", entity="bank",
                                   entity_id=bank_id, before={"chat_id": chat_id, "active": True},
                                   after={"chat_id": chat_id, "active": False})
            return bool(cur.rowcount)

    async def officers(self, bank_id: int) -> list[int]:
        rows = await self.db.fetchall(
            "SELECT chat_id FROM officers WHERE bank_id = ? AND active = 1 ORDER BY chat_id", (bank_id,))
        return [r["chat_id"] for r in rows]

    async def officer_page(self, bank_id: int, offset: int, limit: int) -> tuple[int, list[int]]:
        """How many active officers the bank has, and one page of their chats (in the order they joined)."""
        total = (await self.db.fetchone("SELECT COUNT(*) FROM officers WHERE bank_id = ? AND active = 1",
                                        (bank_id,)))[0]
        rows = await self.db.fetchall("SELECT chat_id FROM officers WHERE bank_id = ? AND active = 1"
                                      " ORDER BY created_at, chat_id LIMIT ? OFFSET ?", (bank_id, limit, offset))
        return total, [r["chat_id"] for r in rows]

    async def officer_chats(self, bank_id: int | None = None) -> dict[int, str]:
        """Active officers' chats (not blocked), of one bank or all: chat id -> bank name."""
        sql = ("SELECT o.chat_id, b.name FROM officers o JOIN banks b ON b.id = o.bank_id"
               " JOIN chats ch ON ch.chat_id = o.chat_id WHERE o.active = 1 AND ch.blocked = 0")
        params: tuple = ()
        if bank_id is not None:
            sql += " AND o.bank_id = ?"
            params = (bank_id,)
        return {r["chat_id"]: r["name"] for r in await self.db.fetchall(sql + " ORDER BY o.chat_id", params)}

    async def bank_of_officer(self, chat_id: int) -> Bank | None:
        row = await self.db.fetchone(
            "SELECT b.id, b.name FROM banks b JOIN officers o ON o.bank_id = b.id"
            " WHERE o.chat_id = ? AND o.active = 1 ORDER BY o.created_at DESC LIMIT 1", (chat_id,))
        return Bank(row["id"], row["name"]) if row else None

    async def create_invite(self, bank_id: int, code: str, created_by: int, expires_at: str) -> Invite:
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO invites (code, bank_id, created_by, expires_at) VALUES (?, ?, ?, ?)",
                             (code, bank_id, created_by, expires_at))
            await audit.record(tx, self.db, actor=f"user:{created_by}", action="invite.create", entity="bank",
                               entity_id=bank_id, after={"expires_at": expires_at})
        return await self.invite(code)

    async def invite(self, code: str) -> Invite | None:
        row = await self.db.fetchone("SELECT * FROM invites WHERE code = ?", (code,))
        return Invite(row["code"], row["bank_id"], row["created_by"], row["expires_at"], row["used_by"],
                      row["used_at"]) if row else None

    async def redeem_invite(self, code: str, chat_id: int) -> bool:
        """Use a one-time invite: marks it used and makes the chat an officer, in one transaction.
        ``False`` if it was used meanwhile (the caller checked existence and expiry)."""
        now = self.db.now_iso()
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE invites SET used_by = ?, used_at = ? WHERE code = ? AND used_by IS NULL",
                                   (chat_id, now, code))
            if cur.rowcount != 1:
                return False
            row = await (await tx.execute("SELECT bank_id FROM invites WHERE code = ?", (code,))).fetchone()
            await tx.execute("INSERT OR IGNORE INTO chats (chat_id, created_at) VALUES (?, ?)", (chat_id, now))
            await tx.execute(
                "INSERT INTO officers (bank_id, chat_id, active, created_at) VALUES (?, ?, 1, ?)"
                " ON CONFLICT (bank_id, chat_id) DO UPDATE SET active = 1", (row["bank_id"], chat_id, now))
            await audit.record(tx, self.db, actor=f"user:{chat_id}", action="officer.add", entity="bank",
                               entity_id=row["bank_id"], after={"chat_id": chat_id, "active": True, "invite": "used"})
        return True

    async def level(self, program_id: str, bank_id: int) -> BankLevel:
        row = await self.db.fetchone(
            "SELECT level, suspended_on FROM bank_levels WHERE program_id = ? AND bank_id = ?", (program_id, bank_id))
        return BankLevel(bank_id, row["level"], row["suspended_on"]) if row else BankLevel(bank_id, "normal", None)

    async def set_level(self, program_id: str, bank_id: int, level: str, actor: str,
                        suspended_on: str | None = None) -> None:
        """Record the level the bank was told about (第十二条), with its audit row."""
        before = await self.level(program_id, bank_id)
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO bank_levels (program_id, bank_id, level, suspended_on, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (program_id, bank_id) DO UPDATE SET level = excluded.level,"
                " suspended_on = excluded.suspended_on, updated_at = excluded.updated_at",
                (program_id, bank_id, level, suspended_on, self.db.now_iso()),
            )
            await audit.record(tx, self.db, actor=actor, action="bank.level", entity="bank", entity_id=bank_id,
                               before={"program": program_id, "level": before.level, "suspended_on": before.suspended_on},
                               after={"program": program_id, "level": level, "suspended_on": suspended_on})
