"""The floor the bot is measured against: a bare PTB echo bot polling the project's sandbox, both in one process
as ``ipbot sandbox`` runs them. Prints one line when it polls.

With ``--calls 3`` each message costs the Bot API calls a self-check step makes (the bot acknowledges the press,
closes the answered question's keyboard and sends the next question): a "typing" action, the echo, and an edit
of the echo; so the two are compared per step, not per call.
Run: .venv/bin/python bench/echo_bot.py PORT [--calls 1|3] (the sandbox's files go to $IPBOT_DATA_DIR)
"""

import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def serve_echo(port: int, data_dir: Path, calls: int = 1) -> None:
    from aiohttp import web
    from telegram import Update
    from telegram.ext import ApplicationBuilder, MessageHandler, filters

    from bot.app import SANDBOX_TOKEN
    from bot.sandbox.runner import write_access_token
    from bot.sandbox.server import Sandbox, create_app

    sandbox = Sandbox(SANDBOX_TOKEN, data_dir / "files", write_access_token(data_dir), flood_control=False)
    runner = web.AppRunner(create_app(sandbox), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    base = f"http://127.0.0.1:{port}"
    app = ApplicationBuilder().token(SANDBOX_TOKEN).base_url(f"{base}/bot").base_file_url(f"{base}/file/bot").build()

    async def echo(update, context):
        if calls == 3:
            await update.message.chat.send_action("typing")
        sent = await update.message.reply_text(update.message.text)
        if calls == 3:
            await sent.edit_text(update.message.text + " ✓")

    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.updater.start_polling(allowed_updates=Update.ALL_TYPES, timeout=10, poll_interval=0)
    await app.start()
    print(f"ready {base}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--calls", type=int, choices=(1, 3), default=1)
    args = parser.parse_args()
    asyncio.run(serve_echo(args.port, Path(os.environ["IPBOT_DATA_DIR"]), args.calls))
