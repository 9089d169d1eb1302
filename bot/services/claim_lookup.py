"""Which claims a chat may see: an enterprise its own loans', an officer their bank's, staff all.

A claim number the chat may not see is reported exactly like a number that does not exist."""

from bot.services.onboarding import Identity
from bot.rules.claims import ClaimProcess, claim_process
from bot.services.container import Services
from bot.store.claims import Claim


def processes(services: Services) -> dict[str, ClaimProcess]:
    """Per program, what its claims' next steps cite."""
    return {pack.id: claim_process(pack) for pack in services.packs.values() if pack.program is not None}


def may_see(identity: Identity, claim: Claim) -> bool:
    if identity.staff:
        return True
    if identity.bank is not None and claim.bank_id == identity.bank.id:
        return True
    return identity.enterprise is not None and claim.credit_code == identity.enterprise.credit_code


async def visible_claim(services: Services, identity: Identity, claim_no: str) -> Claim | None:
    claim = await services.store.claims.get(claim_no.strip().upper())
    return claim if claim is not None and may_see(identity, claim) else None


async def visible_claims(services: Services, identity: Identity) -> list[Claim] | None:
    """Newest first; ``None`` for a chat that is nobody yet (it should bind first)."""
    store = services.store
    if identity.staff:
        return await store.claims.recent()
    if identity.bank is not None:
        return await store.claims.for_bank(identity.bank.id)
    if identity.enterprise is not None:
        return await store.claims.for_enterprise(identity.enterprise.credit_code)
    return None
