"""Loading a loan book (CSV or .xlsx) into the store, all-or-nothing (design.md, Loan book CSV)."""

import asyncio
import multiprocessing
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date

from bot.rules.compensation import require_program
from bot.rules.loan_book import LoanBookError, RowError
from bot.rules.monitoring import BankBook, bank_books
from bot.rules.policy import PolicyPack
from bot.services import loan_reading
from bot.services.loan_reading import Source, read_loan_book
from bot.store import Store
from bot.store.loans import DuplicateLoan, LoanRecord

#: Rows read and validated per step of a streamed import.
CHUNK_ROWS = 5_000
#: A book this large (bytes; about 30,000 rows) is read in a worker process while the store writes (see
#: `_messages_from_a_process`); below it, starting the process would cost more than it saves.
WORKER_BYTES = 3_000_000
#: Seconds a file may take to be read, validated and written before it is refused (README states it).
PARSE_SECONDS = 120


@dataclass(frozen=True)
class ImportSummary:
    report_date: date
    books: list[BankBook]


async def _messages_from_a_thread(*reading) -> AsyncIterator[tuple[str, object]]:
    """`loan_reading.book_messages` run a chunk at a time in a worker thread: a book never holds up other users."""
    messages = loan_reading.book_messages(*reading)
    while (message := await asyncio.to_thread(next, messages, None)) is not None:
        yield message


async def _messages_from_a_process(*reading) -> AsyncIterator[tuple[str, object]]:
    """`loan_reading.book_messages` run in a worker process, so a large book is read and validated on one core while the
    store writes the chunks already read on another (threads would take turns: both need the interpreter)."""
    context = multiprocessing.get_context("forkserver" if "forkserver" in multiprocessing.get_all_start_methods()
                                          else "spawn")
    receiving, sending = context.Pipe(duplex=False)
    worker = context.Process(target=loan_reading.send_book_messages, args=(sending, *reading), daemon=True)
    worker.start()
    sending.close()
    # the next message is received while the caller writes this one: the worker never waits for the store
    receiving_next = asyncio.ensure_future(asyncio.to_thread(receiving.recv))
    try:
        while True:
            try:
                message = await receiving_next
            except EOFError:
                raise RuntimeError(f"the loan-book worker stopped with exit code {worker.exitcode}") from None
            if message[0] != "chunk":
                yield message
                return
            receiving_next = asyncio.ensure_future(asyncio.to_thread(receiving.recv))
            yield message
    finally:
        receiving_next.cancel()
        worker.kill()  # a worker still reading when the import ends early (refused, too slow) is not needed
        await asyncio.to_thread(worker.join)
        receiving.close()


def _book_size(source: Source) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def _read_book(source: Source, filename: str, report_date: date,
               only_bank: str | None) -> AsyncIterator[tuple[str, object]]:
    """The messages of `loan_reading.book_messages`, from a worker process for a book of `WORKER_BYTES` or more
    (starting one costs more than it saves on a small book), else from a thread."""
    reading = (source, filename, report_date, only_bank, CHUNK_ROWS)
    if _book_size(source) >= WORKER_BYTES:
        return _messages_from_a_process(*reading)
    return _messages_from_a_thread(*reading)


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
    books: list[BankBook] = []
    try:
        async with aclosing(_read_book(source, filename, report_date, only_bank)) as messages:
            async with store.loans.importing(pack.id, report_date.isoformat(), actor) as snapshot:
                async for kind, content in messages:
                    if kind == "chunk":
                        await snapshot.add([LoanRecord._make(fields) for fields in content])
                    elif kind == "refused":
                        raise LoanBookError(content)
                    else:
                        books = bank_books(pack.program, content)
                if dry_run:
                    raise _RolledBack
    except _RolledBack:
        pass
    return ImportSummary(report_date, books)
