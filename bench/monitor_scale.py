"""Monitoring at scale: the daily run (第十二、十八、十九条) over --loans current loans in --banks banks, each
bank also holding an older snapshot, with officers and staff to notify, against its floor: one raw
``SELECT … GROUP BY bank_id`` over the same report date of the same file, timed in the same process.

Prints both, their ratio (target <= 1.5x) and the run's peak RSS; exits 1 when the ratio is missed.
The store is filled by a separate process first, so the peak RSS is the run's own.
Run: .venv/bin/python bench/monitor_scale.py [--loans 1000000] [--banks 50]
"""

import argparse
import asyncio
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.verdict import Verdict  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services.container import open_services  # noqa: E402
from bot.services.monitoring import run_monitoring  # noqa: E402
from bot.store import Store  # noqa: E402
from bot.store.loans import LoanRecord  # noqa: E402

PROGRAM = "cq-jiangbei-2024"
REPORT_DATES = (date(2026, 10, 1), date(2026, 11, 1))
OFFICERS_PER_BANK = 2
STAFF = "9001,9002,9003"
OVERDUE_DAYS = 60


def _book(rng: random.Random, bank: int, loans: int) -> list[LoanRecord]:
    records = []
    for i in range(loans):
        issued = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
        records.append(LoanRecord(
            bank=f"银行{bank:02d}", loan_id=f"B{bank:02d}-{i:07d}", credit_code="91350100M000100Y43",
            enterprise=f"企业{i % 5000}", principal_fen=rng.randrange(10_000_000, 1_000_000_000),
            issued_on=issued.isoformat(), due_on=(issued + timedelta(days=365)).isoformat(),
            overdue_days=rng.choice((0,) * 18 + (20, 90)) if bank % 5 else rng.choice((0,) * 8 + (30, 120))))
    return records


async def fill(db_path: Path, loans: int, banks: int) -> None:
    """Each bank: an older snapshot of half its size, the current one, and its officers."""
    store = await Store.open(db_path)
    await store.programs.ensure([PROGRAM])
    rng = random.Random(7)
    per_bank = loans // banks
    for b in range(banks):
        older, current = REPORT_DATES
        await store.loans.replace_snapshot(PROGRAM, older.isoformat(), _book(rng, b, per_bank // 2), actor="bench")
        await store.loans.replace_snapshot(PROGRAM, current.isoformat(), _book(rng, b, per_bank), actor="bench")
        bank = await store.banks.by_name(f"银行{b:02d}")
        for officer in range(OFFICERS_PER_BANK):
            await store.banks.add_officer(bank.id, 500_000 + b * 10 + officer, actor="bench")
    await store.close()


def raw_group_by(db_path: Path) -> float:
    """The floor: the database's own aggregate over the current snapshot, nothing else."""
    connection = sqlite3.connect(db_path)
    start = time.perf_counter()
    connection.execute(
        "SELECT bank_id, COUNT(*), SUM(principal_fen), SUM(CASE WHEN overdue_days >= ? THEN principal_fen ELSE 0 END)"
        " FROM loans WHERE report_date = ? GROUP BY bank_id", (OVERDUE_DAYS, REPORT_DATES[-1].isoformat())).fetchall()
    seconds = time.perf_counter() - start
    connection.close()
    return seconds


async def monitoring_run(data_dir: Path) -> tuple[float, int]:
    services = await open_services(Settings(IPBOT_DATA_DIR=data_dir, IPBOT_STAFF_IDS=STAFF))
    start = time.perf_counter()
    notes = await run_monitoring(services, REPORT_DATES[-1])
    seconds = time.perf_counter() - start
    await services.close()
    return seconds, len(notes)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--banks", type=int, default=50)
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--fill", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        asyncio.run(fill(Path(args.fill), args.loans, args.banks))
        return 0
    verdict = Verdict("monitor_scale")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        db_path = data_dir / "ipbot.sqlite3"
        start = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--fill", str(db_path), "--loans", str(args.loans),
                        "--banks", str(args.banks)], check=True)
        print(f"filled {args.loans} current loans (and older snapshots of half the size) over {args.banks} banks "
              f"in {time.perf_counter() - start:.1f}s")
        floor = raw_group_by(db_path)
        seconds, notifications = asyncio.run(monitoring_run(data_dir))
        floor = min(floor, raw_group_by(db_path))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"notifications queued: {notifications}; peak RSS {peak_mb:.0f} MB")
    verdict.ratio(f"monitoring run, {args.loans} loans", seconds, floor, args.max_ratio, floor_name="raw GROUP BY")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
