"""The bank side end to end: invites, loan-book uploads, the monitoring loop and the claim lifecycle."""

import re
from datetime import date, timedelta

import pytest

from bot.clock import now, today as shanghai_today
from bot.services.loan_import import import_loan_book
from bot.store.claims import NewClaim
from tests.bot_harness import STAFF, BotHarness
from tests.loan_books import CODE, credit_code, csv_bytes, row

OFFICER = 2001
ENTERPRISE = 1001
BANK = "示例银行"


def book(total="10000000", overdue="0", days="15", bank=BANK, extra=()):
    """A bank's book of ``total`` principal of which ``overdue`` is ``days`` overdue."""
    rows = [row("OK1", bank=bank, principal=str(int(total) - int(overdue)), overdue_days="0")]
    if int(overdue):
        rows.append(row("OD1", bank=bank, principal=overdue, overdue_days=days))
    return csv_bytes(rows + list(extra))


@pytest.fixture
async def bot(tmp_path):
    harness = await BotHarness(tmp_path / "data").start()
    yield harness
    await harness.stop()


async def join(bot, user=OFFICER, bank=BANK):
    payload = await bot.invite(STAFF, bank)
    return await bot.send(user, f"/start {payload}"), payload


async def bind_enterprise(bot):
    """The enterprise binds and staff confirm it."""
    await bot.send(STAFF, "/start")
    await bot.send(ENTERPRISE, "/bind")
    await bot.send(ENTERPRISE, CODE)
    await bot.send(ENTERPRISE, "示例科技有限公司")
    message, data = bot.fake.last_with_button(STAFF, "确认绑定")
    await bot.press_data(STAFF, message, data)


def count(sent, marker):
    return sum(marker in m.get("text", "") for m in sent)


async def run_job(bot):
    """The daily monitoring job itself, as the JobQueue would run it."""
    mark = len(bot.fake.calls)
    [job] = bot.app.job_queue.get_jobs_by_name("daily-monitoring")
    await job.run(bot.app)
    return mark


# -- officers -----------------------------------------------------------------------------------

async def test_an_invite_binds_an_officer_once(bot):
    sent, payload = await join(bot)
    assert "客户经理" in bot.texts(sent)
    assert (await bot.services.store.banks.bank_of_officer(OFFICER)).name == BANK
    assert "已经被使用过" in bot.texts(await bot.send(2002, f"/start {payload}"))
    assert await bot.services.store.banks.bank_of_officer(2002) is None


async def test_an_officers_start_offers_the_banks_work(bot):
    await join(bot)
    [menu] = await bot.send(OFFICER, "/start")
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[:4] == ["本行逾期情况", "提出补偿申请", "台账模板", "我的补偿申请"] and "资格自查" not in labels
    assert "/status 本行逾期情况" in menu["text"] and ".xlsx 文件发送" in menu["text"]
    assert "示例银行" in bot.texts(await bot.press(OFFICER, "本行逾期情况"))
    await bot.press(OFFICER, "台账模板")
    assert bot.calls("sendDocument")[-1].params["chat_id"] == OFFICER


async def test_an_expired_or_unknown_invite_binds_nobody(bot):
    store = bot.services.store
    bank = await store.banks.ensure(BANK, actor="test")
    await store.banks.create_invite(bank.id, "old", STAFF, (now() - timedelta(seconds=1)).isoformat())
    assert "已过期" in bot.texts(await bot.send(OFFICER, "/start inv-old"))
    assert "无效" in bot.texts(await bot.send(OFFICER, "/start inv-nothing"))
    assert await store.banks.bank_of_officer(OFFICER) is None


async def test_several_officers_per_bank_by_name_and_staff_can_revoke_one_after_confirming(bot):
    await join(bot, OFFICER)
    await join(bot, 2002)
    text = bot.texts(await bot.send(STAFF, f"/officers {BANK}"))
    assert "共2人" in text and "1. user2001（@u2001）" in text and "2. user2002（@u2002）" in text
    mark = len(bot.fake.calls)
    assert "确定撤销 user2001（@u2001）" in bot.texts(await bot.press(STAFF, "撤销 user2001（@u2001）"))
    assert bot.fake.sent_since(mark, OFFICER) == []
    assert "已撤销 user2001（@u2001）" in bot.texts(await bot.press(STAFF, "确认撤销"))
    assert "撤销" in bot.texts(bot.fake.sent_since(mark, OFFICER))
    assert await bot.services.store.banks.officers((await bot.services.store.banks.by_name(BANK)).id) == [2002]


async def test_officers_are_listed_a_page_at_a_time(bot):
    for chat_id in range(3001, 3013):
        await join(bot, chat_id)
    [first] = await bot.send(STAFF, f"/officers {BANK}")
    assert "共12人，第1–10人" in first["text"] and "user3010" in first["text"] and "user3011" not in first["text"]
    await bot.press(STAFF, "下一页 ▶")
    second = bot.calls("editMessageText")[-1].params
    assert "第11–12人" in second["text"] and "user3012" in second["text"]


async def test_a_renamed_user_is_listed_by_the_new_name(bot):
    await join(bot, OFFICER)
    bot._user = lambda user_id: {"id": user_id, "is_bot": False, "first_name": "李强", "username": "liqiang"}
    await bot.send(OFFICER, "/status")
    assert "李强（@liqiang）" in bot.texts(await bot.send(STAFF, f"/officers {BANK}"))


async def test_an_unknown_bank_in_invite_is_confirmed_before_it_is_registered(bot):
    await join(bot)
    [reply] = await bot.send(STAFF, "/invite 示列银行")
    assert "start=" not in reply["text"] and "示例银行" in reply["text"]
    assert [b.name for b in await bot.services.store.banks.all()] == [BANK]
    sent = await bot.press(STAFF, f"邀请 {BANK}")
    assert "start=inv-" in bot.texts(sent)
    assert [b.name for b in await bot.services.store.banks.all()] == [BANK]
    await bot.send(STAFF, "/invite 另一家银行")
    assert "start=inv-" in bot.texts(await bot.press(STAFF, "新建「另一家银行」并邀请"))
    assert sorted(b.name for b in await bot.services.store.banks.all()) == sorted([BANK, "另一家银行"])


@pytest.mark.parametrize("command", ["/invite 示例银行", "/officers 示例银行", "/monitor", "/fund_resume"])
async def test_staff_commands_are_refused_to_others(bot, command):
    assert "只有工作人员" in bot.texts(await bot.send(OFFICER, command))


# -- uploads ------------------------------------------------------------------------------------

async def test_an_officer_uploads_a_book_and_gets_a_summary(bot):
    await join(bot)
    text = bot.texts(await bot.upload_book(OFFICER, "book.csv", book(overdue="300000")))
    assert "贷款台账已导入" in text and "占比3%" in text and "正常" in text


async def test_an_xlsx_book_is_accepted_too(bot):
    from tests.loan_books import xlsx_bytes
    await join(bot)
    assert "已导入" in bot.texts(await bot.send_document(OFFICER, "book.xlsx", xlsx_bytes([row("L1")])))


async def test_only_officers_may_upload(bot):
    assert "客户经理使用" in bot.texts(await bot.send_document(ENTERPRISE, "book.csv", book()))


async def test_a_file_of_another_type_is_refused(bot):
    await join(bot)
    assert "不是台账文件" in bot.texts(await bot.send_document(OFFICER, "photo.pdf", b"%PDF"))


async def test_a_bad_file_writes_nothing_and_lists_rows(bot):
    await join(bot)
    data = csv_bytes([row("L1"), row("L2", principal="abc"), row("L3", bank="别的银行")])
    text = bot.texts(await bot.send_document(OFFICER, "book.csv", data))
    assert "没有写入任何数据" in text and "第3行" in text and "第4行" in text
    assert (await bot.services.store.db.fetchone("SELECT COUNT(*) FROM loans"))[0] == 0


async def test_a_long_error_list_also_comes_as_a_file(bot):
    await join(bot)
    data = csv_bytes([row(f"L{i}", principal="x") for i in range(30)])
    sent = await bot.send_document(OFFICER, "book.csv", data)
    assert "另有10处" in bot.texts(sent)
    assert any(c.method == "sendDocument" for c in bot.fake.calls)


# -- the control loop: 5% / 8% / approval / all-clear ---------------------------------------------

async def test_a_bank_crossing_5_then_8_percent_gets_each_notice_exactly_once(bot):
    await join(bot)
    first = len(bot.fake.calls)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="500000"))
    await bot.upload_book(OFFICER, "book.csv", book(overdue="800000"))
    await bot.send(STAFF, "/monitor")
    await run_job(bot)
    officer, staff = bot.fake.sent_since(first, OFFICER), bot.fake.sent_since(first, STAFF)
    assert count(officer, "【预警】") == 1 and count(staff, "【预警】") == 1
    assert count(staff, "【待审批】") == 1
    assert count(officer, "【中止通知】") == 0
    mark = len(bot.fake.calls)
    await bot.press(STAFF, "同意中止")
    assert count(bot.fake.sent_since(mark, OFFICER), "【中止通知】") == 1
    assert count(bot.fake.sent_since(mark, STAFF), "【中止通知】") == 1
    mark = len(bot.fake.calls)
    await run_job(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="100000"))
    await run_job(bot)
    officer = bot.fake.sent_since(mark, OFFICER)
    assert count(officer, "【解除】") == 1 and count(officer, "恢复正常") == 1
    assert count(officer, "【预警】") == count(officer, "【中止通知】") == 0


@pytest.mark.parametrize(("overdue", "says", "never"), [
    ("799999", "已达到5%的预警线", "中止线"),
    ("800000", "已达到8%的中止线", "5%的预警线"),
    ("3300000", "已达到8%的中止线", "5%的预警线"),
])
async def test_the_banks_first_alert_names_the_line_its_ratio_reached(bot, overdue, says, never):
    await join(bot)
    first = len(bot.fake.calls)
    await bot.upload_book(OFFICER, "book.csv", book(overdue=overdue))
    await run_job(bot)
    [alert] = [m["text"] for m in bot.fake.sent_since(first, OFFICER) if "【预警】" in m.get("text", "")]
    assert says in alert and never not in alert


async def test_a_second_book_is_previewed_and_replaces_nothing_until_confirmed(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(total="10000000", overdue="0"))
    two_rows = csv_bytes([row("N1", principal="1000000"), row("N2", principal="1000000", overdue_days="20")])
    [preview] = await bot.send_document(OFFICER, "small.csv", two_rows)
    text = preview["text"]
    assert "尚未导入" in text and "现在：贷款1笔" in text and "导入后：贷款2笔" in text
    assert "占比0%" in text and "占比50%" in text and "\n导入后本行的监测等级将从「正常」变为「达到中止线」" in text
    loans = bot.services.store.loans
    bank_id = (await bot.services.store.banks.by_name(BANK)).id
    assert [x.loan_id for x in await loans.latest_of_bank("cq-jiangbei-2024", bank_id)] == ["OK1"]
    mark = len(bot.fake.calls)
    assert "保持不变" in bot.texts(await bot.press(OFFICER, "不替换"))
    assert [x.loan_id for x in await loans.latest_of_bank("cq-jiangbei-2024", bank_id)] == ["OK1"]
    assert bot.fake.sent_since(mark, STAFF) == []
    await bot.send_document(OFFICER, "small.csv", two_rows)
    assert "已导入" in bot.texts(await bot.press(OFFICER, "确认替换台账"))
    assert sorted(x.loan_id for x in await loans.latest_of_bank("cq-jiangbei-2024", bank_id)) == ["N1", "N2"]


async def test_a_restart_does_not_resend_alerts(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="500000"))
    await bot.restart()
    mark = await run_job(bot)
    assert bot.fake.sent_since(mark) == []


@pytest.mark.parametrize(("overdue", "days", "level"), [
    ("499999", "15", "normal"), ("500000", "14", "normal"), ("500000", "15", "warning"),
    ("799999", "15", "warning"), ("800000", "15", "suspend"),
])
async def test_both_sides_of_15_days_5_and_8_percent_through_the_job(bot, overdue, days, level):
    await join(bot)
    pack = bot.services.programs[0]
    await import_loan_book(bot.services.store, pack, book(overdue=overdue, days=days), "b.csv",
                           report_date=date(2026, 11, 1), actor="test")
    mark = await run_job(bot)
    staff = bot.fake.sent_since(mark, STAFF)
    assert count(staff, "【预警】") == (level != "normal")
    assert count(staff, "【待审批】") == (level == "suspend")


async def test_a_pending_suspension_is_dropped_when_the_ratio_falls(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="800000"))
    mark = len(bot.fake.calls)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="600000"))
    assert count(bot.fake.sent_since(mark, STAFF), "中止申请已撤销") == 1
    message, data = bot.fake.last_with_button(STAFF, "同意中止")
    assert "已经处理过" in bot.texts(await bot.press_data(STAFF, message, data))


async def test_only_staff_may_approve_a_suspension(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="800000"))
    message, data = bot.fake.last_with_button(STAFF, "同意中止")
    forged = {**message, "chat": {"id": OFFICER, "type": "private"}}
    assert "只有工作人员" in bot.texts(await bot.press_data(OFFICER, forged, data))
    assert (await bot.services.store.banks.level("cq-jiangbei-2024", 1)).level == "warning"


async def test_status_shows_the_ratio_against_the_lines(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="600000", days="20"))
    text = bot.texts(await bot.send(OFFICER, "/status"))
    assert "6%" in text and "预警线5%" in text and "中止线8%" in text and "OD1" in text


# -- claims -------------------------------------------------------------------------------------

async def file_claim(bot, loan_id="OD1", loss="50万"):
    """Pick the loan (its button when offered, else its id typed, as an officer would) and send the loss;
    what the bot says once the loan is chosen or refused."""
    [offer] = (await bot.send(OFFICER, "/file_claim"))[-1:]
    buttons = [b["text"] for r in offer.get("reply_markup", {}).get("inline_keyboard", []) for b in r]
    if any(text.startswith(loan_id + " ") for text in buttons):
        await bot.press(OFFICER, loan_id + " ")
    else:
        refused = await bot.send(OFFICER, loan_id)
        if "请发送实际本金损失" not in bot.texts(refused):
            return refused
    return await bot.send(OFFICER, loss)


async def test_a_claim_needs_60_days_overdue(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="59"))
    offered = bot.texts(await bot.send(OFFICER, "/file_claim"))
    assert "没有达到申请条件" in offered
    text = bot.texts(await bot.send(OFFICER, "OD1"))
    assert "不符合补偿条件" in text and "第十七条" in text and "还差1天" in text
    await bot.send(OFFICER, "/cancel")
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="60"))
    text = bot.texts(await file_claim(bot))
    assert "请确认补偿申请" in text and "150,000.00元" in text


async def test_a_claim_goes_from_filed_to_returned_with_every_party_told_once(bot):
    await join(bot)
    await bind_enterprise(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot, loss="100万")
    mark = len(bot.fake.calls)
    filed = await bot.press(OFFICER, "提交申请")
    claim_no = re.search(r"C\d{13}", bot.texts(filed)).group(0)
    steps = [(None, "已提交"), ("开始审核", "开始审核"), ("按上限同意", "已同意补偿"), ("标记已拨付", "已拨付")]
    for button, says in steps:
        if button:
            mark = len(bot.fake.calls)
            await bot.press(STAFF, button)
        assert count(bot.fake.sent_since(mark, ENTERPRISE), says) == 1, button
        assert count(bot.fake.sent_since(mark, OFFICER), says) == 1, button
    claim = await bot.services.store.claims.get(claim_no)
    assert (claim.status, claim.paid_fen) == ("paid", 30_000_000)
    mark = len(bot.fake.calls)
    await bot.send(OFFICER, f"/recovery {claim_no} 10万")
    text = bot.texts(bot.fake.sent_since(mark, ENTERPRISE))
    assert "30,000.00元" in text and (shanghai_today() + timedelta(days=30)).isoformat()[:7] in text
    assert count(bot.fake.sent_since(mark, STAFF), "追偿") == 1
    mark = len(bot.fake.calls)
    await bot.press(STAFF, "确认已返还")
    assert count(bot.fake.sent_since(mark, OFFICER), "已返还") == 1
    assert count(bot.fake.sent_since(mark, ENTERPRISE), "已返还") == 1
    assert (await bot.services.store.claims.get(claim_no)).status == "recovery_returned"
    assert "追偿款已返还" in bot.texts(await bot.send(ENTERPRISE, "/claims"))


async def test_staff_may_approve_less_but_not_more_than_the_ceiling(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot, loss="100万")
    await bot.press(OFFICER, "提交申请")
    await bot.press(STAFF, "开始审核")
    await bot.press(STAFF, "其他金额")
    assert "不能高于测算上限" in bot.texts(await bot.send(STAFF, "30.01万"))
    await bot.send(STAFF, "20万")
    [claim] = await bot.services.store.claims.for_bank(1)
    assert claim.approved_fen == 20_000_000


async def test_a_rejected_claim_carries_its_reason_to_the_bank_and_staff_are_told_it_is_done(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot)
    await bot.press(OFFICER, "提交申请")
    await bot.press(STAFF, "驳回")
    mark = len(bot.fake.calls)
    await bot.send(STAFF, "材料不全")
    assert "材料不全" in bot.texts(bot.fake.sent_since(mark, OFFICER))
    assert "已驳回补偿申请" in bot.texts(bot.fake.sent_since(mark, STAFF))


async def test_a_second_claim_on_the_same_loan_is_refused(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot)
    await bot.press(OFFICER, "提交申请")
    assert "已有未结的补偿申请" in bot.texts(await file_claim(bot))


async def _paid(bot, fen, code=CODE):
    store = bot.services.store
    bank = await store.banks.ensure(BANK, actor="test")
    claim = await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, f"P{fen}", code, "x", fen, fen, 90, fen, None, None, None, "[]"), "t")
    for source, target in [("filed", "under_review"), ("under_review", "approved")]:
        await store.claims.transition(claim.claim_no, source, target, "t", "step")
    await store.claims.transition(claim.claim_no, "approved", "paid", "t", "pay", paid_fen=fen, paid_on="2025-06-01")


@pytest.mark.parametrize(("paid_fen", "paused"), [(599_999_999, False), (600_000_000, True)])
async def test_the_fund_pause_level_through_the_job(bot, paid_fen, paused):
    await join(bot)
    await _paid(bot, paid_fen, code="9144030071526726XG")
    mark = await run_job(bot)
    assert count(bot.fake.sent_since(mark, OFFICER), "【暂停】") == int(paused)
    assert count(bot.fake.sent_since(mark, STAFF), "【暂停】") == int(paused)
    mark = await run_job(bot)
    assert count(bot.fake.sent_since(mark), "【暂停】") == 0


async def test_a_paused_fund_refuses_claims_until_staff_resume(bot):
    await join(bot)
    await _paid(bot, 600_000_000, code="9144030071526726XG")
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    assert "第十九条" in bot.texts(await file_claim(bot))
    mark = len(bot.fake.calls)
    await bot.send(STAFF, "/fund_resume")
    await bot.send(STAFF, "三局会商纪要2026-11")
    assert bot.fake.sent_since(mark, OFFICER) == []
    await bot.press(STAFF, "确认恢复")
    assert count(bot.fake.sent_since(mark, OFFICER), "【恢复】") == 1
    assert "请确认补偿申请" in bot.texts(await file_claim(bot))


async def test_loans_issued_after_a_suspension_cannot_be_claimed(bot):
    await join(bot)
    today = shanghai_today()
    await bot.upload_book(OFFICER, "book.csv", book(overdue="800000", days="90"))
    await bot.press(STAFF, "同意中止")
    extra = [row("NEW", bank=BANK, principal="100000", overdue_days="90", issued_on=today.isoformat(),
                  due_on=today.isoformat())]
    await bot.upload_book(OFFICER, "book.csv", book(overdue="800000", days="90", extra=extra))
    refused = bot.texts(await file_claim(bot, "NEW", "5万"))
    assert "不在补偿范围" in refused and "第十二条" in refused and today.isoformat() in refused
    assert "请确认补偿申请" in bot.texts(await file_claim(bot, "OD1", "5万"))


@pytest.mark.parametrize(("days_before", "reminded"), [(8, False), (7, True), (1, True), (0, True)])
async def test_recovery_return_reminders_7_and_1_days_before_and_on_the_day(bot, monkeypatch, days_before, reminded):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot, loss="100万")
    await bot.press(OFFICER, "提交申请")
    for button in ("开始审核", "按上限同意", "标记已拨付"):
        await bot.press(STAFF, button)
    [claim] = await bot.services.store.claims.for_bank(1)
    await bot.send(OFFICER, f"/recovery {claim.claim_no} 10万")
    [recovery] = await bot.services.store.claims.open_recoveries()
    day = date.fromisoformat(recovery.deadline) - timedelta(days=days_before)
    monkeypatch.setattr("bot.telegram_adapter.jobs.today", lambda: day)
    mark = await run_job(bot)
    assert count(bot.fake.sent_since(mark, OFFICER), "【提醒】") == int(reminded)
    mark = await run_job(bot)
    assert count(bot.fake.sent_since(mark, OFFICER), "【提醒】") == 0


async def test_a_bank_may_withdraw_a_claim_before_approval_only(bot):
    await join(bot)
    await bind_enterprise(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot)
    await bot.press(OFFICER, "提交申请")
    [claim] = await bot.services.store.claims.for_bank(1)
    mark = len(bot.fake.calls)
    assert "确定撤回" in bot.texts(await bot.send(OFFICER, f"/withdraw {claim.claim_no}"))
    assert (await bot.services.store.claims.get(claim.claim_no)).status == "filed"  # asked once, nothing done yet
    assert "已撤回" in bot.texts(await bot.press(OFFICER, "确认撤回"))  # the officer is told it was done
    assert count(bot.fake.sent_since(mark, ENTERPRISE), "已撤回") == 1
    assert (await bot.services.store.claims.get(claim.claim_no)).status == "withdrawn"
    assert "不能撤回" in bot.texts(await bot.send(OFFICER, f"/withdraw {claim.claim_no}"))
    assert "客户经理使用" in bot.texts(await bot.send(ENTERPRISE, f"/withdraw {claim.claim_no}"))


async def test_with_two_programs_uploads_name_theirs_and_claims_ask_which(tmp_path):
    import shutil

    from bot.policies import DEFAULT_POLICY_DIR
    from tests.conftest import FIXTURES
    policies = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICY_DIR, policies)
    shutil.copy(FIXTURES / "programs" / "gz-test-2023.yaml", policies)
    harness = await BotHarness(tmp_path / "data", IPBOT_POLICY_DIR=policies,
                               IPBOT_PROGRAMS=["cq-jiangbei-2024", "gz-test-2023"]).start()
    try:
        await join(harness)
        assert "项目编号" in harness.texts(await harness.send_document(OFFICER, "book.csv", book(overdue="1000000",
                                                                                                 days="120")))
        text = harness.texts(await harness.send_document(OFFICER, "book.csv", book(overdue="1000000", days="120"),
                                                         caption="gz-test-2023"))
        assert "已导入" in text
        assert "请选择补偿项目" in harness.texts(await harness.send(OFFICER, "/file_claim"))
        await harness.press(OFFICER, "广州测试项目")
        await harness.press(OFFICER, "OD1")
        assert "500,000.00元" in harness.texts(await harness.send(OFFICER, "100万"))
    finally:
        await harness.stop()


async def test_a_claim_on_a_copyright_pledge_is_refused_citing_article_2(bot):
    await join(bot)
    rows = [row("OK1", bank=BANK, principal="9000000"),
            row("CR1", bank=BANK, principal="1000000", overdue_days="90", ip_type="著作权")]
    await bot.send_document(OFFICER, "book.csv", csv_bytes(rows))
    text = bot.texts(await file_claim(bot, "CR1"))
    assert "不符合补偿条件" in text and "第二条" in text and "著作权" in text


# -- the ledger: no claim workflow pays what the articles forbid -------------------------------------

def _claim_no(sent) -> str:
    return re.search(r"C\d{13}", " ".join(m.get("text", "") for m in sent)).group(0)


async def _file(bot, loan_id, loss):
    await file_claim(bot, loan_id, loss)
    return _claim_no(await bot.press(OFFICER, "提交申请"))


async def _approve(bot, claim_no):
    await bot.press(STAFF, "开始审核", about=claim_no)
    return await bot.press(STAFF, "按上限同意", about=claim_no)


async def _approved_total_fen(bot) -> int:
    claims = await bot.services.store.claims.all_for_program("cq-jiangbei-2024")
    return sum(c.approved_fen or 0 for c in claims)


async def _ledger_is_sound(bot):
    from bot.services.ledger import check_ledger
    assert await check_ledger(bot.services.store, bot.services.programs, shanghai_today()) == []


async def test_two_claims_of_one_enterprise_never_exceed_150wan_a_year_article_11(bot):
    """Two 1000万 loans of one enterprise, 120 days overdue, two claims before either is approved."""
    await join(bot)
    loans = [row(f"BIG{i}", principal="10000000", overdue_days="120") for i in (1, 2)]
    await bot.send_document(OFFICER, "book.csv", csv_bytes(loans))
    first = await _file(bot, "BIG1", "500万")
    text = bot.texts(await file_claim(bot, "BIG2", "500万"))
    assert "本次最多500,000.00元" in text and "第十一条" in text
    second = _claim_no(await bot.press(OFFICER, "提交申请"))
    await _approve(bot, second)
    await _approve(bot, first)
    assert await _approved_total_fen(bot) == 150_000_000
    refused = bot.texts(await file_claim(bot, "BIG1", "100万"))
    assert "已有未结的补偿申请" in refused
    await _ledger_is_sound(bot)


async def test_a_second_claim_is_refused_when_the_first_holds_the_whole_year_article_11(bot):
    await join(bot)
    loans = [row(f"BIG{i}", principal="10000000", overdue_days="120") for i in (1, 2)]
    await bot.send_document(OFFICER, "book.csv", csv_bytes(loans))
    await _file(bot, "BIG1", "1000万")
    text = bot.texts(await file_claim(bot, "BIG2", "1000万"))
    assert "额度已用完" in text and "第十一条" in text
    assert len(await bot.services.store.claims.all_for_program("cq-jiangbei-2024")) == 1


async def test_eight_150wan_claims_never_pay_more_than_the_fund_and_stop_at_the_pause(bot):
    """第三条 (10,000,000 in the fund) and 第十九条 (pause at 6,000,000 paid), at approval and at payment."""
    await join(bot)
    loans = [row(f"E{i}", principal="10000000", overdue_days="120", credit_code=credit_code(i),
                 enterprise=f"企业{i}") for i in range(8)]
    await bot.send_document(OFFICER, "book.csv", csv_bytes(loans))
    claims = [await _file(bot, f"E{i}", "750万") for i in range(8)]
    for claim_no in claims[:6]:
        await _approve(bot, claim_no)
    assert await _approved_total_fen(bot) == 900_000_000
    shrunk = bot.texts(await _approve(bot, claims[6]))
    assert "测算上限自提交以来已下降" in shrunk and "1,000,000.00元" in shrunk and "第三条" in shrunk
    assert await _approved_total_fen(bot) == 900_000_000
    await bot.press(STAFF, "按上限同意", about="已下降")
    assert await _approved_total_fen(bot) == 1_000_000_000
    exhausted = bot.texts(await _approve(bot, claims[7]))
    assert "现在不能同意" in exhausted and "第三条" in exhausted
    for claim_no in claims[:5]:
        sent = await bot.press(STAFF, "标记已拨付", about=claim_no)
    assert "现在不能拨付" in bot.texts(sent) and "第十九条" in bot.texts(sent)
    store = bot.services.store
    assert await store.claims.total_paid_fen("cq-jiangbei-2024") == 600_000_000
    await _ledger_is_sound(bot)


async def test_fund_resume_on_a_running_fund_changes_nothing_and_tells_no_one(bot):
    await join(bot)
    mark = len(bot.fake.calls)
    reply = bot.texts(await bot.send(STAFF, "/fund_resume"))
    assert "并未暂停" in reply and "没有通知任何人" in reply
    assert bot.fake.sent_since(mark, OFFICER) == []
    assert await bot.services.store.programs.fund_decision("cq-jiangbei-2024") is None
    await _paid(bot, 620_000_000, code="9144030071526726XG")
    await bot.send(STAFF, "/monitor")
    assert "已暂停新增补偿" in bot.texts(bot.fake.sent_since(mark, STAFF))


async def test_a_pause_by_decision_is_confirmed_before_anyone_is_told_and_announced_once(bot):
    await join(bot)
    mark = len(bot.fake.calls)
    await bot.send(STAFF, "/fund_pause")
    await bot.send(STAFF, "三局会商纪要")
    assert bot.fake.sent_since(mark, OFFICER) == []
    await bot.press(STAFF, "确认暂停")
    [notice] = bot.fake.sent_since(mark, OFFICER)
    assert "三局会商纪要" in notice["text"] and "按合作协议的约定履行风险分担责任（第十九条）" in notice["text"]
    again = bot.texts(await bot.send(STAFF, "/fund_pause"))
    assert "已经处于暂停状态" in again and len(bot.fake.sent_since(mark, OFFICER)) == 1
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    assert "第十九条" in bot.texts(await file_claim(bot))


async def test_the_review_card_explains_a_mixed_loan_by_its_ip_part(bot):
    await join(bot)
    mixed = row("MIX", principal="6000000", overdue_days="90", ip_pledged_principal="3000000", insurer="某担保公司")
    await bot.send_document(OFFICER, "book.csv", csv_bytes([mixed]))
    await file_claim(bot, "MIX", "200万")
    await bot.press(OFFICER, "提交申请")
    desk = bot.texts(await bot.send(STAFF, "/review"))
    card = bot.texts(await bot.press(STAFF, re.search(r"C\d{13}", desk).group(0)))
    assert "其中知识产权质押部分3,000,000.00元" in card
    assert "按知识产权质押部分3,000,000.00元（300万元）所在档次" in card and "30%" in card
    assert "20%" not in card and "300,000.00元" in card


async def test_a_loan_without_an_insurer_is_shared_by_the_fund_and_the_bank(bot):
    await join(bot)
    await bot.send_document(OFFICER, "book.csv", csv_bytes([row("NOINS", principal="1000000", overdue_days="90")]))
    text = bot.texts(await file_claim(bot, "NOINS", "50万"))
    assert "没有合作保险（担保）机构参与" in text and "不低于40%" not in text


async def test_a_press_answered_too_late_still_does_what_was_pressed(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    await file_claim(bot)
    bot.fake.fail("answerCallbackQuery", 400, "Bad Request: query is too old and response timeout expired or query "
                                             "ID is invalid")
    sent = await bot.press(OFFICER, "提交申请")
    assert "出了问题" not in bot.texts(sent)
    assert len(await bot.services.store.claims.all_for_program("cq-jiangbei-2024")) == 1


async def test_a_loan_book_over_20mb_is_refused_with_what_to_do(bot):
    await join(bot)
    sent = await bot.send_document(OFFICER, "huge.csv", b"x" * (20 * 1024 * 1024 + 1))
    assert "20MB" in bot.texts(sent) and "拆成" in bot.texts(sent)


async def test_no_claim_notice_is_lost_under_10_percent_send_timeouts(bot, monkeypatch, figures):
    """Every push goes through the outbox: a timeout retries that message, never drops the rest, and the
    person who acted is not told something went wrong."""
    from bot.services import notify
    monkeypatch.setattr(notify, "BACKOFF", 0)
    await join(bot)
    await bind_enterprise(bot)
    await bot.send(STAFF, "/start")
    loans = [row(f"E{i}", principal="1000000", overdue_days="120", credit_code=credit_code(i), enterprise=f"企业{i}")
             for i in range(6)] + [row("MINE", principal="1000000", overdue_days="120")]
    await bot.send_document(OFFICER, "book.csv", csv_bytes(loans))
    bot.fake.fault_rate = 0.10
    mark = len(bot.fake.calls)
    replies = []
    for loan_id in ["MINE"] + [f"E{i}" for i in range(6)]:
        claim_no = await _file(bot, loan_id, "10万")
        for button in ("开始审核", "按上限同意", "标记已拨付"):
            replies += await bot.press(STAFF, button, about=claim_no)
    assert not any("出了问题" in m.get("text", "") for m in replies)
    assert sum(not c.ok for c in bot.fake.calls[mark:]) > 0
    counts = await bot.services.store.notifications.counts()
    assert counts.get("pending", 0) == 0 and counts.get("failed", 0) == 0
    delivered = [c.params["text"] for c in bot.fake.calls[mark:] if c.ok and c.method == "sendMessage"
                 and int(c.params["chat_id"]) == ENTERPRISE and "补偿申请" in c.params["text"]]
    assert len(delivered) == len(set(delivered)) == 4, delivered
    faults = sum(not c.ok for c in bot.fake.calls[mark:])
    figures(f"10% injected send timeouts: {faults} timeouts over 7 claims' notices, 0 lost, 0 duplicated")


async def test_each_roles_help_lists_exactly_its_commands(bot):
    from bot.telegram_adapter.menu import ROLE_COMMANDS
    await join(bot)
    await bind_enterprise(bot)
    for user, role in ((1002, "guest"), (ENTERPRISE, "enterprise"), (OFFICER, "officer"), (STAFF, "staff")):
        text = bot.texts(await bot.send(user, "/help"))
        listed = re.findall(r"^/(\w+)", text, re.M)
        assert listed == list(ROLE_COMMANDS[role]), role


async def test_every_role_times_every_command_and_staff_button_leaks_nothing(bot, figures):
    """Each role sends every command there is and presses every staff button there is (forged into its own
    chat): staff commands and buttons are refused to others, and no chat ever sees another enterprise's claim."""
    from bot.telegram_adapter.menu import ROLE_COMMANDS
    await join(bot)
    await bind_enterprise(bot)
    await bot.send(STAFF, "/start")
    other = row("THEIRS", principal="1000000", overdue_days="120", credit_code=credit_code(9), enterprise="别家公司")
    await bot.send_document(OFFICER, "book.csv", csv_bytes([other, row("MINE", overdue_days="120")]))
    theirs = await _file(bot, "THEIRS", "10万")
    staff_only = set(ROLE_COMMANDS["staff"]) - set().union(*(ROLE_COMMANDS[r] for r in ("guest", "enterprise",
                                                                                       "officer")))
    labels = ("开始审核", "按上限同意", "其他金额", "驳回", "请银行补充材料", "同意中止", "暂不中止", "恢复风险补偿业务")
    staff_buttons = [(m, b["callback_data"]) for (chat, _), m in bot.fake.messages.items() if chat == STAFF
                     for r in m.get("reply_markup", {}).get("inline_keyboard", []) for b in r
                     if b["text"].startswith(labels)]
    assert staff_buttons
    checked = 0
    for user in (1002, ENTERPRISE, OFFICER):
        for command in sorted(set().union(*ROLE_COMMANDS.values())) + ["claims " + theirs]:
            text = bot.texts(await bot.send(user, f"/{command}"))
            await bot.send(user, "/cancel")
            if user == OFFICER:
                assert command not in staff_only or "只有工作人员" in text, command
                checked += 1
                continue
            if command.startswith("claims "):
                assert "没有找到" in text and "别家公司" not in text, (user, command)
            else:
                assert theirs not in text, (user, command)
            if command in staff_only:
                assert "只有工作人员" in text, (user, command)
            checked += 1
    for user in (1002, ENTERPRISE, OFFICER):
        for message, data in staff_buttons:
            forged = {**message, "chat": {"id": user, "type": "private"}}
            text = bot.texts(await bot.press_data(user, forged, data))
            assert "只有工作人员" in text or "已过期" in text, (user, data)
            checked += 1
    assert (await bot.services.store.claims.get(theirs)).status == "filed"
    figures(f"role x command x button matrix: {checked} checks, 0 leaks")


async def test_an_officer_revoked_in_the_middle_of_a_claim_files_nothing(bot):
    await join(bot)
    await bot.upload_book(OFFICER, "book.csv", book(overdue="1000000", days="90"))
    assert "请确认补偿申请" in bot.texts(await file_claim(bot))
    await bot.send(STAFF, f"/officers {BANK}")
    await bot.press(STAFF, "撤销")
    await bot.press(STAFF, "确认撤销")
    sent = await bot.press(OFFICER, "提交申请")
    assert "只供合作银行的客户经理使用" in bot.texts(sent)
    assert await bot.services.store.claims.all_for_program("cq-jiangbei-2024") == []


async def test_template_comes_as_an_xlsx_that_uploads_as_it_is(bot):
    import io

    from openpyxl import load_workbook

    from bot.services.loan_template import loan_book_template
    await join(bot)
    await bot.send(OFFICER, "/template")
    [sent] = bot.calls("sendDocument")
    assert sent.params["caption"].startswith("台账模板")
    workbook = load_workbook(io.BytesIO(loan_book_template("zh", BANK)))
    book, notes = workbook.worksheets
    assert [c.value for c in book[1]][:8] == ["loan_id", "bank", "credit_code", "enterprise", "principal",
                                              "issued_on", "due_on", "overdue_days"]
    assert [c.value for c in book[2]][1] == BANK
    assert any("发放日期" in str(c.value) for c in notes["D"])
    assert "已导入" in bot.texts(await bot.upload_book(OFFICER, "模板.xlsx", loan_book_template("zh", BANK)))


async def test_template_is_for_officers_only(bot):
    assert "客户经理" in bot.texts(await bot.send(ENTERPRISE, "/template"))
