"""The bot's clock: Asia/Shanghai (design.md, Conventions: dates)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    return datetime.now(TZ)


def today() -> date:
    return now().date()
