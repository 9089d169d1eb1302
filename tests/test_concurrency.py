"""Nothing one user does stalls everyone (issue 15): through the sandbox, while an officer's 100,000-row book is
being checked and staff's /report and /monitor run, another user's /start is answered first."""

import csv
import io
import time

import pytest

from bot.services.demo import OFFICER_USER, STAFF_USER
from tests.loan_books import CODE, HEADER
from tests.sandbox_process import SandboxProcess

NEWCOMER = 777_001


def _big_book(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for i in range(rows):
        writer.writerow([f"BIG-{i:06d}", "示例银行", CODE, "示例科技有限公司", 1_000_000 + i, "2025-03-01",
                         "2026-03-01", 0 if i % 10 else 20])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def sandbox(tmp_path):
    process = SandboxProcess(tmp_path / "data")
    yield process
    process.stop()


def test_another_users_start_is_answered_while_an_upload_a_report_and_a_monitoring_run_are_under_way(
        sandbox, figures):
    book = _big_book(100_000)
    assert sandbox.http.post("/sandbox/api/upload", data={"user_id": str(OFFICER_USER)},
                             files={"file": ("book.csv", book)}).json()["ok"]
    for command in ("/report", "/monitor"):
        assert sandbox.http.post("/sandbox/api/send", json={"user_id": STAFF_USER, "text": command}).json()["ok"]
    started = time.monotonic()
    [welcome, *_] = sandbox.send(NEWCOMER, "/start")
    answered = time.monotonic() - started
    assert "/bind" in welcome["text"]
    officer_so_far = sandbox.texts(sandbox.messages(OFFICER_USER))
    assert "正在逐行核对" in officer_so_far and "已通过校验" not in officer_so_far  # the book is still being checked
    deadline = time.monotonic() + 120
    while "已通过校验" not in sandbox.texts(sandbox.messages(OFFICER_USER)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert "已通过校验" in sandbox.texts(sandbox.messages(OFFICER_USER))  # and the book's check did finish
    figures(f"/start answered in {answered:.2f} s (including 0.4 s of settling) while a 100,000-row book "
                   "was checked and /report and /monitor ran")


def _update(update_id: int, chat: int):
    from telegram import Update

    return Update.de_json({"update_id": update_id, "message": {
        "message_id": update_id, "date": 0, "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "u"}, "text": "hi"}}, None)


async def test_one_chats_updates_run_in_order_while_other_chats_run_alongside():
    import asyncio

    from bot.telegram_adapter.ordering import PerChatOrder

    processor = PerChatOrder(8)
    log: list[str] = []

    async def handle(name: str, seconds: float):
        log.append(f"{name} start")
        await asyncio.sleep(seconds)
        log.append(f"{name} end")

    await asyncio.gather(processor.process_update(_update(1, 10), handle("a1", 0.05)),
                         processor.process_update(_update(2, 10), handle("a2", 0)),
                         processor.process_update(_update(3, 20), handle("b1", 0)))
    assert log.index("a1 end") < log.index("a2 start")  # the same chat: in arrival order, one at a time
    assert log.index("b1 end") < log.index("a1 end")  # another chat did not wait for it
    assert processor._locks == {}  # no lock is kept for a chat with nothing in flight
