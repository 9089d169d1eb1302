"""Sending what the services want pushed: each notice in its recipient's language, skipping chats that
blocked the bot and marking those that just did; one failed chat never stops the others."""

import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden

from bot.services.container import Services
from bot.services.notify import Notification
from bot.texts import TEXTS, pages
from bot.telegram_adapter.context import keyboard

log = logging.getLogger(__name__)


async def push(bot: Bot, services: Services, notifications: list[Notification]) -> int:
    """Send every notification; returns how many were delivered."""
    store = services.store
    delivered = 0
    for note in notifications:
        chat = await store.chats.get(note.chat_id)
        if chat is not None and chat.blocked:
            continue
        locale = chat.locale if chat is not None else services.settings.locale
        text = TEXTS.line(locale, note.template, note.macro, **note.params)
        markup = keyboard([[(TEXTS.line(locale, note.template, label), data) for label, data in row]
                           for row in note.buttons]) if note.buttons else None
        chunks = pages(text)
        try:
            for i, chunk in enumerate(chunks):
                await bot.send_message(note.chat_id, chunk, reply_markup=markup if i == len(chunks) - 1 else None)
            delivered += 1
        except Forbidden:
            await store.chats.set_blocked(note.chat_id, True)
        except BadRequest as exc:
            log.warning("could not notify chat %s: %s", note.chat_id, exc)
    return delivered
