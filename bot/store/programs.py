"""Programs: one row per configured program, holding the fund's resume decision (第十九条)."""

from bot.store import audit
from bot.store.db import Database


class Programs:
    def __init__(self, db: Database):
        self.db = db

    async def ensure(self, program_ids: list[str]) -> None:
        async with self.db.transaction() as tx:
            for program_id in program_ids:
                await tx.execute(
                    "INSERT OR IGNORE INTO programs (id, fund_resumed, updated_at) VALUES (?, 0, ?)",
                    (program_id, self.db.now_iso()),
                )

    async def fund_resumed(self, program_id: str) -> bool:
        row = await self.db.fetchone("SELECT fund_resumed FROM programs WHERE id = ?", (program_id,))
        return bool(row and row["fund_resumed"])

    async def set_fund_resumed(self, program_id: str, resumed: bool, actor: str) -> None:
        """第十九条: the bureaus resume compensation once risk is under control (or pause it again)."""
        async with self.db.transaction() as tx:
            before = await self.fund_resumed(program_id)
            await tx.execute(
                "UPDATE programs SET fund_resumed = ?, updated_at = ? WHERE id = ?",
                (int(resumed), self.db.now_iso(), program_id),
            )
            await audit.record(tx, self.db, actor=actor, action="fund.resume" if resumed else "fund.pause",
                               entity="program", entity_id=program_id,
                               before={"fund_resumed": before}, after={"fund_resumed": resumed})
