"""The command menu (``set_my_commands``): per role and language, the descriptions from the templates."""

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault

from bot.texts import LOCALES, TEXTS

ROLE_COMMANDS: dict[str, tuple[str, ...]] = {
    "guest": ("start", "check", "estimate", "ask", "bind", "claims", "lang", "help", "cancel"),
    "enterprise": ("start", "claims", "check", "estimate", "ask", "bind", "profile", "lang", "help", "cancel"),
    "officer": ("start", "status", "template", "file_claim", "claims", "recovery", "withdraw", "bindcode", "estimate",
                "ask", "lang", "help", "cancel"),
    "staff": ("start", "review", "broadcast", "broadcasts", "report", "audit", "monitor", "invite", "officers",
              "bindcode", "fund_pause", "fund_resume", "claims", "ask", "lang", "help", "cancel"),
}


#: The commands /start offers as buttons, per role (the role's daily work first).
ROLE_BUTTONS: dict[str, tuple[str, ...]] = {
    "guest": ("check", "estimate", "claims", "bind"),
    "enterprise": ("check", "estimate", "claims"),
    "officer": ("status", "file_claim", "template", "claims"),
    "staff": ("review", "report", "audit", "broadcast"),
}
#: Commands every role has, which /start does not list again.
EVERYWHERE = ("start", "help", "lang", "cancel")


def commands(locale: str, role: str) -> list[BotCommand]:
    return [BotCommand(name, TEXTS.line(locale, "commands", name)) for name in ROLE_COMMANDS[role]]


async def set_default_menus(bot: Bot, default_locale: str) -> None:
    """The guest menu for everyone, in the default language and, for English clients, in English."""
    await bot.set_my_commands(commands(default_locale, "guest"), scope=BotCommandScopeDefault())
    for locale in LOCALES:
        if locale != default_locale:
            await bot.set_my_commands(commands(locale, "guest"), scope=BotCommandScopeDefault(), language_code=locale)


async def set_chat_menu(bot: Bot, chat_id: int, role: str, locale: str) -> None:
    await bot.set_my_commands(commands(locale, role), scope=BotCommandScopeChat(chat_id))
