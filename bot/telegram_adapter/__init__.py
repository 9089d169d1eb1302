"""The Telegram adapter beside the composition root: the typed context handlers get, persistence in the
store, the command menus, push delivery, the scheduled jobs and the conversation pieces every feature shares.
Features live in ``handlers/``; this package is what connects them to python-telegram-bot."""
