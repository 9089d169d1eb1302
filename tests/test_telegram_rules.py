"""Telegram's refusals as the stand-ins apply them: both sides of every limit."""

import pytest

from bot.sandbox import telegram_rules as limits
from bot.sandbox.telegram_rules import BotApiError, ChatRules


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def refused(call, *args) -> BotApiError:
    with pytest.raises(BotApiError) as caught:
        call(*args)
    return caught.value


def test_text_of_4096_characters_passes_and_4097_is_too_long():
    limits.check_text("字" * 4096)
    assert refused(limits.check_text, "字" * 4097).description == "Bad Request: message is too long"
    assert refused(limits.check_text, "  ").description == "Bad Request: message text is empty"


def test_html_counts_after_entities_and_refuses_bad_tags():
    limits.check_text("<b>" + "字" * 4096 + "</b>", "HTML")
    assert "can't parse entities" in refused(limits.check_text, "<b>x", "HTML").description
    assert "unsupported start tag" in refused(limits.check_text, "<div>x</div>", "HTML").description
    assert "can't parse entities" in refused(limits.check_text, "1 < 2", "HTML").description
    limits.check_text("1 < 2")


def test_html_entities_count_utf16_units_as_the_bot_api_does():
    text, entities = limits.parse_entities("😀<b>150万元</b> and <i>x</i>", "HTML")
    assert text == "😀150万元 and x"
    assert entities == [{"type": "bold", "offset": 2, "length": 5}, {"type": "italic", "offset": 12, "length": 1}]
    assert limits.parse_entities("<b>plain", None) == ("<b>plain", [])


def test_callback_data_of_64_bytes_passes_and_65_is_refused():
    button = {"text": "x", "callback_data": "数" * 21 + "x"}
    limits.check_markup({"inline_keyboard": [[button]]})
    button["callback_data"] = "d" * 65
    assert refused(limits.check_markup, {"inline_keyboard": [[button]]}).description.endswith("BUTTON_DATA_INVALID")


def test_commands_follow_the_bot_api_rules():
    limits.check_commands([{"command": "fund_resume", "description": "恢复"}])
    assert refused(limits.check_commands, [{"command": "Fund", "description": "x"}]).description.endswith(
        "BOT_COMMAND_INVALID")
    assert refused(limits.check_commands, [{"command": "x", "description": ""}]).code == 400


def test_a_callback_query_is_answered_once_within_15_seconds():
    clock = Clock()
    rules = ChatRules(clock=clock)
    rules.query_made("q1")
    clock.now += 15
    rules.answer("q1")
    assert "query is too old" in refused(rules.answer, "q1").description
    rules.query_made("q2")
    clock.now += 15.01
    assert "query is too old" in refused(rules.answer, "q2").description


def test_blocked_and_never_started_users_get_403():
    rules = ChatRules()
    assert refused(rules.may_write, 5, "sendMessage").code == 403
    rules.user_wrote(5)
    rules.may_write(5, "sendMessage")
    rules.set_blocked(5, True)
    assert "blocked by the user" in refused(rules.may_write, 5, "sendMessage").description


def test_flood_control_allows_a_burst_then_one_a_second_per_chat():
    clock = Clock()
    rules = ChatRules(clock=clock)
    rules.user_wrote(7)
    for _ in range(limits.CHAT_BURST):
        rules.may_write(7, "sendMessage")
    error = refused(rules.may_write, 7, "sendMessage")
    assert error.code == 429 and error.retry_after == 1 and error.payload()["parameters"] == {"retry_after": 1}
    clock.now += 1
    rules.may_write(7, "sendMessage")
    rules.may_write(7, "editMessageText")


def test_the_sandbox_keeps_its_files_within_a_budget(tmp_path, monkeypatch):
    from bot.sandbox import server
    monkeypatch.setattr(server, "FILES_BUDGET", 250)
    sandbox = server.Sandbox("1:t", tmp_path / "files")
    first = sandbox._save_file("a.csv", b"x" * 100)
    sandbox._save_file("b.csv", b"x" * 100)
    last = sandbox._save_file("c.csv", b"x" * 100)
    assert first["file_id"] not in sandbox.files and last["file_id"] in sandbox.files
    assert sum(m["file_size"] for m in sandbox.files.values()) <= 250
    assert not (tmp_path / "files" / first["file_id"]).exists()
