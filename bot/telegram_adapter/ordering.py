"""Updates of different chats are handled concurrently; one chat's updates one at a time, in the order they
arrived, so a conversation never sees its second message before its first. A slow step for one user (an
upload, a report) no longer holds up everyone else."""

import asyncio
from collections import Counter

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def _chat_of(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None


class PerChatOrder(BaseUpdateProcessor):
    """PTB's update processor with one FIFO lock per chat (created while a chat has updates in flight)."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._in_flight: Counter[int] = Counter()

    async def do_process_update(self, update: object, coroutine) -> None:
        chat = _chat_of(update)
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat, asyncio.Lock())
        self._in_flight[chat] += 1
        try:
            async with lock:
                await coroutine
        finally:
            self._in_flight[chat] -= 1
            if not self._in_flight[chat]:
                del self._in_flight[chat], self._locks[chat]

    async def initialize(self) -> None:
        """Nothing to set up: locks are made per chat as updates come."""

    async def shutdown(self) -> None:
        """Nothing to free: the locks go with their last update."""
