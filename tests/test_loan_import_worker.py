"""A large loan book is read in a worker process while the store writes: it must import, refuse and stop exactly
as a book read in a thread does (bot/services/loan_import.py, `_messages_from_a_process`)."""

import asyncio
import multiprocessing
from datetime import date

import pytest

from bot.rules.loan_book import LoanBookError
from bot.services import loan_import
from tests.loan_books import credit_code, csv_bytes, row

REPORT_DATE = date(2026, 11, 1)
BOOK = csv_bytes([row(f"L{i}", bank=f"银行{i % 3}", credit_code=credit_code(i % 7), principal=str(100_000 + i),
                      overdue_days=str(i * 7 % 120), outstanding=str(50_000 + i) if i % 4 else "")
                  for i in range(40)])


@pytest.fixture(params=["thread", "process"])
def reader(request, monkeypatch):
    """Each test runs once with the book read in a thread and once in a worker process (chunks of 7 rows)."""
    monkeypatch.setattr(loan_import, "CHUNK_ROWS", 7)
    monkeypatch.setattr(loan_import, "WORKER_BYTES", 0 if request.param == "process" else 10**12)
    started = []
    real_process = loan_import._messages_from_a_process

    def counting(*reading):
        started.append(reading)
        return real_process(*reading)

    monkeypatch.setattr(loan_import, "_messages_from_a_process", counting)
    yield request.param
    assert bool(started) == (request.param == "process")


async def _stored(store) -> list[tuple]:
    return await store.db.fetchall("SELECT b.name, loan_id, credit_code, principal_fen, overdue_days, outstanding_fen"
                                   " FROM loans JOIN banks b ON b.id = bank_id ORDER BY loan_id")


async def test_a_book_imports_alike_whether_read_in_a_thread_or_a_worker_process(store, jiangbei, reader):
    summary = await loan_import.import_loan_book(store, jiangbei, BOOK, "a.csv", report_date=REPORT_DATE, actor="t")
    assert [(b.bank, b.loans, b.overdue_loans, str(b.exposure.issued)) for b in summary.books] == [
        ("银行0", 14, 11, "1400273.00"), ("银行1", 13, 11, "1300247.00"), ("银行2", 13, 11, "1300260.00")]
    stored = [tuple(r) for r in await _stored(store)]
    assert len(stored) == 40
    assert stored[0] == ("银行0", "L0", credit_code(0), 10_000_000, 0, None)
    assert stored[-1] == ("银行0", "L9", credit_code(2), 10_000_900, 63, 5_000_900)  # rows sort as text: L9 last


async def test_a_bad_book_is_refused_whole_with_every_error_from_either_reader(store, jiangbei, reader):
    rows = [row(f"L{i}") for i in range(20)] + [row("L20", principal="-1"), row("L21", issued_on="2025-02-30")]
    with pytest.raises(LoanBookError) as refused:
        await loan_import.import_loan_book(store, jiangbei, csv_bytes(rows), "a.csv", report_date=REPORT_DATE,
                                           actor="t")
    assert [(e.row, e.code) for e in refused.value.errors] == [(22, "amount_negative"), (23, "bad_date")]
    assert await _stored(store) == []


async def test_a_loan_id_repeated_chunks_apart_is_named_from_either_reader(store, jiangbei, reader):
    rows = [row(f"L{i}") for i in range(20)] + [row("L3")]
    with pytest.raises(LoanBookError) as refused:
        await loan_import.import_loan_book(store, jiangbei, csv_bytes(rows), "a.csv", report_date=REPORT_DATE,
                                           actor="t")
    assert [(e.row, e.code) for e in refused.value.errors] == [(22, "duplicate_loan")]
    assert await _stored(store) == []


async def test_a_file_that_is_not_a_book_is_refused_from_either_reader(store, jiangbei, reader):
    with pytest.raises(LoanBookError) as refused:
        await loan_import.import_loan_book(store, jiangbei, "贷款".encode("gbk") * 20, "a.csv",
                                           report_date=REPORT_DATE, actor="t")
    assert refused.value.errors[0].code == "not_utf8"


async def test_an_import_refused_midway_stops_its_worker_process(store, jiangbei, monkeypatch):
    monkeypatch.setattr(loan_import, "CHUNK_ROWS", 7)
    monkeypatch.setattr(loan_import, "WORKER_BYTES", 0)
    workers = []
    real_start = multiprocessing.process.BaseProcess.start

    def remember(process):
        workers.append(process)
        real_start(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", remember)
    # the store refuses the second chunk (a repeated id) while the worker has far more than a pipe holds to send
    rows = [row(f"L{i}") for i in range(20_000)]
    rows[9] = row("L0")
    with pytest.raises(LoanBookError) as refused:
        await asyncio.wait_for(loan_import.import_loan_book(store, jiangbei, csv_bytes(rows), "a.csv",
                                                            report_date=REPORT_DATE, actor="t"), 30)
    assert [(e.row, e.code) for e in refused.value.errors] == [(11, "duplicate_loan")]
    assert len(workers) == 1 and not workers[0].is_alive()
