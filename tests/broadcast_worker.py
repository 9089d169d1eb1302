"""A process that resumes every unfinished broadcast in IPBOT_DATA_DIR and sends it through PTB's Bot,
whose request layer appends each delivered chat id to LOG (flushed before answering, as Telegram's
delivery is done once it answers). The kill-and-restart test SIGKILLs it mid-way and runs it again.

Usage: python tests/broadcast_worker.py LOG DELAY_SECONDS
"""

import asyncio
import os
import sys
from pathlib import Path

from telegram import Bot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.services.broadcast import BroadcastEngine  # noqa: E402
from bot.services.container import open_services  # noqa: E402
from handlers.broadcast import telegram_sender  # noqa: E402
from bot.sandbox.request_stub import StubTelegram  # noqa: E402


class LoggingTelegram(StubTelegram):
    def __init__(self, log: Path, delay: float):
        self.log = log.open("a", buffering=1)
        self.delay = delay

    async def do_request(self, url, method, request_data=None, **timeouts):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if name == "sendMessage":
            await asyncio.sleep(self.delay)
            self.log.write(f"{params['chat_id']}\n")
            os.fsync(self.log.fileno())
        return 200, self.ok(name, params)


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
