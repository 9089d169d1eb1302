"""Bank monitoring and the fund's state.

Jiangbei 第十二条: a bank whose IP-pledge loans overdue 15 days or more ("以上" includes 15) reach 5% of
the IP-pledge principal it has issued is warned; reaching 8% it is told to suspend, with the bureau's
consent. 第十九条: the fund pauses new compensation when its cumulative compensation reaches 6,000,000.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from bot.rules.compensation import FundDecision, fund_is_paused
from bot.rules.loan_book import BookTotals, LoanRow
from bot.rules.money import ZERO
from bot.rules.policy import Program

BankLevel = Literal["normal", "warning", "suspend"]
LEVEL_ORDER: dict[str, int] = {"normal": 0, "warning": 1, "suspend": 2}
RATIO_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class BankExposure:
    issued: Decimal
    overdue: Decimal
    ratio: Decimal
    level: BankLevel


@dataclass(frozen=True)
class FundStatus:
    size: Decimal
    paid: Decimal
    pause_level: Decimal | None
    paused: bool

    @property
    def state(self) -> str:
        return "paused" if self.paused else "active"


def counts_as_overdue(program: Program, overdue_days: int) -> bool:
    """第十二条: a loan counts towards the bank's ratio once 15 days or more overdue."""
    return overdue_days >= program.bank_monitoring.overdue_days.value


def bank_level(program: Program, issued: Decimal, overdue: Decimal) -> BankLevel:
    """第十二条: "达到" 5% warns and "达到" 8% suspends; reaching the line is enough.

    Compared exactly (``overdue >= issued * ratio``), never on a rounded ratio."""
    monitoring = program.bank_monitoring
    if issued <= 0:
        return "normal"
    if overdue >= issued * monitoring.suspend_ratio.value:
        return "suspend"
    if overdue >= issued * monitoring.warn_ratio.value:
        return "warning"
    return "normal"


def bank_exposure(program: Program, issued: Decimal, overdue: Decimal) -> BankExposure:
    """The bank's ratio (truncated to 4 places so a printed ratio never shows a line not reached)."""
    ratio = (overdue / issued).quantize(RATIO_PLACES, rounding=ROUND_DOWN) if issued > 0 else ZERO.quantize(RATIO_PLACES)
    return BankExposure(issued=issued, overdue=overdue, ratio=ratio, level=bank_level(program, issued, overdue))


def fund_status(program: Program, cumulative_paid: Decimal, decision: FundDecision | None = None) -> FundStatus:
    """第三条 (size) and 第十九条 (pause at the cumulative level, and the bureaus' decisions)."""
    pause = program.fund.pause_at_cumulative
    return FundStatus(
        size=program.fund.size.value,
        paid=cumulative_paid,
        pause_level=pause.value if pause else None,
        paused=fund_is_paused(program, cumulative_paid, decision),
    )


def covered_despite_suspension(issued_on: date, suspended_on: date | None) -> bool:
    """第十二条: enterprises that obtained their loans before the suspension notice stay covered;
    a loan issued on or after the day of the notice is not."""
    return suspended_on is None or issued_on < suspended_on


def level_change(previous: BankLevel, current: BankLevel) -> Literal["rise", "fall", "same"]:
    """Alerts go out once per change of level, not once per run."""
    if LEVEL_ORDER[current] > LEVEL_ORDER[previous]:
        return "rise"
    if LEVEL_ORDER[current] < LEVEL_ORDER[previous]:
        return "fall"
    return "same"


@dataclass(frozen=True)
class BankBook:
    """One bank's loan book summed up: what an upload answers and what ``monitor`` prints."""

    bank: str
    loans: int
    overdue_loans: int
    exposure: BankExposure


def bank_books(program: Program, totals: BookTotals) -> list[BankBook]:
    """Per bank (by name), its loans, those overdue 15 days or more, and its 第十二条 level: the rule applied to
    the book's few sums per bank and days overdue, not to each loan."""
    by_bank: dict[str, list] = {}
    for (bank, overdue_days), (loans, principal) in totals.by_bank_and_days.items():
        entry = by_bank.setdefault(bank, [0, 0, ZERO, ZERO])
        entry[0] += loans
        entry[2] += principal
        if counts_as_overdue(program, overdue_days):
            entry[1] += loans
            entry[3] += principal
    return [BankBook(bank, n, n_overdue, bank_exposure(program, issued, overdue))
            for bank, (n, n_overdue, issued, overdue) in sorted(by_bank.items())]


def summarise_books(program: Program, loans: Iterable[LoanRow]) -> list[BankBook]:
    """Per bank (by name), its loans, those overdue 15 days or more, and its 第十二条 level."""
    totals = BookTotals()
    totals.add(loans)
    return bank_books(program, totals)
