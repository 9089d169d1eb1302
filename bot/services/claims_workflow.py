"""Filing and moving compensation claims (Jiangbei 第十一、十二、十七、十八、十九条).

The rules decide admissibility and the ceiling (stored with the claim) and which transitions an actor may
make; this module records each change through the store and says who must hear of it: the bank's
officers and the enterprise's bound chats for every change, staff for what waits on them."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bot.rules.claims import apply_transition, approved_amount_allowed, available_actions, recovery_return
from bot.rules.compensation import ClaimFacts, CompensationResult, InvalidClaimInput, compute_compensation
from bot.rules.money import ZERO, from_fen, to_fen
from bot.rules.monitoring import covered_despite_suspension
from bot.rules.policy import PolicyPack
from bot.rules.reasons import Reason
from bot.services.container import Services
from bot.services.monitoring import FUND_PAUSED, check_fund, pending_suspensions
from bot.services.notify import Notification, to_all
from bot.store.banks import Bank
from bot.store.claims import Claim, NewClaim
from bot.store.loans import LoanRecord

#: Which claim action a staff member makes in which role of the rules (fund manager or bureau).
STAFF_ROLE = {"start_review": "fund_manager", "approve": "bureau", "reject": "fund_manager",
              "mark_paid": "fund_manager", "confirm_return": "fund_manager", "close": "fund_manager"}


class ClaimRefused(Exception):
    """``code``: unknown_loan, claim_exists, not_admissible, loss_exceeds_principal, amount_above_ceiling, ..."""

    def __init__(self, code: str, reasons: list[Reason] | None = None):
        super().__init__(code)
        self.code = code
        self.reasons = reasons or []


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
    """What the rules say of a claim on this loan for this loss, with the facts from the store."""
    store = services.store
    loan = await store.loans.latest_loan(pack.id, bank.id, loan_id)
    if loan is None:
        raise ClaimRefused("unknown_loan")
    if await store.claims.open_for_loan(pack.id, bank.id, loan_id):
        raise ClaimRefused("claim_exists")
    facts = ClaimFacts(
        loan_principal=from_fen(loan.principal_fen), principal_loss=loss, overdue_days=loan.overdue_days,
        ip_pledged_principal=None if loan.ip_pledged_principal_fen is None else from_fen(loan.ip_pledged_principal_fen),
        paid_to_enterprise_this_year=from_fen(await store.claims.paid_to_enterprise_fen(pack.id, loan.credit_code,
                                                                                       today.year)),
        fund_paid_cumulative=from_fen(await store.claims.total_paid_fen(pack.id)),
        fund_resumed=await store.programs.fund_resumed(pack.id),
        ip_type=loan.ip_type,
    )
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


def _claim_params(services: Services, claim: Claim, **extra) -> dict:
    return {"claim_no": claim.claim_no, "loan_id": claim.loan_id, "enterprise": claim.enterprise,
            "status": claim.status, "ceiling": from_fen(claim.ceiling_fen), "loss": from_fen(claim.loss_fen),
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


def staff_buttons(claim: Claim) -> tuple:
    """What staff may do next, as buttons on their notice: the rules' transitions from the claim's status
    for the role staff act in, plus asking the bank for more while the claim is still being examined."""
    actions = [action for action, role in STAFF_ROLE.items() if action in available_actions(claim.status, role)]
    buttons = tuple((label, ("claim", data, claim.claim_no)) for action in actions for label, data in STAFF_BUTTONS[action])
    if "start_review" in actions or "approve" in actions:
        buttons += (("btn_ask_info", ("claim", "ask_info", claim.claim_no)),)
    return (buttons,) if buttons else ()


async def _notify(services: Services, claim: Claim, action: str, staff_too: bool, **extra) -> list[Notification]:
    params = _claim_params(services, claim, action=action, **extra)
    notes = to_all(await _parties(services, claim), "claim_notices", "changed", params)
    if staff_too:
        notes += to_all(services.settings.staff_ids, "claim_notices", "for_staff", params, staff_buttons(claim))
    return notes


def ceiling_reasons(pack: PolicyPack, claim: Claim) -> list[Reason]:
    """Why the stored ceiling is what it is: the rules run again on the claim's own figures."""
    facts = ClaimFacts(loan_principal=from_fen(claim.principal_fen), principal_loss=from_fen(claim.loss_fen),
                       overdue_days=claim.overdue_days)
    return compute_compensation(pack, facts).reasons


async def review_queue(services: Services, staff_chat: int) -> list[Notification]:
    """The review desk for one staff chat: claims waiting for staff (oldest first) with their ceiling's
    reasons, pending suspension approvals, and the fund's pause."""
    store = services.store
    notes: list[Notification] = []
    for claim in await store.claims.in_status(("filed", "under_review", "approved", "recovery_open")):
        pack = services.packs[claim.program_id]
        params = _claim_params(services, claim, action="review", reasons=ceiling_reasons(pack, claim))
        notes.append(Notification(staff_chat, "claim_notices", "for_review", params, staff_buttons(claim)))
    for pack in services.programs:
        notes += await pending_suspensions(services, pack, staff_chat)
        if await store.alerts.open_alerts(pack.id, FUND_PAUSED):
            notes.append(Notification(staff_chat, "alerts", "fund_paused_desk", {"program": pack.meta},
                                      ((("btn_resume", ("fund", "resume", pack.id)),),)))
    return notes


async def ask_bank(services: Services, claim_no: str, question: str, actor: str) -> list[Notification]:
    """Staff ask the bank for more information on a claim (no change of status)."""
    claim = await services.store.claims.get(claim_no)
    officers = await services.store.banks.officers(claim.bank_id)
    return to_all(officers, "claim_notices", "info_requested", {"claim_no": claim_no, "loan_id": claim.loan_id,
                                                                 "question": question})


async def file_claim(services: Services, assessment: Assessment, actor: str) -> tuple[Claim, list[Notification]]:
    """第十七条: the bank applies; only an admissible claim is filed, its ceiling stored with it."""
    if not assessment.admissible:
        raise ClaimRefused("not_admissible", assessment.reasons)
    loan = assessment.loan
    claim = await services.store.claims.file(NewClaim(
        assessment.pack.id, assessment.bank.id, loan.loan_id, loan.credit_code, loan.enterprise, loan.principal_fen,
        to_fen(assessment.loss), loan.overdue_days, to_fen(assessment.result.fund)), actor)
    return claim, await _notify(services, claim, "file", staff_too=True)


async def act(services: Services, claim_no: str, action: str, *, actor_role: str, actor: str, today: date,
              amount: Decimal | None = None, note: str | None = None) -> tuple[Claim, list[Notification]]:
    """Apply one lifecycle action (the rules check the state and the actor) and say who hears of it."""
    store = services.store
    claim = await store.claims.get(claim_no)
    if claim is None:
        raise ClaimRefused("unknown_claim")
    transition = apply_transition(claim.status, action, actor_role)
    pack = services.packs[claim.program_id]
    changes: dict = {}
    extra: dict = {}
    if action == "approve":
        amount = from_fen(claim.ceiling_fen) if amount is None else amount
        if not approved_amount_allowed(amount, from_fen(claim.ceiling_fen)):
            raise ClaimRefused("amount_above_ceiling")
        changes["approved_fen"] = to_fen(amount)
    elif action == "reject":
        changes["note"] = note
    elif action == "mark_paid":
        changes.update(paid_fen=claim.approved_fen, paid_on=today.isoformat())
    if action == "report_recovery":
        if amount is None or amount <= ZERO:
            raise ClaimRefused("amount_required")
        back = recovery_return(pack, amount, from_fen(claim.paid_fen), from_fen(claim.loss_fen), today)
        await store.claims.add_recovery(claim_no, to_fen(amount), to_fen(back.amount), today, back.deadline, actor)
        extra = {"recovered": amount, "to_return": back.amount, "deadline": back.deadline.isoformat(),
                 "article": pack.program.recovery.return_days.article}
    elif action == "confirm_return":
        await store.claims.confirm_return(claim_no, today, actor)
    else:
        await store.claims.transition(claim_no, claim.status, transition.target, actor, action, **changes)
    claim = await store.claims.get(claim_no)
    staff_too = action in ("report_recovery", "withdraw") or bool(staff_buttons(claim))
    notes = await _notify(services, claim, action, staff_too, note=note, **extra)
    if action == "mark_paid":
        notes += await check_fund(services, pack)
    return claim, notes
