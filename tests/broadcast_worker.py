"""A process that resumes every unfinished broadcast in IPBOT_DATA_DIR and sends it through PTB's Bot,
whose request layer appends each delivered chat id to LOG (flushed before answering, as Telegram's
delivery is done once it answers). The kill-and-restart test SIGKILLs it mid-way and runs it again.

Usage: python tests/broadcast_worker.py LOG DELAY_SECONDS
"""

import asyncio
import json
import os
import sys
from pathlib import Path

from telegram import Bot
from telegram.request import BaseRequest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.services.broadcast import BroadcastEngine  # noqa: E402
from bot.services.container import open_services  # noqa: E402
from handlers.broadcast import telegram_sender  # noqa: E402
from tests.telegram_fake import BOT_USER  # noqa: E402


class LoggingTelegram(BaseRequest):
    def __init__(self, log: Path, delay: float):
        self.log = log.open("a", buffering=1)
        self.delay = delay

    @property
    def read_timeout(self) -> float:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url, method, request_data=None, **timeouts):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if name == "sendMessage":
            await asyncio.sleep(self.delay)
            self.log.write(f"{params['chat_id']}\n")
            os.fsync(self.log.fileno())
            result = {"message_id": 1, "date": 0, "chat": {"id": int(params["chat_id"]), "type": "private"},
                      "text": params["text"]}
        else:
            result = BOT_USER if name == "getMe" else True
        return 200, json.dumps({"ok": True, "result": result}).encode()


async def main(log: Path, delay: float) -> None:
    services = await open_services(Settings())
    bot = Bot("1:worker", request=LoggingTelegram(log, delay))
    await bot.initialize()
    engine = BroadcastEngine(services, telegram_sender(bot), rate=10_000)
    for broadcast in await services.store.broadcasts.sending():
        await engine.run(broadcast.id)
    await services.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), float(sys.argv[2])))
