"""Telegram-facing handlers, one module per feature: read the update, call a service, render a template."""
