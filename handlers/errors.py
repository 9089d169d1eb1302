"""What users see when something goes wrong: never a stack trace."""

import logging

from telegram import Update
from telegram.error import Forbidden
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, InvalidCallbackData, MessageHandler, TypeHandler, filters

from bot.services.onboarding import mark_blocked, user_wrote
from bot.services.buttons import StaffButton
from bot.telegram_adapter.common import send
from bot.telegram_adapter.context import BotContext

log = logging.getLogger(__name__)


async def only_new_private_messages(update: Update, context: BotContext) -> None:
    """The bot serves private chats and answers what is sent: an edit of an earlier message (which would
    re-run a command, or reach a step with no message) and anything from a group stop here."""
    chat = update.effective_chat
    if update.edited_message is not None or (chat is not None and chat.type != ChatType.PRIVATE):
        raise ApplicationHandlerStop
    if chat is not None:
        user = update.effective_user
        await user_wrote(context.services, chat.id, user and user.full_name, user and user.username)


async def on_error(update: object, context: BotContext) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if isinstance(context.error, Forbidden):
        await mark_blocked(context.services, update.effective_chat.id)
        return
    try:
        await send(update, context.line("common", "error_generic"))
    except Exception:  # noqa: BLE001 - the apology itself failed; it is logged, the bot carries on
        log.exception("could not tell the user about the error")


async def menu_expired(update: Update, context: BotContext) -> None:
    """A button whose data is gone (from before a restart, or too old): say so politely."""
    await update.callback_query.answer()
    await send(update, context.line("common", "menu_expired"))


async def unhandled_button(update: Update, context: BotContext) -> None:
    """A press no handler took: a step of someone else's flow, or a staff button in the wrong hands."""
    await update.callback_query.answer()
    if isinstance(update.callback_query.data, StaffButton) and not context.services.is_staff(update.effective_user.id):
        await send(update, context.line("common", "staff_only"))
    else:
        await send(update, context.line("common", "menu_expired"))


async def unknown_command(update: Update, context: BotContext) -> None:
    await send(update, context.line("common", "unknown_command"))


async def not_text(update: Update, context: BotContext) -> None:
    await send(update, context.line("common", "non_text_hint"))


def gate() -> TypeHandler:
    """Registered in group -2, before every other handler."""
    return TypeHandler(Update, only_new_private_messages)


def handlers() -> list:
    return [CallbackQueryHandler(menu_expired, pattern=InvalidCallbackData)]


def fallback_handlers() -> list:
    return [CallbackQueryHandler(unhandled_button),
            MessageHandler(filters.COMMAND, unknown_command),
            MessageHandler(filters.ChatType.PRIVATE & ~filters.StatusUpdate.ALL, not_text)]
