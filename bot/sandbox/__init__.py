"""The bot without Telegram: a local Bot API stand-in and a web chat (design.md, Sandbox)."""
