import asyncio
from datetime import date

import aiosqlite
import pytest

from bot.rules.loan_book import LoanBookError
from bot.services.loan_import import import_loan_book
from bot.store import Store
from bot.store.claims import NewClaim, StaleClaim
from tests.loan_books import csv_bytes, row


async def test_the_store_runs_in_wal_mode_with_foreign_keys(store):
    assert (await store.db.fetchone("PRAGMA journal_mode"))[0] == "wal"
    assert (await store.db.fetchone("PRAGMA foreign_keys"))[0] == 1


async def test_migrations_apply_once_and_record_the_version(tmp_path):
    path = tmp_path / "db.sqlite3"
    first = await Store.open(path)
    version = await first.db.version()
    await first.close()
    again = await Store.open(path)
    assert await again.db.version() == version >= 1
    assert await again.db.upgrade() == []
    await again.close()


async def test_the_audit_table_is_append_only(store):
    await store.banks.ensure("示例银行", actor="test")
    with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
        await store.db.conn.execute("UPDATE audit SET actor = 'x'")
    with pytest.raises(aiosqlite.IntegrityError, match="append-only"):
        await store.db.conn.execute("DELETE FROM audit")


async def test_a_failed_transaction_writes_neither_change_nor_audit(store):
    before = len(await store.audit.latest(100))
    with pytest.raises(RuntimeError):
        async with store.db.transaction() as tx:
            await store.banks.ensure_in(tx, "半途银行", actor="test")
            raise RuntimeError("crash mid-way")
    assert await store.banks.by_name("半途银行") is None
    assert len(await store.audit.latest(100)) == before


async def _claim(store):
    bank = await store.banks.ensure("示例银行", actor="test")
    return await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, "L1", "91350100M000100Y43", "示例科技有限公司",
                                            100_000_000, 50_000_000, 90, 15_000_000, None, None, None, "[]"), actor="user:2001")


async def test_every_claim_status_change_has_an_audit_row_with_before_and_after(store):
    claim = await _claim(store)
    assert claim.status == "filed" and claim.claim_no.startswith("C")
    await store.claims.transition(claim.claim_no, "filed", "under_review", "user:9001", "start_review")
    approved = await store.claims.transition(claim.claim_no, "under_review", "approved", "user:9001", "approve",
                                             approved_fen=15_000_000)
    assert approved.approved_fen == 15_000_000
    entries = await store.audit.latest(10, entity="claim")
    assert [e.action for e in entries] == ["claim.approve", "claim.start_review", "claim.file"]
    assert entries[0].before["status"] == "under_review"
    assert entries[0].after == {**entries[0].before, "status": "approved", "approved_fen": 15_000_000}
    assert entries[0].actor == "user:9001"


async def test_a_change_from_a_stale_status_is_refused(store):
    claim = await _claim(store)
    await store.claims.transition(claim.claim_no, "filed", "under_review", "user:9001", "start_review")
    with pytest.raises(StaleClaim):
        await store.claims.transition(claim.claim_no, "filed", "rejected", "user:9002", "reject")


async def test_paid_totals_feed_the_pause_and_the_annual_cap(store):
    claim = await _claim(store)
    for source, target, action in [("filed", "under_review", "start_review"), ("under_review", "approved", "approve")]:
        await store.claims.transition(claim.claim_no, source, target, "user:9001", action)
    await store.claims.transition(claim.claim_no, "approved", "paid", "user:9001", "mark_paid",
                                  paid_fen=15_000_000, paid_on="2026-03-01")
    assert await store.claims.total_paid_fen("cq-jiangbei-2024") == 15_000_000
    assert await store.claims.held_for_enterprise_fen("cq-jiangbei-2024", "91350100M000100Y43", 2026) == 15_000_000
    assert await store.claims.held_for_enterprise_fen("cq-jiangbei-2024", "91350100M000100Y43", 2025) == 0


async def test_an_enterprise_year_room_is_held_by_filed_and_approved_claims_too(store):
    claim = await _claim(store)
    assert await store.claims.held_for_enterprise_fen("cq-jiangbei-2024", "91350100M000100Y43", 2026) == 15_000_000
    await store.claims.transition(claim.claim_no, "filed", "under_review", "user:9001", "start_review")
    await store.claims.transition(claim.claim_no, "under_review", "approved", "user:9001", "approve",
                                  approved_fen=10_000_000)
    assert await store.claims.held_for_enterprise_fen("cq-jiangbei-2024", "91350100M000100Y43", 2026) == 10_000_000
    assert await store.claims.held_for_enterprise_fen("cq-jiangbei-2024", "91350100M000100Y43", 2026,
                                                      exclude_claim_id=claim.id) == 0
    assert (await store.claims.fund_totals("cq-jiangbei-2024")).committed_fen == 10_000_000


async def test_a_recovery_opens_with_its_deadline_in_one_transaction(store):
    claim = await _claim(store)
    for source, target, action in [("filed", "under_review", "start_review"), ("under_review", "approved", "approve"),
                                   ("approved", "paid", "mark_paid")]:
        await store.claims.transition(claim.claim_no, source, target, "user:9001", action)
    recovery = await store.claims.add_recovery(claim.claim_no, 1_000_000, 300_000, date(2026, 4, 1),
                                               date(2026, 5, 1), actor="user:2001")
    assert (await store.claims.get(claim.claim_no)).status == "recovery_open"
    assert await store.claims.open_recoveries() == [recovery]
    assert (await store.audit.latest(1))[0].after["deadline"] == "2026-05-01"


async def test_an_import_replaces_the_banks_snapshot_for_that_date(store, jiangbei):
    day = date(2026, 11, 1)
    await import_loan_book(store, jiangbei, csv_bytes([row("L1"), row("L2")]), "a.csv", report_date=day, actor="t")
    summary = await import_loan_book(store, jiangbei, csv_bytes([row("L3", overdue_days="15")]), "b.csv",
                                     report_date=day, actor="t")
    bank = await store.banks.by_name("示例银行")
    assert [l.loan_id for l in await store.loans.latest_of_bank("cq-jiangbei-2024", bank.id)] == ["L3"]
    assert summary.books[0].exposure.level == "suspend"
    audit = (await store.audit.latest(1))[0]
    assert audit.action == "loan_book.replace" and audit.before["loans"] == 2 and audit.after["loans"] == 1


async def test_a_bad_file_writes_nothing(store, jiangbei):
    with pytest.raises(LoanBookError):
        await import_loan_book(store, jiangbei, csv_bytes([row("L1"), row("L2", principal="-1")]), "bad.csv",
                               report_date=date(2026, 11, 1), actor="t")
    assert await store.banks.all() == []
    assert (await store.db.fetchone("SELECT COUNT(*) FROM loans"))[0] == 0


async def test_bank_totals_use_each_banks_latest_snapshot_and_the_15_day_line(store, jiangbei):
    await import_loan_book(store, jiangbei, csv_bytes([row("L1", overdue_days="30")]), "a.csv",
                           report_date=date(2026, 10, 1), actor="t")
    await import_loan_book(store, jiangbei, csv_bytes([row("L1", principal="950000", overdue_days="14"),
                                                       row("L2", principal="50000", overdue_days="15")]), "b.csv",
                           report_date=date(2026, 11, 1), actor="t")
    [totals] = await store.loans.bank_totals("cq-jiangbei-2024", 15)
    assert (totals.report_date, totals.loans, totals.issued_fen, totals.overdue_fen) == ("2026-11-01", 2, 100_000_000,
                                                                                         5_000_000)


async def test_officers_bind_and_revoke_with_audit(store):
    bank = await store.banks.ensure("示例银行", actor="test")
    await store.banks.add_officer(bank.id, 2001, actor="user:9001")
    assert await store.banks.officers(bank.id) == [2001]
    assert (await store.banks.bank_of_officer(2001)).name == "示例银行"
    assert await store.banks.revoke_officer(bank.id, 2001, actor="user:9001")
    assert await store.banks.officers(bank.id) == []
    assert (await store.audit.latest(1))[0].action == "officer.revoke"


async def test_enterprise_chats_bind_active_or_pending(store):
    enterprise = await store.enterprises.register("91350100M000100Y43", "示例科技有限公司", actor="user:1001")
    await store.chats.ensure(1001)
    await store.chats.ensure(1002)
    await store.enterprises.bind_chat(enterprise.id, 1001, "active", actor="user:1001")
    await store.enterprises.bind_chat(enterprise.id, 1002, "pending", actor="user:1002")
    assert await store.enterprises.chats(enterprise.id) == [1001]
    assert (await store.enterprises.of_chat(1001)).name == "示例科技有限公司"
    assert await store.enterprises.of_chat(1002) is None


async def test_bank_levels_and_fund_resume_are_audited(store):
    bank = await store.banks.ensure("示例银行", actor="test")
    assert (await store.banks.level("cq-jiangbei-2024", bank.id)).level == "normal"
    await store.banks.set_level("cq-jiangbei-2024", bank.id, "suspend", actor="user:9001", suspended_on="2026-11-22")
    assert (await store.banks.level("cq-jiangbei-2024", bank.id)).suspended_on == "2026-11-22"
    await store.programs.record_fund_decision("cq-jiangbei-2024", "resume", 600_000_000, "三局纪要", actor="user:9001")
    assert (await store.programs.fund_decision("cq-jiangbei-2024")).kind == "resume"
    actions = [e.action for e in await store.audit.latest(2)]
    assert actions == ["fund.resume", "bank.level"]


async def test_alerts_are_stored_once_and_resolved(store):
    alert = await store.alerts.raise_alert("cq-jiangbei-2024", "bank_level", actor="job:monitor", level="warning")
    assert [a.id for a in await store.alerts.open_alerts("cq-jiangbei-2024")] == [alert.id]
    await store.alerts.resolve(alert.id, actor="job:monitor")
    assert await store.alerts.open_alerts("cq-jiangbei-2024") == []


async def test_a_broadcast_outbox_counts_what_was_sent(store):
    broadcast = await store.broadcasts.create(9001, "everyone", "你好", {1: "a", 2: "b", 3: "c"})
    assert [chat for chat, _, _ in await store.broadcasts.pending(broadcast.id)] == [1, 2, 3]
    await store.broadcasts.mark(broadcast.id, 1, "sent")
    await store.broadcasts.mark(broadcast.id, 2, "blocked", "Forbidden")
    counts = await store.broadcasts.counts(broadcast.id)
    assert (counts.pending, counts.sent, counts.blocked) == (1, 1, 1)
    await store.broadcasts.finish(broadcast.id, "cancelled", actor="user:9001")
    assert (await store.broadcasts.get(broadcast.id)).status == "cancelled"


async def test_an_older_database_keeps_its_resume_as_a_recorded_decision(tmp_path):
    """Migration 0004: a fund resumed under the old single flag becomes a 'resume' decision with the
    cumulative compensation at the time, and the flag goes."""
    import sqlite3

    from bot.store.db import migrations

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        for version, script in migrations():
            if version <= 3:
                db.executescript(script)
        db.execute("PRAGMA user_version = 3")
        db.execute("INSERT INTO programs (id, fund_resumed, updated_at) VALUES ('cq-jiangbei-2024', 1, '2026-01-01')")
        db.execute("INSERT INTO banks (id, name, created_at) VALUES (1, '示例银行', '2026-01-01')")
        db.execute("INSERT INTO claims (claim_no, program_id, bank_id, loan_id, credit_code, enterprise, principal_fen,"
                   " loss_fen, overdue_days, ceiling_fen, paid_fen, paid_on, status, filed_at, updated_at) VALUES"
                   " ('C1', 'cq-jiangbei-2024', 1, 'L1', 'x', 'x', 1, 1, 90, 1, 620000000, '2026-01-01', 'paid',"
                   " '2026-01-01', '2026-01-01')")
    store = await Store.open(path)
    decision = await store.programs.fund_decision("cq-jiangbei-2024")
    assert (decision.kind, decision.paid_fen, decision.actor) == ("resume", 620_000_000, "migration")
    assert (await store.claims.get("C1")).reasons == "[]"
    await store.close()


async def test_a_long_write_is_invisible_to_other_readers_until_it_commits_and_does_not_block_them(store):
    writing, reads_done = asyncio.Event(), asyncio.Event()

    async def long_import():
        async with store.db.transaction() as tx:
            await store.banks.ensure_in(tx, "半途银行", "test")
            assert await store.banks.by_name("半途银行") is not None  # the writer sees its own change
            writing.set()
            await reads_done.wait()

    writer = asyncio.create_task(long_import())
    await writing.wait()
    assert await store.banks.by_name("半途银行") is None
    reads_done.set()
    await writer
    assert await store.banks.by_name("半途银行") is not None


async def test_a_book_longer_than_a_chunk_is_imported_whole(store, jiangbei, monkeypatch):
    monkeypatch.setattr("bot.services.loan_import.CHUNK_ROWS", 3)
    book = csv_bytes([row(f"L{i}", bank=f"银行{i % 2}") for i in range(10)])
    summary = await import_loan_book(store, jiangbei, book, "a.csv", report_date=date(2026, 11, 1), actor="t")
    assert [(b.bank, b.loans) for b in summary.books] == [("银行0", 5), ("银行1", 5)]
    assert (await store.db.fetchone("SELECT COUNT(*) FROM loans"))[0] == 10


async def test_a_loan_id_repeated_chunks_apart_refuses_the_book_naming_every_bad_row(store, jiangbei, monkeypatch):
    monkeypatch.setattr("bot.services.loan_import.CHUNK_ROWS", 3)
    rows = [row(f"L{i}") for i in range(8)] + [row("L1"), row("L9", principal="-1")]
    with pytest.raises(LoanBookError) as refused:
        await import_loan_book(store, jiangbei, csv_bytes(rows), "a.csv", report_date=date(2026, 11, 1), actor="t")
    assert [(e.row, e.code) for e in refused.value.errors] == [(10, "duplicate_loan"), (11, "amount_negative")]
    assert (await store.db.fetchone("SELECT COUNT(*) FROM loans"))[0] == 0


async def test_a_dry_run_sums_the_book_and_writes_nothing(store, jiangbei):
    summary = await import_loan_book(store, jiangbei, csv_bytes([row("L1"), row("L2", overdue_days="30")]), "a.csv",
                                     report_date=date(2026, 11, 1), actor="t", dry_run=True)
    assert [(b.loans, b.overdue_loans) for b in summary.books] == [(2, 1)]
    assert (await store.db.fetchone("SELECT COUNT(*) FROM loans"))[0] == 0
    assert await store.banks.all() == []
