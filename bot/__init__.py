"""ipbot: a Telegram assistant for IP-pledge financing loan risk-compensation programs.

Before any of its modules defines a pydantic model, the package has pydantic look for no plugins (`bot.imports`).
"""

from bot.imports import import_pydantic_without_plugins

import_pydantic_without_plugins()
