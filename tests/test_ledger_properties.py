"""The ledger's invariants over any sequence of what banks, staff and the bureaus do.

A `RuleBasedStateMachine` files, withdraws, reviews, approves (at the ceiling or any amount), rejects, pays,
records recoveries, confirms returns, closes, pauses and resumes, and lets the calendar run across years,
through the services layer on a real SQLite file. After every step the app's own checker
(`bot.services.ledger.check_ledger`, also `ipbot db check`) must find nothing: per enterprise and year no more
than 第十一条's 150万; never more owed or paid than 第三条's 1000万; nothing approved or paid while 第十九条's
pause holds; no return above what was paid (第十八条); every claim's history a path of the state machine;
and the audit rows reproducing every figure.
"""

import asyncio
import itertools
import tempfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.clock import TZ
from bot.config import Settings
from bot.policies import load_packs
from bot.rules.claims import TransitionError
from bot.rules.money import from_fen
from bot.services import claims_workflow
from bot.services.claims_workflow import ClaimRefused
from bot.services.container import Services
from bot.services.ledger import check_ledger
from bot.services.loan_import import import_loan_book
from bot.services.monitoring import FundDecisionRefused, decide_fund
from bot.store import Store
from tests.loan_books import credit_code, csv_bytes, row

PACKS = load_packs()
JIANGBEI = PACKS["cq-jiangbei-2024"]


def small_fund(pack, size: int, pause_at: int):
    """The same measures over a fund small enough for a short sequence to reach 第三条 and 第十九条."""
    fund = pack.program.fund
    smaller = fund.model_copy(update={"size": fund.size.model_copy(update={"value": Decimal(size)}),
                                      "pause_at_cumulative": fund.pause_at_cumulative.model_copy(
                                          update={"value": Decimal(pause_at)})})
    return pack.model_copy(update={"program": pack.program.model_copy(update={"fund": smaller})})

BANKS = ("甲银行", "乙银行")
#: Each enterprise has loans at both banks; big ones reach the per-claim cap, mixed ones pledge part IP.
LOANS = [
    row(f"{bank[0]}{e}{kind}", bank=bank, credit_code=credit_code(e), enterprise=f"企业{e}", principal=principal,
        overdue_days="120", **extra)
    for e in range(3) for bank in BANKS
    for kind, principal, extra in (("big", "10000000", {"insurer": "担保甲"}),
                                   ("mix", "6000000", {"ip_pledged_principal": "3000000"}))
]
#: The path a claim takes when nothing goes wrong, as (status it is in, what comes next).
NEXT_STEP = {"filed": "start_review", "under_review": "approve", "approved": "mark_paid", "paid": "report_recovery",
             "recovery_open": "confirm_return", "recovery_returned": "report_recovery"}
ACTIONS = {"start_review": "fund_manager", "approve": "bureau", "reject": "fund_manager", "withdraw": "bank",
           "mark_paid": "fund_manager", "report_recovery": "bank", "confirm_return": "fund_manager",
           "close": "fund_manager"}


class LedgerMachine(RuleBasedStateMachine):
    pack = JIANGBEI

    def __init__(self):
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.dir = tempfile.TemporaryDirectory()
        self.now = datetime(2026, 3, 1, 10, 0, tzinfo=TZ)
        self.steps = itertools.count()
        self.services = None

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    @initialize()
    def open_store(self):
        async def setup():
            store = await Store.open(Path(self.dir.name) / "ledger.sqlite3", clock=lambda: self.now)
            await store.programs.ensure([self.pack.id])
            await import_loan_book(store, self.pack, csv_bytes(LOANS), "book.csv", report_date=self.now.date(),
                                   actor="test")
            return Services(Settings(IPBOT_DATA_DIR=self.dir.name), store, {**PACKS, self.pack.id: self.pack}, qa=None)

        self.services = self.run(setup())

    def teardown(self):
        if self.services is not None:
            self.run(self.services.close())
        self.loop.close()
        self.dir.cleanup()

    def actor(self) -> str:
        return f"user:{next(self.steps)}"

    async def claims(self):
        return await self.services.store.claims.all_for_program(self.pack.id)

    @rule(filings=st.lists(st.tuples(st.sampled_from(LOANS), st.integers(1, 100)), min_size=1, max_size=3))
    def file(self, filings):
        """Banks file claims on loans, for any share of the principal lost."""
        async def go():
            for loan, percent in filings:
                bank = await self.services.store.banks.by_name(loan["bank"])
                loss = (Decimal(loan["principal"]) * percent / 100).quantize(Decimal("0.01"))
                try:
                    await claims_workflow.file_claim(self.services, self.pack, bank, loan["loan_id"], loss,
                                                     self.now.date(), self.actor())
                except ClaimRefused:
                    pass

        self.run(go())

    async def apply(self, pick: int, action: str | None, share: int | None) -> None:
        claims = await self.claims()
        if not claims:
            return
        claim = claims[pick % len(claims)]
        action = action or NEXT_STEP.get(claim.status)
        if action is None:
            return
        amount = None
        if action == "approve" and share is not None:
            amount = (from_fen(claim.ceiling_fen) * share / 100).quantize(Decimal("0.01"))
        if action == "report_recovery":
            amount = (from_fen(claim.loss_fen) * (share or 50) / 100).quantize(Decimal("0.01"))
        try:
            await claims_workflow.act(self.services, claim.claim_no, action, actor_role=ACTIONS[action],
                                      actor=self.actor(), today=self.now.date(), amount=amount, note="x")
        except (ClaimRefused, TransitionError):
            pass

    @rule(pick=st.integers(0, 50), action=st.sampled_from(sorted(ACTIONS)), share=st.none() | st.integers(1, 200))
    def act(self, pick, action, share):
        """Anything anyone may try, allowed or not."""
        self.run(self.apply(pick, action, share))

    @rule(pick=st.integers(0, 50), share=st.none() | st.integers(1, 200), steps=st.integers(1, 5))
    def move_along(self, pick, share, steps):
        """The next steps on a claim's ordinary path, so sequences reach payment and recovery."""
        for _ in range(steps):
            self.run(self.apply(pick, None, share))

    @rule(kind=st.sampled_from(["pause", "resume"]), now=st.integers(0, 3))
    def bureaus_decide(self, kind, now):
        """Now and then the bureaus pause or resume the fund (rarely, so claims get somewhere in between)."""
        async def go():
            try:
                await decide_fund(self.services, self.pack, kind, "三局会商", self.actor())
            except FundDecisionRefused:
                pass

        if now == 0:
            self.run(go())

    @rule(days=st.integers(1, 400))
    def time_passes(self, days):
        self.now += timedelta(days=days)

    @invariant()
    def the_ledger_holds(self):
        if self.services is None:
            return
        violations = self.run(check_ledger(self.services.store, [self.pack], self.now.date()))
        assert violations == [], violations


class SmallFundMachine(LedgerMachine):
    pack = small_fund(JIANGBEI, size=2_000_000, pause_at=1_800_000)


RUN = settings(max_examples=500, stateful_step_count=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
LedgerMachine.TestCase.settings = RUN
SmallFundMachine.TestCase.settings = settings(RUN, max_examples=300)
test_ledger_invariants_hold_after_every_step = LedgerMachine.TestCase
test_ledger_invariants_hold_when_a_small_fund_runs_out = SmallFundMachine.TestCase
