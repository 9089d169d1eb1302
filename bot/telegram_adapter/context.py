"""The context handlers get: typed access to the services and the chat's language."""

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.ext import Application, CallbackContext, ExtBot

from bot.config import Settings
from bot.services.container import Services
from bot.texts import TEXTS


class IpBotApplication(Application):
    """PTB's Application carrying the project's services (built by `bot.app.build_application`)."""

    def __init__(self, *, services: Services | None, settings: Settings, **kwargs: Any):
        super().__init__(**kwargs)
        self.services = services
        self.settings = settings


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    @property
    def services(self) -> Services:
        return self.application.services

    @property
    def locale(self) -> str:
        chosen = self.chat_data.get("locale") if self.chat_data is not None else None
        return chosen or self.services.settings.locale

    def t(self, name: str, /, **params: Any) -> str:
        """A whole message from ``<locale>/<name>.j2``."""
        return TEXTS.render(self.locale, name, **params)

    def line(self, name: str, macro: str, /, **params: Any) -> str:
        """One macro (a sentence, a button label) of ``<locale>/<name>.j2``."""
        return TEXTS.line(self.locale, name, macro, **params)

    def line_in(self, locale: str, name: str, macro: str, /, **params: Any) -> str:
        """One macro in a given language (an English question is answered in English whatever the chat's)."""
        return TEXTS.line(locale, name, macro, **params)


def keyboard(rows: list[list[tuple[str, object]]]) -> InlineKeyboardMarkup:
    """Inline buttons from (label, callback data) rows; the data may be any Python object."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows if row])
