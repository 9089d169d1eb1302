"""/start (with deep links), /help, /lang, and /cancel when nothing is in progress."""

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CallbackQueryHandler, CommandHandler, filters

from bot.services.onboarding import identify, remember_chat, set_locale
from bot.texts import LOCALES
from bot.services.buttons import Cancel, Language, Menu, is_button
from bot.telegram_adapter.common import answer_query, send
from bot.telegram_adapter.context import BotContext, keyboard
from bot.telegram_adapter.menu import EVERYWHERE, ROLE_BUTTONS, commands, set_chat_menu

MENU_CHECK = Menu("check")
MENU_ESTIMATE = Menu("estimate")
MENU_CLAIMS = Menu("claims")
MENU_BIND = Menu("bind")
MENU_LANG = Menu("lang")
MENU_STATUS = Menu("status")
MENU_FILE_CLAIM = Menu("file_claim")
MENU_TEMPLATE = Menu("template")
MENU_REVIEW = Menu("review")
MENU_REPORT = Menu("report")
MENU_AUDIT = Menu("audit")
MENU_BROADCAST = Menu("broadcast")


async def start(update: Update, context: BotContext) -> None:
    """The role's main menu: who the chat is, what it can do (from the role's commands), and buttons for the
    role's daily work."""
    chat, user = update.effective_chat, update.effective_user
    await remember_chat(context.services, chat.id, context.locale, user.full_name, user.username)
    me = await identify(context.services, chat.id, user.id)
    listed = [c for c in commands(context.locale, me.role) if c.command not in EVERYWHERE]
    text = context.line("start", "greeting", role=me.role, enterprise=me.enterprise.name if me.enterprise else None,
                        bank=me.bank.name if me.bank else None, commands=listed,
                        programs=[p.meta for p in context.services.programs])
    buttons = [(context.line("start", f"btn_{name}"), Menu(name)) for name in ROLE_BUTTONS[me.role]]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)] + [[(context.line("start", "btn_lang"), MENU_LANG)]]
    await send(update, text, reply_markup=keyboard(rows))
    await set_chat_menu(context.bot, chat.id, me.role, context.locale)


async def refresh_menu(context: BotContext, chat_id: int, user_id: int | None, locale: str) -> None:
    """The chat's command menu after its role or language changed: the menu of the role it has now."""
    me = await identify(context.services, chat_id, user_id)
    await set_chat_menu(context.bot, chat_id, me.role, locale)


async def help_command(update: Update, context: BotContext) -> None:
    me = await identify(context.services, update.effective_chat.id, update.effective_user.id)
    await send(update, context.line("start", "help", role=me.role, commands=commands(context.locale, me.role)))


async def choose_language(update: Update, context: BotContext) -> None:
    await answer_query(update)
    await send(update, context.line("common", "lang_choose"),
               reply_markup=keyboard([[("中文", Language("zh")), ("English", Language("en"))]]))


async def language_chosen(update: Update, context: BotContext) -> None:
    await answer_query(update)
    locale = update.callback_query.data.locale
    if locale not in LOCALES:
        return
    chat = update.effective_chat
    context.chat_data["locale"] = locale
    await set_locale(context.services, chat.id, locale)
    await refresh_menu(context, chat.id, update.effective_user.id, locale)
    await send(update, context.line("common", "lang_set"))


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    await answer_query(update)
    await send(update, context.line("common", "nothing_to_cancel"))


def _in_any_state(callback):
    """A command that works whatever dialog is in progress: it answers, and the dialog waits where it was."""

    async def answered(update: Update, context: BotContext) -> None:
        await callback(update, context)
        raise ApplicationHandlerStop

    return answered


def global_handlers() -> list:
    """/start, /help and /lang in every state, ahead of the dialogs (their group runs first)."""
    return [CommandHandler("start", _in_any_state(start), filters.Regex(r"^/start(@\w+)?$")),
            CommandHandler("help", _in_any_state(help_command)),
            CommandHandler("lang", _in_any_state(choose_language))]


def handlers() -> list:
    return [
        CommandHandler("start", start),
        CallbackQueryHandler(choose_language, pattern=is_button(MENU_LANG)),
        CallbackQueryHandler(language_chosen, pattern=Language),
        CommandHandler("cancel", nothing_to_cancel),
        CallbackQueryHandler(nothing_to_cancel, pattern=Cancel),
    ]
