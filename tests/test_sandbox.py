"""The sandbox and the bot in a subprocess, played through the client API as each role would."""

import shutil
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
    replies = sandbox.upload(OFFICER, "book.csv", csv_bytes(rows))
    text = sandbox.texts(replies)
    assert "已导入" in text and "【预警】" in text
    assert "【预警】" in sandbox.texts(sandbox.replies(STAFF))


def test_bot_api_errors_have_telegrams_shape(sandbox):
    response = sandbox.bot_api("sendMessage", chat_id=ENTERPRISE)
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error_code": 400, "description": "Bad Request: message text is empty"}
    assert sandbox.bot_api("sendMessage", chat_id=424242, text="x").json()["description"] == "Bad Request: chat not found"
    assert sandbox.bot_api("noSuchMethod").json()["error_code"] == 404
    assert sandbox.bot_api("getMe", token="1:wrong").json()["error_code"] == 401
    assert sandbox.bot_api("getMe").json()["result"]["is_bot"] is True


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
        page.goto(sandbox.url + "/")
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
