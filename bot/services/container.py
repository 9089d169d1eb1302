"""What every entry point needs, built once: settings, the store, the policy packs, the Q&A index."""

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
    qa: "PolicyQA"
    lock: DataDirLock | None = None

    @property
    def programs(self) -> list[PolicyPack]:
        """The configured programs (IPBOT_PROGRAMS), in the configured order."""
        return [self.packs[program_id] for program_id in self.settings.programs]

    def is_staff(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.settings.staff_ids

    async def close(self) -> None:
        await self.store.close()
        if self.lock is not None:
            self.lock.release()


async def open_services(settings: Settings, *, exclusive: bool = False) -> Services:
    """Load and check the packs, open the store (migrating it) and build the Q&A index. ``exclusive``: the
    process that runs the bot takes the data directory's lock first (`DataDirBusy` if another holds it)."""
    from bot.services.qa import PolicyQA  # jieba's dictionary: loaded by what answers questions, not by every import

    lock = DataDirLock(settings.data_dir).acquire() if exclusive else None
    packs = load_packs(settings.policy_dir)
    for program_id in settings.programs:
        if program_id not in packs or packs[program_id].program is None:
            raise PolicyLoadError(f"IPBOT_PROGRAMS: {program_id!r} is not a program pack in {settings.policy_dir}")
    store = await Store.open(settings.db_path)
    await store.programs.ensure(settings.programs)
    return Services(settings, store, packs, PolicyQA(packs, settings.programs, settings.qa_cache_dir), lock)
