"""Loan books: each import replaces a bank's snapshot for its report date, all-or-nothing."""

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import NamedTuple

import aiosqlite

from bot.store import audit
from bot.store.banks import Banks
from bot.store.db import Database

_COLUMNS = ("loan_id", "credit_code", "enterprise", "principal_fen", "issued_on", "due_on", "overdue_days",
            "ip_type", "insurer", "ip_pledged_principal_fen", "outstanding_fen")


class LoanRecord(NamedTuple):
    """One loan as stored (a tuple: a chunk of them goes to ``executemany`` without being copied field by field)."""

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


class DuplicateLoan(Exception):
    """A snapshot received the same bank's loan id twice (the table's unique key refused it)."""


class SnapshotImport:
    """Chunks of one import written in one transaction: each bank's snapshot for the date is emptied when the
    bank's first loan arrives, and audited with its totals when the import finishes."""

    def __init__(self, tx: aiosqlite.Connection, loans: "Loans", program_id: str, report_date: str, actor: str):
        self._tx, self._loans = tx, loans
        self._program_id, self._report_date, self._actor = program_id, report_date, actor
        self._banks: dict[str, int] = {}
        self._replaced: dict[str, int] = {}
        self._totals: dict[str, list[int]] = {}

    async def add(self, records: Sequence[LoanRecord]) -> None:
        """Write a chunk (`DuplicateLoan` when a loan id repeats within its bank)."""
        for name in {r.bank for r in records} - self._banks.keys():
            bank = await self._loans.banks.ensure_in(self._tx, name, self._actor)
            cur = await self._tx.execute("DELETE FROM loans WHERE program_id = ? AND bank_id = ? AND report_date = ?",
                                         (self._program_id, bank.id, self._report_date))
            self._banks[name], self._replaced[name], self._totals[name] = bank.id, cur.rowcount, [0, 0]
        try:
            await self._tx.executemany(
                f"INSERT INTO loans (program_id, bank_id, report_date, {', '.join(_COLUMNS)})"
                f" VALUES (?, ?, ?, {', '.join('?' * len(_COLUMNS))})",
                [(self._program_id, self._banks[r.bank], self._report_date, *r[1:]) for r in records])
        except sqlite3.IntegrityError as exc:
            raise DuplicateLoan(str(exc)) from None
        for r in records:
            totals = self._totals[r.bank]
            totals[0] += 1
            totals[1] += r.principal_fen

    async def _finish(self) -> dict[str, int]:
        for name, (loans, principal_fen) in self._totals.items():
            await audit.record(self._tx, self._loans.db, actor=self._actor, action="loan_book.replace", entity="bank",
                               entity_id=self._banks[name],
                               before={"program": self._program_id, "report_date": self._report_date,
                                       "loans": self._replaced[name]},
                               after={"program": self._program_id, "report_date": self._report_date, "loans": loans,
                                      "principal_fen": principal_fen})
        return {name: loans for name, (loans, _) in self._totals.items()}


class Loans:
    def __init__(self, db: Database, banks: Banks):
        self.db = db
        self.banks = banks

    @asynccontextmanager
    async def importing(self, program_id: str, report_date: str, actor: str) -> AsyncIterator[SnapshotImport]:
        """One import, chunk by chunk, committed whole when the block ends (rolled back if it raises)."""
        async with self.db.transaction() as tx:
            snapshot = SnapshotImport(tx, self, program_id, report_date, actor)
            yield snapshot
            await snapshot._finish()

    async def replace_snapshot(self, program_id: str, report_date: str, records: Sequence[LoanRecord],
                               actor: str) -> None:
        """Replace each bank's loans for ``report_date`` by ``records`` (all in memory: tests, demo, benches)."""
        async with self.importing(program_id, report_date, actor) as snapshot:
            await snapshot.add(records)

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

    async def borrower_name(self, bank_id: int, credit_code: str) -> str | None:
        """The enterprise's name as the bank's book gives it (``None``: the bank never lent to it)."""
        row = await self.db.fetchone("SELECT enterprise FROM loans WHERE credit_code = ? AND bank_id = ? LIMIT 1",
                                     (credit_code, bank_id))
        return row["enterprise"] if row else None

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
