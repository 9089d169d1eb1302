"""Compensation claims and the recoveries on them; every status change is audited in its transaction.

Which transitions are allowed is decided by `bot.rules.claims`; this module only records them, and
refuses a change made from a status the claim is no longer in (two reviewers pressing at once).
"""

import json
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
    ip_pledged_principal_fen: int | None
    ip_type: str | None
    has_insurer: bool | None
    #: The reasons shown with the ceiling, as `bot.rules.reasons.reasons_to_json` wrote them.
    reasons: str


@dataclass(frozen=True)
class FundTotals:
    """The fund's ledger in fen (第三条、第十九条): paid (gross, cumulative), returned to it (第十八条),
    and approved but not yet paid."""

    paid_fen: int
    returned_fen: int
    committed_fen: int


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


@dataclass(frozen=True)
class Supplement:
    """A question staff asked the bank about a claim, or the bank's answer: its text and files, each file
    as (Telegram file id, file name)."""

    kind: str
    actor: str
    text: str
    files: tuple[tuple[str, str], ...]
    created_at: str


class StaleClaim(Exception):
    """The claim is no longer in the status the change was made from."""


_CLAIM_FIELDS = [f.name for f in fields(Claim)]
_UPDATABLE = {"approved_fen", "paid_fen", "paid_on", "note", "ceiling_fen", "reasons"}


def _claim(row) -> Claim:
    values = {name: row[name] for name in _CLAIM_FIELDS}
    if values["has_insurer"] is not None:
        values["has_insurer"] = bool(values["has_insurer"])
    return Claim(**values)


def _snapshot(claim: Claim) -> dict:
    return {"status": claim.status, "ceiling_fen": claim.ceiling_fen, "approved_fen": claim.approved_fen,
            "paid_fen": claim.paid_fen, "paid_on": claim.paid_on, "note": claim.note}


class Claims:
    def __init__(self, db: Database):
        self.db = db

    async def file(self, new: NewClaim, actor: str) -> Claim:
        now = self.db.now_iso()
        async with self.db.transaction() as tx:
            cur = await tx.execute(
                "INSERT INTO claims (claim_no, program_id, bank_id, loan_id, credit_code, enterprise, principal_fen,"
                " loss_fen, overdue_days, ceiling_fen, ip_pledged_principal_fen, ip_type, has_insurer, reasons,"
                " status, filed_at, updated_at)"
                " VALUES ('', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'filed', ?, ?)",
                (new.program_id, new.bank_id, new.loan_id, new.credit_code, new.enterprise, new.principal_fen,
                 new.loss_fen, new.overdue_days, new.ceiling_fen, new.ip_pledged_principal_fen, new.ip_type,
                 None if new.has_insurer is None else int(new.has_insurer), new.reasons, now, now),
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
            after = {**_snapshot(before), **{k: v for k, v in changes.items() if k != "reasons"}, "status": to_status}
            await audit.record(tx, self.db, actor=actor, action=f"claim.{action}", entity="claim",
                               entity_id=claim_no, before=_snapshot(before), after=after)
        return await self.get(claim_no)

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

    async def open_loan_ids(self, program_id: str, bank_id: int) -> set[str]:
        """The bank's loans that have a claim not ended (one open claim per loan)."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT loan_id FROM claims WHERE program_id = ? AND bank_id = ?"
            " AND status NOT IN ('rejected', 'withdrawn')", (program_id, bank_id))
        return {r["loan_id"] for r in rows}

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

    async def page(self, offset: int, limit: int, *, bank_id: int | None = None,
                   credit_code: str | None = None) -> tuple[int, list[Claim]]:
        """How many claims there are (of one bank, or one enterprise, or all) and one page of them, newest
        first: a count and an indexed page, however many there are."""
        where = " AND ".join(clause for clause, value in (("bank_id = :bank", bank_id), ("credit_code = :code", credit_code))
                             if value is not None) or "1"
        params = {"bank": bank_id, "code": credit_code, "limit": limit, "offset": offset}
        total = (await self.db.fetchone(f"SELECT COUNT(*) FROM claims WHERE {where}", params))[0]
        rows = await self.db.fetchall(f"SELECT * FROM claims WHERE {where} ORDER BY filed_at DESC, id DESC"
                                      " LIMIT :limit OFFSET :offset", params)
        return total, [_claim(r) for r in rows]

    async def recent(self, limit: int = 20) -> list[Claim]:
        rows = await self.db.fetchall("SELECT * FROM claims ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,))
        return [_claim(r) for r in rows]

    async def status_counts(self, statuses: tuple[str, ...]) -> dict[str, int]:
        """How many claims are in each of ``statuses`` (one indexed count, however long the queue)."""
        marks = ", ".join("?" * len(statuses))
        rows = await self.db.fetchall(f"SELECT status, COUNT(*) AS n FROM claims WHERE status IN ({marks})"
                                      " GROUP BY status", statuses)
        return {status: 0 for status in statuses} | {r["status"]: r["n"] for r in rows}

    async def page_in_status(self, statuses: tuple[str, ...], offset: int, limit: int) -> list[Claim]:
        """One page of the review queue, oldest first."""
        marks = ", ".join("?" * len(statuses))
        rows = await self.db.fetchall(f"SELECT * FROM claims WHERE status IN ({marks}) ORDER BY filed_at, id"
                                      " LIMIT ? OFFSET ?", (*statuses, limit, offset))
        return [_claim(r) for r in rows]

    async def total_paid_fen(self, program_id: str) -> int:
        """The fund's cumulative compensation (第十九条)."""
        return (await self.fund_totals(program_id)).paid_fen

    async def fund_totals(self, program_id: str, exclude_claim_id: int | None = None) -> FundTotals:
        """Paid, returned and committed for the fund; ``exclude_claim_id`` leaves one claim's commitment out
        (the claim being approved or paid)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(paid_fen), 0) AS paid,"
            " COALESCE(SUM(CASE WHEN status = 'approved' AND id IS NOT :exclude THEN approved_fen END), 0) AS committed"
            " FROM claims WHERE program_id = :program", {"program": program_id, "exclude": exclude_claim_id})
        returned = await self.db.fetchone(
            "SELECT COALESCE(SUM(r.return_fen), 0) AS returned FROM recoveries r JOIN claims c ON c.id = r.claim_id"
            " WHERE c.program_id = ? AND r.returned_on IS NOT NULL", (program_id,))
        return FundTotals(row["paid"], returned["returned"], row["committed"])

    async def held_for_enterprise_fen(self, program_id: str, credit_code: str, year: int,
                                      exclude_claim_id: int | None = None) -> int:
        """What the enterprise's claims hold of ``year``'s room (第十一条, per enterprise per year): the
        ceiling of a claim filed or under review, the approved amount of one approved, and what was paid in
        ``year``. A claim not yet paid counts towards the year it is assessed in."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(CASE"
            "  WHEN paid_fen IS NOT NULL THEN CASE WHEN substr(paid_on, 1, 4) = :year THEN paid_fen ELSE 0 END"
            "  WHEN status = 'approved' THEN approved_fen"
            "  WHEN status IN ('filed', 'under_review') THEN ceiling_fen ELSE 0 END), 0) AS held"
            " FROM claims WHERE program_id = :program AND credit_code = :code AND id IS NOT :exclude",
            {"program": program_id, "code": credit_code, "year": f"{year:04d}", "exclude": exclude_claim_id})
        return row["held"]

    async def returns_owed_fen(self, claim_id: int) -> int:
        """Every return already computed on the claim's recoveries (第十八条), returned or not."""
        row = await self.db.fetchone("SELECT COALESCE(SUM(return_fen), 0) AS owed FROM recoveries WHERE claim_id = ?",
                                     (claim_id,))
        return row["owed"]

    async def reassess(self, claim_no: str, ceiling_fen: int, reasons: str, actor: str) -> Claim:
        """The ceiling shrank since filing (another claim or the fund took the room): store the new one with
        the reasons that explain it, audited."""
        before = await self.get(claim_no)
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE claims SET ceiling_fen = ?, reasons = ?, updated_at = ? WHERE claim_no = ?",
                             (ceiling_fen, reasons, self.db.now_iso(), claim_no))
            await audit.record(tx, self.db, actor=actor, action="claim.reassess", entity="claim", entity_id=claim_no,
                               before=_snapshot(before), after={**_snapshot(before), "ceiling_fen": ceiling_fen})
        return await self.get(claim_no)

    async def all_for_program(self, program_id: str) -> list[Claim]:
        rows = await self.db.fetchall("SELECT * FROM claims WHERE program_id = ? ORDER BY id", (program_id,))
        return [_claim(r) for r in rows]

    async def recoveries_of(self, claim_id: int) -> list[Recovery]:
        rows = await self.db.fetchall("SELECT * FROM recoveries WHERE claim_id = ? ORDER BY id", (claim_id,))
        return [Recovery(*(r[f.name] for f in fields(Recovery))) for r in rows]

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

    async def add_supplement(self, claim: Claim, kind: str, text: str, files: tuple[tuple[str, str], ...],
                             actor: str) -> None:
        """A question to the bank (``question``) or the bank's answer (``answer``), with its audit row."""
        async with self.db.transaction() as tx:
            await tx.execute(
                "INSERT INTO claim_supplements (claim_id, kind, actor, text, files, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (claim.id, kind, actor, text, json.dumps([list(f) for f in files], ensure_ascii=False),
                 self.db.now_iso()))
            await audit.record(tx, self.db, actor=actor, action=f"claim.{kind}", entity="claim",
                               entity_id=claim.claim_no,
                               after={"text": text, **({"files": [name for _, name in files]} if files else {})})

    async def supplements(self, claim_id: int) -> list[Supplement]:
        """The questions and answers on a claim, oldest first."""
        rows = await self.db.fetchall("SELECT * FROM claim_supplements WHERE claim_id = ? ORDER BY id", (claim_id,))
        return [Supplement(r["kind"], r["actor"], r["text"], tuple(tuple(f) for f in json.loads(r["files"])),
                           r["created_at"]) for r in rows]
