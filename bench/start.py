"""Start-up where people wait, each against its floor measured in the same run (issue 14):

- ``ipbot compensate`` / ``monitor`` / ``policy list`` against a bare ``python -c pass`` (target <= 10x), with the
  validated policy packs cached in the data directory as after any earlier command; the first command in a fresh
  data directory, which reads the packs from their YAML and writes the cache, is printed alongside;
- a cold ``ipbot ask`` (its index already built) against jieba initialising its own dictionary (<= 1.3x);
- ``ipbot sandbox`` answering its first /start, on a fresh data directory, against a bare PTB echo bot on the
  same sandbox answering its first message (<= 2x); and the bot's resident memory once idle (< 120 MB), taken
  after it has also answered a policy question, so the Q&A (built meanwhile by another process) is loaded.

Each figure is the median of --runs runs. Exits 1 when a target is missed.
Run: .venv/bin/python bench/start.py [--runs 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.verdict import Verdict  # noqa: E402
from bot.sandbox.runner import ACCESS_TOKEN_FILE, free_port  # noqa: E402
from bot.sandbox.server import TOKEN_HEADER  # noqa: E402

PYTHON = sys.executable
BOOK = ROOT / "bot" / "services" / "demo_book.csv"
CLI = {
    "compensate": ["compensate", "--program", "cq-jiangbei-2024", "--loan", "500万", "--loss", "200万",
                   "--overdue-days", "90", "--json"],
    "monitor": ["monitor", "--program", "cq-jiangbei-2024", "--loans", str(BOOK), "--as-of", "2026-11-22", "--json"],
    "policy": ["policy", "list"],
}
JIEBA_INIT = "import logging, jieba; jieba.setLogLevel(logging.WARNING); jieba.initialize()"
MB = 1024


def _seconds(args: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _median(runs: int, args: list[str], env: dict) -> float:
    return statistics.median(_seconds(args, env) for _ in range(runs))


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))


def _first_answer(args: list[str], data_dir: Path, texts: tuple[str, ...]) -> tuple[float, int]:
    """Seconds from launching ``args`` until the first reply to ``texts[0]`` arrives through the sandbox, and
    the process's resident memory two seconds after the reply to the last of ``texts`` (idle)."""
    env = {**os.environ, "IPBOT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    start = time.perf_counter()
    process = subprocess.Popen([*args, str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            while True:
                try:
                    headers = {TOKEN_HEADER: (data_dir / ACCESS_TOKEN_FILE).read_text().strip()}
                    sent = client.post("/sandbox/api/send", json={"user_id": 42, "text": texts[0]}, headers=headers)
                    if sent.status_code == 200:
                        break
                except (OSError, httpx.TransportError):
                    pass
                time.sleep(0.01)
            _await_reply(client, headers, sent.json()["message_id"])
            seconds = time.perf_counter() - start
            for text in texts[1:]:
                sent = client.post("/sandbox/api/send", json={"user_id": 42, "text": text}, headers=headers)
                _await_reply(client, headers, sent.json()["message_id"])
        time.sleep(2)
        return seconds, _rss_kb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _await_reply(client: httpx.Client, headers: dict, after: int) -> None:
    while not any(m["from"] == "bot" for m in client.get(
            "/sandbox/api/messages", params={"user_id": 42, "after": after, "wait": 10},
            headers=headers).json()["messages"]):
        pass


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    verdict = Verdict("start")
    env = {**os.environ}
    with tempfile.TemporaryDirectory() as tmp:
        env["IPBOT_DATA_DIR"] = tmp
        bare = _median(args.runs, [PYTHON, "-c", "pass"], env)
        first = _seconds([PYTHON, "-m", "bot", *CLI["compensate"]], env)
        print(f"ipbot compensate in a fresh data directory (packs read from YAML, cache written): {first:.3f}s "
              f"= {first / bare:.1f}x python -c pass")
        for name, cli_args in CLI.items():
            figure = _median(args.runs, [PYTHON, "-m", "bot", *cli_args], env)
            verdict.ratio(f"ipbot {name}", figure, bare, 10, floor_name="python -c pass")
        ask = [PYTHON, "-m", "bot", "ask", "逾期多少天可以申请补偿", "--json"]
        _seconds(ask, env)  # the first ask builds the index in the data directory; the next ones are cold starts
        jieba_init = _median(args.runs, [PYTHON, "-c", JIEBA_INIT], env)
        verdict.ratio("ipbot ask (cold)", _median(args.runs, ask, env), jieba_init, 1.3,
                      floor_name="jieba initialise")
    bot_runs, echo_runs = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as bot_dir, tempfile.TemporaryDirectory() as echo_dir:
            bot_runs.append(_first_answer([PYTHON, "-m", "bot", "sandbox", "--port"], Path(bot_dir),
                                          ("/start", "逾期多少天可以申请补偿")))
            echo_runs.append(_first_answer([PYTHON, str(ROOT / "bench" / "echo_bot.py")], Path(echo_dir),
                                           ("hello", "hello again")))
    bot_seconds, bot_rss = map(statistics.median, zip(*bot_runs))
    echo_seconds, echo_rss = map(statistics.median, zip(*echo_runs))
    verdict.ratio("bot first answer (fresh data directory)", bot_seconds, echo_seconds, 2,
                  floor_name="bare PTB echo bot")
    print(f"bare PTB echo bot idle RSS: {echo_rss / MB:.0f} MB")
    verdict.at_most("bot idle RSS (Q&A loaded)", bot_rss / MB, 120, "MB")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
