"""The claim lifecycle (Jiangbei 第十七、十八条) as a state machine, and the recovery return.

filed → under_review (fund manager verifies, 第十七条) → approved (the three bureaus agree, 第十七条)
→ paid → recovery_open (the bank reports money recovered, 第十八条) → recovery_returned → closed.
``rejected`` and ``withdrawn`` are ends. A recovery is returned pro rata to the share the fund paid,
within 30 days ("30天内" includes the 30th day).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from bot.rules.compensation import require_program
from bot.rules.money import ZERO, floor_fen
from bot.rules.policy import PolicyPack

ClaimState = Literal[
    "filed", "under_review", "approved", "paid", "recovery_open", "recovery_returned", "closed",
    "rejected", "withdrawn",
]
Actor = Literal["bank", "fund_manager", "bureau", "system"]
END_STATES = frozenset({"closed", "rejected", "withdrawn"})


@dataclass(frozen=True)
class Transition:
    action: str
    source: ClaimState
    target: ClaimState
    actors: frozenset[Actor]
    article: str


TRANSITIONS: tuple[Transition, ...] = (
    Transition("start_review", "filed", "under_review", frozenset({"fund_manager"}), "第十七条"),
    Transition("approve", "under_review", "approved", frozenset({"bureau"}), "第十七条"),
    Transition("reject", "filed", "rejected", frozenset({"fund_manager", "bureau"}), "第十七条"),
    Transition("reject", "under_review", "rejected", frozenset({"fund_manager", "bureau"}), "第十七条"),
    Transition("withdraw", "filed", "withdrawn", frozenset({"bank"}), "第十七条"),
    Transition("withdraw", "under_review", "withdrawn", frozenset({"bank"}), "第十七条"),
    Transition("mark_paid", "approved", "paid", frozenset({"fund_manager"}), "第十七条"),
    Transition("report_recovery", "paid", "recovery_open", frozenset({"bank"}), "第十八条"),
    Transition("report_recovery", "recovery_returned", "recovery_open", frozenset({"bank"}), "第十八条"),
    Transition("confirm_return", "recovery_open", "recovery_returned", frozenset({"fund_manager"}), "第十八条"),
    Transition("close", "paid", "closed", frozenset({"fund_manager"}), "第十八条"),
    Transition("close", "recovery_returned", "closed", frozenset({"fund_manager"}), "第十八条"),
)


class TransitionError(ValueError):
    """``code``: ``not_allowed_from_state`` or ``not_allowed_for_actor``."""

    def __init__(self, code: str, state: str, action: str, actor: str):
        super().__init__(f"{code}: {action} from {state} by {actor}")
        self.code = code
        self.state = state
        self.action = action
        self.actor = actor


def available_actions(state: ClaimState, actor: Actor) -> list[str]:
    """What ``actor`` may do to a claim in ``state`` (for buttons)."""
    return [t.action for t in TRANSITIONS if t.source == state and actor in t.actors]


def apply_transition(state: ClaimState, action: str, actor: Actor) -> Transition:
    """The transition ``action`` makes from ``state``, if ``actor`` may make it."""
    candidates = [t for t in TRANSITIONS if t.source == state and t.action == action]
    if not candidates:
        raise TransitionError("not_allowed_from_state", state, action, actor)
    allowed = [t for t in candidates if actor in t.actors]
    if not allowed:
        raise TransitionError("not_allowed_for_actor", state, action, actor)
    return allowed[0]


def approved_amount_allowed(amount: Decimal, ceiling: Decimal) -> bool:
    """第十一条 sets a ceiling ("不高于"): staff may approve any positive amount up to it."""
    return ZERO < amount <= ceiling


@dataclass(frozen=True)
class RecoveryReturn:
    amount: Decimal
    share: Decimal
    deadline: date


def recovery_return(pack: PolicyPack, recovered: Decimal, fund_paid: Decimal, principal_loss: Decimal,
                    received_on: date, already_returned: Decimal = ZERO) -> RecoveryReturn:
    """第十八条: money recovered is returned "按照获得补偿的比例" (the fund's paid share of the loss)
    within 30 days of its receipt; the 30th day is still in time. A return never exceeds what the fund
    paid on the claim less what was already returned: the fund gets its compensation back, not more."""
    recovery = require_program(pack).recovery
    if principal_loss <= 0 or recovered < 0 or fund_paid < 0 or already_returned < 0:
        raise ValueError("amounts must be positive")
    share = fund_paid / principal_loss if recovery.pro_rata.value else Decimal(1)
    return RecoveryReturn(
        amount=min(floor_fen(recovered * share), max(fund_paid - already_returned, ZERO)),
        share=share,
        deadline=received_on + timedelta(days=recovery.return_days.value),
    )


@dataclass(frozen=True)
class ClaimProcess:
    """What a claim's next steps cite, from the pack: the article of the application and approval (第十七条),
    the return period and its article (第十八条), and the bureaus that approve (the issuers)."""

    apply_article: str
    return_days: int
    return_article: str
    approvers: tuple[str, ...]


def claim_process(pack: PolicyPack) -> ClaimProcess:
    program = require_program(pack)
    return ClaimProcess(program.claim_trigger.article, program.recovery.return_days.value,
                        program.recovery.return_days.article, tuple(pack.meta.issuer))


def return_is_late(deadline: date, today: date) -> bool:
    """Late only from the day after the deadline."""
    return today > deadline
