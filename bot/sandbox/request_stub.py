"""A Bot API stand-in at PTB's request layer that answers every call at once (no network): the base of the
tests' recording fake and of the benchmarks that measure the bot without Telegram."""

import asyncio
import json
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 1000000, "is_bot": True, "first_name": "ipbot", "username": "ipbot_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}


class StubTelegram(BaseRequest):
    """Answers every call with a plausible result (getMe: the bot; a send: a message), at once or after
    ``latency`` seconds, as Telegram's round trip would take."""

    def __init__(self, latency: float = 0.0):
        super().__init__()
        self.latency = latency

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @staticmethod
    def ok(name: str, params: dict) -> bytes:
        result: Any = True
        if name == "getMe":
            result = BOT_USER
        elif name == "sendMessage":
            result = {"message_id": 1, "date": 0, "chat": {"id": int(params["chat_id"]), "type": "private"},
                      "text": params["text"]}
        return json.dumps({"ok": True, "result": result}).encode()

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         **timeouts: Any) -> tuple[int, bytes]:
        if self.latency:
            await asyncio.sleep(self.latency)
        return 200, self.ok(url.rsplit("/", 1)[-1], request_data.parameters if request_data else {})
