"""Filing and moving compensation claims (Jiangbei 第三、十一、十二、十七、十八、十九条).

The rules decide admissibility and the ceiling and which transitions an actor may make; the ledger
(`bot.services.ledger`) supplies the room left by the enterprise's other claims, the fund's balance and its
pause. A claim is assessed at filing, again at approval and again at payment, each time inside the
transaction that records the change, and the reasons shown with the amount are stored with it. This module
also says who must hear of each change: the bank's officers and the enterprise's bound chats, and staff for
what waits on them."""

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import ClassVar

from bot.rules.claims import apply_transition, claim_process, approved_amount_allowed, available_actions, recovery_return
from bot.rules.compensation import (
    ClaimFacts, CompensationResult, InvalidClaimInput, claim_trigger_met, compute_compensation,
)
from bot.rules.money import ZERO, from_fen, to_fen
from bot.rules.monitoring import covered_despite_suspension
from bot.rules.policy import PolicyPack
from bot.rules.reasons import Reason, reasons_from_json, reasons_to_json
from bot.services import ledger
from bot.services.buttons import ClaimAction, FundAction, SupplyInfo
from bot.services.container import Services
from bot.services.monitoring import check_fund, pending_suspensions
from bot.services.notify import Notification, queue_in, to_all
from bot.services.paging import Paged
from bot.store.banks import Bank
from bot.store.claims import Claim, NewClaim
from bot.store.loans import LoanRecord

#: Which claim action a staff member makes in which role of the rules (fund manager or bureau).
STAFF_ROLE = {"start_review": "fund_manager", "approve": "bureau", "reject": "fund_manager",
              "mark_paid": "fund_manager", "confirm_return": "fund_manager", "close": "fund_manager"}


class ClaimRefused(Exception):
    """``code``: unknown_loan, claim_exists, not_admissible, loss_exceeds_principal, amount_above_ceiling,
    ceiling_changed (the room shrank since filing: ``ceiling`` is the new one), cannot_pay, ..."""

    def __init__(self, code: str, reasons: list[Reason] | None = None, ceiling: Decimal | None = None):
        super().__init__(code)
        self.code = code
        self.reasons = reasons or []
        self.ceiling = ceiling


@dataclass(frozen=True)
class Assessment:
    pack: PolicyPack
    bank: Bank
    loan: LoanRecord
    loss: Decimal
    result: CompensationResult
    reasons: list[Reason] = field(default_factory=list)

    @property
    def admissible(self) -> bool:
        return self.result.eligible and not any(r.code == "loan_after_suspension" for r in self.reasons)


async def assess(services: Services, pack: PolicyPack, bank: Bank, loan_id: str, loss: Decimal,
                 today: date) -> Assessment:
    """What the rules say of a claim on this loan for this loss, with the facts from the store and the ledger."""
    store = services.store
    loan = await store.loans.latest_loan(pack.id, bank.id, loan_id)
    if loan is None:
        raise ClaimRefused("unknown_loan")
    if await store.claims.open_for_loan(pack.id, bank.id, loan_id):
        raise ClaimRefused("claim_exists")
    facts = await ledger.claim_facts(
        store, pack, credit_code=loan.credit_code, principal_fen=loan.principal_fen, loss_fen=to_fen(loss),
        overdue_days=loan.overdue_days, ip_pledged_principal_fen=loan.ip_pledged_principal_fen, ip_type=loan.ip_type,
        has_insurer=bool(loan.insurer), year=today.year)
    try:
        result = compute_compensation(pack, facts)
    except InvalidClaimInput as exc:
        raise ClaimRefused(exc.code) from None
    reasons = list(result.reasons)
    level = await store.banks.level(pack.id, bank.id)
    suspended_on = date.fromisoformat(level.suspended_on) if level.suspended_on else None
    if not covered_despite_suspension(date.fromisoformat(loan.issued_on), suspended_on):
        reasons.append(Reason("loan_after_suspension", pack.id, pack.program.bank_monitoring.suspend_ratio.article,
                              {"issued_on": loan.issued_on, "suspended_on": level.suspended_on}))
    return Assessment(pack, bank, loan, loss, result, reasons)


async def get_claim(services: Services, claim_no: str) -> Claim | None:
    return await services.store.claims.get(claim_no.strip().upper())


async def claimable_loans(services: Services, pack: PolicyPack, bank_id: int) -> tuple[list[LoanRecord], int]:
    """What /file_claim offers: the loans of the bank's latest book that meet 第十七条's trigger and have no
    open claim, most overdue first; and how many loans the book holds."""
    book = await services.store.loans.latest_of_bank(pack.id, bank_id)
    taken = await services.store.claims.open_loan_ids(pack.id, bank_id)
    loans = [loan for loan in book if loan.loan_id not in taken
             and claim_trigger_met(pack.program, loan.overdue_days, None) is not False]
    return sorted(loans, key=lambda loan: -loan.overdue_days), len(book)


async def why_not_claimable(services: Services, pack: PolicyPack, bank_id: int, loan_id: str) -> Reason | str | None:
    """Why a loan typed or pressed cannot be claimed, before anyone types a loss: ``unknown_loan``,
    ``claim_exists``, or 第十七条's trigger as a reason; ``None`` when it can."""
    loan = await services.store.loans.latest_loan(pack.id, bank_id, loan_id)
    if loan is None:
        return "unknown_loan"
    if await services.store.claims.open_for_loan(pack.id, bank_id, loan_id):
        return "claim_exists"
    trigger = pack.program.claim_trigger
    if claim_trigger_met(pack.program, loan.overdue_days, None) is False:
        return Reason("trigger_not_met", pack.id, trigger.article,
                      {"kind": trigger.kind, "overdue_days": loan.overdue_days, "threshold": trigger.overdue_days,
                       "npl_class": None})
    return None


async def estimate(services: Services, pack: PolicyPack, loan: Decimal, loss: Decimal, overdue_days: int | None,
                   paid_this_year: Decimal) -> CompensationResult:
    """/estimate: the rules on what the enterprise typed, with the fund's real balance and pause."""
    position = await ledger.fund_position(services.store, pack)
    facts = ClaimFacts(loan_principal=loan, principal_loss=loss, overdue_days=overdue_days,
                       paid_to_enterprise_this_year=paid_this_year, fund_paid_cumulative=position.paid,
                       fund_decision=position.decision, fund_balance=position.balance)
    return compute_compensation(pack, facts)


def _claim_params(services: Services, claim: Claim, **extra) -> dict:
    return {"claim_no": claim.claim_no, "loan_id": claim.loan_id, "enterprise": claim.enterprise,
            "status": claim.status, "ceiling": from_fen(claim.ceiling_fen), "loss": from_fen(claim.loss_fen),
            "principal": from_fen(claim.principal_fen), "process": claim_process(services.packs[claim.program_id]),
            "ip_principal": None if claim.ip_pledged_principal_fen is None else from_fen(claim.ip_pledged_principal_fen),
            "approved": None if claim.approved_fen is None else from_fen(claim.approved_fen),
            "paid": None if claim.paid_fen is None else from_fen(claim.paid_fen),
            "program": services.packs[claim.program_id].meta, **extra}


async def _parties(services: Services, claim: Claim) -> list[int]:
    """The bank's officers and the enterprise's bound chats."""
    store = services.store
    chats = await store.banks.officers(claim.bank_id)
    enterprise = await store.enterprises.by_code(claim.credit_code)
    if enterprise is not None:
        chats += await store.enterprises.chats(enterprise.id)
    return chats


#: The buttons for each action staff may take (approving offers the ceiling or another amount).
STAFF_BUTTONS = {"start_review": (("btn_start_review", "start_review"),),
                 "approve": (("btn_approve_ceiling", "approve"), ("btn_approve_other", "approve_other")),
                 "reject": (("btn_reject", "reject"),), "mark_paid": (("btn_mark_paid", "mark_paid"),),
                 "confirm_return": (("btn_confirm_return", "confirm_return"),), "close": (("btn_close", "close"),)}


def bank_may(claim: Claim, action: str) -> bool:
    """Whether the bank may take this action on the claim now (the rules' transitions for the bank)."""
    return action in available_actions(claim.status, "bank")


def staff_buttons(claim: Claim) -> tuple:
    """What staff may do next, as buttons on their notice: the rules' transitions from the claim's status
    for the role staff act in, plus asking the bank for more while the claim is still being examined."""
    actions = [action for action, role in STAFF_ROLE.items() if action in available_actions(claim.status, role)]
    buttons = tuple((label, ClaimAction(data, claim.claim_no)) for action in actions
                    for label, data in STAFF_BUTTONS[action])
    if "start_review" in actions or "approve" in actions:
        buttons += (("btn_ask_info", ClaimAction("ask_info", claim.claim_no)),)
    return (buttons,) if buttons else ()


async def _notify(services: Services, claim: Claim, action: str, staff_too: bool, **extra) -> list[Notification]:
    params = _claim_params(services, claim, action=action, **extra)
    notes = to_all(await _parties(services, claim), "claim_notices", "changed", params)
    if staff_too:
        notes += to_all(services.settings.staff_ids, "claim_notices", "for_staff", params, staff_buttons(claim))
    return notes


#: Claims waiting for staff, in the order the desk counts them.
WAITING = ("filed", "under_review", "approved", "recovery_open")
#: Claims listed on one page of the review desk.
REVIEW_PAGE = 8


@dataclass(frozen=True)
class ReviewDesk(Paged):
    """One page of the claims waiting for staff, oldest first, with how many wait in each status."""

    page_size: ClassVar[int] = REVIEW_PAGE
    counts: dict[str, int]
    offset: int
    claims: list[Claim]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def review_desk(services: Services, offset: int = 0) -> ReviewDesk:
    """A page of the desk: two indexed queries, whatever the length of the queue."""
    store = services.store
    counts = await store.claims.status_counts(WAITING)
    offset = min(max(offset, 0), max(sum(counts.values()) - 1, 0) // REVIEW_PAGE * REVIEW_PAGE)
    return ReviewDesk(counts, offset, await store.claims.page_in_status(WAITING, offset, REVIEW_PAGE))


async def review_notice(services: Services, staff_chat: int, claim_no: str) -> Notification | None:
    """One claim opened from the desk: its ceiling's reasons, what was asked of the bank and what it sent, and
    the buttons for what staff may do next."""
    claim = await services.store.claims.get(claim_no)
    if claim is None:
        return None
    params = _claim_params(services, claim, action="review", reasons=reasons_from_json(claim.reasons),
                           supplements=await services.store.claims.supplements(claim.id))
    return Notification(staff_chat, "claim_notices", "for_review", params, staff_buttons(claim))


async def desk_decisions(services: Services, staff_chat: int) -> list[Notification]:
    """What else waits for staff on the desk: suspension approvals and the fund's pause."""
    store = services.store
    notes: list[Notification] = []
    for pack in services.programs:
        notes += await pending_suspensions(services, pack, staff_chat)
        position = await ledger.fund_position(store, pack)
        if position.paused:
            notes.append(Notification(staff_chat, "alerts", "fund_paused_desk",
                                      {"program": pack.meta, "paid": position.paid, "level": position.pause_level},
                                      ((("btn_resume", FundAction("resume", pack.id)),),)))
    return notes


async def ask_bank(services: Services, claim_no: str, question: str, actor: str) -> list[Notification]:
    """Staff ask the bank for more on a claim (no change of status): the question is kept with the claim and
    goes to the bank's officers with a button to answer it."""
    store = services.store
    async with store.atomic():
        claim = await store.claims.get(claim_no)
        if claim is None:
            raise ClaimRefused("unknown_claim")
        await store.claims.add_supplement(claim, "question", question, (), actor)
        notes = to_all(await store.banks.officers(claim.bank_id), "claim_notices", "info_requested",
                       {"claim_no": claim_no, "loan_id": claim.loan_id, "question": question},
                       ((("btn_supply_info", SupplyInfo(claim_no)),),))
        return await queue_in(store, notes)


async def supply_info(services: Services, claim_no: str, officer_chat: int, text: str,
                      files: tuple[tuple[str, str], ...], actor: str) -> list[Notification]:
    """The bank answers staff's request with text and files (Telegram file ids): kept with the claim and sent
    on to staff, with the buttons for what they may do next. Only an officer of the claim's bank may answer,
    checked at the moment of answering (an officer revoked meanwhile answers nothing)."""
    store = services.store
    async with store.atomic():
        claim = await store.claims.get(claim_no)
        if claim is None:
            raise ClaimRefused("unknown_claim")
        if officer_chat not in await store.banks.officers(claim.bank_id):
            raise ClaimRefused("not_officer")
        await store.claims.add_supplement(claim, "answer", text, files, actor)
        params = _claim_params(services, claim, text=text, files=[name for _, name in files])
        notes = [replace(note, documents=files) for note in
                 to_all(services.settings.staff_ids, "claim_notices", "info_supplied", params, staff_buttons(claim))]
        return await queue_in(store, notes)


async def file_claim(services: Services, pack: PolicyPack, bank: Bank, loan_id: str, loss: Decimal, today: date,
                     actor: str) -> tuple[Claim, list[Notification]]:
    """第十七条: the bank applies. Assessed again at the moment of filing, inside the transaction that files
    it, so two claims filed at once cannot both take the same room; only an admissible claim is filed, its
    ceiling and the reasons for it stored with it; the notices go to the outbox in the same transaction."""
    store = services.store
    async with store.atomic():
        assessment = await assess(services, pack, bank, loan_id, loss, today)
        if not assessment.admissible:
            raise ClaimRefused("not_admissible", assessment.reasons)
        loan = assessment.loan
        claim = await store.claims.file(NewClaim(
            pack.id, bank.id, loan.loan_id, loan.credit_code, loan.enterprise, loan.principal_fen, to_fen(loss),
            loan.overdue_days, to_fen(assessment.result.fund), loan.ip_pledged_principal_fen, loan.ip_type,
            bool(loan.insurer), reasons_to_json(assessment.reasons)), actor)
        notes = await queue_in(store, await _notify(services, claim, "file", staff_too=True))
    return claim, notes


async def _approve(services: Services, pack: PolicyPack, claim: Claim, amount: Decimal | None, today: date,
                   actor: str) -> dict:
    """第十一条 at approval: the ceiling recomputed against the room left now. When it shrank since filing,
    the new ceiling and its reasons are stored and staff are shown them before anything is approved."""
    result = await ledger.reassess(services.store, pack, claim, today)
    if not result.eligible:
        return {"refused": ClaimRefused("not_admissible", result.reasons)}
    ceiling = min(result.fund, from_fen(claim.ceiling_fen))
    if ceiling < from_fen(claim.ceiling_fen):
        await services.store.claims.reassess(claim.claim_no, to_fen(ceiling), reasons_to_json(result.reasons), actor)
        return {"refused": ClaimRefused("ceiling_changed", result.reasons, ceiling)}
    amount = ceiling if amount is None else amount
    if not approved_amount_allowed(amount, ceiling):
        return {"refused": ClaimRefused("amount_above_ceiling", ceiling=ceiling)}
    return {"approved_fen": to_fen(amount), "reasons": reasons_to_json(result.reasons)}


async def _pay(services: Services, pack: PolicyPack, claim: Claim, today: date) -> dict:
    """第三条、第十九条 at payment: nothing is paid while the fund is paused or beyond what it holds."""
    result = await ledger.reassess(services.store, pack, claim, today)
    if not result.eligible or claim.approved_fen > to_fen(result.fund):
        return {"refused": ClaimRefused("cannot_pay", result.reasons, result.fund)}
    return {"paid_fen": claim.approved_fen, "paid_on": today.isoformat()}


async def _record(services: Services, pack: PolicyPack, claim: Claim, action: str, target: str, changes: dict,
                  amount: Decimal | None, today: date, actor: str) -> dict:
    """Write the change the rules and the ledger allowed; what the notices need to say of it."""
    store = services.store
    if action == "report_recovery":
        if amount is None or amount <= ZERO:
            raise ClaimRefused("amount_required")
        back = recovery_return(pack, amount, from_fen(claim.paid_fen), from_fen(claim.loss_fen), today,
                               from_fen(await store.claims.returns_owed_fen(claim.id)))
        await store.claims.add_recovery(claim.claim_no, to_fen(amount), to_fen(back.amount), today, back.deadline,
                                        actor)
        return {"recovered": amount, "to_return": back.amount, "deadline": back.deadline.isoformat(),
                "article": pack.program.recovery.return_days.article}
    if action == "confirm_return":
        await store.claims.confirm_return(claim.claim_no, today, actor)
    else:
        await store.claims.transition(claim.claim_no, claim.status, target, actor, action, **changes)
    return {}


async def act(services: Services, claim_no: str, action: str, *, actor_role: str, actor: str, today: date,
              amount: Decimal | None = None, note: str | None = None) -> tuple[Claim, list[Notification]]:
    """Apply one lifecycle action (the rules check the state and the actor; the ledger checks the money) and
    say who hears of it: the check, the change and its notices (queued in the outbox) are one transaction."""
    store = services.store
    async with store.atomic():
        claim = await store.claims.get(claim_no)
        if claim is None:
            raise ClaimRefused("unknown_claim")
        transition = apply_transition(claim.status, action, actor_role)
        pack = services.packs[claim.program_id]
        changes: dict = {"note": note} if action == "reject" else {}
        if action == "approve":
            changes = await _approve(services, pack, claim, amount, today, actor)
        elif action == "mark_paid":
            changes = await _pay(services, pack, claim, today)
        refused = changes.pop("refused", None)
        if refused is None:
            extra = await _record(services, pack, claim, action, transition.target, changes, amount, today, actor)
            claim = await store.claims.get(claim_no)
            staff_too = action in ("report_recovery", "withdraw") or bool(staff_buttons(claim))
            notes = await queue_in(store, await _notify(services, claim, action, staff_too, note=note, **extra))
            if action == "mark_paid":
                notes += await check_fund(services, pack)
    if refused is not None:
        raise refused
    return claim, notes
