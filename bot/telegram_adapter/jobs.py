"""Scheduled work: the daily monitoring run at IPBOT_MONITOR_AT, Asia/Shanghai, and the notification
outbox drained every few seconds (what a timeout, a crash or a database error left pending).

Jobs live in memory, so the schedule is set from configuration at every start; what the run sends is
derived from the store (levels told, open requests, open recoveries), never from the jobs themselves."""

from telegram.ext import Application

from bot.clock import TZ, today
from bot.services.monitoring import run_monitoring
from bot.telegram_adapter.context import BotContext
from bot.telegram_adapter.push import deliver_pending, push

DAILY_MONITORING = "daily-monitoring"
OUTBOX = "notification-outbox"
#: Seconds between runs of the outbox job.
OUTBOX_EVERY = 10


async def daily_monitoring(context: BotContext) -> None:
    await push(context.bot, context.services, await run_monitoring(context.services, today()))


async def drain_outbox(context: BotContext) -> None:
    await deliver_pending(context.bot, context.services)


def schedule(app: Application) -> None:
    at = app.settings.monitor_at.replace(tzinfo=TZ)
    app.job_queue.run_daily(daily_monitoring, time=at, name=DAILY_MONITORING)
    app.job_queue.run_repeating(drain_outbox, interval=OUTBOX_EVERY, first=1, name=OUTBOX)
