from dataclasses import dataclass
from decimal import Decimal as D

import pytest

from bot.rules.compensation import FundDecision
from bot.rules.monitoring import bank_exposure, bank_level, counts_as_overdue, fund_status, level_change, summarise_books


def test_loans_14_days_overdue_do_not_count(jiangbei):
    assert not counts_as_overdue(jiangbei.program, 14)


def test_loans_15_days_overdue_count(jiangbei):
    assert counts_as_overdue(jiangbei.program, 15)


@pytest.mark.parametrize(("overdue", "level"), [
    ("49999.99", "normal"),
    ("50000", "warning"),
    ("79999.99", "warning"),
    ("80000", "suspend"),
    ("1000000", "suspend"),
])
def test_bank_levels_on_both_sides_of_5_and_8_percent(jiangbei, overdue, level):
    assert bank_level(jiangbei.program, D("1000000"), D(overdue)) == level


def test_printed_ratio_never_shows_a_line_not_reached(jiangbei):
    exposure = bank_exposure(jiangbei.program, D("3000000"), D("149999.99"))
    assert exposure.level == "normal"
    assert exposure.ratio == D("0.0499")


def test_a_bank_with_no_loans_is_normal(jiangbei):
    exposure = bank_exposure(jiangbei.program, D("0"), D("0"))
    assert exposure.level == "normal" and exposure.ratio == D("0.0000")


def test_fund_active_below_6000000_and_paused_at_it(jiangbei):
    assert fund_status(jiangbei.program, D("5999999.99")).state == "active"
    assert fund_status(jiangbei.program, D("6000000")).state == "paused"
    assert fund_status(jiangbei.program, D("6000000"), FundDecision("resume", D("6000000"))).state == "active"


def test_level_changes_are_rises_falls_or_nothing():
    assert level_change("normal", "warning") == "rise"
    assert level_change("warning", "suspend") == "rise"
    assert level_change("suspend", "normal") == "fall"
    assert level_change("warning", "warning") == "same"


@dataclass
class Loan:
    bank: str
    principal: D
    overdue_days: int


def test_books_are_summed_per_bank_counting_15_days_and_more(jiangbei):
    books = summarise_books(jiangbei.program, [
        Loan("B", D("1000000"), 0), Loan("A", D("900000"), 14), Loan("A", D("100000"), 15),
    ])
    assert [b.bank for b in books] == ["A", "B"]
    a = books[0]
    assert (a.loans, a.overdue_loans, a.exposure.issued, a.exposure.overdue) == (2, 1, D("1000000"), D("100000"))
    assert a.exposure.level == "suspend"
    assert books[1].exposure.level == "normal"


def test_a_loan_issued_the_day_before_the_suspension_notice_stays_covered():
    from datetime import date

    from bot.rules.monitoring import covered_despite_suspension
    assert covered_despite_suspension(date(2026, 5, 31), date(2026, 6, 1))
    assert not covered_despite_suspension(date(2026, 6, 1), date(2026, 6, 1))
    assert covered_despite_suspension(date(2026, 6, 1), None)
