"""Which claims a chat may see: an enterprise its own loans', an officer their bank's, staff all.

A claim number the chat may not see is reported exactly like a number that does not exist."""

from dataclasses import dataclass
from typing import ClassVar

from bot.services.onboarding import Identity
from bot.rules.claims import ClaimProcess, claim_process
from bot.services.container import Services
from bot.services.paging import Paged
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


#: Claims listed on one page of /claims.
CLAIMS_PAGE = 10


@dataclass(frozen=True)
class ClaimsPage(Paged):
    """One page of the claims a chat may see, newest first."""

    page_size: ClassVar[int] = CLAIMS_PAGE
    total: int
    offset: int
    claims: list[Claim]


async def visible_claims(services: Services, identity: Identity, offset: int = 0) -> ClaimsPage | None:
    """A page of the claims this chat may see (staff: all; an officer: the bank's; an enterprise: its own),
    newest first; ``None`` for a chat that is nobody yet (it should bind first)."""
    if identity.staff:
        scope = {}
    elif identity.bank is not None:
        scope = {"bank_id": identity.bank.id}
    elif identity.enterprise is not None:
        scope = {"credit_code": identity.enterprise.credit_code}
    else:
        return None
    total, claims = await services.store.claims.page(max(offset, 0), CLAIMS_PAGE, **scope)
    return ClaimsPage(total, max(offset, 0), claims)
