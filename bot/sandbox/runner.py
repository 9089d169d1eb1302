"""The sandbox and the bot in one process on one event loop: the server first, then the unchanged PTB
Application polling it through ``base_url``; Ctrl-C stops both cleanly."""

import asyncio
import contextlib
import ipaddress
import os
import secrets
import signal
import socket
from pathlib import Path

from aiohttp import web
from telegram import Update

from bot.app import SANDBOX_TOKEN, build_application
from bot.clock import today
from bot.config import Settings
from bot.sandbox.server import Sandbox, create_app
from bot.services.container import open_services
from bot.services.demo import DEMO_NAMES, ENTERPRISE_USER, OFFICER_USER, STAFF_USER, seed_demo
from bot.texts import TEXTS

POLL_TIMEOUT = 10
#: On Ctrl-C an open web chat's long poll is ended after this long, not waited out (up to 25 s).
SHUTDOWN_SECONDS = 1.0


class NotLoopback(ValueError):
    """The sandbox binds to loopback only."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on the loopback address now (for a sandbox started by a test or a benchmark)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


ACCESS_TOKEN_FILE = "sandbox-token"
#: The sandbox's chats, kept across restarts.
HISTORY_FILE = "sandbox-history.jsonl"


def access_token(data_dir: Path) -> str:
    """The access token of an earlier start (so an open page keeps working across a restart), or a fresh one."""
    path = data_dir / ACCESS_TOKEN_FILE
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077 == 0 and len(token := path.read_text().strip()) >= 32:
            return token
    return write_access_token(data_dir)


def write_access_token(data_dir: Path) -> str:
    """A fresh access token for the web chat and the client API, also written to the data directory
    (mode 0600) for scripts on this machine."""
    token = secrets.token_urlsafe(24)
    path = data_dir / ACCESS_TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token)
    os.chmod(path, 0o600)
    return token


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    """The Host headers the sandbox answers to: its own loopback names and port."""
    names = {host, "127.0.0.1", "localhost", "[::1]"}
    return frozenset(f"{name}:{port}" for name in names)


def check_loopback(host: str) -> None:
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except socket.gaierror:
        raise NotLoopback(host) from None
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise NotLoopback(host)


async def serve(settings: Settings, host: str, port: int, demo: bool, *, rate_limit: bool = True,
                stop: asyncio.Event | None = None) -> None:
    check_loopback(host)
    if demo and STAFF_USER not in settings.staff_ids:
        settings = settings.model_copy(update={"staff_ids": [*settings.staff_ids, STAFF_USER]})
    token = settings.telegram_bot_token or SANDBOX_TOKEN
    services = await open_services(settings, exclusive=True)
    sandbox = Sandbox(token, settings.data_dir / "sandbox_files", access_token(settings.data_dir),
                      flood_control=rate_limit, history=settings.data_dir / HISTORY_FILE)
    runner = web.AppRunner(create_app(sandbox, allowed_hosts(host, port)), access_log=None,
                           shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    kept = False
    if demo:
        kept = not await seed_demo(services, today())
        for user in (ENTERPRISE_USER, OFFICER_USER, STAFF_USER):
            sandbox.open_chat(user)
        sandbox.names.update(DEMO_NAMES)
    base = f"http://{host}:{port}"
    app = build_application(settings, services=services, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
                            rate_limiter=rate_limit)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=POLL_TIMEOUT, poll_interval=0)
    await app.start()
    print(TEXTS.line(settings.locale, "sandbox", "started", url=f"{base}/?token={sandbox.access_token}", demo=demo, kept=kept),
          flush=True)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)
        await runner.cleanup()
        sandbox.flush_history()


def run_sandbox(settings: Settings, host: str, port: int, demo: bool, rate_limit: bool = True) -> None:
    asyncio.run(serve(settings, host, port, demo, rate_limit=rate_limit))
