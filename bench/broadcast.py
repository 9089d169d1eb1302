"""The broadcast engine against a fake Telegram at PTB's request layer (issues 14 and 15):

1. --recipients (10,000) with no pacing and an instant Telegram: sends/s of the engine itself, store outbox and
   PTB Bot included (target >= 1,000/s on an idle machine).
2. The configured rate (IPBOT_BROADCAST_RATE, 25/s) through the app's own rate limiter (AIORateLimiter) against
   a Telegram that answers after --latency seconds (100 ms) each, to the same 10,000 recipients for
   --paced-seconds (20 s; all of them take 400 s): achieved rate as a share of the configured one (>= 0.95).

Exits 1 when a target is missed.
Run: .venv/bin/python bench/broadcast.py [--recipients 10000] [--paced-seconds 20] [--latency 0.1]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from telegram.ext import AIORateLimiter, ExtBot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.verdict import Verdict  # noqa: E402
from bot.app import RATE_LIMIT_RETRIES  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.sandbox.request_stub import StubTelegram  # noqa: E402
from bot.services.broadcast import BroadcastEngine  # noqa: E402
from bot.services.container import open_services  # noqa: E402
from handlers.broadcast import telegram_sender  # noqa: E402


async def measure(recipients: int, rate: float, latency: float, limiter: bool,
                  for_seconds: float | None = None) -> tuple[int, float]:
    """Sent and seconds: the whole outbox, or what was sent in the first ``for_seconds``."""
    with tempfile.TemporaryDirectory() as tmp:
        services = await open_services(Settings(IPBOT_DATA_DIR=Path(tmp)))
        bot = ExtBot("1:bench", request=StubTelegram(latency),
                     rate_limiter=AIORateLimiter(max_retries=RATE_LIMIT_RETRIES) if limiter else None)
        await bot.initialize()
        broadcast = await services.store.broadcasts.create(9001, "bench", "通知：{{ name }}",
                                                           {1_000_000 + i: f"企业{i}" for i in range(recipients)})
        engine = BroadcastEngine(services, telegram_sender(bot), rate=rate)
        start = time.perf_counter()
        if for_seconds is None:
            counts = await engine.run(broadcast.id)
        else:
            running = asyncio.create_task(engine.run(broadcast.id))
            await asyncio.sleep(for_seconds)
            counts = await services.store.broadcasts.counts(broadcast.id)
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
        seconds = time.perf_counter() - start
        await bot.shutdown()
        await services.close()
        return counts.sent, seconds


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--paced-seconds", type=float, default=20.0)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    verdict = Verdict("broadcast")
    sent, seconds = asyncio.run(measure(args.recipients, rate=1e9, latency=0.0, limiter=False))
    print(f"unpaced: {sent} sent in {seconds:.2f}s")
    verdict.at_least("engine sends/s, no pacing", sent / seconds, 1000, "sends/s")
    configured = Settings().broadcast_rate
    sent, seconds = asyncio.run(measure(args.recipients, rate=configured, latency=args.latency, limiter=True,
                                        for_seconds=args.paced_seconds))
    print(f"paced, {args.recipients} recipients: {sent} sent in the first {seconds:.2f}s = {sent / seconds:.2f}/s of {configured:g}/s configured, "
          f"Telegram answering in {args.latency * 1000:.0f} ms, the app's rate limiter on")
    verdict.at_least("achieved / configured rate", sent / seconds / configured, 0.95, "")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
