"""Loan-book import at scale (issue 14): ``ipbot import`` of a --rows CSV against its floor in the same run, the
same file read with ``csv.reader`` and written with one ``executemany`` into a table of the same columns and
indexes, each in a process of its own; the peak RSS of both. Run at two sizes, memory must stay flat. The two
alternate --runs times and each figure is the median (a shared machine's speed drifts within seconds).

Targets: import <= 3x the floor at every size; the larger file's peak RSS (all the import's processes) within
1.25x the smaller's.
Exits 1 when missed.
Run: .venv/bin/python bench/import_scale.py [--rows 100000 500000] [--runs 3]
"""

import argparse
import csv
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.verdict import Verdict  # noqa: E402
from bot.rules.credit_code import CHARSET, check_character  # noqa: E402

HEADER = ["loan_id", "bank", "credit_code", "enterprise", "principal", "issued_on", "due_on", "overdue_days",
          "ip_type", "insurer"]
RAW_IMPORT = """
import csv, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript('''
CREATE TABLE loans (id INTEGER PRIMARY KEY, loan_id TEXT NOT NULL, bank TEXT NOT NULL, credit_code TEXT NOT NULL,
  enterprise TEXT NOT NULL, principal TEXT NOT NULL, issued_on TEXT NOT NULL, due_on TEXT NOT NULL,
  overdue_days TEXT NOT NULL, ip_type TEXT, insurer TEXT, UNIQUE (bank, issued_on, loan_id));
CREATE INDEX loans_by_enterprise ON loans (credit_code);
''')
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
    rows = csv.reader(f)
    next(rows)
    with db:
        db.executemany('INSERT INTO loans (loan_id, bank, credit_code, enterprise, principal, issued_on, due_on,'
                       ' overdue_days, ip_type, insurer) VALUES (?,?,?,?,?,?,?,?,?,?)', rows)
"""


def _credit_codes(count: int, rng: random.Random) -> list[str]:
    codes = []
    for _ in range(count):
        first17 = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
            rng.choice(CHARSET[:10]) for _ in range(9))
        codes.append(first17 + check_character(first17))
    return codes


def write_book(path: Path, rows: int) -> None:
    rng = random.Random(11)
    codes = _credit_codes(5000, rng)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            code = rng.randrange(len(codes))
            writer.writerow([f"L{i:07d}", f"银行{i % 50:02d}", codes[code], f"企业{code}",
                             rng.randrange(100_000, 10_000_000), "2025-03-01", "2026-03-01",
                             rng.choice((0,) * 18 + (20, 90)), "patent", "示例融资担保有限公司"])


def _tree_rss_mb(pid: int) -> float:
    """The resident memory of a process and all its descendants (a worker process's too), from /proc."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total / 2**20


def _run(args: list[str], env: dict) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one process and the processes it starts, sampled every 20 ms."""
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        peak = max(peak, _tree_rss_mb(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"{args[:4]} failed with status {process.returncode}")
    return seconds, peak


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 500_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    verdict = Verdict("import_scale")
    peaks = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            book = Path(tmp) / "book.csv"
            write_book(book, rows)
            floors, imports = [], []
            for run in range(args.runs):
                env = {**os.environ, "IPBOT_DATA_DIR": str(Path(tmp) / f"data{run}")}
                floors.append(_run([sys.executable, "-c", RAW_IMPORT, str(book), str(Path(tmp) / f"raw{run}.sqlite3")],
                                   env))
                imports.append(_run([sys.executable, "-m", "bot", "import", str(book), "--as-of", "2026-11-22",
                                     "--json"], env))
            (floor, floor_rss), (seconds, rss) = (map(statistics.median, zip(*runs)) for runs in (floors, imports))
        print(f"{rows} rows: ipbot import peak RSS {rss:.0f} MB, raw {floor_rss:.0f} MB")
        verdict.ratio(f"import {rows} rows", seconds, floor, 3, floor_name="csv.reader + executemany")
        peaks.append(rss)
    if len(peaks) > 1:
        verdict.at_most(f"peak RSS at {args.rows[-1]} rows over {args.rows[0]}", max(peaks) / peaks[0], 1.25, "x")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
