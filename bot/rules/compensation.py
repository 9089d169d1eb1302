"""The fund's maximum payment for a claim, the other parties' parts, and whether the claim is admissible.

Jiangbei: 第三条 (the fund's size bounds what it can still pay), 第十一条 (tiers by principal, per-claim and
per-enterprise-per-year caps, only the IP-pledged part of a mixed loan, the two risk-sharing mechanisms:
fund + bank, or fund + bank + insurer), 第十四条 (insurer's minimum share), 第十七条 (60 days overdue),
第十九条 (pause at the cumulative level until the bureaus resume). Other programs' shapes come from their
packs (see `bot.rules.policy`).
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from bot.rules.money import ZERO, ceiling_fen, floor_fen
from bot.rules.policy import Payer, PolicyPack, Program
from bot.rules.reasons import Reason


class NotAProgram(ValueError):
    """The pack is a document without program parameters (guidance, notice, ...)."""


class InvalidClaimInput(ValueError):
    """The figures contradict each other; ``code`` says how (``loss_exceeds_principal``, ...)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class FundDecision:
    """第十九条: the bureaus' last recorded decision on the fund, and the cumulative compensation when made."""

    kind: Literal["pause", "resume"]
    paid_at: Decimal


@dataclass(frozen=True)
class ClaimFacts:
    """What is known about a loss. ``None`` means "not given, not checked".

    ``paid_to_enterprise_this_year`` is what the enterprise's other claims of the year hold (filed, approved
    or paid); ``fund_balance`` what the fund can still pay (第三条: size − paid + returned − approved and
    not yet paid); ``ip_loss`` the IP-pledged part's own loss where the bank knows it."""

    loan_principal: Decimal
    principal_loss: Decimal
    overdue_days: int | None = None
    npl_class: str | None = None
    ip_pledged_principal: Decimal | None = None
    ip_loss: Decimal | None = None
    paid_to_enterprise_this_year: Decimal = ZERO
    fund_paid_cumulative: Decimal = ZERO
    fund_decision: FundDecision | None = None
    fund_balance: Decimal | None = None
    program_paid_this_year: Decimal = ZERO
    enterprise_principal_covered: Decimal = ZERO
    ip_type: str | None = None
    has_insurer: bool | None = None


@dataclass(frozen=True)
class PartyShare:
    """Another party's part of the loss as the pack names it: ``kind`` is ``fixed`` (a set ratio), ``min``
    (at least; 第十四条's insurer) or ``remainder`` (at most what is left; the bank)."""

    party: str
    label: str
    label_en: str
    amount: Decimal
    kind: Literal["fixed", "min", "remainder"]


@dataclass(frozen=True)
class CompensationResult:
    eligible: bool
    fund: Decimal
    ratio: Decimal
    capped_by: str | None
    insurer_min: Decimal
    bank_max: Decimal
    parts: dict[str, Decimal]
    reasons: list[Reason] = field(default_factory=list)
    #: "不高于": the ratio is the most the fund may pay, not a fixed share (from the pack).
    ratio_is_ceiling: bool = True
    shares: list[PartyShare] = field(default_factory=list)


def require_program(pack: PolicyPack) -> Program:
    if pack.program is None:
        raise NotAProgram(pack.id)
    return pack.program


def tier_ratio(payer: Payer, principal: Decimal) -> Decimal:
    """The ratio of the tier holding ``principal``; a tier includes its lower bound ("以上")."""
    for tier in payer.tiers:
        if principal >= tier.principal_from and (tier.principal_below is None or principal < tier.principal_below):
            return tier.ratio
    raise AssertionError("tiers cover every principal (checked by the schema)")


def fund_is_paused(program: Program, cumulative_paid: Decimal, decision: FundDecision | None = None) -> bool:
    """第十九条: new compensation stops once the cumulative amount reaches the level (含600万), until the
    bureaus decide to resume. A recorded pause holds until a resume; a resume made at or above the level
    lifts it for good (what is paid afterwards still counts towards 第三条's balance); a resume made
    below the level (after a pause by decision) leaves the level in force."""
    if decision is not None and decision.kind == "pause":
        return True
    level = program.fund.pause_at_cumulative
    if level is None:
        return False
    if decision is not None and decision.paid_at >= level.value:
        return False
    return cumulative_paid >= level.value


def claim_trigger_met(program: Program, overdue_days: int | None, npl_class: str | None) -> bool | None:
    """第十七条: a claim may be filed once the loan is overdue 60 days or more ("以上" includes 60).
    Programs that pay on NPL classification check the class instead. ``None``: not given."""
    trigger = program.claim_trigger
    if trigger.kind == "overdue_days":
        return None if overdue_days is None else overdue_days >= trigger.overdue_days
    return None if npl_class is None else npl_class in trigger.npl_classes


def ip_type_eligible(program: Program, ip_type: str | None) -> bool | None:
    """第二条: the fund covers loans "以专利、商标质押为担保方式". A pledge of several kinds of IP
    (``patent+copyright``) is covered when at least one of them is eligible. ``None``: not given."""
    if ip_type is None:
        return None
    return any(kind in program.eligible_ip_types.value for kind in ip_type.split("+"))


def _covered(pack: PolicyPack, facts: ClaimFacts, reasons: list[Reason]) -> tuple[Decimal, Decimal, bool]:
    """The principal and loss the program covers, and whether the IP share is enough (第十一条)."""
    comp = require_program(pack).compensation
    principal, loss, ok = facts.loan_principal, facts.principal_loss, True
    ip = facts.ip_pledged_principal
    if ip is not None and ip < principal:
        share = ip / principal
        if comp.min_ip_share is not None and share < comp.min_ip_share.value:
            ok = False
            reasons.append(Reason("ip_share_below_minimum", pack.id, comp.min_ip_share.article,
                                  {"share": share, "minimum": comp.min_ip_share.value}))
        if comp.ip_part_only is not None and comp.ip_part_only.value:
            loss = loss * share if facts.ip_loss is None else facts.ip_loss
            principal = ip
            reasons.append(Reason("ip_part_only", pack.id, comp.ip_part_only.article,
                                  {"ip_principal": ip, "share": share, "principal": facts.loan_principal,
                                   "ip_loss": loss, "ip_loss_given": facts.ip_loss is not None}))
    cap = comp.covered_principal_per_loan
    if cap is not None and principal > cap.value:
        loss = loss * cap.value / principal
        principal = cap.value
        reasons.append(Reason("covered_principal_capped", pack.id, cap.article, {"cap": cap.value}))
    per_enterprise = comp.covered_principal_per_enterprise
    if per_enterprise is not None:
        room = max(per_enterprise.value - facts.enterprise_principal_covered, ZERO)
        if room == 0:
            ok = False
            reasons.append(Reason("enterprise_principal_exhausted", pack.id, per_enterprise.article,
                                  {"cap": per_enterprise.value}))
        elif principal > room:
            loss = loss * room / principal
            principal = room
            reasons.append(Reason("enterprise_principal_capped", pack.id, per_enterprise.article,
                                  {"cap": per_enterprise.value, "room": room}))
    return principal, loss, ok


def compute_compensation(pack: PolicyPack, facts: ClaimFacts) -> CompensationResult:
    """The ceiling of the fund's payment for one claim, with every reason cited.

    第十一条: the fund pays "不高于" 30% of the principal loss for a loan under 5,000,000 and 20% from
    5,000,000 up, at most 1,500,000 a claim and 1,500,000 per enterprise per year; 第三条: never more than
    the fund still holds; 第十四条: where the loan has an insurer it bears at least 40% of the covered
    loss, and the bank the rest (without one, 第十一条's first mechanism: fund and bank). 第十七条 and
    第十九条 decide whether the claim is admissible.
    """
    program = require_program(pack)
    comp = program.compensation
    if facts.loan_principal <= 0 or facts.principal_loss <= 0:
        raise InvalidClaimInput("non_positive")
    if facts.principal_loss > facts.loan_principal:
        raise InvalidClaimInput("loss_exceeds_principal")
    if facts.ip_pledged_principal is not None and not ZERO < facts.ip_pledged_principal <= facts.loan_principal:
        raise InvalidClaimInput("ip_principal_out_of_range")
    if facts.ip_loss is not None:
        if facts.ip_pledged_principal is None:
            raise InvalidClaimInput("ip_loss_without_ip_part")
        if not ZERO < facts.ip_loss <= min(facts.principal_loss, facts.ip_pledged_principal):
            raise InvalidClaimInput("ip_loss_out_of_range")

    reasons: list[Reason] = []
    eligible = True
    principal, loss, ip_ok = _covered(pack, facts, reasons)
    eligible &= ip_ok

    capped_by = None
    ratio = ZERO
    fund = ZERO
    for payer in comp.payers:
        payer_ratio = tier_ratio(payer, principal)
        amount = loss * payer_ratio
        reasons.append(Reason("tier_ratio", pack.id, payer.article,
                              {"payer": payer.label, "payer_en": payer.label_en, "principal": principal,
                               "ratio": payer_ratio, "ceiling": comp.ratio_is_ceiling,
                               "covered_part": principal != facts.loan_principal}))
        if payer.per_claim_cap is not None and amount > payer.per_claim_cap.value:
            amount = payer.per_claim_cap.value
            capped_by = "per_claim"
            reasons.append(Reason("payer_per_claim_cap", pack.id, payer.per_claim_cap.article,
                                  {"payer": payer.label, "payer_en": payer.label_en, "cap": payer.per_claim_cap.value}))
        ratio += payer_ratio
        fund += amount

    if comp.per_claim_cap is not None and fund > comp.per_claim_cap.value:
        fund = comp.per_claim_cap.value
        capped_by = "per_claim"
        reasons.append(Reason("per_claim_cap", pack.id, comp.per_claim_cap.article, {"cap": comp.per_claim_cap.value}))

    for cap, already, code in (
        (comp.per_enterprise_year_cap, facts.paid_to_enterprise_this_year, "per_enterprise_year"),
        (comp.program_year_cap, facts.program_paid_this_year, "per_program_year"),
    ):
        if cap is None:
            continue
        remaining = max(cap.value - already, ZERO)
        if remaining == 0:
            eligible = False
            reasons.append(Reason(f"{code}_cap_reached", pack.id, cap.article, {"cap": cap.value, "paid": already}))
        elif fund > remaining:
            fund = remaining
            capped_by = code
            reasons.append(Reason(f"{code}_cap", pack.id, cap.article,
                                  {"cap": cap.value, "paid": already, "remaining": remaining}))

    if facts.fund_balance is not None:
        remaining = max(facts.fund_balance, ZERO)
        if remaining == 0:
            eligible = False
            reasons.append(Reason("fund_exhausted", pack.id, program.fund.size.article,
                                  {"size": program.fund.size.value}))
        elif fund > remaining:
            fund = remaining
            capped_by = "fund_balance"
            reasons.append(Reason("fund_balance_cap", pack.id, program.fund.size.article,
                                  {"size": program.fund.size.value, "remaining": remaining}))

    if ip_type_eligible(program, facts.ip_type) is False:
        eligible = False
        reasons.append(Reason("ip_type_not_eligible", pack.id, program.eligible_ip_types.article,
                              {"ip_type": facts.ip_type, "allowed": list(program.eligible_ip_types.value)}))

    triggered = claim_trigger_met(program, facts.overdue_days, facts.npl_class)
    trigger = program.claim_trigger
    if triggered is not None:
        code = "trigger_met" if triggered else "trigger_not_met"
        reasons.append(Reason(code, pack.id, trigger.article,
                              {"kind": trigger.kind, "overdue_days": facts.overdue_days,
                               "threshold": trigger.overdue_days, "npl_class": facts.npl_class}))
        eligible &= triggered

    if program.fund.pause_at_cumulative is not None:
        if fund_is_paused(program, facts.fund_paid_cumulative, facts.fund_decision):
            eligible = False
            reasons.append(Reason("fund_paused", pack.id, program.fund.pause_at_cumulative.article,
                                  {"paid": facts.fund_paid_cumulative, "level": program.fund.pause_at_cumulative.value,
                                   "by_decision": facts.fund_decision is not None
                                   and facts.fund_decision.kind == "pause"}))

    fund = ceiling_fen(fund if eligible else ZERO)
    if not eligible:
        capped_by = None
    parts = {"fund": fund}
    base_kind = "ip_part" if loss != facts.principal_loss else "loss"
    for share in comp.shares:
        if share.optional and facts.has_insurer is False:
            reasons.append(Reason("share_absent", pack.id, comp.article,
                                  {"party": share.label, "party_en": share.label_en}))
            continue
        if share.ratio is not None:
            parts[share.party] = ceiling_fen(loss * share.ratio)
        elif share.min_ratio is not None:
            parts[share.party] = floor_fen(loss * share.min_ratio)
            reasons.append(Reason("share_min", pack.id, share.article,
                                  {"party": share.label, "party_en": share.label_en, "ratio": share.min_ratio,
                                   "base": ceiling_fen(loss), "base_kind": base_kind}))
    remainder = next((s for s in comp.shares if s.remainder), None)
    if remainder is not None:
        parts[remainder.party] = max(facts.principal_loss - sum(parts.values()), ZERO)
    shares = [PartyShare(s.party, s.label, s.label_en, parts[s.party],
                         "fixed" if s.ratio is not None else "min" if s.min_ratio is not None else "remainder")
              for s in comp.shares if s.party in parts]
    return CompensationResult(
        eligible=eligible,
        fund=fund,
        ratio=ratio,
        capped_by=capped_by,
        insurer_min=parts.get("insurer", ZERO),
        bank_max=parts.get("bank", ZERO),
        parts=parts,
        reasons=reasons,
        ratio_is_ceiling=comp.ratio_is_ceiling,
        shares=shares,
    )
