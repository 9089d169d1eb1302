"""Enterprises, identified by their unified social credit code, and the chats bound to them."""

from dataclasses import dataclass

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class Enterprise:
    id: int
    credit_code: str
    name: str
    region: str | None
    industry: str | None
    code_checked: bool


def _enterprise(row) -> Enterprise:
    return Enterprise(row["id"], row["credit_code"], row["name"], row["region"], row["industry"],
                      bool(row["code_checked"]))


@dataclass(frozen=True)
class BindingCode:
    code: str
    enterprise_id: int
    created_by: int
    expires_at: str
    used_by: int | None


#: Make a binding the chat's current one: the next number of the chat's bindings.
_CHOOSE = ("UPDATE enterprise_chats SET chosen_seq = (SELECT MAX(chosen_seq) + 1 FROM enterprise_chats WHERE chat_id = ?)"
           " WHERE enterprise_id = ? AND chat_id = ?")


class Enterprises:
    def __init__(self, db: Database):
        self.db = db

    async def count(self) -> int:
        return (await self.db.fetchone("SELECT COUNT(*) FROM enterprises"))[0]

    async def by_code(self, credit_code: str) -> Enterprise | None:
        row = await self.db.fetchone("SELECT * FROM enterprises WHERE credit_code = ?", (credit_code,))
        return _enterprise(row) if row else None

    async def register(self, credit_code: str, name: str, actor: str, *, region: str | None = None,
                       industry: str | None = None, code_checked: bool = True) -> Enterprise:
        """Create the enterprise, or return it as it is if the code is known."""
        existing = await self.by_code(credit_code)
        if existing:
            return existing
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO enterprises (credit_code, name, region, industry, code_checked, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (credit_code, name, region, industry, int(code_checked), self.db.now_iso()),
            )
            after = {"credit_code": credit_code, "name": name, "code_checked": code_checked}
            await audit.record(tx, self.db, actor=actor, action="enterprise.register", entity="enterprise",
                               entity_id=cur.lastrowid, after=after)
        return await self.by_code(credit_code)

    async def set_profile(self, enterprise_id: int, region: str | None, industry: str | None, actor: str) -> None:
        """The region and industry broadcasts can be addressed by."""
        before = await self.by_id(enterprise_id)
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE enterprises SET region = ?, industry = ? WHERE id = ?",
                             (region, industry, enterprise_id))
            await audit.record(tx, self.db, actor=actor, action="enterprise.profile", entity="enterprise",
                               entity_id=enterprise_id, before={"region": before.region, "industry": before.industry},
                               after={"region": region, "industry": industry})

    async def bind_chat(self, enterprise_id: int, chat_id: int, status: str, actor: str) -> None:
        """Bind a chat to an enterprise: ``active``; ``pending`` waits for staff; ``rejected`` by staff."""
        async with self.db.transaction() as tx:
            row = await (await tx.execute(
                "SELECT status FROM enterprise_chats WHERE enterprise_id = ? AND chat_id = ?",
                (enterprise_id, chat_id))).fetchone()
            await tx.execute(
                "INSERT INTO enterprise_chats (enterprise_id, chat_id, status, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (enterprise_id, chat_id) DO UPDATE SET status = excluded.status",
                (enterprise_id, chat_id, status, self.db.now_iso()),
            )
            if status == "active":
                await tx.execute(_CHOOSE, (chat_id, enterprise_id, chat_id))
            await audit.record(tx, self.db, actor=actor, action="enterprise.bind_chat", entity="enterprise",
                               entity_id=enterprise_id, before={"chat_id": chat_id, "status": row["status"]} if row else None,
                               after={"chat_id": chat_id, "status": status})

    async def chats(self, enterprise_id: int, status: str = "active") -> list[int]:
        rows = await self.db.fetchall(
            "SELECT chat_id FROM enterprise_chats WHERE enterprise_id = ? AND status = ? ORDER BY chat_id",
            (enterprise_id, status))
        return [r["chat_id"] for r in rows]

    async def by_id(self, enterprise_id: int) -> Enterprise | None:
        row = await self.db.fetchone("SELECT * FROM enterprises WHERE id = ?", (enterprise_id,))
        return _enterprise(row) if row else None

    async def binding_status(self, enterprise_id: int, chat_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT status FROM enterprise_chats WHERE enterprise_id = ? AND chat_id = ?", (enterprise_id, chat_id))
        return row["status"] if row else None

    async def active_chats(self, region: str | None = None, industry: str | None = None) -> dict[int, str]:
        """Chats bound to enterprises (not blocked), optionally of one region or industry: chat id -> name."""
        sql = ("SELECT c.chat_id, e.name FROM enterprise_chats c JOIN enterprises e ON e.id = c.enterprise_id"
               " JOIN chats ch ON ch.chat_id = c.chat_id WHERE c.status = 'active' AND ch.blocked = 0")
        params: tuple = ()
        if region is not None:
            sql += " AND e.region = ?"
            params += (region,)
        if industry is not None:
            sql += " AND e.industry = ?"
            params += (industry,)
        return {r["chat_id"]: r["name"] for r in await self.db.fetchall(sql + " ORDER BY c.chat_id", params)}

    async def distinct(self, column: str) -> list[str]:
        """The regions or industries enterprises are recorded with."""
        if column not in ("region", "industry"):
            raise ValueError(column)
        rows = await self.db.fetchall(f"SELECT DISTINCT {column} AS v FROM enterprises WHERE {column} IS NOT NULL ORDER BY v")
        return [r["v"] for r in rows]

    async def of_chat(self, chat_id: int) -> Enterprise | None:
        """The enterprise the chat acts for: of its active bindings, the one chosen (or made) last."""
        row = await self.db.fetchone(
            "SELECT e.* FROM enterprises e JOIN enterprise_chats c ON c.enterprise_id = e.id"
            " WHERE c.chat_id = ? AND c.status = 'active'"
            " ORDER BY c.chosen_seq DESC, c.rowid DESC LIMIT 1", (chat_id,))
        return _enterprise(row) if row else None

    async def bindings_of_chat(self, chat_id: int) -> list[tuple[Enterprise, str]]:
        """The chat's active and pending bindings with their status, the one it acts for first."""
        rows = await self.db.fetchall(
            "SELECT e.*, c.status AS binding FROM enterprises e JOIN enterprise_chats c ON c.enterprise_id = e.id"
            " WHERE c.chat_id = ? AND c.status IN ('active', 'pending')"
            " ORDER BY c.status = 'active' DESC, c.chosen_seq DESC, c.rowid DESC", (chat_id,))
        return [(_enterprise(r), r["binding"]) for r in rows]

    async def choose_for_chat(self, enterprise_id: int, chat_id: int) -> bool:
        """The chat acts for this enterprise from now on (an active binding only)."""
        async with self.db.transaction() as tx:
            cur = await tx.execute(_CHOOSE + " AND status = 'active'", (chat_id, enterprise_id, chat_id))
            return bool(cur.rowcount)

    async def unbind_chat(self, enterprise_id: int, chat_id: int, actor: str) -> bool:
        """The chat's binding to the enterprise (active or pending) is removed, with its audit row."""
        async with self.db.transaction() as tx:
            row = await (await tx.execute(
                "SELECT status FROM enterprise_chats WHERE enterprise_id = ? AND chat_id = ?"
                " AND status IN ('active', 'pending')", (enterprise_id, chat_id))).fetchone()
            if row is None:
                return False
            await tx.execute("DELETE FROM enterprise_chats WHERE enterprise_id = ? AND chat_id = ?",
                             (enterprise_id, chat_id))
            await audit.record(tx, self.db, actor=actor, action="enterprise.unbind_chat", entity="enterprise",
                               entity_id=enterprise_id, before={"chat_id": chat_id, "status": row["status"]})
            return True

    async def create_binding_code(self, enterprise_id: int, code: str, created_by: int, expires_at: str) -> None:
        async with self.db.transaction() as tx:
            await tx.execute("INSERT INTO binding_codes (code, enterprise_id, created_by, expires_at) VALUES (?, ?, ?, ?)",
                             (code, enterprise_id, created_by, expires_at))
            await audit.record(tx, self.db, actor=f"user:{created_by}", action="enterprise.binding_code",
                               entity="enterprise", entity_id=enterprise_id, after={"expires_at": expires_at})

    async def binding_code(self, code: str) -> BindingCode | None:
        row = await self.db.fetchone("SELECT * FROM binding_codes WHERE code = ?", (code,))
        return BindingCode(row["code"], row["enterprise_id"], row["created_by"], row["expires_at"],
                           row["used_by"]) if row else None

    async def redeem_binding_code(self, code: str, chat_id: int) -> bool:
        """Use a one-time binding code: marks it used and binds the chat (active, its current enterprise), in one
        transaction. ``False`` if it was used meanwhile (the caller checked existence and expiry)."""
        now = self.db.now_iso()
        async with self.db.transaction() as tx:
            cur = await tx.execute("UPDATE binding_codes SET used_by = ?, used_at = ? WHERE code = ? AND used_by IS NULL",
                                   (chat_id, now, code))
            if cur.rowcount != 1:
                return False
            row = await (await tx.execute("SELECT enterprise_id FROM binding_codes WHERE code = ?", (code,))).fetchone()
            await tx.execute("INSERT OR IGNORE INTO chats (chat_id, created_at) VALUES (?, ?)", (chat_id, now))
            await self.bind_chat(row["enterprise_id"], chat_id, "active", actor=f"user:{chat_id}")
        return True
