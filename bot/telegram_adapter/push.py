"""Sending what the services want pushed: each notice is queued in the store's outbox, then delivered in
its recipient's language (`bot.services.notify.deliver` does the retrying and the marking); Telegram's
errors become the outcomes the services understand."""

from collections.abc import Awaitable, Callable
from datetime import timedelta

from telegram import Bot
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from bot.services.container import Services
from bot.services.notify import Notification, NotificationSender, Outcome, SendResult, deliver, queue
from bot.services.onboarding import chat_locale
from bot.telegram_adapter.context import keyboard
from bot.texts import TEXTS, pages


async def attempt(send: Callable[[], Awaitable]) -> SendResult:
    """One try at a send, Telegram's answer as an outcome (BadRequest is a NetworkError in PTB: check it first)."""
    try:
        await send()
    except RetryAfter as exc:
        wait = exc.retry_after
        return SendResult(Outcome.RETRY_AFTER, wait.total_seconds() if isinstance(wait, timedelta) else float(wait))
    except Forbidden as exc:
        return SendResult(Outcome.BLOCKED, error=exc.message)
    except (BadRequest, ChatMigrated) as exc:
        return SendResult(Outcome.FAILED, error=exc.message)
    except NetworkError as exc:
        return SendResult(Outcome.TRANSIENT, error=exc.message)
    return SendResult(Outcome.SENT)


def notification_sender(bot: Bot, services: Services) -> NotificationSender:
    """A notice rendered in its recipient's language, cut at Telegram's length, its buttons on the last part,
    then the files it carries."""

    async def send(note: Notification) -> SendResult:
        locale = await chat_locale(services, note.chat_id)
        chunks = pages(TEXTS.line(locale, note.template, note.macro, **note.params))
        markup = keyboard([[(TEXTS.line(locale, note.template, label), data) for label, data in row]
                           for row in note.buttons]) if note.buttons else None

        async def go() -> None:
            for i, chunk in enumerate(chunks):
                await bot.send_message(note.chat_id, chunk, reply_markup=markup if i == len(chunks) - 1 else None)
            for file_id, _ in note.documents:
                await bot.send_document(note.chat_id, file_id)

        return await attempt(go)

    return send


async def push(bot: Bot, services: Services, notifications: list[Notification]) -> int:
    """Queue the notifications, then deliver them now; returns how many were delivered. What cannot be
    delivered now stays in the outbox for the outbox job."""
    ids = await queue(services.store, notifications)
    return await deliver(services.store, notification_sender(bot, services), ids) if ids else 0


async def deliver_pending(bot: Bot, services: Services) -> int:
    """The outbox job: whatever is still pending (after a timeout, a crash or a database error)."""
    return await deliver(services.store, notification_sender(bot, services))
