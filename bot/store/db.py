"""The connection: WAL mode, foreign keys on, versioned migrations applied at open, and transactions."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path

import aiosqlite

from bot.clock import now as shanghai_now


def migrations() -> list[tuple[int, str]]:
    """``migrations/NNNN_name.sql`` files, by version number."""
    found = []
    for entry in resources.files("bot.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


async def _connect(path: Path | str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(str(path), isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys=ON")
    await conn.execute("PRAGMA busy_timeout=5000")
    return conn


class Database:
    """One connection writes (one transaction at a time); a second one reads what is committed, so a long write
    (a 100,000-row import) neither shows its half to other users nor makes their reads wait: in WAL mode readers
    and the writer do not block each other. A task inside its own transaction reads through the writer and sees
    its own changes."""

    def __init__(self, conn: aiosqlite.Connection, clock: Callable[[], datetime],
                 reader: aiosqlite.Connection | None = None):
        self.conn = conn
        self.reader = reader or conn
        self.clock = clock
        self._write_lock = asyncio.Lock()
        self._writer: asyncio.Task | None = None

    @classmethod
    async def open(cls, path: Path | str, clock: Callable[[], datetime] = shanghai_now) -> "Database":
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = await _connect(path)
        await conn.execute("PRAGMA journal_mode=WAL")
        await conn.execute("PRAGMA synchronous=NORMAL")
        db = cls(conn, clock)
        await db.upgrade()
        if str(path) != ":memory:":
            db.reader = await _connect(path)
            await db.reader.execute("PRAGMA query_only=ON")
        return db

    async def close(self) -> None:
        if self.reader is not self.conn:
            await self.reader.close()
        await self.conn.close()

    async def version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            return (await cur.fetchone())[0]

    async def upgrade(self) -> list[int]:
        """Apply the migrations newer than the database, each in its own transaction."""
        applied = []
        current = await self.version()
        for version, script in migrations():
            if version <= current:
                continue
            async with self._write_lock:
                await self.conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version={version};\nCOMMIT;")
            applied.append(version)
        return applied

    def now_iso(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One writer at a time; everything inside commits together or not at all.

        A transaction opened inside another by the same task joins it, so a service can read the ledger,
        decide, and write the change as one unit through the aggregates' own methods."""
        if self._writer is not None and self._writer is asyncio.current_task():
            yield self.conn
            return
        async with self._write_lock:
            self._writer = asyncio.current_task()
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")
            finally:
                self._writer = None

    async def write(self, sql: str, params: tuple | dict = ()) -> None:
        """One statement as a transaction of its own: one round trip to the database thread instead of three
        (BEGIN, the statement, COMMIT), after any transaction another task has open."""
        if self._writer is asyncio.current_task():
            await self.conn.execute(sql, params)
            return
        async with self._write_lock:
            await self.conn.execute(sql, params)

    def _reading(self) -> aiosqlite.Connection:
        return self.conn if self._writer is asyncio.current_task() else self.reader

    async def fetchall(self, sql: str, params: tuple | dict = ()) -> list[aiosqlite.Row]:
        async with self._reading().execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: tuple | dict = ()) -> aiosqlite.Row | None:
        async with self._reading().execute(sql, params) as cur:
            return await cur.fetchone()
