"""A process doing one of the paths that move state, to be SIGKILLed at any moment and run again.

Its Bot's request layer appends each delivered chat id to LOG (flushed before answering, as Telegram's
delivery is done once it answers); it prints ``ready`` once set up, so the test kills it while it works.

Usage: python tests/kill_worker.py PATH LOG DELAY_SECONDS
  broadcast      resume every unfinished broadcast
  notifications  deliver every pending notification of the outbox
  import         import tests' big loan book (ROWS rows) as today's snapshot
  approval       move every claim along start_review -> approve -> mark_paid, one step at a time
"""

import asyncio
import os
import sys
from datetime import date
from pathlib import Path

from telegram import Bot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import Settings  # noqa: E402
from bot.policies import load_packs  # noqa: E402
from bot.sandbox.request_stub import StubTelegram  # noqa: E402
from bot.services import claims_workflow  # noqa: E402
from bot.services.broadcast import BroadcastEngine  # noqa: E402
from bot.services.container import Services  # noqa: E402
from bot.services.loan_import import import_loan_book  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.telegram_adapter.push import deliver_pending  # noqa: E402
from handlers.broadcast import telegram_sender  # noqa: E402
from tests.loan_books import csv_bytes, row  # noqa: E402

ROWS = 20_000
TODAY = date(2026, 11, 28)
NEXT = {"filed": ("start_review", "fund_manager"), "under_review": ("approve", "bureau"),
        "approved": ("mark_paid", "fund_manager")}


def big_book() -> bytes:
    return csv_bytes([row(f"L{i:06d}", principal="1000000", overdue_days=str(i % 200)) for i in range(ROWS)])


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


async def main(path: str, log: Path, delay: float) -> None:
    settings = Settings()
    store = await Store.open(settings.db_path)
    packs = load_packs(settings.policy_dir)
    services = Services(settings, store, packs, qa=None)
    bot = Bot("1:worker", request=LoggingTelegram(log, delay))
    await bot.initialize()
    print("ready", flush=True)
    if path == "broadcast":
        engine = BroadcastEngine(services, telegram_sender(bot), rate=10_000)
        for broadcast in await store.broadcasts.sending():
            await engine.run(broadcast.id)
    elif path == "notifications":
        await deliver_pending(bot, services)
    elif path == "import":
        await import_loan_book(store, services.programs[0], big_book(), "big.csv", report_date=TODAY, actor="worker")
    elif path == "approval":
        for claim in await store.claims.all_for_program(services.programs[0].id):
            while claim.status in NEXT:
                action, role = NEXT[claim.status]
                claim, _ = await claims_workflow.act(services, claim.claim_no, action, actor_role=role,
                                                     actor="worker", today=TODAY)
                await asyncio.sleep(delay)
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])))
