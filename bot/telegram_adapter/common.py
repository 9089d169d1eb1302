"""Pieces every conversation shares: /cancel everywhere, a hint for unexpected input, the staff guard, and
closing a keyboard once its buttons are spent (their callback data dropped from the cache)."""

import asyncio
import functools
import unicodedata
import warnings
from collections.abc import Awaitable, Callable
from decimal import Decimal

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, NetworkError
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.rules.amounts import AmountError, parse_amount
from bot.services.buttons import Cancel, ProgramChoice
from bot.services.paging import Paged
from bot.texts import TEXTS, pages
from bot.telegram_adapter.context import BotContext, keyboard

# Conversations are tracked per user and chat on purpose (one flow at a time per user), with buttons
# inside them; PTB warns that such buttons are not tracked per message, which is what we want.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)

CANCEL = Cancel()
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


def from_menu(callback):
    """A command's callback reached from a /start menu button: the press is acknowledged, then the command runs
    as if typed."""

    @functools.wraps(callback)
    async def pressed(update: Update, context: BotContext):
        await answer_query(update)
        return await callback(update, context)

    return pressed


async def answer_query(update: Update) -> None:
    """Acknowledge a press. One answered late (Telegram allows about 15 seconds, e.g. while the bot was busy
    or restarting) is still handled: only the acknowledgement is lost, not the user's action."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer()
    except BadRequest as exc:
        if "query is too old" not in exc.message.lower():
            raise


async def close_keyboard(update: Update, context: BotContext, text: str | None = None) -> None:
    """The pressed message's buttons are spent: remove them (or replace the text) and drop their data from
    the callback cache, so it holds only buttons that can still be pressed."""
    query = update.callback_query
    if text is None:
        await query.edit_message_reply_markup(None)
    else:
        await query.edit_message_text(text)
    context.drop_callback_data(query)


#: The page buttons' labels (common.j2): for a list newest first, and for a list in any other order.
BY_AGE = ("btn_newer", "btn_older")
BY_POSITION = ("btn_previous", "btn_next")


def paged_keyboard(context: BotContext, rows: list, page: Paged, to_page: Callable[[int], object],
                   labels: tuple[str, str] = BY_POSITION) -> InlineKeyboardMarkup | None:
    """A paged screen's buttons: its own rows, then the buttons to the page before and after (only those that
    lead somewhere); ``None`` when there is none at all."""
    turn = [(context.line("common", label), to_page(offset))
            for label, offset in zip(labels, (page.newer, page.older)) if offset is not None]
    rows = [row for row in [*rows, turn] if row]
    return keyboard(rows) if rows else None


async def show_page(update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """A page button's answer: the same message shows the other page, and the pressed keyboard's data is
    dropped from the callback cache."""
    await update.callback_query.edit_message_text(text, reply_markup=markup)
    context.drop_callback_data(update.callback_query)


def typed_choice(typed: str, labels: dict[object, str]) -> object | None:
    """Which of the offered buttons a typed answer means: its label (or its value) as typed, ignoring spaces,
    case and full-width forms, or the only label that starts with what was typed; ``None`` when it is none or
    could be several."""
    def plain(text: object) -> str:
        return unicodedata.normalize("NFKC", str(text)).replace(" ", "").casefold()

    wanted = plain(typed)
    if not wanted:
        return None
    exact = [value for value, label in labels.items() if wanted in (plain(label), plain(value))]
    if len(exact) == 1:
        return exact[0]
    starting = [value for value, label in labels.items() if plain(label).startswith(wanted)]
    return starting[0] if len(starting) == 1 else None


def program_rows(context: BotContext, flow: str) -> list:
    """One button per configured program, in the reader's language, for a dialog that asks which one."""
    return [[(TEXTS.program_name(context.locale, p.meta), ProgramChoice(flow, p.id))] for p in context.services.programs]


async def amount_from(update: Update, context: BotContext, field: str, *, allow_zero: bool = False) -> Decimal | None:
    """The amount the user typed, or ``None`` after telling them what was wrong (``field`` names it)."""
    raw = update.message.text
    try:
        return parse_amount(raw, allow_zero=allow_zero)
    except AmountError as exc:
        await send(update, context.line("errors", "amount", code=exc.code, field=field, value=raw.strip()))
        return None


#: A reply that times out is sent again this many times in all, after 0.2 s, 0.4 s, ...
REPLY_ATTEMPTS = 4


async def send(update: Update, text: str, reply_markup=None, **kwargs) -> None:
    """Reply in the chat the update came from (a message or a pressed button); a text longer than Telegram
    takes goes as several messages, the buttons on the last; a timeout or a network error is tried again."""
    chunks = pages(text)
    for i, chunk in enumerate(chunks):
        markup = reply_markup if i == len(chunks) - 1 else None
        for attempt in range(REPLY_ATTEMPTS):
            try:
                await update.effective_chat.send_message(chunk, reply_markup=markup, **kwargs)
                break
            except BadRequest:
                raise
            except NetworkError:
                if attempt == REPLY_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.2 * 2 ** attempt)


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
            CallbackQueryHandler(cancel, pattern=Cancel),
            MessageHandler(filters.ALL, unexpected),
        ],
        name=name,
        persistent=True,
        allow_reentry=True,
    )
