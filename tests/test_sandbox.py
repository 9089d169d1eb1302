"""The sandbox and the bot in a subprocess, played through the client API as each role would."""

import shutil
import os
import subprocess
import sys

import pytest

from tests.loan_books import csv_bytes, row
from tests.sandbox_process import ROOT, SandboxProcess

ENTERPRISE, OFFICER, STAFF = 1001, 2001, 9001


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    process = SandboxProcess(tmp_path_factory.mktemp("sandbox"))
    yield process
    process.stop()


def test_enterprise_self_check_to_a_verdict(sandbox):
    sandbox.send(ENTERPRISE, "/check")
    for label in ["是", "企业（公司", "专利权", "是", "否", "技术研发", "否", "否"]:
        replies = sandbox.press(ENTERPRISE, label)
    text = sandbox.texts(replies)
    assert "符合补偿范围" in text and "第二十六条" in text


def test_enterprise_estimate(sandbox):
    sandbox.send(ENTERPRISE, "/estimate")
    for text in ("500万", "200万", "90"):
        sandbox.send(ENTERPRISE, text)
    assert "400,000.00元（40万元）" in sandbox.texts(sandbox.press(ENTERPRISE, "没有"))


def test_enterprise_question(sandbox):
    assert "第十七条" in sandbox.texts(sandbox.send(ENTERPRISE, "贷款逾期多少天银行可以申请补偿"))


def test_the_demo_enterprise_is_bound(sandbox):
    assert "示例科技有限公司" in sandbox.texts(sandbox.send(ENTERPRISE, "/start"))


def test_the_demo_bank_starts_below_the_warning_line(sandbox):
    text = sandbox.texts(sandbox.send(OFFICER, "/status"))
    assert "示例银行" in text and "正常" in text


def test_bank_upload_crossing_5_percent_brings_the_warning(sandbox):
    rows = [row(f"B{i}", bank="示例银行", principal="1000000") for i in range(19)]
    rows.append(row("B19", bank="示例银行", principal="1000000", overdue_days="20"))
    preview = sandbox.texts(sandbox.upload(OFFICER, "book.csv", csv_bytes(rows)))
    assert "尚未导入" in preview and "占比5%" in preview and "已导入" not in preview
    text = sandbox.texts(sandbox.press(OFFICER, "确认替换台账"))
    assert "已导入" in text and "【预警】" in text
    assert "【预警】" in sandbox.texts(sandbox.replies(STAFF))


def test_bot_api_errors_have_telegrams_shape(sandbox):
    response = sandbox.bot_api("sendMessage", chat_id=ENTERPRISE)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
    assert sandbox.bot_api("sendMessage", chat_id=-100, text="x").json()["description"] == "Bad Request: chat not found"
    assert sandbox.bot_api("noSuchMethod").json()["error_code"] == 404
    assert sandbox.bot_api("getMe", token="1:wrong").json()["error_code"] == 401
    assert sandbox.bot_api("getMe").json()["result"]["is_bot"] is True


def test_the_sandbox_refuses_what_telegram_refuses(sandbox):
    """The issue's list, against a stand-alone sandbox: each answered as Telegram answers it."""
    def refused(method, **params):
        body = sandbox.bot_api(method, **params).json()
        assert body["ok"] is False, (method, params)
        return body

    assert refused("sendMessage", chat_id=ENTERPRISE, text="长" * 4097)["description"] == "Bad Request: message is too long"
    assert sandbox.bot_api("sendMessage", chat_id=ENTERPRISE, text="长" * 4096).json()["ok"]
    keyboard = {"inline_keyboard": [[{"text": "x", "callback_data": "d" * 65}]]}
    assert refused("sendMessage", chat_id=ENTERPRISE, text="x", reply_markup=keyboard)["description"].endswith(
        "BUTTON_DATA_INVALID")
    keyboard["inline_keyboard"][0][0]["callback_data"] = "d" * 64
    assert sandbox.bot_api("sendMessage", chat_id=ENTERPRISE, text="x", reply_markup=keyboard).json()["ok"]
    assert "can't parse entities" in refused("sendMessage", chat_id=ENTERPRISE, text="<b>x", parse_mode="HTML")[
        "description"]
    never = refused("sendMessage", chat_id=424242, text="x")
    assert never["error_code"] == 403 and "can't initiate conversation" in never["description"]
    assert "query is too old" in refused("answerCallbackQuery", callback_query_id="never-made")["description"]
    assert refused("setMyCommands", commands=[{"command": "Bad-Name", "description": "x"}])["error_code"] == 400
    assert sandbox.bot_api("sendMessage", chat_id=ENTERPRISE, text="[1, 2]").json()["result"]["text"] == "[1, 2]"


def test_html_is_shown_as_telegram_shows_it_text_and_bold_entities(sandbox):
    sent = sandbox.bot_api("sendMessage", chat_id=ENTERPRISE, text="逾期<b>60天</b>以上 &lt;注&gt;",
                           parse_mode="HTML").json()["result"]
    assert sent["text"] == "逾期60天以上 <注>"
    assert sent["entities"] == [{"type": "bold", "offset": 2, "length": 3}]


def test_a_burst_to_one_chat_gets_429_with_retry_after(sandbox):
    answers = [sandbox.bot_api("sendMessage", chat_id=OFFICER, text=f"{i}").json() for i in range(40)]
    limited = [a for a in answers if not a["ok"]]
    assert limited and all(a["error_code"] == 429 and a["parameters"]["retry_after"] >= 1 for a in limited)


def test_a_user_who_blocks_the_bot_gets_nothing_until_unblocking(sandbox):
    assert sandbox.http.post("/sandbox/api/block", json={"user_id": ENTERPRISE, "blocked": True}).json()["ok"]
    blocked = sandbox.bot_api("sendMessage", chat_id=ENTERPRISE, text="x").json()
    assert blocked["error_code"] == 403 and "blocked by the user" in blocked["description"]
    sandbox.http.post("/sandbox/api/block", json={"user_id": ENTERPRISE, "blocked": False})
    assert sandbox.bot_api("sendMessage", chat_id=ENTERPRISE, text="x").json()["ok"]


def test_the_client_api_needs_the_access_token_and_its_own_host(sandbox):
    import httpx
    stranger = httpx.Client(base_url=sandbox.url, timeout=10)
    assert stranger.post("/sandbox/api/send", json={"user_id": 1001, "text": "hi"}).status_code == 401
    assert stranger.get("/").status_code == 401
    assert stranger.get(f"/?token={sandbox.access_token}").status_code == 200
    assert sandbox.http.post("/sandbox/api/send", json={"user_id": 1001, "text": "hi"},
                             headers={"Origin": "http://evil.example"}).status_code == 403
    assert sandbox.http.get("/sandbox/api/messages?user_id=1001", headers={"Host": "evil.example"}).status_code == 403
    token_file = sandbox.data_dir / "sandbox-token"
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"


def test_a_second_sandbox_on_the_same_data_directory_exits_with_a_clear_message(sandbox):
    result = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--port", "0"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "IPBOT_DATA_DIR": str(sandbox.data_dir)})
    assert result.returncode != 0
    assert "正被另一个机器人进程" in result.stderr and str(sandbox.process.pid) in result.stderr


def test_client_api_refuses_bad_requests(sandbox):
    assert sandbox.http.post("/sandbox/api/send", json={"user_id": "x"}).status_code == 400
    assert sandbox.http.post("/sandbox/api/press", json={"user_id": 1, "message_id": 999999, "data": "x"}).status_code == 400


def test_the_sandbox_binds_to_loopback_only(tmp_path):
    result = subprocess.run([sys.executable, "-m", "bot", "sandbox", "--host", "0.0.0.0"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, env={"IPBOT_DATA_DIR": str(tmp_path), "PATH": ""})
    assert result.returncode == 2
    assert "回环地址" in result.stderr


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
def test_the_web_chat_in_a_real_browser(sandbox, tmp_path):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 900, "height": 800})
        page.goto(sandbox.page_url)
        page.wait_for_selector("text=已连接")
        page.fill("#text", "/start")
        page.click("button[type=submit]")
        page.wait_for_selector(".msg.bot >> text=风险补偿助手")
        page.click(".msg.bot button:has-text('资格自查')")
        page.wait_for_selector(".msg.bot >> text=第1/8题")
        page.screenshot(path=str(tmp_path / "web_chat.png"), full_page=True)
        browser.close()
    assert (tmp_path / "web_chat.png").stat().st_size > 10_000


def test_a_staff_broadcast_reaches_the_enterprise_and_the_bank(sandbox):
    sandbox.replies(ENTERPRISE, settle=0.2, timeout=1)
    sandbox.replies(OFFICER, settle=0.2, timeout=1)
    sandbox.send(STAFF, "/broadcast")
    sandbox.press(STAFF, "所有人")
    sandbox.send(STAFF, "{{ name }}：本周五下午召开政策宣讲会。")
    sandbox.press(STAFF, "不附文件")
    sandbox.press(STAFF, "发送给")
    assert "示例科技有限公司：本周五下午召开政策宣讲会。" in sandbox.texts(sandbox.replies(ENTERPRISE))
    assert "示例银行：本周五下午召开政策宣讲会。" in sandbox.texts(sandbox.replies(OFFICER))


def test_stopping_with_a_web_chat_waiting_for_messages_is_quick(tmp_path):
    import signal
    import threading
    import time

    import httpx

    process = SandboxProcess(tmp_path / "data")

    def web_chat_waiting():
        try:
            process.messages(1001, after=10**6, wait=25)
        except httpx.HTTPError:
            pass  # the server went away: that is the point

    waiting = threading.Thread(target=web_chat_waiting, daemon=True)
    waiting.start()
    time.sleep(0.5)
    start = time.monotonic()
    process.process.send_signal(signal.SIGTERM)
    process.process.wait(timeout=30)
    assert time.monotonic() - start < 10  # the long poll is ended, not waited out (it would take 25 s)


async def test_the_demo_seeds_only_an_empty_store(tmp_path):
    from datetime import date

    from bot.config import Settings
    from bot.services.container import open_services
    from bot.services.demo import BANK, seed_demo
    from bot.services.loan_import import import_loan_book

    services = await open_services(Settings(IPBOT_DATA_DIR=tmp_path / "data"))
    try:
        assert await seed_demo(services, date(2026, 11, 1))
        mine = csv_bytes([row("MY-1", bank=BANK), row("MY-2", bank=BANK)])
        await import_loan_book(services.store, services.programs[0], mine, "mine.csv", report_date=date(2026, 11, 2),
                               actor="user")
        assert not await seed_demo(services, date(2026, 11, 2))  # the user's data is left as it is
        bank = await services.store.banks.by_name(BANK)
        book = await services.store.loans.latest_of_bank(services.programs[0].id, bank.id)
        assert [loan.loan_id for loan in book] == ["MY-1", "MY-2"]
    finally:
        await services.close()
