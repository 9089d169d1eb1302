"""Programs: one row per configured program, and the bureaus' decisions to pause or resume its fund (第十九条)."""

from dataclasses import dataclass

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class FundDecisionRecord:
    id: int
    program_id: str
    kind: str
    paid_fen: int
    note: str | None
    actor: str
    decided_at: str


class Programs:
    def __init__(self, db: Database):
        self.db = db

    async def ensure(self, program_ids: list[str]) -> None:
        async with self.db.transaction() as tx:
            for program_id in program_ids:
                await tx.execute("INSERT OR IGNORE INTO programs (id, updated_at) VALUES (?, ?)",
                                 (program_id, self.db.now_iso()))

    async def fund_decision(self, program_id: str) -> FundDecisionRecord | None:
        """The latest decision on the fund, if any."""
        row = await self.db.fetchone("SELECT * FROM fund_decisions WHERE program_id = ? ORDER BY id DESC LIMIT 1",
                                     (program_id,))
        return FundDecisionRecord(**dict(row)) if row else None

    async def record_fund_decision(self, program_id: str, kind: str, paid_fen: int, note: str | None,
                                   actor: str) -> FundDecisionRecord:
        """第十九条: a pause or a resume, with who decided, when, and the document or note."""
        async with self.db.transaction() as tx:
            before = await self.fund_decision(program_id)
            cur = await tx.execute(
                "INSERT INTO fund_decisions (program_id, kind, paid_fen, note, actor, decided_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (program_id, kind, paid_fen, note, actor, self.db.now_iso()))
            await tx.execute("UPDATE programs SET updated_at = ? WHERE id = ?", (self.db.now_iso(), program_id))
            await audit.record(tx, self.db, actor=actor, action=f"fund.{kind}", entity="program",
                               entity_id=program_id, before={"decision": before.kind if before else None},
                               after={"decision": kind, "paid_fen": paid_fen, "note": note})
            decision_id = cur.lastrowid
        row = await self.db.fetchone("SELECT * FROM fund_decisions WHERE id = ?", (decision_id,))
        return FundDecisionRecord(**dict(row))
