"""Banks and their officers: one-time, expiring invites that staff create and an officer opens as a deep
link; the officers of a bank, and revoking one (who is told)."""

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.services.container import Services
from bot.services.notify import Notification
from bot.services.one_time import Redeemed, new_code, redeem
from bot.services.paging import Paged
from bot.store.banks import Bank
from bot.store.chats import Person

PAYLOAD_PREFIX = "inv-"


@dataclass(frozen=True)
class Invitation:
    bank: Bank
    payload: str
    expires_at: datetime


async def create_invite(services: Services, bank_name: str, created_by: int, now: datetime) -> Invitation:
    bank = await services.store.banks.ensure(bank_name.strip(), actor=f"user:{created_by}")
    code, expires_at = new_code(now, services.settings.invite_hours)
    await services.store.banks.create_invite(bank.id, code, created_by, expires_at.isoformat(timespec="seconds"))
    return Invitation(bank, PAYLOAD_PREFIX + code, expires_at)


async def redeem_invite(services: Services, payload: str, chat_id: int, now: datetime) -> tuple[Redeemed, Bank | None]:
    """``/start inv-...``: the chat becomes an officer of the invite's bank."""
    store = services.store
    invite = await store.banks.invite(payload.removeprefix(PAYLOAD_PREFIX))
    status = await redeem(invite, now, lambda: store.banks.redeem_invite(invite.code, chat_id))
    return status, None if invite is None else await bank_by_id(services, invite.bank_id)


async def bank_by_name(services: Services, name: str) -> Bank | None:
    return await services.store.banks.by_name(name.strip())


async def bank_names(services: Services) -> list[str]:
    return [b.name for b in await services.store.banks.all()]


async def similar_bank_names(services: Services, name: str, limit: int = 3) -> list[str]:
    """Registered banks whose names are close to ``name`` (a typo in /invite: 示列银行 → 示例银行)."""
    return difflib.get_close_matches(name.strip(), await bank_names(services), n=limit, cutoff=0.5)


async def officer_bank(services: Services, chat_id: int) -> Bank | None:
    """The bank this chat is an active officer of, if any."""
    return await services.store.banks.bank_of_officer(chat_id)


#: Officers listed on one page of /officers.
OFFICERS_PAGE = 10


@dataclass(frozen=True)
class OfficerList(Paged):
    """One page of a bank's officers, each as the person Telegram says they are."""

    page_size: ClassVar[int] = OFFICERS_PAGE
    bank: Bank
    total: int
    offset: int
    people: list[Person]


async def officer_list(services: Services, bank: Bank, offset: int = 0) -> OfficerList:
    """A page of the bank's officers: a count and an indexed page, however many there are."""
    total, chat_ids = await services.store.banks.officer_page(bank.id, max(offset, 0), OFFICERS_PAGE)
    if not chat_ids and offset > 0:
        return await officer_list(services, bank, 0)
    people = await services.store.chats.people(chat_ids)
    return OfficerList(bank, total, max(offset, 0), [people[c] for c in chat_ids])


async def person(services: Services, chat_id: int) -> Person:
    return (await services.store.chats.people([chat_id]))[chat_id]


async def bank_by_id(services: Services, bank_id: int) -> Bank | None:
    return await services.store.banks.by_id(bank_id)


async def revoke_officer(services: Services, bank_id: int, chat_id: int, actor: str) -> list[Notification]:
    """Staff revoke an officer; the officer is told (nothing happens, and no one is told, if already revoked)."""
    if not await services.store.banks.revoke_officer(bank_id, chat_id, actor=actor):
        return []
    return [Notification(chat_id, "staff", "revoked_officer")]
