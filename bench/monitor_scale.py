"""Monitoring at scale: 1,000,000 loans over 50 banks in the store, then one monitoring run.

Prints the seconds of the run and the peak RSS of the process that ran it (targets: under 2 s and
300 MB on the 2-core machine). The store is filled by a separate process first, so the peak RSS is the
monitoring run's own, not the generator's.
Run: .venv/bin/python bench/monitor_scale.py [--loans 1000000] [--banks 50]
"""

import argparse
import asyncio
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bot.config import Settings
from bot.services.container import open_services
from bot.services.monitoring import run_monitoring
from bot.store import Store
from bot.store.loans import LoanRecord

PROGRAM = "cq-jiangbei-2024"
REPORT_DATE = date(2026, 11, 1)


async def fill(db_path: Path, loans: int, banks: int) -> None:
    store = await Store.open(db_path)
    await store.programs.ensure([PROGRAM])
    rng = random.Random(7)
    per_bank = loans // banks
    for b in range(banks):
        records = []
        for i in range(per_bank):
            issued = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
            records.append(LoanRecord(
                bank=f"银行{b:02d}", loan_id=f"B{b:02d}-{i:07d}", credit_code="91350100M000100Y43",
                enterprise=f"企业{i % 5000}", principal_fen=rng.randrange(10_000_000, 1_000_000_000),
                issued_on=issued.isoformat(), due_on=(issued + timedelta(days=365)).isoformat(),
                overdue_days=rng.choice((0,) * 18 + (20, 90)) if b % 5 else rng.choice((0,) * 8 + (30, 120))))
        await store.loans.replace_snapshot(PROGRAM, REPORT_DATE.isoformat(), records, actor="bench")
    await store.close()


async def measure(data_dir: Path) -> None:
    services = await open_services(Settings(IPBOT_DATA_DIR=data_dir))
    start = time.perf_counter()
    notes = await run_monitoring(services, REPORT_DATE)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await services.close()
    print(f"monitoring_run_seconds={seconds:.3f} peak_rss_mb={peak_mb:.0f} notifications={len(notes)} "
          f"(targets: < 2 s, < 300 MB)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--banks", type=int, default=50)
    parser.add_argument("--fill", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        asyncio.run(fill(Path(args.fill), args.loans, args.banks))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--fill", str(data_dir / "ipbot.sqlite3"),
                        "--loans", str(args.loans), "--banks", str(args.banks)], check=True)
        print(f"filled {args.loans} loans over {args.banks} banks in {time.perf_counter() - start:.1f}s")
        asyncio.run(measure(data_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
