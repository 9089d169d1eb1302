"""Pieces every conversation shares: /cancel everywhere, a hint for unexpected input, and callback
patterns over the tuples the bot puts in its buttons (arbitrary callback data)."""

import functools
import warnings
from collections.abc import Awaitable, Callable
from decimal import Decimal

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.rules.amounts import AmountError, parse_amount
from bot.telegram_adapter.context import BotContext

# Conversations are tracked per user and chat on purpose (one flow at a time per user), with buttons
# inside them; PTB warns that such buttons are not tracked per message, which is what we want.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

CANCEL = ("cancel",)
#: First elements of the callback data of buttons that only staff may press.
STAFF_BUTTONS = frozenset({"bc", "claim", "susp", "revoke", "bindreq", "fund"})
Reprompt = Callable[[Update, BotContext], Awaitable[None]]


def staff_only(callback):
    """Nobody but the configured staff reaches a staff command or button, whatever they type or forge."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: BotContext):
        user = update.effective_user
        if user is None or not context.services.is_staff(user.id):
            await answer_query(update)
            await send(update, context.line("common", "staff_only"))
            return ConversationHandler.END
        return await callback(update, context)

    return guarded


def data_is(*prefix: object) -> Callable[[object], bool]:
    """A callback pattern: the button's data is a tuple starting with ``prefix``."""
    return lambda data: isinstance(data, tuple) and data[: len(prefix)] == prefix


async def answer_query(update: Update) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()


async def amount_from(update: Update, context: BotContext, field: str, *, allow_zero: bool = False) -> Decimal | None:
    """The amount the user typed, or ``None`` after telling them what was wrong (``field`` names it)."""
    raw = update.message.text
    try:
        return parse_amount(raw, allow_zero=allow_zero)
    except AmountError as exc:
        await send(update, context.line("errors", "amount", code=exc.code, field=field, value=raw.strip()))
        return None


async def send(update: Update, text: str, **kwargs) -> None:
    """Reply in the chat the update came from (a message or a pressed button)."""
    await update.effective_chat.send_message(text, **kwargs)


def conversation(name: str, entry_points: list, states: dict, key: str, reprompt: Reprompt) -> ConversationHandler:
    """A persistent conversation with /cancel, a cancel button, and a hint (then the current question
    again) for anything unexpected: a sticker, a photo, text where a button is wanted, another command."""

    async def cancel(update: Update, context: BotContext) -> int:
        await answer_query(update)
        context.user_data.pop(key, None)
        await send(update, context.line("common", "cancelled"))
        return ConversationHandler.END

    async def unexpected(update: Update, context: BotContext) -> None:
        await answer_query(update)
        await send(update, context.line("common", "follow_prompt"))
        await reprompt(update, context)

    return ConversationHandler(
        entry_points=entry_points,
        states=states,
        fallbacks=[
            CommandHandler("cancel", cancel),
            CallbackQueryHandler(cancel, pattern=data_is(*CANCEL)),
            MessageHandler(filters.ALL, unexpected),
        ],
        name=name,
        persistent=True,
        allow_reentry=True,
    )
