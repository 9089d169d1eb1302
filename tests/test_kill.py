"""kill -9 at any moment, on every path that moves state: broadcast, notification delivery, loan-book import
and claim approval. Each is killed at least 20 times at random points and run again; after every kill
nothing is lost, nothing is half-written, and at most one message per kill goes out twice."""

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Settings
from bot.policies import load_packs
from bot.services import claims_workflow
from bot.services.broadcast import MAX_IN_FLIGHT
from bot.services.container import Services
from bot.services.ledger import check_ledger
from bot.services.loan_import import import_loan_book
from bot.services.notify import Notification, queue
from bot.store import Store
from tests.kill_worker import ROWS, TODAY
from tests.loan_books import credit_code, csv_bytes, row

ROOT = Path(__file__).parent.parent
KILLS = 20
RECIPIENTS = 300


class Worker:
    def __init__(self, path: str, data: Path, delay: float):
        self.log = data.parent / f"{path}.log"
        self.args = [sys.executable, str(ROOT / "tests" / "kill_worker.py"), path, str(self.log), str(delay)]
        self.env = {**os.environ, "IPBOT_DATA_DIR": str(data)}

    def killed_after(self, seconds: float) -> None:
        process = subprocess.Popen(self.args, cwd=ROOT, env=self.env, stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "ready"
        time.sleep(seconds)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def to_the_end(self) -> None:
        subprocess.run(self.args, cwd=ROOT, env=self.env, check=True, timeout=300, stdout=subprocess.DEVNULL)

    def delivered(self) -> Counter:
        return Counter(int(line) for line in self.log.read_text().splitlines()) if self.log.exists() else Counter()


def run(coroutine):
    return asyncio.run(coroutine)


async def _open(data: Path) -> Store:
    store = await Store.open(data / "ipbot.sqlite3")
    await store.programs.ensure(["cq-jiangbei-2024"])
    return store


def _at_most_the_sends_in_flight_repeated_per_kill(counts: Counter, expected: set[int], kills: int,
                                                   in_flight: int) -> None:
    """Each kill may repeat what was awaiting Telegram's answer: one notification, or a broadcast's sends in
    flight (`MAX_IN_FLIGHT`)."""
    assert set(counts) == expected
    assert sum(n - 1 for n in counts.values()) <= kills * in_flight


@pytest.mark.parametrize("path", ["broadcast", "notifications"])
def test_delivery_killed_20_times_loses_nothing(tmp_path, path, figures):
    data = tmp_path / "data"
    recipients = {90_000 + i for i in range(RECIPIENTS)}

    async def setup():
        store = await _open(data)
        if path == "broadcast":
            await store.broadcasts.create(1, "test", "你好", {chat: "x" for chat in recipients})
        else:
            await queue(store, [Notification(chat, "staff", "revoked_officer") for chat in sorted(recipients)])
        await store.close()

    run(setup())
    worker = Worker(path, data, delay=0.002)
    rng = random.Random(path)
    for _ in range(KILLS):
        worker.killed_after(rng.uniform(0.01, 0.08))
    worker.to_the_end()
    counts = worker.delivered()
    _at_most_the_sends_in_flight_repeated_per_kill(counts, recipients, KILLS,
                                                   MAX_IN_FLIGHT if path == "broadcast" else 1)
    figures(f"kill -9 x{KILLS} during {path}: {len(counts)}/{len(recipients)} delivered, 0 lost, "
            f"{sum(n - 1 for n in counts.values())} duplicates")


def test_an_import_killed_20_times_is_all_or_nothing(tmp_path, figures):
    data = tmp_path / "data"

    async def setup():
        await (await _open(data)).close()

    run(setup())
    worker = Worker("import", data, delay=0)
    rng = random.Random("import")
    database = data / "ipbot.sqlite3"
    for _ in range(KILLS):
        worker.killed_after(rng.uniform(0.05, 1.5))
        with sqlite3.connect(database) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            count = db.execute("SELECT COUNT(*) FROM loans WHERE report_date = ?", (TODAY.isoformat(),)).fetchone()[0]
        assert count in (0, ROWS)
    worker.to_the_end()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM loans").fetchone()[0] == ROWS
    figures(f"kill -9 x{KILLS} during a {ROWS}-row import: every snapshot 0 or {ROWS} rows, integrity ok")


def test_claim_approval_killed_20_times_keeps_the_ledger_and_its_notices_whole(tmp_path, figures):
    data = tmp_path / "data"
    claims = 10

    async def setup():
        store = await _open(data)
        packs = load_packs()
        services = Services(Settings(IPBOT_DATA_DIR=data), store, packs, qa=None)
        book = [row(f"E{i}", principal="1000000", overdue_days="120", credit_code=credit_code(i), enterprise=f"企业{i}")
                for i in range(claims)]
        await import_loan_book(store, packs["cq-jiangbei-2024"], csv_bytes(book), "b.csv", report_date=TODAY,
                               actor="test")
        bank = await store.banks.by_name("示例银行")
        await store.chats.ensure(2001)
        await store.banks.add_officer(bank.id, 2001, "test")
        for i in range(claims):
            await claims_workflow.file_claim(services, packs["cq-jiangbei-2024"], bank, f"E{i}", Decimal(100000),
                                             TODAY, "test")
        await store.close()

    async def check(done: bool):
        store = await Store.open(data / "ipbot.sqlite3")
        assert await check_ledger(store, [load_packs()["cq-jiangbei-2024"]], TODAY) == []
        notices = Counter()
        for queued in await store.notifications.due(limit=100_000):
            if queued.notification.macro == "changed":
                notices[queued.notification.params["claim_no"]] += 1
        steps = Counter(e.entity_id for e in await store.audit.of_entities(("claim",)))
        assert notices == steps
        if done:
            assert {c.status for c in await store.claims.all_for_program("cq-jiangbei-2024")} == {"paid"}
        await store.close()

    run(setup())
    worker = Worker("approval", data, delay=0.01)
    rng = random.Random("approval")
    for _ in range(KILLS):
        worker.killed_after(rng.uniform(0.0, 0.15))
        run(check(done=False))
    worker.to_the_end()
    run(check(done=True))
    figures(f"kill -9 x{KILLS} during claim approval: ledger check clean, every step's notices queued with it")
