from datetime import date
from decimal import Decimal as D

import pytest

from bot.rules.claims import (
    TransitionError, apply_transition, approved_amount_allowed, available_actions, recovery_return, return_is_late,
)

LIFECYCLE = [
    ("start_review", "fund_manager", "under_review"),
    ("approve", "bureau", "approved"),
    ("mark_paid", "fund_manager", "paid"),
    ("report_recovery", "bank", "recovery_open"),
    ("confirm_return", "fund_manager", "recovery_returned"),
    ("close", "fund_manager", "closed"),
]


def test_a_claim_goes_from_filed_to_closed():
    state = "filed"
    for action, actor, expected in LIFECYCLE:
        state = apply_transition(state, action, actor).target
        assert state == expected
    assert available_actions(state, "fund_manager") == []


def test_only_the_bureaus_approve():
    with pytest.raises(TransitionError) as info:
        apply_transition("under_review", "approve", "bank")
    assert info.value.code == "not_allowed_for_actor"


def test_a_rejected_claim_cannot_be_paid():
    with pytest.raises(TransitionError) as info:
        apply_transition("rejected", "mark_paid", "fund_manager")
    assert info.value.code == "not_allowed_from_state"


def test_the_bank_may_withdraw_before_approval_only():
    assert apply_transition("under_review", "withdraw", "bank").target == "withdrawn"
    with pytest.raises(TransitionError):
        apply_transition("approved", "withdraw", "bank")


def test_approval_may_not_exceed_the_ceiling():
    assert approved_amount_allowed(D("150000.00"), D("150000.00"))
    assert not approved_amount_allowed(D("150000.01"), D("150000.00"))
    assert not approved_amount_allowed(D("0"), D("150000.00"))


def test_recovery_is_returned_pro_rata_to_the_share_paid(jiangbei):
    result = recovery_return(jiangbei, recovered=D("100000"), fund_paid=D("300000"), principal_loss=D("1000000"),
                             received_on=date(2026, 1, 1))
    assert result.amount == D("30000.00")
    assert result.share == D("0.3")


def test_recovery_must_be_returned_within_30_days(jiangbei):
    result = recovery_return(jiangbei, D("1"), D("1"), D("1"), received_on=date(2026, 1, 1))
    assert result.deadline == date(2026, 1, 31)
    assert not return_is_late(result.deadline, date(2026, 1, 31))
    assert return_is_late(result.deadline, date(2026, 2, 1))
