"""Compensation claims and the recoveries on them; every status change is audited in its transaction.

Which transitions are allowed is decided by `bot.rules.claims`; this module only records them, and
refuses a change made from a status the claim is no longer in (two reviewers pressing at once).
"""

from dataclasses import dataclass, fields
from datetime import date

from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True)
class NewClaim:
    program_id: str
    bank_id: int
    loan_id: str
    credit_code: str
    enterprise: str
    principal_fen: int
    loss_fen: int
    overdue_days: int
    ceiling_fen: int


@dataclass(frozen=True)
class Claim(NewClaim):
    """A filed claim: what was filed, and where it stands."""

    id: int
    claim_no: str
    approved_fen: int | None
    paid_fen: int | None
    paid_on: str | None
    status: str
    note: str | None
    filed_at: str
    updated_at: str


@dataclass(frozen=True)
class Recovery:
    id: int
    claim_id: int
    recovered_fen: int
    return_fen: int
    received_on: str
    deadline: str
    returned_on: str | None


class StaleClaim(Exception):
    """The claim is no longer in the status the change was made from."""


_CLAIM_FIELDS = [f.name for f in fields(Claim)]
_UPDATABLE = {"approved_fen", "paid_fen", "paid_on", "note"}


def _claim(row) -> Claim:
    return Claim(*(row[name] for name in _CLAIM_FIELDS))


def _snapshot(claim: Claim) -> dict:
    return {"status": claim.status, "approved_fen": claim.approved_fen, "paid_fen": claim.paid_fen,
            "paid_on": claim.paid_on, "note": claim.note}


class Claims:
    def __init__(self, db: Database):
        self.db = db

    async def file(self, new: NewClaim, actor: str) -> Claim:
        now = self.db.now_iso()
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO claims (claim_no, program_id, bank_id, loan_id, credit_code, enterprise, principal_fen,"
                " loss_fen, overdue_days, ceiling_fen, status, filed_at, updated_at)"
                " VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'filed', ?, ?)",
                (new.program_id, new.bank_id, new.loan_id, new.credit_code, new.enterprise, new.principal_fen,
                 new.loss_fen, new.overdue_days, new.ceiling_fen, now, now),
            )
            claim_no = f"C{self.db.clock():%Y%m%d}{cur.lastrowid:05d}"
            await tx.execute("UPDATE claims SET claim_no = ? WHERE id = ?", (claim_no, cur.lastrowid))
            await audit.record(tx, self.db, actor=actor, action="claim.file", entity="claim", entity_id=claim_no,
                               after={"status": "filed", "loan_id": new.loan_id, "loss_fen": new.loss_fen,
                                      "ceiling_fen": new.ceiling_fen})
        return await self.get(claim_no)

    async def by_id(self, claim_id: int) -> Claim | None:
        row = await self.db.fetchone("SELECT * FROM claims WHERE id = ?", (claim_id,))
        return _claim(row) if row else None

    async def get(self, claim_no: str) -> Claim | None:
        row = await self.db.fetchone("SELECT * FROM claims WHERE claim_no = ?", (claim_no,))
        return _claim(row) if row else None

    async def transition(self, claim_no: str, from_status: str, to_status: str, actor: str, action: str,
                         **changes: object) -> Claim:
        """Move a claim from ``from_status`` to ``to_status`` (as the rules allowed), with its audit row."""
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValueError(f"not updatable: {sorted(unknown)}")
        before = await self.get(claim_no)
        if before is None:
            raise KeyError(claim_no)
        assignments = "".join(f", {name} = :{name}" for name in changes)
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                f"UPDATE claims SET status = :to_status, updated_at = :now{assignments}"
                " WHERE claim_no = :claim_no AND status = :from_status",
                {"to_status": to_status, "now": self.db.now_iso(), "claim_no": claim_no,
                 "from_status": from_status, **changes},
            )
            if cur.rowcount != 1:
                raise StaleClaim(claim_no)
            after = {**_snapshot(before), **changes, "status": to_status}
            await audit.record(tx, self.db, actor=actor, action=f"claim.{action}", entity="claim",
                               entity_id=claim_no, before=_snapshot(before), after=after)
        return await self.get(claim_no)

    async def for_enterprise(self, credit_code: str) -> list[Claim]:
        rows = await self.db.fetchall(
            "SELECT * FROM claims WHERE credit_code = ? ORDER BY filed_at DESC, id DESC", (credit_code,))
        return [_claim(r) for r in rows]

    async def for_bank(self, bank_id: int) -> list[Claim]:
        rows = await self.db.fetchall("SELECT * FROM claims WHERE bank_id = ? ORDER BY filed_at DESC, id DESC",
                                      (bank_id,))
        return [_claim(r) for r in rows]

    async def open_for_loan(self, program_id: str, bank_id: int, loan_id: str) -> Claim | None:
        """A claim on this loan that has not ended (rejected and withdrawn claims do not count)."""
        row = await self.db.fetchone(
            "SELECT * FROM claims WHERE program_id = ? AND bank_id = ? AND loan_id = ?"
            " AND status NOT IN ('rejected', 'withdrawn') ORDER BY id DESC LIMIT 1", (program_id, bank_id, loan_id))
        return _claim(row) if row else None

    async def open_recovery(self, claim_id: int) -> Recovery | None:
        row = await self.db.fetchone(
            "SELECT * FROM recoveries WHERE claim_id = ? AND returned_on IS NULL ORDER BY id DESC LIMIT 1", (claim_id,))
        return Recovery(*(row[f.name] for f in fields(Recovery))) if row else None

    async def confirm_return(self, claim_no: str, returned_on: date, actor: str) -> Claim:
        """第十八条: the recovery was returned to the fund's account; the claim moves to ``recovery_returned``."""
        claim = await self.get(claim_no)
        recovery = await self.open_recovery(claim.id)
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE claims SET status = 'recovery_returned', updated_at = ? WHERE claim_no = ? AND status = 'recovery_open'",
                (self.db.now_iso(), claim_no))
            if cur.rowcount != 1 or recovery is None:
                raise StaleClaim(claim_no)
            await tx.execute("UPDATE recoveries SET returned_on = ? WHERE id = ?", (returned_on.isoformat(), recovery.id))
            await audit.record(tx, self.db, actor=actor, action="claim.confirm_return", entity="claim",
                               entity_id=claim_no, before=_snapshot(claim),
                               after={**_snapshot(claim), "status": "recovery_returned",
                                      "returned_on": returned_on.isoformat(), "return_fen": recovery.return_fen})
        return await self.get(claim_no)

    async def recent(self, limit: int = 20) -> list[Claim]:
        rows = await self.db.fetchall("SELECT * FROM claims ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,))
        return [_claim(r) for r in rows]

    async def in_status(self, statuses: tuple[str, ...]) -> list[Claim]:
        """Oldest first: the review queue."""
        marks = ", ".join("?" * len(statuses))
        rows = await self.db.fetchall(f"SELECT * FROM claims WHERE status IN ({marks}) ORDER BY filed_at, id",
                                      statuses)
        return [_claim(r) for r in rows]

    async def total_paid_fen(self, program_id: str) -> int:
        """The fund's cumulative compensation (第十九条)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(paid_fen), 0) AS total FROM claims WHERE program_id = ? AND paid_fen IS NOT NULL",
            (program_id,))
        return row["total"]

    async def paid_to_enterprise_fen(self, program_id: str, credit_code: str, year: int) -> int:
        """What the fund paid on this enterprise's loans in ``year`` (第十一条's annual cap)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(paid_fen), 0) AS total FROM claims"
            " WHERE program_id = ? AND credit_code = ? AND paid_fen IS NOT NULL AND substr(paid_on, 1, 4) = ?",
            (program_id, credit_code, f"{year:04d}"))
        return row["total"]

    async def add_recovery(self, claim_no: str, recovered_fen: int, return_fen: int, received_on: date,
                           deadline: date, actor: str) -> Recovery:
        """第十八条: the bank reports money recovered; the claim moves to ``recovery_open``."""
        claim = await self.get(claim_no)
        if claim is None:
            raise KeyError(claim_no)
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "UPDATE claims SET status = 'recovery_open', updated_at = ? WHERE claim_no = ? AND status = ?",
                (self.db.now_iso(), claim_no, claim.status))
            if cur.rowcount != 1:
                raise StaleClaim(claim_no)
            cur = await tx.execute(
                "INSERT INTO recoveries (claim_id, recovered_fen, return_fen, received_on, deadline)"
                " VALUES (?, ?, ?, ?, ?)",
                (claim.id, recovered_fen, return_fen, received_on.isoformat(), deadline.isoformat()))
            await audit.record(tx, self.db, actor=actor, action="claim.report_recovery", entity="claim",
                               entity_id=claim_no, before=_snapshot(claim),
                               after={**_snapshot(claim), "status": "recovery_open", "recovered_fen": recovered_fen,
                                      "return_fen": return_fen, "deadline": deadline.isoformat()})
            recovery_id = cur.lastrowid
        return await self._recovery(recovery_id)

    async def _recovery(self, recovery_id: int) -> Recovery:
        row = await self.db.fetchone("SELECT * FROM recoveries WHERE id = ?", (recovery_id,))
        return Recovery(*(row[f.name] for f in fields(Recovery)))

    async def open_recoveries(self) -> list[Recovery]:
        """Recoveries not yet returned: the reminders are derived from these, never from jobs alone."""
        rows = await self.db.fetchall("SELECT * FROM recoveries WHERE returned_on IS NULL ORDER BY deadline, id")
        return [Recovery(*(r[f.name] for f in fields(Recovery))) for r in rows]
