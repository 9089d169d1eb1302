"""What every entry point needs, built once: settings, the store, the policy packs, the Q&A index."""

import asyncio
import ctypes
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.datadir_lock import DataDirLock
from bot.policies import PolicyLoadError, load_packs
from bot.rules.policy import PolicyPack
from bot.store import Store

if TYPE_CHECKING:
    from bot.services.qa import PolicyQA


@dataclass
class Services:
    settings: Settings
    store: Store
    packs: dict[str, PolicyPack]
    qa: "PolicyQA | None"
    lock: DataDirLock | None = None
    #: On a first start (or after the packs changed) the Q&A index is being built in another process.
    qa_loading: "asyncio.Task[PolicyQA] | None" = None

    async def answerer(self) -> "PolicyQA":
        """The Q&A, once its index is ready: at once, except in the seconds after a first start."""
        if self.qa is None and self.qa_loading is not None:
            self.qa = await asyncio.shield(self.qa_loading)
        return self.qa

    @property
    def programs(self) -> list[PolicyPack]:
        """The configured programs (IPBOT_PROGRAMS), in the configured order."""
        return [self.packs[program_id] for program_id in self.settings.programs]

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_ids

    async def close(self) -> None:
        if self.qa_loading is not None and not self.qa_loading.done():
            self.qa_loading.cancel()
        await self.store.close()
        if self.lock is not None:
            self.lock.release()


async def open_services(settings: Settings, *, exclusive: bool = False) -> Services:
    """Load and check the packs, open the store (migrating it) and open the Q&A index (when it is not built
    yet, it is built in another process while everything else starts). ``exclusive``: the process that runs the
    bot takes the data directory's lock first (`DataDirBusy` if another holds it)."""
    from bot.services.qa import cache_is_built

    lock = DataDirLock(settings.data_dir).acquire() if exclusive else None
    packs = load_packs(settings.policy_dir, settings.packs_cache)
    for program_id in settings.programs:
        if program_id not in packs or packs[program_id].program is None:
            raise PolicyLoadError(f"IPBOT_PROGRAMS: {program_id!r} is not a program pack in {settings.policy_dir}")
    store = await Store.open(settings.db_path)
    await store.programs.ensure(settings.programs)
    if cache_is_built(packs, settings.qa_cache_dir):
        return Services(settings, store, packs, _open_qa(settings, packs), lock)
    return Services(settings, store, packs, None, lock, asyncio.create_task(_build_qa_elsewhere(settings, packs)))


async def _build_qa_elsewhere(settings: Settings, packs: dict[str, PolicyPack]) -> "PolicyQA":
    """The Q&A index built by ``python -m bot.services.qa_build`` and then opened here; if that process fails, it is
    built here instead (slower to start, same answers)."""
    builder = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.services.qa_build",
                                                   str(settings.policy_dir), str(settings.qa_cache_dir))
    try:
        status = await builder.wait()
    except asyncio.CancelledError:
        builder.kill()
        raise
    if status != 0:
        logging.getLogger(__name__).warning("building the Q&A index in another process failed (%s)", status)
        return await asyncio.to_thread(_open_qa, settings, packs)  # builds it: seconds
    # Opened here, not in a thread: opening is 0.15 s of Python holding the GIL (a thread would not free the loop
    # meanwhile), and what a thread allocates stays in a malloc arena of its own (the bot idled 3 MB larger).
    return _open_qa(settings, packs)


def _open_qa(settings: Settings, packs: dict[str, PolicyPack]) -> "PolicyQA":
    from bot.services.qa import PolicyQA

    qa = PolicyQA(packs, settings.programs, settings.qa_cache_dir)
    _return_freed_memory()
    return qa


def _return_freed_memory() -> None:
    """Opening the Q&A frees most of what it allocates (the tokenizer's JSON, the index's unpickling), and glibc
    keeps freed memory for the process to reuse: handed back to the system, the bot idles some 5 MB smaller.
    The process's own symbols include the C library's (finding it by name would run ldconfig: 20 ms); where it
    has no ``malloc_trim``, nothing happens."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass
