"""The aiosqlite store: SQL lives only in this package; it returns plain dataclasses.

`Store.open` connects (WAL, foreign keys on), applies the migrations and exposes one object per aggregate.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from bot.clock import now as shanghai_now
from bot.store.alerts import Alerts
from bot.store.audit import AuditLog
from bot.store.banks import Banks
from bot.store.broadcasts import Broadcasts
from bot.store.chats import Chats
from bot.store.claims import Claims
from bot.store.conversation_state import ConversationState
from bot.store.db import Database
from bot.store.enterprises import Enterprises
from bot.store.loans import Loans
from bot.store.notifications import Notifications
from bot.store.programs import Programs


class Store:
    def __init__(self, db: Database):
        self.db = db
        self.programs = Programs(db)
        self.chats = Chats(db)
        self.enterprises = Enterprises(db)
        self.banks = Banks(db)
        self.loans = Loans(db, self.banks)
        self.claims = Claims(db)
        self.alerts = Alerts(db)
        self.broadcasts = Broadcasts(db)
        self.notifications = Notifications(db)
        self.audit = AuditLog(db)
        self.conversation_state = ConversationState(db)

    @classmethod
    async def open(cls, path: Path | str, clock: Callable[[], datetime] = shanghai_now) -> "Store":
        return cls(await Database.open(path, clock))

    def atomic(self):
        """One transaction around several aggregates' reads and writes (the ledger's check and change)."""
        return self.db.transaction()

    async def close(self) -> None:
        await self.db.close()
