"""Loading a loan book (CSV or .xlsx) into the store, all-or-nothing (design.md, Loan book CSV)."""

import asyncio
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import PurePath


from bot.rules.compensation import require_program
from bot.rules.loan_book import LoanBookError, LoanRow, RowError, parse_loan_book
from bot.rules.money import to_fen
from bot.rules.monitoring import BankBook, summarise_books
from bot.rules.policy import PolicyPack
from bot.store import Store
from bot.store.loans import LoanRecord

SUPPORTED_SUFFIXES = (".csv", ".xlsx")
#: The most loan rows one file may hold (a district's whole book is a few thousand; README states it).
MAX_ROWS = 200_000
#: Seconds a file may take to parse and validate before it is refused (README states it).
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


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _file_error("not_utf8") from None
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise _file_error("unreadable") from None


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # loaded by the first .xlsx book, not by the bot's start

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _file_error("unreadable") from None
    try:
        sheet = workbook.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[list[str]]]:
    """The header and the data rows of a .csv (UTF-8) or .xlsx (first sheet) file."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise _file_error("unsupported_format")
    rows = _read_csv(data) if suffix == ".csv" else _read_xlsx(data)
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise _file_error("empty_file")
    if len(rows) - 1 > MAX_ROWS:
        raise LoanBookError([RowError(0, None, "too_many_rows", str(MAX_ROWS))])
    header = _without_trailing_blanks(rows[0], 0)
    return header, [_without_trailing_blanks(row, len(header)) for row in rows[1:]]


def _without_trailing_blanks(cells: list[str], keep: int) -> list[str]:
    """Spreadsheets pad rows with empty cells; drop those beyond the first ``keep``."""
    cells = list(cells)
    while len(cells) > keep and not cells[-1].strip():
        cells.pop()
    return cells


def read_loan_book(data: bytes, filename: str, *, report_date: date | None = None,
                   only_bank: str | None = None) -> list[LoanRow]:
    header, rows = read_table(data, filename)
    return parse_loan_book(header, rows, report_date=report_date, only_bank=only_bank)


def _record(loan: LoanRow) -> LoanRecord:
    return LoanRecord(
        bank=loan.bank, loan_id=loan.loan_id, credit_code=loan.credit_code, enterprise=loan.enterprise,
        principal_fen=to_fen(loan.principal), issued_on=loan.issued_on.isoformat(), due_on=loan.due_on.isoformat(),
        overdue_days=loan.overdue_days, ip_type=loan.ip_type, insurer=loan.insurer,
        ip_pledged_principal_fen=None if loan.ip_pledged_principal is None else to_fen(loan.ip_pledged_principal),
        outstanding_fen=None if loan.outstanding is None else to_fen(loan.outstanding),
    )


async def validated_loans(data: bytes, filename: str, *, report_date: date,
                          only_bank: str | None = None) -> list[LoanRow]:
    """The file's loans, every row validated (`LoanBookError` otherwise). Parsing and validation run in a worker
    thread, so a large file does not hold up everyone else's replies."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(read_loan_book, data, filename, report_date=report_date,
                                                        only_bank=only_bank), timeout=PARSE_SECONDS)
    except TimeoutError:
        raise LoanBookError([RowError(0, None, "too_slow", str(PARSE_SECONDS))]) from None


async def import_loan_book(store: Store, pack: PolicyPack, data: bytes, filename: str, *, report_date: date,
                           actor: str, only_bank: str | None = None) -> ImportSummary:
    """Validate the whole file, then replace each bank's snapshot for ``report_date`` in one transaction.
    Raises `LoanBookError` (nothing written) if any row is bad."""
    program = require_program(pack)
    loans = await validated_loans(data, filename, report_date=report_date, only_bank=only_bank)
    await store.programs.ensure([pack.id])
    await store.loans.replace_snapshot(pack.id, report_date.isoformat(), [_record(x) for x in loans], actor)
    return ImportSummary(report_date, summarise_books(program, loans))
