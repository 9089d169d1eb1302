"""A fake Telegram at PTB's request layer (like PTB's own ``tests/auxil/networking.OfflineRequest``):
it records every Bot API call and answers in the Bot API's JSON shapes, so tests run the real
`Application` on real `Update` objects. Failures can be queued per method to test error handling."""

import itertools
import random
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram.error import TimedOut
from telegram.request import RequestData

from bot.sandbox import telegram_rules as limits
from bot.sandbox.request_stub import BOT_USER, StubTelegram
from bot.sandbox.telegram_rules import BotApiError, ChatRules


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True


@dataclass
class FakeTelegram(StubTelegram):
    calls: list[Call] = field(default_factory=list)
    messages: dict[tuple[int, int], dict] = field(default_factory=dict)
    failures: dict[str, list[dict]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    chat_failures: dict[int, list[Any]] = field(default_factory=dict)
    #: What Telegram refuses, shared with the sandbox; users count as having started the bot once they write.
    rules: ChatRules = field(default_factory=lambda: ChatRules(flood_control=False))
    #: A share of sends that time out (a seeded random, so a failing run can be replayed).
    fault_rate: float = 0.0
    _random: Any = field(default_factory=lambda: random.Random(7))
    _ids: Any = field(default_factory=lambda: itertools.count(5000))

    def fail(self, method: str, error_code: int, description: str, times: int = 1, **parameters: Any) -> None:
        """The next ``times`` calls of ``method`` answer with this Bot API error."""
        error = {"ok": False, "error_code": error_code, "description": description}
        if parameters:
            error["parameters"] = parameters
        self.failures.setdefault(method, []).extend([error] * times)

    def fail_chat(self, chat_id: int, failure: Any, times: int = 1) -> None:
        """The next ``times`` sends to ``chat_id`` fail: an exception to raise (e.g. TimedOut) or a Bot API
        error as (error_code, description, parameters)."""
        self.chat_failures.setdefault(chat_id, []).extend([failure] * times)

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        if "/file/bot" in url:
            path = url.split("/file/bot", 1)[1].split("/", 1)[1]
            return 200, next(data for file_path, data in self.files.values() if file_path == path)
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data is not None else {}
        call = Call(name, params)
        self.calls.append(call)
        chat_id = params.get("chat_id")
        if self.fault_rate and name.startswith("send") and self._random.random() < self.fault_rate:
            call.ok = False
            raise TimedOut()
        queued = self.chat_failures.get(int(chat_id)) if chat_id is not None and name.startswith("send") else None
        if queued:
            failure = queued.pop(0)
            call.ok = False
            if isinstance(failure, Exception):
                raise failure
            code, description, parameters = failure
            error = {"ok": False, "error_code": code, "description": description, **({"parameters": parameters} if parameters else {})}
            return code, json.dumps(error).encode()
        if self.failures.get(name):
            error = self.failures[name].pop(0)
            call.ok = False
            return error["error_code"], json.dumps(error).encode()
        try:
            self._check(name, params)
        except BotApiError as refusal:
            call.ok = False
            return refusal.code, json.dumps(refusal.payload()).encode()
        return 200, json.dumps({"ok": True, "result": self._result(name, params)}).encode()

    def _check(self, name: str, params: dict) -> None:
        """Refuse what Telegram refuses (`bot.sandbox.telegram_rules`), before answering."""
        if name in ("sendMessage", "editMessageText"):
            limits.check_text(params.get("text"), params.get("parse_mode"))
        if name in ("sendDocument", "sendPhoto"):
            limits.check_caption(params.get("caption"), params.get("parse_mode"))
        if "reply_markup" in params:
            limits.check_markup(params["reply_markup"])
        if name == "setMyCommands":
            limits.check_commands(params.get("commands"))
        if name == "answerCallbackQuery":
            limits.check_answer_text(params.get("text"))
            self.rules.answer(params.get("callback_query_id"))
        if name in ("editMessageText", "editMessageReplyMarkup"):
            current = self.messages.get((int(params["chat_id"]), int(params["message_id"])))
            if current is None:
                raise limits.bad("message to edit not found")
            same_text = name == "editMessageReplyMarkup" or params.get("text") == current.get("text")
            if same_text and params.get("reply_markup") == current.get("reply_markup"):
                raise limits.bad("message is not modified: specified new message content and reply markup are "
                                 "exactly the same as a current content and reply markup of the message")
        if "chat_id" in params and (name.startswith("send") or name.startswith("edit")):
            self.rules.may_write(int(params["chat_id"]), name)

    def _message(self, chat_id: int, **content: Any) -> dict:
        message = {"message_id": next(self._ids), "date": int(time.time()), "from": BOT_USER,
                   "chat": {"id": int(chat_id), "type": "private"}, **content}
        self.messages[(int(chat_id), message["message_id"])] = message
        return message

    def _result(self, name: str, params: dict) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "getUpdates":
            return []
        if name == "getFile":
            path, data = self.files[params["file_id"]]
            return {"file_id": params["file_id"], "file_unique_id": params["file_id"], "file_size": len(data),
                    "file_path": path}
        if name == "sendMessage":
            return self._message(params["chat_id"], text=params["text"],
                                 **({"reply_markup": params["reply_markup"]} if "reply_markup" in params else {}))
        if name in ("sendDocument", "sendPhoto"):
            kind = "document" if name == "sendDocument" else "photo"
            media = {"file_id": "f1", "file_unique_id": "u1"}
            return self._message(params["chat_id"], **{kind: media if kind == "document" else [media | {"width": 1, "height": 1}]},
                                 **({"caption": params["caption"]} if "caption" in params else {}))
        if name in ("editMessageText", "editMessageReplyMarkup"):
            message = dict(self.messages[(int(params["chat_id"]), int(params["message_id"]))])
            if name == "editMessageText":
                message["text"] = params["text"]
            message.pop("reply_markup", None)
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            message["edit_date"] = int(time.time())
            self.messages[(message["chat"]["id"], message["message_id"])] = message
            return message
        return True

    def add_file(self, file_id: str, name: str, data: bytes) -> None:
        """A file a user uploaded, as Telegram would serve it to the bot (its path ASCII, as Telegram's are,
        whatever the file's own name)."""
        suffix = name.rsplit(".", 1)[-1] if "." in name else "bin"
        self.files[file_id] = (f"documents/{file_id}.{suffix}", data)

    # What tests look at -------------------------------------------------------------------------

    def delivered(self, method: str = "sendMessage") -> dict[int, int]:
        """How many successful sends each chat got."""
        counts: dict[int, int] = {}
        for call in self.calls:
            if call.method == method and call.ok:
                chat = int(call.params["chat_id"])
                counts[chat] = counts.get(chat, 0) + 1
        return counts

    def sent_since(self, mark: int, chat_id: int | None = None) -> list[dict]:
        """Messages sent (not edits) since call number ``mark``, optionally to one chat."""
        out = []
        for call in self.calls[mark:]:
            if call.method in ("sendMessage", "sendDocument", "sendPhoto"):
                if chat_id is None or int(call.params["chat_id"]) == chat_id:
                    out.append(call.params)
        return out

    def last_with_button(self, chat_id: int, label: str, about: str | None = None) -> tuple[dict, str]:
        """The newest message to ``chat_id`` showing a button whose text contains ``label`` (and whose text
        contains ``about``, when given), and the button's data."""
        for (chat, _), message in sorted(self.messages.items(), key=lambda item: item[0][1], reverse=True):
            if chat != chat_id or (about is not None and about not in message.get("text", "")):
                continue
            for row in message.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    if label in button["text"]:
                        return message, button["callback_data"]
        raise AssertionError(f"no button {label!r} in chat {chat_id}")
