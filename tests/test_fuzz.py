"""Ten thousand updates nobody planned for, through the real Application and the strict fake: every role,
every command with odd arguments, amounts of every size, texts at and past Telegram's limits, JSON-looking
text, stickers, documents, presses on live and stale buttons. Not one may reach the error handler."""

import logging
import random

import pytest

from bot.telegram_adapter.menu import ROLE_COMMANDS
from tests.bot_harness import STAFF, BotHarness
from tests.loan_books import csv_bytes, row

UPDATES = 10_000
USERS = (1001, 1002, 2001, STAFF)
COMMANDS = sorted({c for commands in ROLE_COMMANDS.values() for c in commands} | {"invite", "nonsense"})
PIECES = ["", "0", "-1", "1" * 27, "1e30", "三百万", "1.5亿", "600w", "50万", "3,000,000", "C2026112800001",
          "91350100M000100Y43", "示例科技有限公司", "示例银行", "[1, 2]", '{"a": 1}', "<b>x", "{{ name }}",
          "{{ 'a' * 10 }}", "是", "否", "专利权", "/start", "字" * 5000, "🙂", "\u202e", "x" * 64, " ", "\n\n"]


def random_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return f"/{rng.choice(COMMANDS)} {' '.join(rng.choice(PIECES) for _ in range(rng.randint(0, 2)))}".strip()
    return " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 3))) or "?"


@pytest.fixture
async def bot(tmp_path):
    harness = await BotHarness(tmp_path / "data").start()
    yield harness
    await harness.stop()


async def test_ten_thousand_unplanned_updates_raise_nothing(bot, caplog, figures):
    rng = random.Random(20261128)
    caplog.set_level(logging.ERROR, logger="handlers.errors")
    await bot.send(STAFF, "/start")
    await bot.send(2001, "/start " + await bot.invite(STAFF, "示例银行"))
    book = [row(f"L{i}", principal="1000000", overdue_days=str(rng.choice([0, 20, 59, 60, 120]))) for i in range(8)]
    await bot.send_document(2001, "book.csv", csv_bytes(book))
    for n in range(UPDATES):
        user = rng.choice(USERS)
        kind = rng.random()
        if kind < 0.55:
            await bot.send(user, random_text(rng))
        elif kind < 0.85:
            buttons = [(m, b["callback_data"]) for (chat, _), m in bot.fake.messages.items() if chat == user
                       for r in m.get("reply_markup", {}).get("inline_keyboard", []) for b in r]
            if buttons:
                message, data = rng.choice(buttons[-30:])
                await bot.press_data(user, message, data if rng.random() < 0.9 else "0" * 64)
        elif kind < 0.92:
            await bot.send_sticker(user)
        else:
            data = csv_bytes(book) if rng.random() < 0.5 else rng.choice([b"", b"\xff\xfe", b"loan_id\n1\n"])
            await bot.send_document(user, rng.choice(["book.csv", "a.xlsx", "x.pdf"]), data)
        assert not caplog.records, f"update {n}: {caplog.records[0].getMessage()}"
    figures(f"fuzz: {UPDATES} updates through the real Application, 0 unhandled")
