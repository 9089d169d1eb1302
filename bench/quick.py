"""Every bench in a small, quick configuration, one after the other, as CI runs them after the tests so a
regression shows in its log. Prints each bench's figures and a summary line; exits 1 if any missed a target.
Small sizes put fixed costs in the ratios (a monitoring run of 200,000 loans, not 1,000,000): the full
configurations are each bench's defaults.
Run: .venv/bin/python bench/quick.py
"""

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
QUICK = {
    "qa_eval.py": ["--split", "test"],
    "start.py": ["--runs", "1"],
    "monitor_scale.py": ["--loans", "200000"],
    "import_scale.py": ["--rows", "40000", "80000", "--runs", "1"],  # both books large enough for the worker process
    "review_scale.py": ["--claims", "2000", "--loans", "20000"],
    "broadcast.py": ["--recipients", "2000", "--paced-seconds", "10"],
    "throughput.py": ["--users", "20", "--messages", "5"],
}


def main() -> int:
    missed = []
    for bench, args in QUICK.items():
        print(f"== {bench} {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, str(BENCH / bench), *args]).returncode != 0:
            missed.append(bench)
    print(f"quick benches: {len(QUICK) - len(missed)}/{len(QUICK)} met their targets"
          + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
