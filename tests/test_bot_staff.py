"""The staff side: broadcasts that survive anything, the review desk, reports, audit, and staff-only access."""

import asyncio

import pytest
from telegram.error import TimedOut

from bot.services.broadcast import BroadcastEngine
from handlers.broadcast import telegram_sender
from tests.bot_harness import STAFF, BotHarness
from tests.loan_books import csv_bytes, row

OUTSIDER = 1001


@pytest.fixture
async def bot(tmp_path):
    harness = await BotHarness(tmp_path / "data").start()
    yield harness
    await harness.stop()


async def enterprises(bot, count, start=50_000, region=None):
    store = bot.services.store
    for i in range(count):
        code = f"E{start + i}"
        enterprise = await store.enterprises.register(code, f"企业{i}", actor="test", region=region)
        await store.chats.ensure(start + i)
        await store.enterprises.bind_chat(enterprise.id, start + i, "active", actor="test")
        bot.fake.rules.user_wrote(start + i)


async def finish_broadcasts(bot):
    await asyncio.gather(*getattr(bot.app, "broadcast_tasks", {}).values())


# -- broadcasts ---------------------------------------------------------------------------------

async def test_a_broadcast_reaches_each_enterprise_once_by_name(bot):
    await enterprises(bot, 3)
    await bot.send(STAFF, "/broadcast")
    await bot.press(STAFF, "全部企业")
    await bot.send(STAFF, "{{ name }}您好，政策有更新。")
    [preview] = await bot.press(STAFF, "不附文件")
    assert "共3个收件方" in preview["text"] and "企业0您好" in preview["text"]
    await bot.press(STAFF, "发送给3个收件方")
    await finish_broadcasts(bot)
    delivered = bot.fake.delivered()
    assert [delivered.get(50_000 + i) for i in range(3)] == [1, 1, 1]
    texts = {int(c.params["chat_id"]): c.params["text"] for c in bot.calls("sendMessage")}
    assert texts[50_001] == "企业1您好，政策有更新。"
    assert "送达3" in bot.texts(bot.fake.sent_since(0, STAFF))
    listing = bot.texts(await bot.send(STAFF, "/broadcasts"))
    assert "#1" in listing and "全部企业：已完成" in listing
    assert "enterprises" not in listing and "T" not in listing.split("#1 ")[1][:16]


@pytest.mark.parametrize(("text", "says"), [("{{ phone }}", "不认识的占位符"), ("{{ name ", "格式有误")])
async def test_placeholders_are_checked_before_sending(bot, text, says):
    await bot.send(STAFF, "/broadcast")
    await bot.press(STAFF, "所有人")
    assert says in bot.texts(await bot.send(STAFF, text))


async def test_a_broadcast_by_region_and_with_a_document(bot):
    await enterprises(bot, 2, start=60_000, region="江北区")
    await enterprises(bot, 2, start=61_000, region="渝中区")
    await bot.send(STAFF, "/broadcast")
    await bot.press(STAFF, "某地区的企业")
    await bot.press(STAFF, "江北区")
    await bot.send(STAFF, "请查收附件")
    [preview] = await bot.send_document(STAFF, "通知.pdf", b"%PDF-1.4")
    assert "共2个收件方" in preview["text"] and "通知.pdf" in preview["text"]
    await bot.press(STAFF, "发送给2个收件方")
    await finish_broadcasts(bot)
    assert set(bot.fake.delivered("sendDocument")) == {60_000, 60_001}


async def test_500_recipients_through_retry_after_timeouts_and_blocks(bot):
    recipients = {100_000 + i: f"企业{i}" for i in range(500)}
    bot.fake.rules.started.update(recipients)
    blocked = set(range(100_000, 100_010))
    for chat_id in blocked:
        bot.fake.fail_chat(chat_id, (403, "Forbidden: bot was blocked by the user", None))
    for chat_id in range(100_100, 100_120):
        bot.fake.fail_chat(chat_id, TimedOut(), times=2)
    bot.fake.fail_chat(100_200, (429, "Too Many Requests: retry after 3", {"retry_after": 3}))
    bot.fake.fail_chat(100_300, (502, "Bad Gateway", None), times=1)
    broadcast = await bot.services.store.broadcasts.create(STAFF, "test", "通知 {{ name }}", recipients)
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    engine = BroadcastEngine(bot.services, telegram_sender(bot.app.bot), rate=100_000, sleep=sleep)
    counts = await engine.run(broadcast.id)
    delivered = bot.fake.delivered()
    assert all(delivered.get(chat) == 1 for chat in recipients if chat not in blocked)
    assert not any(chat in delivered for chat in blocked)
    assert (counts.sent, counts.blocked, counts.failed, counts.pending) == (490, 10, 0, 0)
    assert counts.sent + counts.blocked + counts.failed == len(recipients)
    assert 3 in sleeps
    for chat_id in blocked:
        assert (await bot.services.store.chats.get(chat_id)).blocked
    assert not blocked & set(await bot.services.store.chats.reachable())


async def test_a_broadcast_can_be_stopped_from_its_progress_message(bot):
    await enterprises(bot, 40)
    bot.services.settings.broadcast_rate = 5
    await bot.send(STAFF, "/broadcast")
    await bot.press(STAFF, "全部企业")
    await bot.send(STAFF, "慢慢发")
    await bot.press(STAFF, "不附文件")
    await bot.press(STAFF, "发送给40个收件方")
    await asyncio.sleep(3.5)
    await bot.press(STAFF, "停止群发")
    await finish_broadcasts(bot)
    counts = await bot.services.store.broadcasts.counts(1)
    assert (await bot.services.store.broadcasts.get(1)).status == "cancelled"
    assert counts.pending > 0 and counts.sent + counts.pending == 40


async def test_an_unfinished_broadcast_resumes_after_a_restart(bot):
    recipients = {70_000 + i: "x" for i in range(20)}
    bot.fake.rules.started.update(recipients)
    await bot.services.store.broadcasts.create(STAFF, "test", "续发", recipients)
    await bot.restart()
    await finish_broadcasts(bot)
    assert all(bot.fake.delivered().get(chat) == 1 for chat in recipients)


# -- review desk, reports, audit ----------------------------------------------------------------

async def _claim_waiting(bot):
    store = bot.services.store
    payload = await bot.invite(STAFF, "示例银行")
    await bot.send(2001, f"/start {payload}")
    await bot.send_document(2001, "b.csv", csv_bytes([row("L1", principal="1000000", overdue_days="90")]))
    await bot.send(2001, "/file_claim")
    await bot.press(2001, "L1")
    await bot.send(2001, "50万")
    await bot.press(2001, "提交申请")
    return (await store.claims.for_bank(1))[0]


async def test_the_review_desk_lists_waiting_claims_and_opens_one_with_its_reasons(bot):
    claim = await _claim_waiting(bot)
    [desk] = [m for m in await bot.send(STAFF, "/review") if "待处理补偿申请" in m["text"]]
    assert "待处理补偿申请1件（已提交1）" in desk["text"] and claim.claim_no in desk["text"]
    [opened] = await bot.press(STAFF, claim.claim_no)
    assert "第十一条" in opened["text"] and "审核台" in opened["text"]
    await bot.press(STAFF, "开始审核")
    assert (await bot.services.store.claims.get(claim.claim_no)).status == "under_review"


async def test_staff_can_ask_the_bank_for_more_information(bot):
    claim = await _claim_waiting(bot)
    await bot.send(STAFF, "/review")
    await bot.press(STAFF, claim.claim_no)
    await bot.press(STAFF, "请银行补充材料")
    mark = len(bot.fake.calls)
    await bot.send(STAFF, "请提供质押登记证明")
    assert "请提供质押登记证明" in bot.texts(bot.fake.sent_since(mark, 2001))
    assert (await bot.services.store.claims.get(claim.claim_no)).status == "filed"


async def _more_asked_of_the_bank(bot):
    """A claim waiting for staff, who ask the bank for more; the officer starts answering."""
    claim = await _claim_waiting(bot)
    await bot.send(STAFF, "/review")
    await bot.press(STAFF, claim.claim_no)
    await bot.press(STAFF, "请银行补充材料")
    await bot.send(STAFF, "请提供质押登记证明")
    await bot.press(2001, "补充材料")
    return claim


async def test_the_bank_answers_a_request_for_more_with_text_and_files_and_staff_see_them_on_the_claim(bot):
    claim = await _more_asked_of_the_bank(bot)
    await bot.send(2001, "登记证明见附件")
    prompt = bot.texts(await bot.send_document(2001, "质押登记证明.pdf", b"%PDF-1.4 proof"))
    assert "文件1个（质押登记证明.pdf）" in prompt  # a PDF here is material for the claim, not a loan book
    mark = len(bot.fake.calls)
    done = bot.texts(await bot.press(2001, "提交补充材料"))
    assert f"已把补偿申请{claim.claim_no}的补充材料" in done
    to_staff = bot.fake.sent_since(mark, STAFF)
    assert "登记证明见附件" in bot.texts(to_staff) and "质押登记证明.pdf" in bot.texts(to_staff)
    assert any(c.params["chat_id"] == STAFF for c in bot.calls("sendDocument")[-1:])
    assert bot.fake.last_with_button(STAFF, "开始审核")  # staff can act on it from there
    await bot.send(STAFF, "/review")
    opened = bot.texts(await bot.press(STAFF, claim.claim_no))
    assert "资金管理人请银行补充：请提供质押登记证明" in opened
    assert "银行补充：登记证明见附件；附件：质押登记证明.pdf" in opened
    audit = bot.texts(await bot.send(STAFF, f"/audit {claim.claim_no}"))
    assert "银行补充材料" in audit and "附件：质押登记证明.pdf" in audit


async def test_a_revoked_officer_cannot_answer_a_request_for_more(bot):
    claim = await _more_asked_of_the_bank(bot)
    await bot.send(2001, "见附件")
    await bot.services.store.banks.revoke_officer(1, 2001, actor="test")
    assert "只供合作银行的客户经理" in bot.texts(await bot.press(2001, "提交补充材料"))
    assert [s.kind for s in await bot.services.store.claims.supplements(claim.id)] == ["question"]


async def test_staff_start_offers_their_own_work_not_the_enterprise_menu(bot):
    [menu] = await bot.send(STAFF, "/start")
    labels = [b["text"] for row in menu["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[:4] == ["审核台", "报表与图表", "操作记录", "群发通知"] and "资格自查" not in labels
    assert "/review 审核台" in menu["text"] and "/check" not in menu["text"]
    assert "审核台是空的" in bot.texts(await bot.press(STAFF, "审核台"))
    message, data = bot.fake.last_with_button(STAFF, "审核台")
    forged = {**message, "chat": {"id": OUTSIDER, "type": "private"}}
    assert "只有工作人员" in bot.texts(await bot.press_data(OUTSIDER, forged, data))


async def test_an_empty_review_desk_says_so(bot):
    assert "审核台是空的" in bot.texts(await bot.send(STAFF, "/review"))


async def test_report_sends_the_chart_and_exports(bot):
    await _claim_waiting(bot)
    await bot.send(STAFF, "/report")
    assert len(bot.calls("sendPhoto")) == 1
    assert len(bot.calls("sendDocument")) == 3


async def test_audit_reads_as_when_who_what_before_and_after_in_yuan_never_json(bot):
    claim = await _claim_waiting(bot)
    await bot.press(STAFF, "开始审核")
    text = bot.texts(await bot.send(STAFF, "/audit"))
    assert f"提交补偿申请 · {claim.claim_no}" in text
    assert "状态：已提交 → 资金管理人审核中" in text and "工作人员 user9001（@u9001）" in text
    assert "客户经理 user2001（@u2001） · 添加客户经理 · 示例银行" in text
    assert "用户：user2001（@u2001）" in text  # people by name, never bare chat ids
    assert "测算上限：" in text and "元（" in text
    assert "{" not in text and "_fen" not in text and "claim." not in text


async def test_audit_pages_with_buttons_and_filters_by_claim_or_bank(bot):
    claim = await _claim_waiting(bot)
    for _ in range(5):
        await bot.send(STAFF, "/invite 示例银行")
    [first] = await bot.send(STAFF, "/audit")
    assert "第1–10条" in first["text"]
    await bot.press(STAFF, "较早 ▶")
    older = bot.calls("editMessageText")[-1].params
    assert older["chat_id"] == STAFF and "第11–12条，共12条" in older["text"]
    only_claim = bot.texts(await bot.send(STAFF, f"/audit {claim.claim_no}"))
    assert f"（{claim.claim_no}）" in only_claim and "更新贷款台账" not in only_claim
    only_bank = bot.texts(await bot.send(STAFF, "/audit 示例银行"))
    assert "更新贷款台账 · 示例银行" in only_bank and "提交补偿申请" not in only_bank
    assert "没有找到「没有这家」" in bot.texts(await bot.send(STAFF, "/audit 没有这家"))


# -- nobody but staff ---------------------------------------------------------------------------

STAFF_COMMANDS = ["/broadcast", "/broadcasts", "/review", "/report", "/audit", "/monitor", "/invite 示例银行",
                  "/officers 示例银行", "/fund_resume"]


@pytest.mark.parametrize("command", STAFF_COMMANDS)
async def test_every_staff_command_is_refused_to_others(bot, command):
    assert "只有工作人员" in bot.texts(await bot.send(OUTSIDER, command))


async def test_every_staff_button_is_refused_to_others_even_forged(bot):
    await _claim_waiting(bot)
    await bot.send(STAFF, "/officers 示例银行")
    await enterprises(bot, 1)
    await bot.send(STAFF, "/broadcast")
    audience_message, audience_data = bot.fake.last_with_button(STAFF, "全部企业")
    buttons = [bot.fake.last_with_button(STAFF, label) for label in ("开始审核", "驳回", "请银行补充材料", "撤销")]
    buttons.append((audience_message, audience_data))
    for message, data in buttons:
        forged = {**message, "chat": {"id": OUTSIDER, "type": "private"}}
        assert "只有工作人员" in bot.texts(await bot.press_data(OUTSIDER, forged, data)), data
    assert (await bot.services.store.claims.for_bank(1))[0].status == "filed"
    assert await bot.services.store.banks.officers(1) == [2001]


@pytest.mark.parametrize(("text", "ok"), [
    ("您好 {{ name }}，请查收。", True), ("没有占位符", True), ("{{ 'a' * 10**9 }}", False),
    ("{{ name * 100000 }}", False), ("{{ name|upper }}", False), ("{% for i in range(10**9) %}x{% endfor %}", False),
    ("{{ bank }}", False)])
def test_a_broadcast_text_holds_words_and_name_placeholders_only(text, ok):
    from bot.services.broadcast import TemplateProblem, check_text
    if ok:
        check_text(text)
    else:
        with pytest.raises(TemplateProblem):
            check_text(text)


async def test_a_broadcast_longer_than_a_message_arrives_in_parts(bot):
    await enterprises(bot, 1)
    text = "通知：" + "请按时报送台账。" * 700
    broadcast = await bot.services.store.broadcasts.create(STAFF, "test", text, {50_000: "企业0"})
    engine = BroadcastEngine(bot.services, telegram_sender(bot.app.bot), rate=100_000)
    counts = await engine.run(broadcast.id)
    assert counts.sent == 1
    parts = [c.params["text"] for c in bot.fake.calls if c.method == "sendMessage" and int(c.params["chat_id"]) == 50_000]
    assert len(parts) == 2 and "".join(parts) == text


async def test_more_banks_than_buttons_are_chosen_by_typing_the_name(bot):
    for i in range(120):
        await bot.services.store.banks.ensure(f"第{i}银行", actor="test")
    await bot.send(STAFF, "/broadcast")
    asked = bot.texts(await bot.press(STAFF, "某家银行的客户经理"))
    assert "共有120个银行" in asked
    assert "没有名为" in bot.texts(await bot.send(STAFF, "不存在银行"))
    await bot.send(STAFF, "第77银行")
    state = bot.app.user_data[STAFF]["broadcast"]
    assert state["value"] == (await bot.services.store.banks.by_name("第77银行")).id


async def test_a_broadcast_with_an_expression_is_refused_in_the_staff_language(bot):
    await bot.send(STAFF, "/broadcast")
    await bot.press(STAFF, "全部企业")
    text = bot.texts(await bot.send(STAFF, "{{ 'a' * 10**9 }}"))
    assert "双花括号里只能写占位符（name）" in text


async def test_a_long_review_queue_is_one_message_paged_oldest_first(bot):
    store = bot.services.store
    await _claim_waiting(bot)
    [first] = await store.claims.page_in_status(("filed",), 0, 1)
    rows = [tuple(first_row) for first_row in await store.db.fetchall("SELECT * FROM claims")]
    columns = [c[1] for c in await store.db.fetchall("PRAGMA table_info(claims)")]
    async with store.db.transaction() as tx:
        for i in range(1, 20):
            copy = dict(zip(columns, rows[0]), id=None, claim_no=f"C2026{i:06d}", loan_id=f"L-{i}",
                        filed_at=f"2026-11-{10 + i % 18:02d}T09:00:00")
            await tx.execute(f"INSERT INTO claims ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             [copy[c] for c in columns])
    sent = [m for m in await bot.send(STAFF, "/review") if "审核台" in m["text"]]
    assert len(sent) == 1 and "待处理补偿申请20件" in sent[0]["text"]  # one message, not one per claim
    listed = [line for line in sent[0]["text"].splitlines() if line[:1].isdigit()]
    assert len(listed) == 8 and listed[0].startswith("1. ")
    dates = [line.rsplit("· ", 1)[1] for line in listed]
    assert dates == sorted(dates)
    await bot.press(STAFF, "下一页 ▶")  # the desk is oldest first: the next page holds later claims
    page2 = bot.calls("editMessageText")[-1].params
    assert page2["text"].splitlines()[1].startswith("9. ")
    await bot.press(STAFF, "下一页 ▶")
    page3 = bot.calls("editMessageText")[-1].params
    assert "20. " in page3["text"] and "下一页 ▶" not in str(page3.get("reply_markup"))
