"""Loading a loan book (CSV or .xlsx) into the store, all-or-nothing (design.md, Loan book CSV)."""

import asyncio
import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePath
from typing import BinaryIO

from bot.rules.compensation import require_program
from bot.rules.loan_book import BookValidator, LoanBookError, LoanRow, RowError, parse_loan_book
from bot.rules.money import to_fen
from bot.rules.monitoring import BankBook, BookTally
from bot.rules.policy import PolicyPack
from bot.store import Store
from bot.store.loans import DuplicateLoan, LoanRecord

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
#: The most loan rows one file may hold (a district's whole book is a few thousand; README states it).
MAX_ROWS = 1_000_000
#: Rows read and validated per step of a streamed import.
CHUNK_ROWS = 5_000
#: Seconds a file may take to be read, validated and written before it is refused (README states it).
PARSE_SECONDS = 120


@dataclass(frozen=True)
class ImportSummary:
    report_date: date
    books: list[BankBook]


def _file_error(code: str) -> LoanBookError:
    return LoanBookError([RowError(0, None, code)])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(Decimal(repr(value)))
    return str(value)


Source = bytes | Path


def _open(source: Source) -> BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")


def _csv_rows(binary: BinaryIO) -> Iterator[list[str]]:
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    try:
        yield from csv.reader(text)
    except UnicodeDecodeError:
        raise _file_error("not_utf8") from None
    except csv.Error:
        raise _file_error("unreadable") from None


def _xlsx_rows(binary: BinaryIO) -> Iterator[list[str]]:
    from openpyxl import load_workbook  # loaded by the first .xlsx book, not by the bot's start

    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _file_error("unreadable") from None
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield [_cell(v) for v in row]
    finally:
        workbook.close()


def read_table(binary: BinaryIO, filename: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header and the data rows of a .csv (UTF-8) or .xlsx (first sheet) file, the rows read as they are
    consumed; past `MAX_ROWS` rows with anything in them the book is refused."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _file_error("unsupported_format")
    rows = _csv_rows(binary) if suffix == ".csv" else _xlsx_rows(binary)
    header = next(rows, None)
    if header is None or not any(c.strip() for c in header):
        raise _file_error("empty_file")
    header = _without_trailing_blanks(header, 0)
    return header, _limited(rows, len(header))


def _limited(rows: Iterator[list[str]], width: int) -> Iterator[list[str]]:
    filled = 0
    for row in rows:
        row = _without_trailing_blanks(row, width)
        if any(c.strip() for c in row):
            filled += 1
            if filled > MAX_ROWS:
                raise LoanBookError([RowError(0, None, "too_many_rows", str(MAX_ROWS))])
        yield row


def _without_trailing_blanks(cells: list[str], keep: int) -> list[str]:
    """Spreadsheets pad rows with empty cells; drop those beyond the first ``keep``."""
    cells = list(cells)
    while len(cells) > keep and not cells[-1].strip():
        cells.pop()
    return cells


def read_loan_book(source: Source, filename: str, *, report_date: date | None = None,
                   only_bank: str | None = None) -> list[LoanRow]:
    """The whole book in memory, every row validated (`LoanBookError` otherwise): for ``ipbot monitor``, and for
    naming every error of a book the store refused."""
    with _open(source) as binary:
        header, rows = read_table(binary, filename)
        return parse_loan_book(header, rows, report_date=report_date, only_bank=only_bank)


def _record(loan: LoanRow) -> LoanRecord:
    return LoanRecord(
        loan.bank, loan.loan_id, loan.credit_code, loan.enterprise, to_fen(loan.principal),
        loan.issued_on.isoformat(), loan.due_on.isoformat(), loan.overdue_days, loan.ip_type, loan.insurer,
        None if loan.ip_pledged_principal is None else to_fen(loan.ip_pledged_principal),
        None if loan.outstanding is None else to_fen(loan.outstanding),
    )


def _next_chunk(validator: BookValidator, tally: BookTally,
                numbered: Iterator[tuple[int, list[str]]]) -> list[LoanRecord] | None:
    """The next `CHUNK_ROWS` rows' valid loans as the store's records, counted in the tally (their errors go to the
    validator); None at the end of the book."""
    chunk = list(itertools.islice(numbered, CHUNK_ROWS))
    if not chunk:
        return None
    loans = validator.validate(chunk)
    tally.add(loans)
    return [_record(loan) for loan in loans]


async def import_loan_book(store: Store, pack: PolicyPack, source: Source, filename: str, *, report_date: date,
                           actor: str, only_bank: str | None = None, dry_run: bool = False) -> ImportSummary:
    """Replace each bank's snapshot for ``report_date`` by the book, streamed: read, validated and written a
    chunk at a time in one transaction, so memory stays flat whatever the file's size. Raises `LoanBookError`
    with every row's error (nothing written) if any row is bad. ``dry_run``: the same, rolled back at the end
    (what an upload would change, for the officer to confirm)."""
    require_program(pack)
    await store.programs.ensure([pack.id])
    try:
        async with asyncio.timeout(PARSE_SECONDS):
            return await _import(store, pack, source, filename, report_date, actor, only_bank, dry_run)
    except TimeoutError:
        raise LoanBookError([RowError(0, None, "too_slow", str(PARSE_SECONDS))]) from None
    except DuplicateLoan:
        # the store's unique key saw a loan id twice: read the book again in memory to name every bad row
        await asyncio.to_thread(read_loan_book, source, filename, report_date=report_date, only_bank=only_bank)
        raise


class _RolledBack(Exception):
    """Ends a dry run's transaction."""


async def _import(store: Store, pack: PolicyPack, source: Source, filename: str, report_date: date,
                  actor: str, only_bank: str | None, dry_run: bool) -> ImportSummary:
    tally = BookTally(pack.program)
    try:
        with _open(source) as binary:
            header, rows = await asyncio.to_thread(read_table, binary, filename)
            validator = BookValidator(header, report_date=report_date, only_bank=only_bank)
            numbered = enumerate(rows, start=2)
            async with store.loans.importing(pack.id, report_date.isoformat(), actor) as snapshot:
                # each chunk is read and validated in a worker thread (a large file never holds up other users),
                # and valid rows are written even after a bad one, so the store's unique key still finds
                # repeated ids
                while (records := await asyncio.to_thread(_next_chunk, validator, tally, numbered)) is not None:
                    await snapshot.add(records)
                validator.finish()
                if dry_run:
                    raise _RolledBack
    except _RolledBack:
        pass
    return ImportSummary(report_date, tally.books())
