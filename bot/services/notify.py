"""Messages the services want pushed: who gets which template line, with which buttons.

Services decide *what* to say to *whom*; `bot.telegram_adapter.push` renders each in the recipient's language and
sends it, so use cases stay testable without Telegram and every sentence stays in the templates."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Notification:
    chat_id: int
    template: str
    macro: str
    params: dict[str, Any] = field(default_factory=dict)
    #: Rows of (label macro in the same template, callback data).
    buttons: tuple[tuple[tuple[str, object], ...], ...] = ()


def to_all(chat_ids: list[int], template: str, macro: str, params: dict[str, Any] | None = None,
           buttons: tuple = ()) -> list[Notification]:
    """The same notice for several chats, each chat once."""
    return [Notification(chat_id, template, macro, params or {}, buttons) for chat_id in dict.fromkeys(chat_ids)]
