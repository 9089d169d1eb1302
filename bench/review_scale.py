"""The staff review desk at scale (issue 15): --claims claims waiting and --banks pending suspension approvals
over banks with --loans loans in all. Times what /review computes before it answers (the desk's first page and
the decisions waiting) and exits 1 past --max-seconds (2 s).
Run: .venv/bin/python bench/review_scale.py [--claims 10000] [--banks 50] [--loans 200000]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.monitor_scale import PROGRAM, _book  # noqa: E402
from bench.verdict import Verdict  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import claims_workflow  # noqa: E402
from bot.services.container import open_services  # noqa: E402
from bot.services.monitoring import SUSPEND_REQUEST  # noqa: E402
from bot.store.claims import NewClaim  # noqa: E402

STAFF = 9001


async def measure(data_dir: Path, claims: int, banks: int, loans: int) -> tuple[float, int, int]:
    import random

    services = await open_services(Settings(IPBOT_DATA_DIR=data_dir, IPBOT_STAFF_IDS=str(STAFF)))
    store = services.store
    rng = random.Random(3)
    for b in range(banks):
        await store.loans.replace_snapshot(PROGRAM, "2026-11-01", _book(rng, b, loans // banks), actor="bench")
        bank = await store.banks.by_name(f"银行{b:02d}")
        await store.alerts.raise_alert(PROGRAM, SUSPEND_REQUEST, "bench", bank_id=bank.id, level="suspend")
    for i in range(claims):
        await store.claims.file(NewClaim(PROGRAM, 1 + i % banks, f"B{i % banks:02d}-{i:07d}", "91350100M000100Y43",
                                         f"企业{i}", 100_000_000, 50_000_000, 90, 10_000_000, None, "patent", True,
                                         "[]"), actor="bench")
    start = time.perf_counter()
    desk = await claims_workflow.review_desk(services)
    decisions = await claims_workflow.desk_decisions(services, STAFF)
    seconds = time.perf_counter() - start
    await services.close()
    return seconds, desk.total, len(decisions)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--banks", type=int, default=50)
    parser.add_argument("--loans", type=int, default=200_000)
    parser.add_argument("--max-seconds", type=float, default=2.0)
    args = parser.parse_args()
    verdict = Verdict("review_scale")
    with tempfile.TemporaryDirectory() as tmp:
        seconds, waiting, decisions = asyncio.run(measure(Path(tmp), args.claims, args.banks, args.loans))
    print(f"desk: {waiting} claims waiting, shown as one paged message; {decisions} suspension/fund decisions")
    verdict.at_most("/review answer computed", seconds, args.max_seconds, "s")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
