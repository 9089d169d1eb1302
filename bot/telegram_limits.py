"""Telegram's documented Bot API limits, in one place: the bot keeps within them (texts cut into pages,
captions, downloads) and the sandbox and the tests' fake refuse past them (`bot.sandbox.telegram_rules`)."""

#: A message's text, after entities are parsed.
MAX_TEXT = 4096
#: A photo's or document's caption.
MAX_CAPTION = 1024
#: An inline button's callback data, in bytes.
MAX_CALLBACK_DATA = 64
#: The text of a callback query's answer.
MAX_ANSWER_TEXT = 200
#: Seconds within which a callback query can be answered.
CALLBACK_ANSWER_SECONDS = 15
#: Commands in one menu.
MAX_COMMANDS = 100
#: The largest file a bot may download with getFile.
MAX_DOWNLOAD = 20 * 1024 * 1024
