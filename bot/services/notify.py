"""Messages the services want pushed: who gets which template line, with which buttons; and their
delivery through the outbox in the store.

Services decide *what* to say to *whom*. Every notification is written to the store's outbox before it is
sent and marked when it is (`deliver`), exactly as broadcasts are: a timeout retries that message with
backoff and never drops the rest, a user who blocked the bot is marked, a crash or a database error leaves
the rest pending for the next run (`bot.telegram_adapter.jobs` drains the outbox every few seconds). The
sending itself (rendering in the recipient's language, Telegram's errors) is the adapter's sender, so this
module knows nothing of Telegram."""

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from enum import Enum
from typing import Any

log = logging.getLogger(__name__)
#: Attempts at one notification before it waits for the next run of the outbox job.
ATTEMPTS_NOW = 4
#: The first backoff between attempts, doubled each time; and how long a notification waits after those.
BACKOFF = 0.5
RETRY_LATER = timedelta(seconds=30)
#: After this many attempts over several runs a notification is given up as failed.
MAX_ATTEMPTS = 20


@dataclass(frozen=True)
class Notification:
    chat_id: int
    template: str
    macro: str
    params: dict[str, Any] = field(default_factory=dict)
    #: Rows of (label macro in the same template, callback data).
    buttons: tuple[tuple[tuple[str, object], ...], ...] = ()
    #: Files sent after the text, as (Telegram file id, file name): what a bank attached to a claim.
    documents: tuple[tuple[str, str], ...] = ()
    #: Set once the notification is in the outbox (`queue_in`), so it is not queued twice.
    outbox_id: int | None = None


def to_all(chat_ids: list[int], template: str, macro: str, params: dict[str, Any] | None = None,
           buttons: tuple = ()) -> list[Notification]:
    """The same notice for several chats, each chat once."""
    return [Notification(chat_id, template, macro, params or {}, buttons) for chat_id in dict.fromkeys(chat_ids)]


class Outcome(Enum):
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    RETRY_AFTER = "retry_after"
    TRANSIENT = "transient"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    retry_after: float = 0.0
    error: str | None = None


NotificationSender = Callable[[Notification], Awaitable[SendResult]]
_locks: dict[int, asyncio.Lock] = {}


async def queue(store, notifications: list[Notification]) -> list[int]:
    """Write to the outbox the notifications not yet in it (in the caller's transaction, when it has one);
    the outbox ids of all of them, in order."""
    fresh = [n for n in notifications if n.outbox_id is None]
    ids = iter(await store.notifications.add(fresh) if fresh else [])
    return [n.outbox_id if n.outbox_id is not None else next(ids) for n in notifications]


async def queue_in(store, notifications: list[Notification]) -> list[Notification]:
    """Queue notifications inside the transaction that makes the change they announce (call it within
    `Store.atomic`): the change and its notices are committed together or not at all. Returns them stamped
    with their outbox ids, so delivering them later does not queue them again."""
    ids = await queue(store, notifications)
    return [replace(n, outbox_id=i) for n, i in zip(notifications, ids)]


async def deliver(store, sender: NotificationSender, ids: list[int] | None = None, *,
                  sleep: Callable[[float], Awaitable] = asyncio.sleep, backoff: float | None = None) -> int:
    """Send what is due in the outbox (only ``ids`` when given), one at a time, each marked in the store as
    it is settled; returns how many were delivered. One delivery at a time per store, so the job and a
    handler never send the same row twice. A database error (disk full, locked) stops this run; the rows stay
    pending and the next run takes them up."""
    lock = _locks.setdefault(id(store), asyncio.Lock())
    backoff = BACKOFF if backoff is None else backoff
    delivered = 0
    async with lock:
        try:
            for queued in await store.notifications.due(ids):
                delivered += await _settle(store, sender, queued, sleep, backoff)
        except (sqlite3.Error, OSError) as exc:
            log.warning("notification delivery paused: %s", exc)
    return delivered


async def _settle(store, sender: NotificationSender, queued, sleep, backoff: float) -> int:
    chat = await store.chats.get(queued.chat_id)
    if chat is not None and chat.blocked:
        await store.notifications.mark(queued.id, "blocked")
        return 0
    attempts = queued.attempts
    while True:
        result = await sender(queued.notification)
        if result.outcome is Outcome.SENT:
            await store.notifications.mark(queued.id, "sent")
            return 1
        if result.outcome is Outcome.BLOCKED:
            await store.notifications.mark(queued.id, "blocked", result.error)
            await store.chats.set_blocked(queued.chat_id, True)
            return 0
        if result.outcome is Outcome.FAILED:
            log.warning("notification %s to chat %s failed: %s", queued.id, queued.chat_id, result.error)
            await store.notifications.mark(queued.id, "failed", result.error)
            return 0
        if result.outcome is Outcome.RETRY_AFTER:
            await sleep(result.retry_after)
            continue
        attempts += 1
        if attempts >= MAX_ATTEMPTS:
            await store.notifications.mark(queued.id, "failed", result.error or "transient")
            return 0
        if attempts % ATTEMPTS_NOW == 0:
            await store.notifications.retry_later(queued.id, attempts, result.error or "transient",
                                                  store.db.clock() + RETRY_LATER)
            return 0
        await sleep(backoff * 2 ** (attempts % ATTEMPTS_NOW - 1))
