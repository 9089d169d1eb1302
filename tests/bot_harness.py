"""Drive the real bot: `BotHarness` builds the Application against `FakeTelegram` and feeds it Updates
the way Telegram would send them (callback data resolved as PTB's webhook path does)."""

import itertools
import re
import time
from pathlib import Path

from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.services.container import open_services
from tests.telegram_fake import FakeTelegram

STAFF = 9001


class BotHarness:
    def __init__(self, data_dir: Path, **settings):
        self.settings = Settings(IPBOT_DATA_DIR=data_dir, IPBOT_STAFF_IDS=[STAFF], **settings)
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self.app = None
        self.fake = None

    async def start(self, wait_for_qa: bool = True) -> "BotHarness":
        self.fake = self.fake or FakeTelegram()
        services = await open_services(self.settings)
        if wait_for_qa:
            await services.answerer()  # a test's first question never waits for a first start's index build
        self.app = build_application(self.settings, services=services, request=self.fake, rate_limiter=False)
        await self.app.initialize()
        await self.app.post_init(self.app)
        return self

    async def stop(self) -> None:
        await self.app.shutdown()
        await self.app.post_shutdown(self.app)

    async def restart(self) -> None:
        """A clean restart: a new Application and store on the same data directory."""
        await self.stop()
        await self.start()

    @property
    def services(self):
        return self.app.services

    def _user(self, user_id: int) -> dict:
        return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}", "username": f"u{user_id}",
                "language_code": "zh-hans"}

    async def _process(self, payload: dict, chat_id: int) -> list[dict]:
        self.fake.rules.user_wrote(chat_id)
        mark = len(self.fake.calls)
        update = Update.de_json({"update_id": next(self._update_ids), **payload}, self.app.bot)
        self.app.bot.insert_callback_data(update)
        await self.app.process_update(update)
        return self.fake.sent_since(mark, chat_id)

    def _message(self, user_id: int, **content) -> dict:
        return {"message_id": next(self._message_ids), "date": int(time.time()), "from": self._user(user_id),
                "chat": {"id": user_id, "type": "private", "first_name": f"user{user_id}"}, **content}

    async def send(self, user_id: int, text: str) -> list[dict]:
        """The user types ``text``; returns what the bot sent to that chat in answer."""
        content = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._process({"message": self._message(user_id, **content)}, user_id)

    async def edit(self, user_id: int, text: str) -> list[dict]:
        """The user edits an earlier message of theirs to ``text``."""
        message = self._message(user_id, text=text, edit_date=int(time.time()))
        return await self._process({"edited_message": message}, user_id)

    async def send_in_group(self, user_id: int, text: str) -> list[dict]:
        message = self._message(user_id, text=text)
        message["chat"] = {"id": -100123, "type": "supergroup", "title": "银行群"}
        return await self._process({"message": message}, -100123)

    async def send_sticker(self, user_id: int) -> list[dict]:
        sticker = {"file_id": "s1", "file_unique_id": "s1", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "type": "regular"}
        return await self._process({"message": self._message(user_id, sticker=sticker)}, user_id)

    async def send_document(self, user_id: int, filename: str, data: bytes, caption: str | None = None) -> list[dict]:
        """The user sends a file (e.g. a loan book), optionally with a caption."""
        file_id = f"doc{next(self._message_ids)}"
        self.fake.add_file(file_id, filename, data)
        document = {"file_id": file_id, "file_unique_id": file_id, "file_name": filename, "file_size": len(data)}
        extra = {"caption": caption} if caption else {}
        return await self._process({"message": self._message(user_id, document=document, **extra)}, user_id)

    async def press(self, user_id: int, label: str, about: str | None = None) -> list[dict]:
        """The user presses the newest button labelled ``label`` in their chat (on a message mentioning
        ``about``, when given)."""
        message, data = self.fake.last_with_button(user_id, label, about)
        return await self.press_data(user_id, message, data)

    async def press_data(self, user_id: int, message: dict, data: str) -> list[dict]:
        query = {"id": str(next(self._update_ids)), "from": self._user(user_id), "chat_instance": "c",
                 "message": message, "data": data}
        self.fake.rules.query_made(query["id"])
        return await self._process({"callback_query": query}, user_id)

    async def upload_book(self, user_id: int, filename: str, data: bytes) -> list[dict]:
        """An officer sends a loan book and, when it would replace the bank's book, confirms the preview."""
        sent = await self.send_document(user_id, filename, data)
        if any(b["text"] == "确认替换台账" for m in sent for row in (m.get("reply_markup") or {}).get(
                "inline_keyboard", []) for b in row):
            sent += await self.press(user_id, "确认替换台账")
        return sent

    async def invite(self, staff: int, bank: str) -> str:
        """Staff's ``/invite BANK``, registering the bank when it is new; the invite's ``/start`` payload."""
        sent = await self.send(staff, f"/invite {bank}")
        if "start=" not in self.texts(sent):
            [label] = [b["text"] for row in sent[-1]["reply_markup"]["inline_keyboard"] for b in row
                       if b["text"] in (f"新建「{bank}」并邀请", f'Register "{bank}" and invite')]
            sent = await self.press(staff, label)
        return re.search(r"start=(inv-[\w-]+)", self.texts(sent)).group(1)

    def texts(self, sent: list[dict]) -> str:
        return "\n".join(m.get("text", "") for m in sent)

    def calls(self, method: str) -> list:
        return [c for c in self.fake.calls if c.method == method]
