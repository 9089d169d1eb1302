"""What staff read in /audit: the append-only audit table as lines a person reads, "when · who · what ·
before → after", amounts in yuan, newest first, a page at a time, for everything or for one claim or bank."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from bot.rules.money import from_fen
from bot.services.container import Services
from bot.services.paging import Paged
from bot.store.audit import AuditEntry
from bot.store.chats import Person
from bot.texts import minute

PAGE_SIZE = 10
_CLAIM_NO = re.compile(r"^C\d{8,}$")


@dataclass(frozen=True)
class Change:
    """One field an action changed; amounts (fields stored in fen) are given in yuan."""

    field: str
    before: Any
    after: Any
    money: bool = False


@dataclass(frozen=True)
class AuditLine:
    at: str
    actor_kind: str  # staff, officer, user, job, system
    actor: str
    #: Who the acting user is (name, @username), for staff, officers and users.
    person: Person | None
    action: str
    entity: str
    subject: str
    changes: list[Change]


@dataclass(frozen=True)
class AuditView(Paged):
    page_size: ClassVar[int] = PAGE_SIZE
    lines: list[AuditLine]
    offset: int
    total: int
    entity: str | None = None
    entity_id: str | None = None
    subject: str | None = None


async def audit_filter(services: Services, text: str) -> tuple[str, str, str] | None:
    """``(entity, entity_id, subject)`` for what /audit was asked about: a claim number or a bank's name;
    ``None`` when it is neither."""
    text = text.strip()
    if _CLAIM_NO.match(text):
        return "claim", text, text
    bank = await services.store.banks.by_name(text)
    return ("bank", str(bank.id), bank.name) if bank is not None else None


async def audit_page(services: Services, offset: int = 0, entity: str | None = None,
                     entity_id: str | None = None, subject: str | None = None) -> AuditView:
    store = services.store
    entries = await store.audit.latest(PAGE_SIZE, entity=entity, entity_id=entity_id, offset=offset)
    total = await store.audit.count(entity=entity, entity_id=entity_id)
    banks = {str(b.id): b.name for b in await store.banks.all()}
    officers = {chat for bank_id in banks for chat in await store.banks.officers(int(bank_id))}
    people = await store.chats.people([chat for entry in entries for chat in _chats_named(entry)])
    enterprises = {str(e.id): e.name for entry in entries if entry.entity == "enterprise"
                   for e in [await store.enterprises.by_id(int(entry.entity_id))] if e is not None}
    lines = [_line(services, entry, banks, officers, people, enterprises) for entry in entries]
    return AuditView(lines, offset, total, entity, entity_id, subject)


def _chats_named(entry: AuditEntry) -> list[int]:
    """The chats an audit row names: the acting user, and a chat it changed (an officer, a binding)."""
    kind, _, who = entry.actor.partition(":")
    chats = [int(who)] if kind == "user" and who.isdigit() else []
    for side in (entry.before, entry.after):
        if isinstance(side, dict) and isinstance(side.get("chat_id"), int):
            chats.append(side["chat_id"])
    return chats


def _line(services: Services, entry: AuditEntry, banks: dict[str, str], officers: set[int],
          people: dict[int, Person], enterprises: dict[str, str]) -> AuditLine:
    kind, _, who = entry.actor.partition(":")
    person = None
    if kind == "user" and who.isdigit():
        kind = "staff" if int(who) in services.settings.staff_ids else "officer" if int(who) in officers else "user"
        person = people[int(who)]
    elif kind != "job":
        kind, who = "system", entry.actor
    subject = entry.entity_id
    if entry.entity == "enterprise":
        subject = enterprises.get(entry.entity_id, entry.entity_id)
    elif entry.entity == "bank":
        subject = banks.get(entry.entity_id, entry.entity_id)
    elif entry.entity == "alert" and isinstance(entry.after, dict) and "bank_id" in entry.after:
        subject = banks.get(str(entry.after["bank_id"]), subject)
    elif entry.entity == "program" and entry.entity_id in services.packs:
        subject = services.packs[entry.entity_id].meta.short_title
    changes = [Change(c.field, *(people.get(v, v) if isinstance(v, int) else v for v in (c.before, c.after)))
               if c.field == "chat_id" else c for c in _changes(entry.before, entry.after)]
    return AuditLine(minute(entry.at), kind, who, person, entry.action, entry.entity, subject, changes)


#: Fields the line already says (the program, the subject, what kind of alert): not listed as changes.
_SAID_ELSEWHERE = {"program", "bank_id", "kind"}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _readable(value: Any) -> Any:
    """A stored timestamp as the minute it names (2026-12-01 20:34); anything else as it is."""
    return minute(value) if isinstance(value, str) and _ISO_TIME.match(value) else value


def _changes(before: Any, after: Any) -> list[Change]:
    """The fields that differ (all of them for a creation), amounts in yuan."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changes = []
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        if old == new or field in _SAID_ELSEWHERE:
            continue
        old, new = _readable(old), _readable(new)
        money = field.endswith("_fen")
        if money:
            old, new = (None if v is None else from_fen(int(Decimal(str(v)))) for v in (old, new))
            field = field.removesuffix("_fen")
        changes.append(Change(field, old, new, money))
    return changes
