"""PTB persistence backed by the project's store: conversations, user and chat data and the button-data
cache survive a restart, and each change rewrites only its own row (PicklePersistence rewrites its whole
file on every change, which grows with the square of active users).

PTB hands over every user's, chat's and conversation's data at each interval; values that did not change
are skipped, and the rest of one interval is written in one transaction, right after PTB has handed it
all over. The button-data cache (PTB hands it over whole: up to `CALLBACK_CACHE` keyboards) is kept a row per
keyboard, and a keyboard is written only when it is new or was used since the last write, and deleted when PTB
drops it: the write per second is proportional to what changed, not to the cache. It opens its own connection to the SQLite file (WAL allows several), because PTB reads
persistence in ``initialize()``, before the services exist."""

import asyncio

import json
import pickle
from pathlib import Path
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from bot.store import Store

#: Rows of the button-data cache: one per keyboard, and one for the callback queries not yet answered.
KEYBOARDS = "callback_keyboard"
QUERIES = "callback_queries"


class StorePersistence(BasePersistence[dict, dict, dict]):
    def __init__(self, db_path: Path, update_interval: float):
        super().__init__(store_data=PersistenceInput(), update_interval=update_interval)
        self.db_path = db_path
        self._store: Store | None = None
        self._written: dict[tuple[str, str], bytes] = {}
        self._pending: dict[tuple[str, str], bytes | None] = {}
        self._writer: asyncio.Task | None = None
        #: Each stored keyboard's last access time, as last written.
        self._keyboards: dict[str, float] = {}

    async def _state(self):
        if self._store is None:
            self._store = await Store.open(self.db_path)
        return self._store.conversation_state

    async def _load(self, kind: str) -> dict[str, Any]:
        rows = await (await self._state()).load(kind)
        self._written.update({(kind, key): value for key, value in rows.items()})
        return {key: pickle.loads(value) for key, value in rows.items()}

    def _change(self, kind: str, key: str, value: bytes | None) -> None:
        if (kind, key) not in self._pending and self._written.get((kind, key)) == value:
            return
        self._pending[(kind, key)] = value
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        await asyncio.sleep(0)
        changes, self._pending = self._pending, {}
        await (await self._state()).apply(changes)
        for key, value in changes.items():
            if value is None:
                self._written.pop(key, None)
            else:
                self._written[key] = value

    async def _save(self, kind: str, key: str, value: Any) -> None:
        self._change(kind, key, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    async def _delete(self, kind: str, key: str) -> None:
        self._change(kind, key, None)

    async def get_user_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await self._load("user")).items()}

    async def get_chat_data(self) -> dict[int, dict]:
        return {int(k): v for k, v in (await self._load("chat")).items()}

    async def get_bot_data(self) -> dict:
        return (await self._load("bot")).get("bot", {})

    async def get_callback_data(self):
        keyboards = await self._load(KEYBOARDS)
        queries = (await self._load(QUERIES)).get(QUERIES)
        if not keyboards and queries is None:
            return None
        self._keyboards = {uuid: access for uuid, (access, _) in keyboards.items()}
        ordered = sorted(((uuid, access, buttons) for uuid, (access, buttons) in keyboards.items()),
                         key=lambda keyboard: keyboard[1])
        return ordered, queries or {}

    async def get_conversations(self, name: str) -> dict:
        return {tuple(json.loads(k)): v for k, v in (await self._load(f"conversation:{name}")).items()}

    async def update_conversation(self, name: str, key: tuple, new_state: object | None) -> None:
        if new_state is None:
            await self._delete(f"conversation:{name}", json.dumps(list(key)))
        else:
            await self._save(f"conversation:{name}", json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: dict) -> None:
        await self._save("user", str(user_id), data)

    async def update_chat_data(self, chat_id: int, data: dict) -> None:
        await self._save("chat", str(chat_id), data)

    async def update_bot_data(self, data: dict) -> None:
        await self._save("bot", "bot", data)

    async def update_callback_data(self, data) -> None:
        keyboards, queries = data
        present = set()
        for uuid, access, buttons in keyboards:
            present.add(uuid)
            if self._keyboards.get(uuid) != access:
                self._keyboards[uuid] = access
                await self._save(KEYBOARDS, uuid, (access, buttons))
        for uuid in self._keyboards.keys() - present:
            del self._keyboards[uuid]
            await self._delete(KEYBOARDS, uuid)
        await self._save(QUERIES, QUERIES, queries)

    async def drop_chat_data(self, chat_id: int) -> None:
        await self._delete("chat", str(chat_id))

    async def drop_user_data(self, user_id: int) -> None:
        await self._delete("user", str(user_id))

    async def refresh_user_data(self, user_id: int, user_data: dict) -> None:
        """Nothing else writes these rows while the bot runs."""

    async def refresh_chat_data(self, chat_id: int, chat_data: dict) -> None:
        """Nothing else writes these rows while the bot runs."""

    async def refresh_bot_data(self, bot_data: dict) -> None:
        """Nothing else writes these rows while the bot runs."""

    async def flush(self) -> None:
        """Write what is still pending, then close the connection."""
        if self._writer is not None:
            await self._writer
        if self._pending:
            await self._write()
        if self._store is not None:
            await self._store.close()
            self._store = None
