"""Reading a loan book file (CSV or .xlsx): its rows validated and tallied a chunk at a time (design.md, Loan book
CSV). Only the rules and the standard library are imported here: a large book is read in a worker process
(`send_book_messages`), which starts the faster for it."""

import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from multiprocessing.connection import Connection
from pathlib import Path, PurePath
from typing import BinaryIO

from bot.rules.loan_book import BookTotals, BookValidator, LoanBookError, LoanRow, RowError, parse_loan_book
from bot.rules.money import to_fen

SUPPORTED_SUFFIXES = (".csv", ".xlsx")


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


def open_source(source: Source) -> BinaryIO:
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
    consumed (`BookValidator` refuses a book past `MAX_ROWS` rows as it reads them)."""
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
    for row in rows:
        yield _without_trailing_blanks(row, width) if len(row) > width else row


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
    with open_source(source) as binary:
        header, rows = read_table(binary, filename)
        return parse_loan_book(header, rows, report_date=report_date, only_bank=only_bank)


#: A date as the store holds it (ISO): a book's loans share a few hundred dates, each written once.
_iso_date = lru_cache(maxsize=16_384)(date.isoformat)


def _stored_fields(loan: LoanRow) -> tuple:
    """The loan as the store's record holds it, in `bot.store.loans.LoanRecord`'s order (a plain tuple: a worker
    process sends it five times faster than a named one)."""
    return (
        loan.bank, loan.loan_id, loan.credit_code, loan.enterprise, to_fen(loan.principal),
        _iso_date(loan.issued_on), _iso_date(loan.due_on), loan.overdue_days, loan.ip_type, loan.insurer,
        None if loan.ip_pledged_principal is None else to_fen(loan.ip_pledged_principal),
        None if loan.outstanding is None else to_fen(loan.outstanding),
    )


def book_messages(source: Source, filename: str, report_date: date, only_bank: str | None,
                  chunk_rows: int) -> Iterator[tuple[str, object]]:
    """The book read, validated and summed ``chunk_rows`` rows at a time: ``("chunk", [fields])`` with each
    chunk's valid loans as the store's records hold them (`_stored_fields`; valid rows are sent even after a bad
    one, so the store's unique key still finds repeated ids), then ``("totals", BookTotals)``, or
    ``("refused", [RowError])`` with every error."""
    totals = BookTotals()
    try:
        with open_source(source) as binary:
            header, rows = read_table(binary, filename)
            validator = BookValidator(header, report_date=report_date, only_bank=only_bank)
            numbered = enumerate(rows, start=2)
            while chunk := list(itertools.islice(numbered, chunk_rows)):
                loans = validator.validate(chunk)
                totals.add(loans)
                yield "chunk", [_stored_fields(loan) for loan in loans]
            validator.finish()
    except LoanBookError as refused:
        yield "refused", refused.errors
        return
    yield "totals", totals


def send_book_messages(sending: Connection, *reading) -> None:
    """A worker process's work: every message of `book_messages` sent to the importing process."""
    for message in book_messages(*reading):
        sending.send(message)
    sending.close()
