"""Who a chat is (staff, bank officer, enterprise) and binding a chat to its enterprise.

A credit code and a name prove nothing (a bank's loan book is full of both), so no binding is active until
someone who knows the enterprise confirms it: staff, or an officer of a bank that lent to it. Until then the
chat sees no claim data and learns nothing about the record. Staff are also told why a request is doubtful:
the code is bound to another chat, the name differs from the one on record, or the check character fails.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.rules.credit_code import CreditCodeCheck, check_credit_code
from bot.services.container import Services
from bot.services.one_time import Redeemed, new_code, redeem
from bot.store.banks import Bank
from bot.store.enterprises import Enterprise

BindStatus = Literal["already_bound", "pending_confirmation", "pending_other_chat", "pending_name_mismatch",
                     "pending_check_digit"]


@dataclass(frozen=True)
class Identity:
    staff: bool
    bank: Bank | None
    enterprise: Enterprise | None

    @property
    def role(self) -> str:
        if self.staff:
            return "staff"
        if self.bank is not None:
            return "officer"
        if self.enterprise is not None:
            return "enterprise"
        return "guest"


@dataclass(frozen=True)
class BindResult:
    status: BindStatus
    enterprise: Enterprise


async def identify(services: Services, chat_id: int, user_id: int | None) -> Identity:
    store = services.store
    return Identity(services.is_staff(user_id), await store.banks.bank_of_officer(chat_id),
                    await store.enterprises.of_chat(chat_id))


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


async def bind_enterprise(services: Services, chat_id: int, check: CreditCodeCheck, name: str, actor: str) -> BindResult:
    """Bind ``chat_id`` to the enterprise with that code (registering it if new), or leave it pending.

    ``check`` must be valid, or have failed only its check character (then staff decide)."""
    if not (check.valid or check.staff_can_bind):
        raise ValueError(f"cannot bind a malformed code: {check.problem}")
    store = services.store
    await store.chats.ensure(chat_id)
    enterprise = await store.enterprises.by_code(check.code)
    if enterprise is None:
        enterprise = await store.enterprises.register(check.code, name.strip(), actor, code_checked=check.valid)
        status: BindStatus = "pending_confirmation" if check.valid else "pending_check_digit"
    elif await store.enterprises.binding_status(enterprise.id, chat_id) == "active":
        return BindResult("already_bound", enterprise)
    elif not _same_name(enterprise.name, name):
        status = "pending_name_mismatch"
    elif await store.enterprises.chats(enterprise.id):
        status = "pending_other_chat"
    elif not enterprise.code_checked:
        status = "pending_check_digit"
    else:
        status = "pending_confirmation"
    await store.enterprises.bind_chat(enterprise.id, chat_id, "pending", actor)
    return BindResult(status, enterprise)


async def officers_who_can_confirm(services: Services, enterprise: Enterprise) -> list[int]:
    """The officers of every bank that lent to the enterprise: they know their borrower."""
    store = services.store
    return [chat for bank_id in await store.loans.banks_lending_to(enterprise.credit_code)
            for chat in await store.banks.officers(bank_id)]


async def officer_may_confirm(services: Services, chat_id: int, enterprise: Enterprise) -> bool:
    bank = await services.store.banks.bank_of_officer(chat_id)
    return bank is not None and bank.id in await services.store.loans.banks_lending_to(enterprise.credit_code)


async def decide_binding(services: Services, enterprise_id: int, chat_id: int, approve: bool, actor: str) -> bool:
    """Staff confirm or refuse a pending binding; ``False`` if it was no longer pending."""
    store = services.store
    if await store.enterprises.binding_status(enterprise_id, chat_id) != "pending":
        return False
    await store.enterprises.bind_chat(enterprise_id, chat_id, "active" if approve else "rejected", actor)
    return True


async def remember_chat(services: Services, chat_id: int, locale: str, name: str | None = None,
                        username: str | None = None) -> None:
    """A chat that wrote to the bot: known from now on (with who it is), and reachable again if it had
    blocked the bot."""
    await services.store.chats.ensure(chat_id, locale, name, username)


async def set_locale(services: Services, chat_id: int, locale: str) -> None:
    await services.store.chats.set_locale(chat_id, locale)


async def chat_locale(services: Services, chat_id: int) -> str:
    chat = await services.store.chats.get(chat_id)
    return chat.locale if chat is not None else services.settings.locale


async def user_wrote(services: Services, chat_id: int, name: str | None = None, username: str | None = None) -> None:
    """Anyone who writes to the bot can be reached again: a mark left by an earlier 403 (blocked, or not yet
    started) is lifted, so notices and broadcasts find them; their name and @username are kept up to date."""
    await services.store.chats.wrote_again(chat_id, name, username, services.settings.locale)


async def mark_blocked(services: Services, chat_id: int) -> None:
    """Telegram said the user blocked the bot: pushes skip the chat until it writes again."""
    await services.store.chats.set_blocked(chat_id, True)


async def enterprise_by_id(services: Services, enterprise_id: int) -> Enterprise | None:
    return await services.store.enterprises.by_id(enterprise_id)


async def enterprise_of_chat(services: Services, chat_id: int) -> Enterprise | None:
    return await services.store.enterprises.of_chat(chat_id)


async def set_profile(services: Services, enterprise_id: int, region: str | None, industry: str | None,
                      actor: str) -> None:
    """The region and industry broadcasts can address, recorded (and audited) for the enterprise."""
    await services.store.enterprises.set_profile(enterprise_id, region, industry, actor)


@dataclass(frozen=True)
class Binding:
    enterprise: Enterprise
    #: ``active`` or ``pending`` (waiting for a bank's officer or staff to confirm).
    status: str
    #: The enterprise the chat acts for now.
    current: bool


async def bindings(services: Services, chat_id: int) -> list[Binding]:
    """The chat's bindings, the one it acts for first, then the others, then those waiting for confirmation."""
    found = await services.store.enterprises.bindings_of_chat(chat_id)
    return [Binding(enterprise, status, i == 0 and status == "active") for i, (enterprise, status) in enumerate(found)]


async def switch_binding(services: Services, chat_id: int, enterprise_id: int) -> bool:
    """The chat acts for another of its confirmed enterprises; ``False`` if it is not one."""
    return await services.store.enterprises.choose_for_chat(enterprise_id, chat_id)


async def remove_binding(services: Services, chat_id: int, enterprise_id: int, actor: str) -> bool:
    """The chat stops acting for (or waiting to be confirmed for) the enterprise; ``False`` if it was not bound."""
    return await services.store.enterprises.unbind_chat(enterprise_id, chat_id, actor)


#: A binding code's deep-link payload starts so (``/start ent-...``).
BINDING_CODE_PREFIX = "ent-"


@dataclass(frozen=True)
class IssuedCode:
    """``ok`` with the enterprise, the deep-link payload and its expiry; or why not: ``bad_code`` (not a credit
    code), ``unknown_enterprise`` (staff: not registered), ``not_your_borrower`` (an officer whose bank never
    lent to it), ``not_allowed`` (neither staff nor an officer)."""

    status: Literal["ok", "bad_code", "unknown_enterprise", "not_your_borrower", "not_allowed"]
    enterprise: Enterprise | None = None
    payload: str | None = None
    expires_at: datetime | None = None


async def issue_binding_code(services: Services, credit_code: str, issuer_chat: int, issuer_user: int,
                             now: datetime) -> IssuedCode:
    """A one-time, expiring code that binds whoever opens it to the enterprise, issued by staff or by an officer
    of a bank that lent to it (they know the person they give it to). An officer's borrower not yet registered
    is registered with the name in the bank's book."""
    check = check_credit_code(credit_code)
    if not check.valid:
        return IssuedCode("bad_code")
    store = services.store
    enterprise = await store.enterprises.by_code(check.code)
    actor = f"user:{issuer_user}"
    if not services.is_staff(issuer_user):
        bank = await store.banks.bank_of_officer(issuer_chat)
        if bank is None:
            return IssuedCode("not_allowed")
        name = await store.loans.borrower_name(bank.id, check.code)
        if name is None:
            return IssuedCode("not_your_borrower")
        enterprise = enterprise or await store.enterprises.register(check.code, name, actor, code_checked=True)
    if enterprise is None:
        return IssuedCode("unknown_enterprise")
    code, expires_at = new_code(now, services.settings.invite_hours)
    await store.enterprises.create_binding_code(enterprise.id, code, issuer_user, expires_at.isoformat(timespec="seconds"))
    return IssuedCode("ok", enterprise, BINDING_CODE_PREFIX + code, expires_at)


async def redeem_binding_code(services: Services, payload: str, chat_id: int, now: datetime
                              ) -> tuple[Redeemed, Enterprise | None]:
    """``/start ent-...``: the chat is bound to the code's enterprise at once (the code vouches for it)."""
    store = services.store
    found = await store.enterprises.binding_code(payload.removeprefix(BINDING_CODE_PREFIX))
    status = await redeem(found, now, lambda: store.enterprises.redeem_binding_code(found.code, chat_id))
    return status, None if found is None else await store.enterprises.by_id(found.enterprise_id)
