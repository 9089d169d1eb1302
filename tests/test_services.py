"""The use cases the handlers call, tested without Telegram: estimate, fund status, import-then-check and
monitor-now, each on a real SQLite file."""

from datetime import date
from decimal import Decimal

import pytest

from bot.config import Settings
from bot.policies import load_packs
from bot.rules.loan_book import LoanBookError
from bot.services import claims_workflow
from bot.services.container import Services
from bot.services.loan_import import import_loan_book
from bot.services.monitoring import decide_fund, fund_position, import_and_check, monitor_now
from bot.store import Store
from tests.loan_books import csv_bytes, row

TODAY = date(2026, 11, 28)
STAFF = 9001


@pytest.fixture
async def services(tmp_path):
    store = await Store.open(tmp_path / "s.sqlite3")
    await store.programs.ensure(["cq-jiangbei-2024"])
    built = Services(Settings(IPBOT_DATA_DIR=tmp_path, IPBOT_STAFF_IDS=[STAFF]), store, load_packs(), qa=None)
    yield built
    await store.close()


async def _bank(services):
    bank = await services.store.banks.ensure("示例银行", actor="test")
    await services.store.chats.ensure(2001)
    await services.store.banks.add_officer(bank.id, 2001, "test")
    return bank


async def test_estimate_uses_the_funds_real_pause(services):
    pack = services.programs[0]
    running = await claims_workflow.estimate(services, pack, Decimal(1000000), Decimal(500000), 90, Decimal(0))
    assert running.eligible and running.fund == Decimal("150000.00")
    await decide_fund(services, pack, "pause", "纪要", "user:9001")
    paused = await claims_workflow.estimate(services, pack, Decimal(1000000), Decimal(500000), 90, Decimal(0))
    assert not paused.eligible and any(r.code == "fund_paused" for r in paused.reasons)


async def test_fund_position_reports_size_balance_and_pause(services):
    position = await fund_position(services, services.programs[0])
    assert (position.size, position.paid, position.balance, position.paused) == (
        Decimal(10000000), Decimal("0.00"), Decimal("10000000.00"), False)


async def test_import_then_check_warns_the_bank_at_5_percent_article_12(services):
    bank = await _bank(services)
    book = csv_bytes([row("OK", principal="9500000"), row("OD", principal="500000", overdue_days="15")])
    summary, notes = await import_and_check(services, services.programs[0], bank, book, "book.csv", TODAY, "test")
    assert summary.books[0].exposure.level == "warning"
    assert {(n.chat_id, n.macro) for n in notes} == {(2001, "warning"), (STAFF, "warning")}


async def test_import_then_check_writes_nothing_from_a_bad_book(services):
    bank = await _bank(services)
    with pytest.raises(LoanBookError):
        await import_and_check(services, services.programs[0], bank, b"loan_id\nx\n", "book.csv", TODAY, "test")
    assert await services.store.loans.latest_of_bank("cq-jiangbei-2024", bank.id) == []


async def test_monitor_now_runs_the_job_once_and_gives_each_programs_overview(services):
    bank = await _bank(services)
    book = csv_bytes([row("OK", principal="9500000"), row("OD", principal="500000", overdue_days="15")])
    await import_loan_book(services.store, services.programs[0], book, "book.csv", report_date=TODAY, actor="test",
                           only_bank=bank.name)
    notes, overviews = await monitor_now(services, TODAY)
    assert [n.macro for n in notes].count("warning") == 2
    [overview] = overviews
    assert overview.books[0].exposure.level == "warning" and not overview.fund.paused
    again, _ = await monitor_now(services, TODAY)
    assert again == []



async def test_a_notification_that_keeps_timing_out_waits_for_the_outbox_job_and_the_rest_go(tmp_path):
    from datetime import datetime, timedelta

    from bot.clock import TZ
    from bot.services.notify import Notification, Outcome, SendResult, deliver, queue

    now = [datetime(2026, 11, 28, 9, 0, tzinfo=TZ)]
    store = await Store.open(tmp_path / "n.sqlite3", clock=lambda: now[0])
    sent: list[int] = []
    failing = {1: 4}

    async def sender(note):
        if failing.get(note.chat_id, 0) > 0:
            failing[note.chat_id] -= 1
            return SendResult(Outcome.TRANSIENT, error="timed out")
        sent.append(note.chat_id)
        return SendResult(Outcome.SENT)

    async def no_sleep(_):
        return None

    ids = await queue(store, [Notification(chat, "alerts", "x") for chat in (1, 2, 3)])
    assert await deliver(store, sender, ids, sleep=no_sleep) == 2 and sent == [2, 3]
    assert await deliver(store, sender, sleep=no_sleep) == 0
    now[0] += timedelta(seconds=31)
    assert await deliver(store, sender, sleep=no_sleep) == 1 and sent == [2, 3, 1]
    assert (await store.notifications.counts()) == {"sent": 3}
    await store.close()


async def test_a_database_error_pauses_delivery_and_leaves_the_rest_pending(tmp_path, monkeypatch):
    import sqlite3

    from bot.services.notify import Notification, Outcome, SendResult, deliver, queue

    store = await Store.open(tmp_path / "n.sqlite3")
    ids = await queue(store, [Notification(chat, "alerts", "x") for chat in (1, 2)])

    async def sender(note):
        return SendResult(Outcome.SENT)

    async def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    original = store.notifications.mark
    monkeypatch.setattr(store.notifications, "mark", disk_full)
    assert await deliver(store, sender, ids) == 0
    monkeypatch.setattr(store.notifications, "mark", original)
    assert await deliver(store, sender) == 2
    await store.close()


async def test_a_claim_change_and_its_notices_commit_together(services, monkeypatch):
    import sqlite3

    bank = await _bank(services)
    await import_loan_book(services.store, services.programs[0], csv_bytes([row("OD", overdue_days="90")]), "b.csv",
                           report_date=TODAY, actor="test")
    claim, notes = await claims_workflow.file_claim(services, services.programs[0], bank, "OD", Decimal(100000), TODAY,
                                                    "user:2001")
    assert notes and all(n.outbox_id is not None for n in notes)

    async def outbox_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(services.store.notifications, "add", outbox_full)
    with pytest.raises(sqlite3.OperationalError):
        await claims_workflow.act(services, claim.claim_no, "start_review", actor_role="fund_manager",
                                  actor="user:9001", today=TODAY)
    assert (await services.store.claims.get(claim.claim_no)).status == "filed"
    assert [e.action for e in await services.store.audit.latest(5, entity="claim")] == ["claim.file"]
