"""What Telegram's Bot API refuses, in one place: the sandbox and the tests' request-layer fake both ask
these checks, so a call that would fail in production fails here too.

Limits as the Bot API documents them: a message text 1-4096 characters and a caption at most 1024 (after
entities are parsed), callback data 1-64 bytes, a callback query answered within about 15 seconds and once,
an answer's text at most 200 characters, bot commands 1-32 characters of ``a-z0-9_`` with a 1-256 character
description and at most 100 of them, files of at most 20 MB through ``getFile``; 403 for a user who blocked
the bot or never started it; and flood control: a short burst to one chat is allowed, more gets 429 with
``retry_after``, as does more than about 30 messages a second overall.
"""

import html.parser
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.telegram_limits import (
    CALLBACK_ANSWER_SECONDS, MAX_ANSWER_TEXT, MAX_CALLBACK_DATA, MAX_CAPTION, MAX_COMMANDS, MAX_DOWNLOAD, MAX_TEXT,
)

#: Flood control: a burst of this many messages to one chat, then one a second; 30 a second overall.
CHAT_BURST, CHAT_PER_SECOND = 20, 1.0
GLOBAL_BURST, GLOBAL_PER_SECOND = 30, 30.0
HTML_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                       "tg-spoiler", "blockquote", "tg-emoji"})
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
SENDING = frozenset({"sendMessage", "sendDocument", "sendPhoto"})


class BotApiError(Exception):
    """A refusal in the Bot API's shape: HTTP status, description, and ``retry_after`` for 429."""

    def __init__(self, code: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict:
        body = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {description}")


#: The entity a tag of Telegram's HTML parse mode becomes.
ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
                "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "code": "code",
                "pre": "pre", "tg-spoiler": "spoiler", "blockquote": "blockquote"}


class _HtmlEntities(html.parser.HTMLParser):
    """Telegram's HTML parse mode: only its tags, each closed in order; the visible text and its entities
    (offsets and lengths in UTF-16 code units, as the Bot API counts them)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.parts: list[str] = []
        self.length = 0
        self.units = 0
        self.entities: list[dict] = []

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            raise bad(f"can't parse entities: unsupported start tag \"{tag}\"")
        self.open.append((tag, self.units))

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            raise bad(f"can't parse entities: can't find end tag corresponding to start tag \"{tag}\"")
        _, start = self.open.pop()
        if tag in ENTITY_TYPES and self.units > start:
            self.entities.append({"type": ENTITY_TYPES[tag], "offset": start, "length": self.units - start})

    def handle_data(self, data):
        self.parts.append(data)
        self.length += len(data)
        self.units += len(data.encode("utf-16-le")) // 2


def parse_entities(text: str, parse_mode: str | None) -> tuple[str, list[dict]]:
    """What Telegram shows for a text sent with ``parse_mode``: the visible text and its entities."""
    if (parse_mode or "").upper() != "HTML":
        return text, []
    parser = _parsed(text)
    return "".join(parser.parts), sorted(parser.entities, key=lambda e: e["offset"])


def visible_length(text: str, parse_mode: str | None) -> int:
    """The text's length after entities are parsed; a malformed HTML text is refused as Telegram does."""
    if (parse_mode or "").upper() != "HTML":
        return len(text)
    return _parsed(text).length


def _parsed(text: str) -> _HtmlEntities:
    parser = _HtmlEntities()
    if re.search(r"<(?![a-zA-Z/])", text):
        raise bad("can't parse entities: unexpected \"<\"; use &lt; instead")
    parser.feed(text)
    parser.close()
    if parser.open:
        raise bad(f"can't parse entities: can't find end tag corresponding to start tag \"{parser.open[-1][0]}\"")
    return parser


def check_text(text: object, parse_mode: str | None = None) -> str:
    if not isinstance(text, str) or not text.strip():
        raise bad("message text is empty")
    if visible_length(text, parse_mode) > MAX_TEXT:
        raise bad("message is too long")
    return text


def check_caption(caption: object, parse_mode: str | None = None) -> str:
    caption = caption or ""
    if not isinstance(caption, str):
        raise bad("can't parse caption")
    if visible_length(caption, parse_mode) > MAX_CAPTION:
        raise bad("message caption is too long")
    return caption


def check_markup(markup: object) -> dict | None:
    """An inline keyboard: rows of buttons, each with a text and 1-64 bytes of callback data (or a URL)."""
    if markup is None:
        return None
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise bad("can't parse reply keyboard markup JSON object")
    for row in markup["inline_keyboard"]:
        if not isinstance(row, list):
            raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA:
                raise bad("BUTTON_DATA_INVALID")
            if data is None and not button.get("url"):
                raise bad("can't parse inline keyboard button: InlineKeyboardButton must have exactly one action")
    return markup


def check_commands(commands: object) -> list:
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
        raise bad("commands must be a list of at most 100 commands")
    for command in commands:
        if not isinstance(command, dict) or not COMMAND.match(str(command.get("command", ""))):
            raise bad("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands


def check_answer_text(text: object) -> None:
    if text is not None and len(str(text)) > MAX_ANSWER_TEXT:
        raise bad("MESSAGE_TOO_LONG")


def check_download(size: int) -> None:
    if size > MAX_DOWNLOAD:
        raise bad("file is too big")


@dataclass
class _Bucket:
    capacity: float
    per_second: float
    tokens: float = -1.0
    at: float = 0.0

    def take(self, now: float) -> float:
        """Take one token; 0 if there was one, else the seconds until there will be."""
        if self.tokens < 0:
            self.tokens, self.at = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


@dataclass
class ChatRules:
    """The stateful part: which users started or blocked the bot, callback queries and their answers, and
    flood control. ``clock`` is injectable for tests."""

    clock: Callable[[], float] = time.monotonic
    flood_control: bool = True
    started: set[int] = field(default_factory=set)
    blocked: set[int] = field(default_factory=set)
    queries: dict[str, float] = field(default_factory=dict)
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _global: _Bucket = field(default_factory=lambda: _Bucket(GLOBAL_BURST, GLOBAL_PER_SECOND))

    def user_wrote(self, user_id: int) -> None:
        self.started.add(user_id)

    def set_blocked(self, user_id: int, blocked: bool) -> None:
        (self.blocked.add if blocked else self.blocked.discard)(user_id)

    def query_made(self, query_id: str) -> None:
        self.queries[query_id] = self.clock()

    def answer(self, query_id: object) -> None:
        """A callback query is answered once, within about 15 seconds of the press."""
        made = self.queries.pop(str(query_id), None)
        if made is None or self.clock() - made > CALLBACK_ANSWER_SECONDS:
            raise bad("query is too old and response timeout expired or query ID is invalid")

    def may_write(self, chat_id: int, method: str) -> None:
        """403 for a user who blocked the bot or never started it; 429 past flood control (sends only)."""
        if chat_id in self.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id > 0 and chat_id not in self.started:
            raise BotApiError(403, "Forbidden: bot can't initiate conversation with a user")
        if method not in SENDING or not self.flood_control:
            return
        now = self.clock()
        wait = self._chats.setdefault(chat_id, _Bucket(CHAT_BURST, CHAT_PER_SECOND)).take(now) or self._global.take(now)
        if wait > 0:
            raise BotApiError(429, f"Too Many Requests: retry after {math.ceil(wait)}", retry_after=math.ceil(wait))
