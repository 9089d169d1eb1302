"""What staff read in /audit: the latest rows of the append-only audit table."""

from bot.services.container import Services
from bot.store.audit import AuditEntry


async def latest_changes(services: Services, limit: int) -> list[AuditEntry]:
    return await services.store.audit.latest(limit)
