"""ipbot: a Telegram assistant for IP-pledge financing loan risk-compensation programs.

Whenever one of its modules first defines a pydantic model, pydantic finds no plugins to load (`bot.imports`).
"""

from bot.imports import pydantic_without_plugins

pydantic_without_plugins()
