"""The broadcast engine against a fake Telegram that answers at once.

1. 10,000 recipients with no pacing: sends/s of the engine itself (store outbox + PTB Bot; target >= 1,000/s).
2. The default rate (IPBOT_BROADCAST_RATE, 25/s) over --paced recipients: achieved rate as a fraction of
   the configured one (target >= 0.95).
Run: .venv/bin/python bench/broadcast.py [--recipients 10000] [--paced 500]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from telegram import Bot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.services.broadcast import BroadcastEngine  # noqa: E402
from bot.services.container import open_services  # noqa: E402
from handlers.broadcast import telegram_sender  # noqa: E402
from bot.sandbox.request_stub import StubTelegram  # noqa: E402


async def measure(recipients: int, rate: float) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        services = await open_services(Settings(IPBOT_DATA_DIR=Path(tmp)))
        bot = Bot("1:bench", request=StubTelegram())
        await bot.initialize()
        broadcast = await services.store.broadcasts.create(9001, "bench", "通知：{{ name }}",
                                                           {1_000_000 + i: f"企业{i}" for i in range(recipients)})
        engine = BroadcastEngine(services, telegram_sender(bot), rate=rate)
        start = time.perf_counter()
        counts = await engine.run(broadcast.id)
        seconds = time.perf_counter() - start
        await services.close()
        return counts.sent, seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=500)
    args = parser.parse_args()
    sent, seconds = asyncio.run(measure(args.recipients, rate=1e9))
    print(f"unpaced: {sent} sent in {seconds:.2f}s = {sent / seconds:.0f} sends/s (target >= 1000/s)")
    configured = Settings().broadcast_rate
    sent, seconds = asyncio.run(measure(args.paced, rate=configured))
    achieved = sent / seconds
    print(f"paced: {sent} sent in {seconds:.2f}s = {achieved:.2f}/s of {configured:.0f}/s configured "
          f"= {achieved / configured:.3f} (target >= 0.95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
