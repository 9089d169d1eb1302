"""The sandbox and the bot in one process on one event loop: the server first, then the unchanged PTB
Application polling it through ``base_url``; Ctrl-C stops both cleanly."""

import asyncio
import ipaddress
import signal
import socket

from aiohttp import web
from telegram import Update

from bot.app import SANDBOX_TOKEN, build_application
from bot.clock import today
from bot.config import Settings
from bot.sandbox.server import Sandbox, create_app
from bot.services.container import open_services
from bot.services.demo import ENTERPRISE_USER, OFFICER_USER, STAFF_USER, seed_demo
from bot.texts import TEXTS

POLL_TIMEOUT = 10


class NotLoopback(ValueError):
    """The sandbox binds to loopback only."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port free on the loopback address now (for a sandbox started by a test or a benchmark)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


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
    sandbox = Sandbox(token, settings.data_dir / "sandbox_files")
    runner = web.AppRunner(create_app(sandbox), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    services = await open_services(settings)
    if demo:
        await seed_demo(services, today())
        for user in (ENTERPRISE_USER, OFFICER_USER, STAFF_USER):
            sandbox.open_chat(user)
    base = f"http://{host}:{port}"
    app = build_application(settings, services=services, base_url=f"{base}/bot", base_file_url=f"{base}/file/bot",
                            rate_limiter=rate_limit)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=POLL_TIMEOUT, poll_interval=0)
    await app.start()
    print(TEXTS.line(settings.locale, "sandbox", "started", url=f"{base}/", demo=demo), flush=True)
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


def run_sandbox(settings: Settings, host: str, port: int, demo: bool, rate_limit: bool = True) -> None:
    asyncio.run(serve(settings, host, port, demo, rate_limit=rate_limit))
