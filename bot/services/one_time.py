"""One-time, expiring links (an officer's invite, an enterprise's binding code): what opening one does."""

import secrets
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal, Protocol

Redeemed = Literal["ok", "unknown", "used", "expired"]


class OneTimeCode(Protocol):
    used_by: int | None
    expires_at: str


def new_code(now: datetime, valid_hours: int) -> tuple[str, datetime]:
    """A fresh unguessable code and the moment it expires."""
    return secrets.token_urlsafe(16), now + timedelta(hours=valid_hours)


async def redeem(found: OneTimeCode | None, now: datetime, take: Callable[[], Awaitable[bool]]) -> Redeemed:
    """``unknown`` when there is no such code, ``used`` or ``expired`` as it is; otherwise ``take`` marks it used
    and acts, in one transaction (``used`` when another chat took it a moment before)."""
    if found is None:
        return "unknown"
    if found.used_by is not None:
        return "used"
    if datetime.fromisoformat(found.expires_at) < now:
        return "expired"
    return "ok" if await take() else "used"
