"""The web chat in Chromium, as each role uses it, at a desktop width and at a phone's 390 px: the menus and
/help of each role, a stranger's binding, an upload's preview, the 补充材料 round trip, /audit, the report,
and the page carrying on across a restart of the sandbox. Screenshots of each role's main screens are written
to ``test-output/screenshots/<width>/`` in the repository."""

import re
import shutil
from pathlib import Path

import pytest

from bot.telegram_adapter.menu import ROLE_COMMANDS
from tests.loan_books import credit_code, csv_bytes, row
from tests.sandbox_process import ROOT, SandboxProcess

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by .ci/run")
SCREENSHOTS = ROOT / "test-output" / "screenshots"
ENTERPRISE, OFFICER, STAFF, STRANGER = 1001, 2001, 9001, 1500
DEMO_CODE = "91350100M000100Y43"
VIEWPORTS = {"desktop": {"width": 1280, "height": 860}, "phone-390": {"width": 390, "height": 844}}


class WebChat:
    """One browser page on the sandbox's web chat, used the way a person uses it."""

    def __init__(self, page, shots: Path):
        self.page = page
        self.shots = shots

    def persona(self, user_id: int) -> None:
        if user_id in (ENTERPRISE, OFFICER, STAFF):
            self.page.select_option("#persona", str(user_id))
        else:
            self.page.select_option("#persona", "other")
            self.page.fill("#other", str(user_id))
            self.page.dispatch_event("#other", "change")
        self.page.wait_for_selector(f"#status:has-text('user {user_id}')")

    def _bot_count(self) -> int:
        return self.page.locator(".msg.bot").count()

    def _wait_for_bot(self, before: int, says: str | None) -> str:
        self.page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}")
        if says is not None:
            self.page.wait_for_selector(f".msg.bot >> text={says}")
        self.page.wait_for_timeout(300)  # the rest of the answer (a notice can come in several messages)
        return "\n".join(self.page.locator(".msg.bot").nth(i).inner_text() for i in range(before, self._bot_count()))

    def send(self, text: str, says: str | None = None) -> str:
        before = self._bot_count()
        self.page.fill("#text", text)
        self.page.click("button[type=submit]")
        return self._wait_for_bot(before, says)

    def press(self, label: str, says: str | None = None) -> str:
        before = self._bot_count()
        self.page.locator(f".msg.bot button:has-text('{label}')").last.click()
        return self._wait_for_bot(before, says)

    def upload(self, name: str, data: bytes, says: str | None = None) -> str:
        before = self._bot_count()
        self.page.set_input_files("#file", files=[{"name": name, "mimeType": "application/octet-stream", "buffer": data}])
        return self._wait_for_bot(before, says)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def composer_fits(self) -> bool:
        """Every part of the composer is inside the window, however narrow."""
        width, height = self.page.viewport_size["width"], self.page.viewport_size["height"]
        for selector in ("#menu-button", "#text", "button[type=submit]", "label.upload"):
            box = self.page.locator(selector).bounding_box()
            if box is None or box["x"] < 0 or box["x"] + box["width"] > width or box["y"] + box["height"] > height:
                return False
        return True


def listed_commands(help_text: str) -> list[str]:
    return re.findall(r"^/([a-z_]+) ", help_text, flags=re.M)


@pytest.fixture(scope="module", autouse=True)
def fresh_screenshots():
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)


@pytest.fixture(params=list(VIEWPORTS))
def web_chat(request, tmp_path):
    from playwright.sync_api import sync_playwright
    name = request.param
    shots = SCREENSHOTS / name
    shots.mkdir(parents=True, exist_ok=True)
    sandbox = SandboxProcess(tmp_path / "data")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            try:
                page = browser.new_page(viewport=VIEWPORTS[name])
                page.set_default_timeout(20_000)
                page.goto(sandbox.page_url)
                page.wait_for_selector("text=已连接")
                yield WebChat(page, shots), sandbox
            finally:
                browser.close()
    finally:
        sandbox.stop()
    print(f"screenshots: {shots.relative_to(ROOT)}/")


def test_each_role_finds_its_commands_and_finishes_its_work_in_the_browser(web_chat):
    chat, sandbox = web_chat
    assert chat.composer_fits()

    # The enterprise: its menu and /help list exactly its commands.
    chat.send("/start", says="风险补偿助手")
    chat.shot("enterprise-start")
    assert listed_commands(chat.send("/help", says="可用的命令")) == list(ROLE_COMMANDS["enterprise"])
    chat.page.click("#menu-button")
    chat.page.wait_for_selector("#menu.open button")
    assert chat.page.locator("#menu button").count() == len(ROLE_COMMANDS["enterprise"])
    chat.shot("enterprise-menu")
    chat.page.click("#menu button:has-text('/claims')")
    chat.page.wait_for_selector(".msg.bot >> text=补偿申请")
    chat.shot("enterprise-claims")

    # A stranger with a code from the loan book sees nothing of the enterprise until someone confirms.
    chat.persona(STRANGER)
    assert listed_commands(chat.send("/help", says="可用的命令")) == list(ROLE_COMMANDS["guest"])
    chat.send("/bind", says="18位")
    chat.send(DEMO_CODE, says="企业全称")
    pending = chat.send("示例科技有限公司", says="确认前不会显示")
    assert "DEMO-001" not in pending
    claims = chat.send("/claims")
    assert "/bind" in claims and "DEMO-001" not in claims and "元" not in claims
    chat.shot("stranger-bind")

    # The officer: an upload is previewed and replaces nothing until confirmed; then a claim.
    chat.persona(OFFICER)
    assert "本行逾期情况" in chat.send("/start", says="客户经理")
    chat.shot("officer-start")
    assert listed_commands(chat.send("/help", says="可用的命令")) == list(ROLE_COMMANDS["officer"])
    book = csv_bytes([row("DEMO-001", principal="1000000", overdue_days="75"),
                      row("N-2", credit_code=credit_code(2), enterprise="新二科技有限公司", principal="2000000")])
    preview = chat.upload("book.csv", book, says="尚未导入")
    assert "已导入" not in preview
    chat.shot("officer-upload-preview")
    assert "贷款10笔" in chat.send("/status", says="逾期占比")  # the demo book, untouched until confirmed
    chat.press("确认替换台账", says="已导入")
    assert "贷款2笔" in chat.send("/status", says="逾期占比")
    chat.send("/file_claim", says="DEMO-001")
    chat.press("DEMO-001")
    chat.send("50万", says="测算")
    chat.press("提交申请", says="已提交")
    chat.shot("officer-claim-filed")

    # Staff: exactly their commands; the review desk; asking the bank for more.
    chat.persona(STAFF)
    assert "审核台" in chat.send("/start", says="工作人员")
    chat.shot("staff-start")
    assert listed_commands(chat.send("/help", says="可用的命令")) == list(ROLE_COMMANDS["staff"])
    chat.press("审核台", says="待处理补偿申请")
    chat.shot("staff-review-desk")
    chat.press("C2", says="审核台")
    chat.press("请银行补充材料", says="请发送需要银行补充的内容")
    chat.send("请提供质押登记证明", says="已转给银行客户经理")

    # The officer answers with text and a file; staff see both, on the notice and on the claim.
    chat.persona(OFFICER)
    chat.press("补充材料", says="请发送文字说明")
    chat.send("登记证明见附件")
    chat.upload("质押登记证明.pdf", b"%PDF-1.4 proof", says="质押登记证明.pdf")
    chat.press("提交补充材料", says="转交资金管理人")
    chat.persona(STAFF)
    chat.page.wait_for_selector(".msg.bot >> text=登记证明见附件")
    chat.page.wait_for_selector(".msg.bot a:has-text('质押登记证明.pdf')")
    chat.shot("staff-supplement-received")
    audit = chat.send("/audit", says="操作记录")
    assert "{" not in audit and "_fen" not in audit and "银行补充材料" in audit and "李强（@liqiang_bank）" in audit
    chat.shot("staff-audit")
    chat.send("/report")
    chat.page.wait_for_selector(".msg.bot img")
    chat.page.wait_for_timeout(500)
    image = chat.page.locator(".msg.bot img").last.bounding_box()
    assert image["width"] >= 0.8 * min(chat.page.viewport_size["width"], 900)  # the chart is readable, not a thumbnail
    chat.shot("staff-report")
    officers = chat.send("/officers 示例银行", says="客户经理")
    assert "李强（@liqiang_bank）" in officers
    chat.shot("staff-officers")
    assert chat.composer_fits()


def test_the_page_carries_on_across_a_restart_of_the_sandbox(web_chat):
    chat, sandbox = web_chat
    chat.send("/start", says="风险补偿助手")
    sandbox.stop()
    chat.page.wait_for_selector("#status:has-text('重试')")
    again = SandboxProcess(sandbox.data_dir, port=sandbox.port)
    try:
        chat.page.wait_for_selector("#status:has-text('已连接')")
        assert chat.page.locator(".msg.bot >> text=风险补偿助手").count() >= 1  # the history is still there
        chat.press("资格自查", says="第1/8题")  # a button from before the restart still works
        chat.send("/help", says="可用的命令")
        assert "⚠" not in chat.page.inner_text("#status")
        chat.shot("after-restart")
    finally:
        again.stop()
