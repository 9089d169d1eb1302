"""Loan books: each import replaces a bank's snapshot for its report date, all-or-nothing."""

from collections.abc import Sequence
from dataclasses import dataclass

from bot.store import audit
from bot.store.banks import Banks
from bot.store.db import Database

_COLUMNS = ("loan_id", "credit_code", "enterprise", "principal_fen", "issued_on", "due_on", "overdue_days",
            "ip_type", "insurer", "ip_pledged_principal_fen", "outstanding_fen")


@dataclass(frozen=True)
class LoanRecord:
    bank: str
    loan_id: str
    credit_code: str
    enterprise: str
    principal_fen: int
    issued_on: str
    due_on: str
    overdue_days: int
    ip_type: str | None = None
    insurer: str | None = None
    ip_pledged_principal_fen: int | None = None
    outstanding_fen: int | None = None


@dataclass(frozen=True)
class BankTotals:
    bank_id: int
    bank: str
    report_date: str
    loans: int
    issued_fen: int
    overdue_fen: int
    overdue_loans: int


class Loans:
    def __init__(self, db: Database, banks: Banks):
        self.db = db
        self.banks = banks

    async def replace_snapshot(self, program_id: str, report_date: str, records: Sequence[LoanRecord],
                               actor: str) -> dict[str, int]:
        """Replace each bank's loans for ``report_date`` by ``records``; returns loans per bank."""
        by_bank: dict[str, list[LoanRecord]] = {}
        for record in records:
            by_bank.setdefault(record.bank, []).append(record)
        async with self.db.transaction() as tx:
            for name, rows in by_bank.items():
                bank = await self.banks.ensure_in(tx, name, actor)
                cur = await tx.execute(
                    "DELETE FROM loans WHERE program_id = ? AND bank_id = ? AND report_date = ?",
                    (program_id, bank.id, report_date))
                replaced = cur.rowcount
                await tx.executemany(
                    f"INSERT INTO loans (program_id, bank_id, report_date, {', '.join(_COLUMNS)})"
                    f" VALUES (?, ?, ?, {', '.join('?' * len(_COLUMNS))})",
                    [(program_id, bank.id, report_date, *(getattr(r, c) for c in _COLUMNS)) for r in rows],
                )
                await audit.record(tx, self.db, actor=actor, action="loan_book.replace", entity="bank",
                                   entity_id=bank.id,
                                   before={"program": program_id, "report_date": report_date, "loans": replaced},
                                   after={"program": program_id, "report_date": report_date, "loans": len(rows),
                                          "principal_fen": sum(r.principal_fen for r in rows)})
        return {name: len(rows) for name, rows in by_bank.items()}

    async def bank_totals(self, program_id: str, overdue_from_days: int, bank_id: int | None = None) -> list[BankTotals]:
        """Per bank (or just ``bank_id``), its latest snapshot's issued principal and the principal overdue
        ``overdue_from_days`` days or more (the rules supply the threshold).

        Each bank's latest report date is one index lookup, and only that snapshot's rows are summed, so the
        query reads each current loan once and older snapshots not at all."""
        rows = await self.db.fetchall(
            """
            WITH latest AS (
                SELECT b.id AS bank_id, b.name AS bank,
                       (SELECT MAX(report_date) FROM loans WHERE program_id = :program AND bank_id = b.id) AS report_date
                FROM banks b WHERE :bank IS NULL OR b.id = :bank
            )
            SELECT latest.bank_id, latest.bank, latest.report_date, COUNT(*) AS loans,
                   SUM(l.principal_fen) AS issued_fen,
                   SUM(CASE WHEN l.overdue_days >= :days THEN l.principal_fen ELSE 0 END) AS overdue_fen,
                   SUM(l.overdue_days >= :days) AS overdue_loans
            FROM latest
            CROSS JOIN loans l
                ON l.program_id = :program AND l.bank_id = latest.bank_id AND l.report_date = latest.report_date
            GROUP BY latest.bank_id
            ORDER BY latest.bank
            """,
            {"program": program_id, "days": overdue_from_days, "bank": bank_id},
        )
        return [BankTotals(r["bank_id"], r["bank"], r["report_date"], r["loans"], r["issued_fen"], r["overdue_fen"],
                           r["overdue_loans"]) for r in rows]

    async def latest_loan(self, program_id: str, bank_id: int, loan_id: str) -> LoanRecord | None:
        """The loan as the bank's newest snapshot holding it reports it."""
        row = await self.db.fetchone(
            "SELECT b.name AS bank, l.* FROM loans l JOIN banks b ON b.id = l.bank_id"
            " WHERE l.program_id = ? AND l.bank_id = ? AND l.loan_id = ? ORDER BY l.report_date DESC LIMIT 1",
            (program_id, bank_id, loan_id))
        return LoanRecord(row["bank"], *(row[c] for c in _COLUMNS)) if row else None

    async def banks_lending_to(self, credit_code: str) -> list[int]:
        """The banks whose books hold a loan to this enterprise (the ones that can vouch for it)."""
        rows = await self.db.fetchall("SELECT DISTINCT bank_id FROM loans WHERE credit_code = ? ORDER BY bank_id",
                                      (credit_code,))
        return [r["bank_id"] for r in rows]

    async def latest_of_bank(self, program_id: str, bank_id: int) -> list[LoanRecord]:
        rows = await self.db.fetchall(
            """
            SELECT b.name AS bank, l.* FROM loans l JOIN banks b ON b.id = l.bank_id
            WHERE l.program_id = ? AND l.bank_id = ?
              AND l.report_date = (SELECT MAX(report_date) FROM loans WHERE program_id = ? AND bank_id = ?)
            ORDER BY l.loan_id
            """,
            (program_id, bank_id, program_id, bank_id),
        )
        return [LoanRecord(r["bank"], *(r[c] for c in _COLUMNS)) for r in rows]
