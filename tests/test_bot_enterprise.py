"""The enterprise side end to end: the real Application, real Updates, a fake Telegram at the request layer."""

import shutil
from decimal import Decimal

import pytest

from bot.policies import DEFAULT_POLICY_DIR
from bot.store.claims import NewClaim
from tests.bot_harness import STAFF, BotHarness

USER = 1001
OFFICER = 2001
CODE = "91350100M000100Y43"
ALL_OK = ["是", "企业（公司", "专利权", "是", "否", "技术研发", "否", "否"]


@pytest.fixture
async def bot(tmp_path):
    harness = await BotHarness(tmp_path / "data").start()
    yield harness
    await harness.stop()


# -- onboarding ---------------------------------------------------------------------------------

async def test_start_greets_offers_buttons_and_sets_the_menu(bot):
    [reply] = await bot.send(USER, "/start")
    assert "风险补偿助手" in reply["text"] and "/bind" in reply["text"]
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert {"资格自查", "补偿测算", "我的补偿申请", "绑定企业"} <= set(labels)
    menus = bot.calls("setMyCommands")
    assert any(c.params.get("scope", {}).get("type") == "default" for c in menus)
    chat_menu = [c for c in menus if c.params.get("scope", {}).get("chat_id") == USER][-1]
    assert {"check", "estimate", "claims", "cancel", "help"} <= {c["command"] for c in chat_menu.params["commands"]}


async def test_help_lists_the_commands(bot):
    text = bot.texts(await bot.send(USER, "/help"))
    for command in ("/check", "/estimate", "/claims", "/ask", "/bind", "/lang", "/cancel"):
        assert command in text


async def test_lang_switches_replies_and_menu_to_english(bot):
    await bot.send(USER, "/lang")
    [reply] = await bot.press(USER, "English")
    assert reply["text"] == "Switched to English."
    assert "Self-check" in bot.texts(await bot.send(USER, "/check"))
    chat_menu = [c for c in bot.calls("setMyCommands") if c.params.get("scope", {}).get("chat_id") == USER][-1]
    assert chat_menu.params["commands"][0]["description"] == "Start / main menu"
    assert (await bot.services.store.chats.get(USER)).locale == "en"


async def test_cancel_with_nothing_in_progress_says_so(bot):
    assert "没有正在进行" in bot.texts(await bot.send(USER, "/cancel"))


async def test_unknown_command_and_sticker_get_a_hint(bot):
    assert "/help" in bot.texts(await bot.send(USER, "/frobnicate"))
    assert "文字" in bot.texts(await bot.send_sticker(USER))


async def test_binding_with_a_valid_code_and_name_waits_for_confirmation(bot):
    await bot.send(STAFF, "/start")
    assert "18位" in bot.texts(await bot.send(USER, "/bind"))
    assert "企业全称" in bot.texts(await bot.send(USER, " 91350100m000100y43 "))
    text = bot.texts(await bot.send(USER, "示例科技有限公司"))
    assert "需要" in text and "确认" in text and CODE in text
    assert await bot.services.store.enterprises.of_chat(USER) is None
    await bot.press(STAFF, "确认绑定")
    assert "绑定已确认" in bot.texts(bot.fake.sent_since(0, USER)[-1:])
    enterprise = await bot.services.store.enterprises.of_chat(USER)
    assert enterprise.credit_code == CODE
    assert "/claims" in bot.texts(await bot.send(USER, "/start"))


async def test_a_stranger_with_a_code_from_a_loan_book_sees_nothing_until_the_lending_bank_confirms(bot):
    from tests.loan_books import csv_bytes, row
    await bot.send(OFFICER, "/start " + await bot.invite(STAFF, "示例银行"))
    await bot.upload_book(OFFICER, "book.csv", csv_bytes([row("L1", principal="1000000", overdue_days="90")]))
    await bot.services.store.enterprises.register(CODE, "示例科技有限公司", "test", code_checked=True)
    await bot.send(USER, "/bind")
    await bot.send(USER, CODE)
    mark = len(bot.fake.calls)
    text = bot.texts(await bot.send(USER, "示例科技有限公司"))
    assert "贷款银行的客户经理" in text
    assert "/bind" in bot.texts(await bot.send(USER, "/claims"))
    [to_bank] = bot.fake.sent_since(mark, OFFICER)
    assert CODE in to_bank["text"] and "示例科技有限公司" in to_bank["text"]
    message, data = bot.fake.last_with_button(OFFICER, "确认绑定")
    assert "只有向该企业发放贷款的银行" in bot.texts(await bot.press_data(2002, {**message, "chat": {
        "id": 2002, "type": "private"}}, data))
    await bot.press(OFFICER, "确认绑定")
    assert (await bot.services.store.enterprises.of_chat(USER)).credit_code == CODE


@pytest.mark.parametrize(("code", "says"), [("123", "不是18位"), ("91350100M000100O43", "不会使用的字符")])
async def test_binding_refuses_malformed_codes_and_asks_again(bot, code, says):
    await bot.send(USER, "/bind")
    assert says in bot.texts(await bot.send(USER, code))
    assert "企业全称" in bot.texts(await bot.send(USER, CODE))


async def test_a_code_failing_its_check_character_goes_to_staff(bot):
    await bot.send(STAFF, "/start")
    await bot.send(USER, "/bind")
    assert "校验码不符合" in bot.texts(await bot.send(USER, "91350100M0001TGQXM"))
    await bot.press(USER, "提交人工核实")
    mark = len(bot.fake.calls)
    assert "资金管理人确认" in bot.texts(await bot.send(USER, "早期试点有限公司"))
    [notice] = bot.fake.sent_since(mark, STAFF)
    assert "91350100M0001TGQXM" in notice["text"]
    assert await bot.services.store.enterprises.of_chat(USER) is None
    sent = await bot.press(STAFF, "确认绑定")
    assert "已确认" in bot.texts(sent)
    assert "绑定已确认" in bot.texts(bot.fake.sent_since(0, USER)[-1:])
    assert (await bot.services.store.enterprises.of_chat(USER)).name == "早期试点有限公司"


async def test_a_code_bound_to_another_chat_needs_staff_not_a_silent_rebind(bot):
    await bot.send(STAFF, "/start")
    await _bind(bot, USER)
    mark = len(bot.fake.calls)
    await bot.send(1002, "/bind")
    await bot.send(1002, CODE)
    text = bot.texts(await bot.send(1002, "示例科技有限公司"))
    assert "已由其他聊天绑定" not in text and "确认" in text
    [request] = bot.fake.sent_since(mark, STAFF)
    assert "该企业已绑定其他聊天" in request["text"]
    assert "user1002（@u1002）申请绑定" in request["text"]  # a person staff can recognise, not a chat id
    audit = bot.texts(await bot.send(STAFF, "/audit"))
    assert "绑定企业 · 示例科技有限公司" in audit and "状态：待确认" in audit and "pending" not in audit
    assert await bot.services.store.enterprises.of_chat(1002) is None
    assert (await bot.services.store.enterprises.of_chat(USER)).credit_code == CODE


async def _bind_registered_enterprise(bot, typed_name):
    await bot.services.store.enterprises.register(CODE, "示例科技有限公司", "test", code_checked=True)
    await bot.send(USER, "/bind")
    await bot.send(USER, CODE)
    mark = len(bot.fake.calls)
    return bot.texts(await bot.send(USER, typed_name)), bot.fake.sent_since(mark, STAFF)


async def test_a_name_that_differs_from_the_record_is_never_bound_and_the_record_is_not_revealed(bot):
    await bot.send(STAFF, "/start")
    text, to_staff = await _bind_registered_enterprise(bot, "示例科技股份有限公司")
    assert "资金管理人确认" in text and "示例科技有限公司" not in text and "不一致" not in text
    assert await bot.services.store.enterprises.of_chat(USER) is None
    [request] = to_staff
    assert "示例科技股份有限公司" in request["text"] and CODE in request["text"]


async def test_the_recorded_name_typed_with_spaces_is_a_match_for_staff(bot):
    await bot.send(STAFF, "/start")
    text, [request] = await _bind_registered_enterprise(bot, " 示例科技 有限公司 ")
    assert "不一致" not in request["text"] and "名称与登记一致" in request["text"]
    await bot.press(STAFF, "确认绑定")
    assert (await bot.services.store.enterprises.of_chat(USER)).credit_code == CODE


async def test_only_staff_may_confirm_a_binding(bot):
    await bot.send(STAFF, "/start")
    for user in (USER, 1002):
        await bot.send(user, "/bind")
        await bot.send(user, CODE)
        await bot.send(user, "示例科技有限公司")
    message, data = bot.fake.last_with_button(STAFF, "确认绑定")
    forged = {**message, "chat": {"id": 1002, "type": "private"}}
    assert "只有工作人员" in bot.texts(await bot.press_data(1002, forged, data))
    assert await bot.services.store.enterprises.of_chat(1002) is None


# -- self-check ---------------------------------------------------------------------------------

async def answer_all(bot, answers):
    sent = []
    for label in answers:
        sent = await bot.press(USER, label)
    return sent


async def test_selfcheck_all_good_answers_end_eligible_with_articles_on_demand(bot):
    await bot.send(USER, "/check")
    [verdict] = await answer_all(bot, ALL_OK)
    assert "符合补偿范围" in verdict["text"]
    assert "第十三条" in verdict["text"] and "第二十六条" in verdict["text"]
    [article] = await bot.press(USER, "依据 第十三条")
    assert "不得从事股本权益性投资" in article["text"]


async def test_selfcheck_stops_at_once_on_a_disqualifying_answer(bot):
    await bot.send(USER, "/check")
    [verdict] = await bot.press(USER, "否")
    assert "不符合补偿范围" in verdict["text"] and "第二十六条" in verdict["text"]


async def test_selfcheck_refuses_a_copyright_pledge_citing_article_2(bot):
    await bot.send(USER, "/check")
    answers = list(ALL_OK)
    answers[2] = "著作权等其他知识产权"
    [verdict] = await answer_all(bot, answers)
    assert "第二条：贷款以哪种知识产权质押？「著作权等其他知识产权」：不符合" in verdict["text"]
    assert "不符合补偿范围" in verdict["text"]


async def test_selfcheck_can_go_back_one_step(bot):
    await bot.send(USER, "/check")
    await bot.press(USER, "是")
    [question] = await bot.press(USER, "上一步")
    assert "第1/8题" in question["text"]


async def test_selfcheck_hints_on_text_or_stickers_where_a_button_is_expected(bot):
    await bot.send(USER, "/check")
    sent = await bot.send(USER, "我不知道")
    assert "请按提示回答" in sent[0]["text"] and "第1/8题" in sent[1]["text"]
    sent = await bot.send_sticker(USER)
    assert "第1/8题" in sent[-1]["text"]


async def test_typed_options_are_answers_as_the_prompt_says(bot):
    await bot.send(USER, "/check")
    assert "第2/8题" in bot.texts(await bot.send(USER, "是"))
    assert "第3/8题" in bot.texts(await bot.send(USER, "企业"))  # the only label that starts so
    assert "第4/8题" in bot.texts(await bot.send(USER, " 专利权 "))
    assert "第4/8题" in bot.texts(await bot.send(USER, "也许"))  # not an option: the question again
    for typed in ("是", "否", "技术研发", "否", "否"):
        replies = await bot.send(USER, typed)
    assert "符合补偿范围" in bot.texts(replies)


@pytest.mark.parametrize(("command", "says"), [("/help", "可用的命令"), ("/lang", "Choose a language"), ("/start", "风险补偿助手")])
async def test_help_lang_and_start_answer_mid_dialog_and_the_dialog_waits(bot, command, says):
    await bot.send(USER, "/check")
    await bot.press(USER, "是")
    sent = bot.texts(await bot.send(USER, command))
    assert says in sent and "请按提示回答" not in sent
    assert "第3/8题" in bot.texts(await bot.press(USER, "企业（公司"))


async def test_cancel_mid_selfcheck_ends_it(bot):
    await bot.send(USER, "/check")
    await bot.press(USER, "是")
    assert "已取消" in bot.texts(await bot.send(USER, "/cancel"))
    answers = bot.texts(await bot.send(USER, "贷款逾期多少天可以申请补偿"))
    assert "第十七条" in answers


async def test_selfcheck_survives_a_restart(bot):
    await bot.send(USER, "/check")
    await bot.press(USER, "是")
    await bot.press(USER, "企业（公司")
    await bot.restart()
    [question] = await bot.press(USER, "专利权")
    assert "第4/8题" in question["text"]
    [verdict] = await answer_all(bot, ALL_OK[3:])
    assert "符合补偿范围" in verdict["text"]


async def test_a_button_from_a_forgotten_menu_says_the_menu_expired(bot):
    await bot.send(USER, "/check")
    message, _ = bot.fake.last_with_button(USER, "是")
    assert "已过期" in bot.texts(await bot.press_data(USER, message, "0" * 64))


async def test_with_two_programs_the_check_asks_which_first(tmp_path):
    policies = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICY_DIR, policies)
    fixture = tmp_path.parent / "unused"
    from tests.conftest import FIXTURES
    shutil.copy(FIXTURES / "programs" / "gz-test-2023.yaml", policies)
    harness = await BotHarness(tmp_path / "data", IPBOT_POLICY_DIR=policies,
                               IPBOT_PROGRAMS=["cq-jiangbei-2024", "gz-test-2023"]).start()
    try:
        assert "请选择补偿项目" in harness.texts(await harness.send(USER, "/check"))
        [question] = await harness.press(USER, "广州测试项目")
        assert "广州测试项目" in question["text"] and "第1/1题" in question["text"]
    finally:
        await harness.stop()
    assert not fixture.exists()


# -- estimate -----------------------------------------------------------------------------------

async def test_estimate_end_to_end_matches_the_calculator(bot):
    await bot.send(USER, "/estimate")
    await bot.send(USER, "500万")
    await bot.send(USER, "二百万")
    await bot.send(USER, "90")
    [result] = await bot.press(USER, "没有")
    text = result["text"]
    assert "400,000.00元（40万元）" in text and "第十一条" in text and "不是补偿决定" in text


async def test_estimate_reports_the_cap_that_bound(bot):
    await bot.send(USER, "/estimate")
    for text in ("300万", "100万", "61", "140万"):
        sent = await bot.send(USER, text)
    assert "受同一企业年度补偿上限限制" in sent[0]["text"] and "100,000.00元" in sent[0]["text"]


@pytest.mark.parametrize(("step_inputs", "bad", "says"), [
    ([], "abc", "无法识别"),
    ([], "-5", "不能为负数"),
    (["100万"], "200万", "不能大于贷款本金"),
    (["100万", "50万"], "九十", "不是天数"),
    (["100万", "50万", "90"], "1.234", "最多精确到分"),
])
async def test_estimate_bad_input_at_every_step_is_explained_and_asked_again(bot, step_inputs, bad, says):
    await bot.send(USER, "/estimate")
    for text in step_inputs:
        await bot.send(USER, text)
    [error] = await bot.send(USER, bad)
    assert says in error["text"]
    assert await bot.send(USER, "1")


async def test_estimate_unknown_days_are_skipped_and_not_checked(bot):
    await bot.send(USER, "/estimate")
    await bot.send(USER, "100万")
    await bot.send(USER, "50万")
    await bot.press(USER, "不清楚")
    [result] = await bot.send(USER, "0")
    assert "150,000.00元" in result["text"] and "第十七条" not in result["text"]


async def test_estimate_back_and_cancel(bot):
    await bot.send(USER, "/estimate")
    await bot.send(USER, "100万")
    [again] = await bot.press(USER, "上一步")
    assert "1/4" in again["text"]
    assert "已取消" in bot.texts(await bot.send(USER, "/cancel"))


async def test_estimate_knows_the_fund_is_paused(bot):
    store = bot.services.store
    bank = await store.banks.ensure("示例银行", actor="test")
    claim = await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, "L1", CODE, "示例", 1, 1, 90, 1, None, None, None, "[]"), actor="t")
    for source, target, action in [("filed", "under_review", "a"), ("under_review", "approved", "b")]:
        await store.claims.transition(claim.claim_no, source, target, "t", action)
    await store.claims.transition(claim.claim_no, "approved", "paid", "t", "c", paid_fen=600_000_000, paid_on="2026-01-01")
    await bot.send(USER, "/estimate")
    for text in ("100万", "50万", "90"):
        await bot.send(USER, text)
    [result] = await bot.press(USER, "没有")
    assert "不符合申请补偿的条件" in result["text"] and "第十九条" in result["text"]


# -- claims -------------------------------------------------------------------------------------

async def _bind(bot, user, code=CODE, name="示例科技有限公司"):
    """Bind and have staff confirm it."""
    await bot.send(STAFF, "/start")
    await bot.send(user, "/bind")
    await bot.send(user, code)
    await bot.send(user, name)
    await bot.press(STAFF, "确认绑定")


async def test_bind_lists_the_chats_enterprises_to_switch_or_remove_one_after_asking(bot):
    from tests.loan_books import credit_code
    other = credit_code(7)
    enterprises = bot.services.store.enterprises
    await _bind(bot, USER)
    assert f"1. 示例科技有限公司（{CODE}） · 当前" in bot.texts(await bot.send(USER, "/bind"))
    assert "18位" in bot.texts(await bot.press(USER, "绑定另一家企业"))
    await bot.send(USER, other)
    await bot.send(USER, "另一家有限公司")
    await bot.press(STAFF, "确认绑定")
    assert (await enterprises.of_chat(USER)).credit_code == other  # the newest binding is the current one
    listed = bot.texts(await bot.send(USER, "/bind"))
    assert f"1. 另一家有限公司（{other}） · 当前" in listed and f"2. 示例科技有限公司（{CODE}）\n" in listed
    assert "示例科技有限公司" in bot.texts(await bot.press(USER, "切换到 示例科技有限公司"))
    assert (await enterprises.of_chat(USER)).credit_code == CODE
    await bot.send(USER, "/bind")
    assert "确定解除" in bot.texts(await bot.press(USER, "解除 示例科技有限公司"))
    assert (await enterprises.of_chat(USER)).credit_code == CODE  # asked, nothing done yet
    assert "已解除" in bot.texts(await bot.press(USER, "确认解除"))
    assert (await enterprises.of_chat(USER)).credit_code == other
    await bot.send(USER, "/bind")
    await bot.press(USER, "解除 另一家有限公司")
    await bot.press(USER, "确认解除")
    assert await enterprises.of_chat(USER) is None
    assert "18位" in bot.texts(await bot.send(USER, "/bind"))  # nothing bound: straight to the code
    menu = [c for c in bot.calls("setMyCommands") if c.params.get("scope", {}).get("chat_id") == USER][-1]
    assert "profile" not in {c["command"] for c in menu.params["commands"]}  # back to the guest's menu


async def test_a_binding_code_from_the_lending_bank_binds_at_once_and_only_once(bot):
    from tests.loan_books import csv_bytes, credit_code, row
    await bot.send(OFFICER, "/start " + await bot.invite(STAFF, "示例银行"))
    await bot.upload_book(OFFICER, "book.csv", csv_bytes([row("L1", principal="1000000")]))
    assert "只能为本行借款企业" in bot.texts(await bot.send(OFFICER, f"/bindcode {credit_code(5)}"))
    created = bot.texts(await bot.send(OFFICER, f"/bindcode {CODE}"))
    assert "示例科技有限公司" in created and "start=ent-" in created
    payload = created.split("start=")[1].split()[0]
    assert "绑定成功" in bot.texts(await bot.send(USER, f"/start {payload}"))
    assert (await bot.services.store.enterprises.of_chat(USER)).credit_code == CODE
    assert "已经被使用过" in bot.texts(await bot.send(1002, f"/start {payload}"))
    assert await bot.services.store.enterprises.of_chat(1002) is None
    assert "无效" in bot.texts(await bot.send(1002, "/start ent-nothing"))
    assert "只有资金管理人或合作银行的客户经理" in bot.texts(await bot.send(USER, f"/bindcode {CODE}"))


async def test_an_expired_binding_code_binds_nobody(bot):
    from datetime import timedelta

    from bot.clock import now
    enterprise = await bot.services.store.enterprises.register(CODE, "示例科技有限公司", "test", code_checked=True)
    await bot.services.store.enterprises.create_binding_code(enterprise.id, "old", STAFF,
                                                             (now() - timedelta(seconds=1)).isoformat())
    assert "已过期" in bot.texts(await bot.send(USER, "/start ent-old"))
    assert await bot.services.store.enterprises.of_chat(USER) is None


async def _file(bot, loan_id, code=CODE, enterprise="示例科技有限公司"):
    store = bot.services.store
    bank = await store.banks.ensure("示例银行", actor="test")
    return await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, loan_id, code, enterprise, 100_000_000,
                                            50_000_000, 90, 15_000_000, None, None, None, "[]"), actor="user:2001")


async def test_claims_need_a_bound_company(bot):
    assert "/bind" in bot.texts(await bot.send(USER, "/claims"))


async def test_an_enterprise_sees_its_claims_newest_first_with_next_steps(bot):
    await _bind(bot, USER)
    first = await _file(bot, "L1")
    second = await _file(bot, "L2")
    await bot.services.store.claims.transition(first.claim_no, "filed", "under_review", "user:9001", "start_review")
    text = bot.texts(await bot.send(USER, "/claims"))
    assert text.index("L2") < text.index("L1")
    assert "资金管理人审核中" in text and "第十七条" in text
    detail = bot.texts(await bot.send(USER, f"/claims {second.claim_no}"))
    assert "150,000.00元" in detail and "已提交" in detail


async def test_another_enterprises_claim_number_looks_exactly_like_an_unknown_one(bot):
    await _bind(bot, USER)
    other = await _file(bot, "X1", code="9144030071526726XG", enterprise="别家公司")
    hidden = bot.texts(await bot.send(USER, f"/claims {other.claim_no}"))
    unknown = bot.texts(await bot.send(USER, "/claims C2099010199999"))
    assert hidden.replace(other.claim_no, "N") == unknown.replace("C2099010199999", "N")
    assert "别家公司" not in hidden


async def test_an_officer_sees_the_banks_claims(bot):
    claim = await _file(bot, "L1")
    store = bot.services.store
    await store.banks.add_officer((await store.banks.by_name("示例银行")).id, 2001, actor="test")
    assert claim.claim_no in bot.texts(await bot.send(2001, "/claims"))


# -- Q&A ----------------------------------------------------------------------------------------

async def test_free_text_is_answered_first_then_cited_with_more_articles_a_tap_away(bot):
    [answer] = await bot.send(USER, "贷款逾期多少天银行可以申请补偿")
    direct, citation = answer["text"].splitlines()[:2]
    assert "逾期<b>60天</b>以上" in direct
    assert citation == "——《江北区风险补偿资金管理办法》第十七条　补偿申请条件"
    buttons = answer["reply_markup"]["inline_keyboard"]
    assert 2 <= len(buttons) <= 3
    [more] = await bot.press(USER, buttons[1][0]["text"])
    assert "》第" in more["text"]


async def test_ask_command_and_its_usage(bot):
    assert "第十一条" in bot.texts(await bot.send(USER, "/ask 补偿比例是多少"))
    assert "/ask 后面" in bot.texts(await bot.send(USER, "/ask"))


async def test_an_article_cited_by_number_is_the_answer_in_chat(bot):
    [reply] = await bot.send(USER, "第十一条讲的是什么")
    citation = reply["text"].splitlines()[1]
    assert citation == "——《江北区风险补偿资金管理办法》第十一条　补偿比例与补偿上限"


async def test_an_unanswerable_question_gets_an_honest_not_found(bot):
    text = bot.texts(await bot.send(USER, "今天天气怎么样"))
    assert "没有讲到" in text and "/help" in text


async def test_a_question_gets_the_answer_first_with_its_figure_in_bold_and_the_article_a_tap_away(bot):
    [reply] = await bot.send(USER, "每笔最多补偿多少")
    assert reply["parse_mode"] == "HTML"
    first_line = reply["text"].splitlines()[0]
    assert "<b>150万元</b>" in first_line and "第十一条" in reply["text"]
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[0] == "📄 查看条文全文"
    full = bot.texts(await bot.press(USER, "📄 查看条文全文"))
    assert "一个年度内风险补偿资金对同一企业" in full


async def test_the_users_program_answers_a_copyright_question_and_other_documents_are_labelled(bot):
    [reply] = await bot.send(USER, "著作权质押的贷款能补偿吗")
    assert "第二条" in reply["text"].split("——")[1] and "专利、商标" in reply["text"]
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert any(label.startswith("其他文件·深圳") for label in labels)


async def test_an_english_question_is_answered_in_english_with_the_chinese_article_quoted(bot):
    [reply] = await bot.send(USER, "How many days overdue before the bank can claim compensation?")
    assert "<b>60 days</b>" in reply["text"] and "第十七条" in reply["text"]
    assert "当贷款企业贷款逾期60天以上" in reply["text"]


async def test_a_greeting_gets_a_greeting_and_help_not_an_article(bot):
    text = bot.texts(await bot.send(USER, "你好"))
    assert "/help" in text and "第" not in text


async def test_a_declined_question_offers_the_closest_topics_as_buttons(bot):
    [reply] = await bot.send(USER, "北京的知识产权质押风险补偿政策")
    assert "没有讲到" in reply["text"]
    assert reply["reply_markup"]["inline_keyboard"]


async def test_a_question_too_broad_to_answer_is_told_so_not_that_the_documents_are_silent(bot):
    [reply] = await bot.send(USER, "补偿多少")
    assert "问得比较宽" in reply["text"] and "没有讲到" not in reply["text"]
    labels = [b["text"] for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    assert "第十一条" in labels[0]
    [english] = await bot.send(USER, "how much is compensated")
    assert "is broad" in english["text"]


async def test_a_failure_inside_gives_an_apology_not_a_stack_trace(bot, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("index corrupted")
    monkeypatch.setattr(bot.services.qa, "reply", broken)
    text = bot.texts(await bot.send(USER, "补偿比例"))
    assert "出了问题" in text and "Traceback" not in text and "index corrupted" not in text


async def test_english_replies_use_the_english_templates(bot):
    await bot.send(USER, "/lang")
    await bot.press(USER, "English")
    await bot.send(USER, "/estimate")
    [error] = await bot.send(USER, "abc")
    assert "is not an amount" in error["text"]


def test_the_estimate_template_names_the_program_in_the_readers_language(jiangbei):
    from bot.rules.compensation import ClaimFacts, compute_compensation
    from bot.texts import TEXTS
    result = compute_compensation(jiangbei, ClaimFacts(Decimal(1000000), Decimal(500000)))
    english = TEXTS.render("en", "compensate", program=jiangbei.meta, loan=Decimal(1), loss=Decimal(1), result=result,
                           reasons=[])
    assert english.startswith("Jiangbei District IP-pledge risk compensation measures: compensation estimate")
    assert "150,000.00元" in TEXTS.render("zh", "compensate", program=jiangbei.meta, loan=Decimal(1), loss=Decimal(1),
                                          result=result, reasons=[])


@pytest.mark.parametrize(("payload", "expect"), [("check", "第1/8题"), ("estimate", "1/4"), ("bind", "18位")])
async def test_deep_links_open_the_flow_they_name(bot, payload, expect):
    assert expect in bot.texts(await bot.send(USER, f"/start {payload}"))


async def test_selfcheck_in_english_uses_the_packs_english_labels(bot):
    await bot.send(USER, "/lang")
    await bot.press(USER, "English")
    [question] = await bot.send(USER, "/check")
    assert "Jiangbei" in question["text"]
    labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert "Yes" in labels and "« Back" not in labels


async def test_a_long_claims_list_is_one_message_paged_newest_first(bot):
    store = bot.services.store
    bank = await store.banks.ensure("示例银行", actor="test")
    await store.banks.add_officer(bank.id, 2001, actor="test")
    for i in range(40):
        await store.claims.file(NewClaim("cq-jiangbei-2024", bank.id, f"L{i}", CODE, "示例科技有限公司" * 3,
                                         100_000_000, 50_000_000, 90, 15_000_000, None, None, None, "[]"), actor="t")
    [listing] = await bot.send(2001, "/claims")
    assert len(listing["text"]) < 4096 and "共40项" in listing["text"] and "第1–10项" in listing["text"]
    assert "L39" in listing["text"] and "贷款 L29\u3000" not in listing["text"]
    await bot.press(2001, "较早 ▶")
    page2 = bot.calls("editMessageText")[-1].params["text"]
    assert "第11–20项" in page2 and "贷款 L29\u3000" in page2


async def test_profile_records_region_and_industry_for_broadcasts(bot):
    assert "/bind" in bot.texts(await bot.send(USER, "/profile"))
    await _bind(bot, USER)
    assert "1/2" in bot.texts(await bot.send(USER, "/profile"))
    await bot.send(USER, "重庆市江北区")
    assert "已保存" in bot.texts(await bot.send(USER, "新一代信息技术"))
    enterprise = await bot.services.store.enterprises.of_chat(USER)
    assert (enterprise.region, enterprise.industry) == ("重庆市江北区", "新一代信息技术")
    assert await bot.services.store.enterprises.distinct("industry") == ["新一代信息技术"]
    await bot.send(USER, "/profile")
    await bot.press(USER, "不改")
    await bot.send(USER, "生物医药")
    assert (await bot.services.store.enterprises.of_chat(USER)).region == "重庆市江北区"


async def test_an_edited_message_is_not_an_error(bot):
    await bot.send(USER, "/estimate")
    await bot.send(USER, "500万")
    assert "出了问题" not in bot.texts(await bot.edit(USER, "600万"))
    assert "出了问题" not in bot.texts(await bot.edit(USER, "补偿比例"))
    assert "已取消" in bot.texts(await bot.send(USER, "/cancel"))


async def test_free_text_in_a_group_is_not_answered(bot):
    assert await bot.send_in_group(USER, "补偿比例是多少") == []


async def test_answered_buttons_leave_the_callback_cache(bot):
    """Typed callback data are dropped once their message is answered: the cache holds live buttons only."""
    cache = bot.app.bot.callback_data_cache
    await bot.send(USER, "/check")
    await answer_all(bot, ALL_OK)
    keyboards, _ = cache.persistence_data
    assert len(keyboards) <= 2, len(keyboards)


async def test_staff_who_had_not_opened_the_bot_get_notices_once_they_do(bot):
    """A 403 (never started, or blocked) marks the chat; the mark is lifted as soon as the user writes."""
    await bot.send(USER, "/bind")
    await bot.send(USER, "91350100M0001TGQXM")
    await bot.press(USER, "提交人工核实")
    await bot.send(USER, "早期试点有限公司")
    assert (await bot.services.store.chats.get(STAFF)).blocked
    await bot.send(STAFF, "/start")
    assert not (await bot.services.store.chats.get(STAFF)).blocked
    mark = len(bot.fake.calls)
    await bot.send(1002, "/bind")
    await bot.send(1002, "91350100M0001TGQXM")
    await bot.press(1002, "提交人工核实")
    await bot.send(1002, "另一家公司")
    assert len(bot.fake.sent_since(mark, STAFF)) == 1

