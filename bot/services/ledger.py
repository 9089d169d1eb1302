"""The fund's ledger, in one place: what the fund has paid, got back, committed and can still pay, what an
enterprise's claims hold of its yearly room, and the ceiling a claim may get now.

Jiangbei 第三条 (the fund's size), 第十一条 (per claim, per enterprise per year), 第十八条 (returns),
第十九条 (pause and resume). Every figure is derived from the store when asked; the workflow calls these
inside the transaction that makes the change (`Store.atomic`), so the check and the change are one.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.rules.claims import TRANSITIONS
from bot.rules.compensation import (
    ClaimFacts, CompensationResult, FundDecision, compute_compensation, fund_is_paused, require_program,
)
from bot.rules.money import from_fen, to_fen
from bot.rules.policy import PolicyPack
from bot.store import Store
from bot.store.claims import Claim
from bot.store.programs import FundDecisionRecord


@dataclass(frozen=True)
class FundPosition:
    """第三条 and 第十九条 for one program, in yuan."""

    size: Decimal
    paid: Decimal
    returned: Decimal
    committed: Decimal
    decision: FundDecision | None
    record: FundDecisionRecord | None
    paused: bool
    pause_level: Decimal | None

    @property
    def state(self) -> str:
        return "paused" if self.paused else "active"

    @property
    def balance(self) -> Decimal:
        """What the fund can still pay: size − paid + returned − approved and not yet paid."""
        return self.size - self.paid + self.returned - self.committed


def _decision(record: FundDecisionRecord | None) -> FundDecision | None:
    return None if record is None else FundDecision(record.kind, from_fen(record.paid_fen))


async def fund_position(store: Store, pack: PolicyPack, exclude_claim_id: int | None = None) -> FundPosition:
    """Where the fund stands; ``exclude_claim_id`` leaves out the commitment of the claim being decided."""
    program = require_program(pack)
    totals = await store.claims.fund_totals(pack.id, exclude_claim_id)
    record = await store.programs.fund_decision(pack.id)
    paid = from_fen(totals.paid_fen)
    pause = program.fund.pause_at_cumulative
    return FundPosition(
        size=program.fund.size.value, paid=paid, returned=from_fen(totals.returned_fen),
        committed=from_fen(totals.committed_fen), decision=_decision(record), record=record,
        paused=fund_is_paused(program, paid, _decision(record)), pause_level=pause.value if pause else None)


async def claim_facts(store: Store, pack: PolicyPack, *, credit_code: str, principal_fen: int, loss_fen: int,
                      overdue_days: int | None, ip_pledged_principal_fen: int | None, ip_type: str | None,
                      has_insurer: bool | None, year: int, exclude_claim_id: int | None = None) -> ClaimFacts:
    """The facts of a claim with the ledger's figures: the room the enterprise's other claims leave this
    year, the fund's balance and its pause."""
    position = await fund_position(store, pack, exclude_claim_id)
    held = await store.claims.held_for_enterprise_fen(pack.id, credit_code, year, exclude_claim_id)
    return ClaimFacts(
        loan_principal=from_fen(principal_fen), principal_loss=from_fen(loss_fen), overdue_days=overdue_days,
        ip_pledged_principal=None if ip_pledged_principal_fen is None else from_fen(ip_pledged_principal_fen),
        paid_to_enterprise_this_year=from_fen(held), fund_paid_cumulative=position.paid,
        fund_decision=position.decision, fund_balance=position.balance, ip_type=ip_type, has_insurer=has_insurer)


async def reassess(store: Store, pack: PolicyPack, claim: Claim, today: date) -> CompensationResult:
    """The rules again on a filed claim's own facts, against the ledger as it is now (the claim's own
    hold left out): at approval and at payment."""
    facts = await claim_facts(
        store, pack, credit_code=claim.credit_code, principal_fen=claim.principal_fen, loss_fen=claim.loss_fen,
        overdue_days=claim.overdue_days, ip_pledged_principal_fen=claim.ip_pledged_principal_fen,
        ip_type=claim.ip_type, has_insurer=claim.has_insurer, year=today.year, exclude_claim_id=claim.id)
    return compute_compensation(pack, facts)


@dataclass(frozen=True)
class Violation:
    """A broken invariant of the ledger; ``code`` names it, the sentence is in ``ledger_check.j2``."""

    code: str
    program: str
    params: dict


@dataclass
class _Replayed:
    """A claim as its audit rows tell it."""

    status: str | None = None
    ceiling_fen: int = 0
    approved_fen: int | None = None
    paid_fen: int | None = None
    returned_fen: int = 0


def _held_in_year(claims: list[Claim], year: int, current: bool) -> dict[str, int]:
    """Per enterprise, what ``year`` holds: what was paid in it, and in the current year also what is
    approved or still being examined (as `Claims.held_for_enterprise_fen` counts it)."""
    held: dict[str, int] = {}
    for c in claims:
        if c.paid_fen is not None:
            amount = c.paid_fen if c.paid_on[:4] == f"{year:04d}" else 0
        elif current and c.status == "approved":
            amount = c.approved_fen
        elif current and c.status in ("filed", "under_review"):
            amount = c.ceiling_fen
        else:
            amount = 0
        held[c.credit_code] = held.get(c.credit_code, 0) + amount
    return held


async def check_ledger(store: Store, packs: list[PolicyPack], today: date) -> list[Violation]:
    """Every invariant of the money, from the store alone: per enterprise and year no more than 第十一条's
    cap; the fund never owes or pays more than 第三条's size; nothing approved or paid while 第十九条's pause
    held; no claim returns more than it was paid (第十八条); every claim's history is a path of the state
    machine; and replaying the audit rows gives every claim's figures and the fund's returns."""
    moves = {(t.action, t.source, t.target) for t in TRANSITIONS}
    found: list[Violation] = []
    entries = await store.audit.of_entities(("claim", "program"))
    for pack in packs:
        program = require_program(pack)
        claims = await store.claims.all_for_program(pack.id)
        by_no = {c.claim_no: c for c in claims}
        comp = program.compensation

        def flag(code: str, **params) -> None:
            found.append(Violation(code, pack.id, params))

        if comp.per_enterprise_year_cap is not None:
            cap = comp.per_enterprise_year_cap.value
            years = {int(c.paid_on[:4]) for c in claims if c.paid_on} | {today.year}
            for year in sorted(years):
                for code, held in _held_in_year(claims, year, current=year == today.year).items():
                    if from_fen(held) > cap:
                        flag("enterprise_year_cap", credit_code=code, year=year, held=from_fen(held), cap=cap)
        position = await fund_position(store, pack)
        if position.paid - position.returned + position.committed > position.size:
            flag("fund_size", owed=position.paid - position.returned + position.committed, size=position.size)
        for c in claims:
            owed = sum(r.return_fen for r in await store.claims.recoveries_of(c.id))
            if owed > (c.paid_fen or 0):
                flag("return_above_paid", claim_no=c.claim_no, returned=from_fen(owed), paid=from_fen(c.paid_fen or 0))

        replay: dict[str, _Replayed] = {}
        paid = 0
        decision: FundDecision | None = None
        for e in entries:
            if e.entity == "program":
                if e.entity_id == pack.id and e.action in ("fund.pause", "fund.resume"):
                    decision = FundDecision(e.after["decision"], from_fen(e.after["paid_fen"]))
                continue
            claim = by_no.get(e.entity_id)
            if claim is None:
                continue
            state = replay.setdefault(e.entity_id, _Replayed())
            action = e.action.removeprefix("claim.")
            before, after = e.before or {}, e.after or {}
            if action == "file":
                if state.status is not None:
                    flag("history_broken", claim_no=claim.claim_no, step=action)
            elif action != "reassess" and (action, before.get("status"), after["status"]) not in moves:
                flag("history_broken", claim_no=claim.claim_no, step=action)
            elif before.get("status") != state.status:
                flag("history_broken", claim_no=claim.claim_no, step=action)
            if action in ("approve", "mark_paid") and fund_is_paused(program, from_fen(paid), decision):
                flag("while_paused", claim_no=claim.claim_no, step=action, at=e.at)
            if action == "mark_paid":
                paid += after["paid_fen"]
            if action == "confirm_return":
                state.returned_fen += after["return_fen"]
            state.status = after["status"]
            state.ceiling_fen = after.get("ceiling_fen", state.ceiling_fen)
            state.approved_fen = after.get("approved_fen", state.approved_fen)
            state.paid_fen = after.get("paid_fen", state.paid_fen)
        for c in claims:
            state = replay.get(c.claim_no, _Replayed())
            if (state.status, state.ceiling_fen, state.approved_fen, state.paid_fen) != (
                    c.status, c.ceiling_fen, c.approved_fen, c.paid_fen):
                flag("audit_mismatch", claim_no=c.claim_no)
        if sum(s.returned_fen for s in replay.values()) != to_fen(position.returned):
            flag("audit_returns_mismatch", replayed=from_fen(sum(s.returned_fen for s in replay.values())),
                 stored=position.returned)
    return found
