"""Throughput through the sandbox over HTTP: N users (default 200) each send 20 messages (issue 15).

Runs of the same load: the real bot doing the self-check (/check, then a button per question), and a bare PTB
echo bot on the same sandbox making the same three Bot API calls per step (see `bench/echo_bot.py`), both
unpaced; then the real bot paced by its Telegram rate limiter (30 calls/s with a chat_id: three per step caps
it near 10 steps/s by design). Prints updates/s and p50/p99 reply latency for each and the CPU each process used,
which says which side is the bottleneck (one Python HTTP client tops out near 350 requests/s on these machines);
exits 1 when the self-check falls under 0.5x the echo bot's updates/s.
Run: .venv/bin/python bench/throughput.py [--users 200] [--messages 20]
"""

import argparse
import asyncio
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


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: Bot API calls the echo bot makes per message: as many as a self-check step (acknowledge, close, ask next).
ECHO_CALLS = 3


def _start(kind: str, data_dir: Path, rate_limit: bool) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "IPBOT_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    if kind == "selfcheck":
        args = [sys.executable, "-m", "bot", "sandbox", "--port", str(port)] + ([] if rate_limit else ["--no-rate-limit"])
    else:
        args = [sys.executable, str(ROOT / "bench" / "echo_bot.py"), str(port), "--calls", str(ECHO_CALLS)]
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    process.stdout.readline()
    return process, f"http://127.0.0.1:{port}"


async def _reply(client: httpx.AsyncClient, user: int, after: int) -> dict:
    while True:
        response = await client.get("/sandbox/api/messages", params={"user_id": user, "after": after, "wait": 30})
        bots = [m for m in response.json()["messages"] if m["from"] == "bot" and m["message_id"] > after]
        if bots:
            return bots[-1]


async def _user(client: httpx.AsyncClient, user: int, messages: int, kind: str, latencies: list[float]) -> None:
    last = 0
    question = None
    for i in range(messages):
        start = time.perf_counter()
        if kind == "echo":
            sent = (await client.post("/sandbox/api/send", json={"user_id": user, "text": f"hello {i}"})).json()
        elif question is None or not question["buttons"] or len(question["buttons"]) < 2:
            sent = (await client.post("/sandbox/api/send", json={"user_id": user, "text": "/check"})).json()
        else:
            await client.post("/sandbox/api/press", json={"user_id": user, "message_id": question["message_id"],
                                                          "data": question["buttons"][0][0]["data"]})
            sent = {"message_id": last}
        reply = await _reply(client, user, max(last, sent["message_id"]))
        latencies.append(time.perf_counter() - start)
        last = reply["message_id"]
        question = reply


#: Users per HTTP client: httpx scans its whole pool on each request, so one client with hundreds of
#: connections makes the load generator the bottleneck; small clients keep that cost flat.
USERS_PER_CLIENT = 10


async def _load(url: str, users: int, messages: int, kind: str, headers: dict) -> tuple[float, list[float]]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=USERS_PER_CLIENT * 2, max_keepalive_connections=USERS_PER_CLIENT * 2)
    clients = [httpx.AsyncClient(base_url=url, timeout=120, limits=limits, headers=headers)
               for _ in range(0, users, USERS_PER_CLIENT)]
    try:
        start = time.perf_counter()
        await asyncio.gather(*(_user(clients[u // USERS_PER_CLIENT], 100_000 + u, messages, kind, latencies)
                               for u in range(users)))
        return time.perf_counter() - start, latencies
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def _run(kind: str, users: int, messages: int, rate_limit: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        process, url = _start(kind, Path(tmp), rate_limit)
        try:
            cpu_server0, cpu_load0 = _cpu_seconds(process.pid), time.process_time()
            token_file = Path(tmp) / ACCESS_TOKEN_FILE
            headers = {TOKEN_HEADER: token_file.read_text().strip()} if token_file.exists() else {}
            seconds, latencies = asyncio.run(_load(url, users, messages, kind, headers))
            cpu_server, cpu_load = _cpu_seconds(process.pid) - cpu_server0, time.process_time() - cpu_load0
        finally:
            process.terminate()
            process.wait(timeout=15)
    latencies.sort()
    return {"updates_per_s": len(latencies) / seconds, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "server_cpu": cpu_server / seconds,
            "load_cpu": cpu_load / seconds, "updates": len(latencies)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20)
    args = parser.parse_args()
    results = {"selfcheck": _run("selfcheck", args.users, args.messages),
               "echo": _run("echo", args.users, args.messages),
               "selfcheck paced as for Telegram (a tenth of the users)":
                   _run("selfcheck", max(1, args.users // 10), args.messages, rate_limit=True)}
    for kind, r in results.items():
        side = "server (bot+sandbox)" if r["server_cpu"] > r["load_cpu"] else "load generator"
        print(f"{kind}: updates={r['updates']} updates/s={r['updates_per_s']:.1f} p50={r['p50_ms']:.1f}ms "
              f"p99={r['p99_ms']:.1f}ms server_cpu={r['server_cpu']:.0%} load_cpu={r['load_cpu']:.0%} "
              f"bottleneck={side}")
    verdict = Verdict("throughput")
    verdict.at_least("self-check updates/s over the bare echo bot's",
                     results["selfcheck"]["updates_per_s"] / results["echo"]["updates_per_s"], 0.5, "x")
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
