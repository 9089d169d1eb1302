"""Loan-book import at scale (issue 14): ``ipbot import`` of a --rows CSV against its floor in the same run, the
same file read with ``csv.reader`` and written with one ``executemany`` into a table of the same columns and
indexes, each in a process of its own; the peak RSS of both. Run at two sizes, memory must stay flat.

Targets: import <= 3x the floor at every size; the larger file's peak RSS within 1.25x the smaller's.
Exits 1 when missed.
Run: .venv/bin/python bench/import_scale.py [--rows 100000 500000]
"""

import argparse
import csv
import os
import random
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


def _run(args: list[str], env: dict) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{args[:4]} failed with status {status}")
    return seconds, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 500_000])
    args = parser.parse_args()
    verdict = Verdict("import_scale")
    peaks = []
    for rows in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            book = Path(tmp) / "book.csv"
            write_book(book, rows)
            env = {**os.environ, "IPBOT_DATA_DIR": str(Path(tmp) / "data")}
            floor, floor_rss = _run([sys.executable, "-c", RAW_IMPORT, str(book), str(Path(tmp) / "raw.sqlite3")], env)
            seconds, rss = _run([sys.executable, "-m", "bot", "import", str(book), "--as-of", "2026-11-22", "--json"],
                                env)
        print(f"{rows} rows: ipbot import peak RSS {rss:.0f} MB, raw {floor_rss:.0f} MB")
        verdict.ratio(f"import {rows} rows", seconds, floor, 3, floor_name="csv.reader + executemany")
        peaks.append(rss)
    if len(peaks) > 1:
        verdict.at_most(f"peak RSS at {args.rows[-1]} rows over {args.rows[0]}", max(peaks) / peaks[0], 1.25, "x")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
