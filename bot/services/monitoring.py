"""The control loop of Jiangbei 第十二、十八、十九条: each bank's overdue ratio and level, the fund's
pause, and the recovery-return reminders.

Alerts go out once per change of level, not once per run: the level each bank was told about and the
open requests live in the store, so neither a second run nor a restart sends anything twice."""

from dataclasses import dataclass
from datetime import date

from bot.rules.money import ZERO, from_fen, to_fen
from bot.rules.claims import END_STATES, return_is_late
from bot.rules.monitoring import BankBook, bank_exposure, level_change
from bot.rules.policy import PolicyPack
from bot.services import ledger
from bot.services.buttons import SuspensionDecision
from bot.services.container import Services
from bot.services.notify import Notification, queue_in, to_all
from bot.services.loan_import import ImportSummary, import_loan_book
from bot.store.banks import Bank
from bot.store.claims import Claim
from bot.store.loans import BankTotals, LoanRecord

SUSPEND_REQUEST = "suspend_request"
#: Days before a recovery-return deadline on which the bank is reminded (operational, not a policy figure).
REMINDER_DAYS = (7, 1, 0)
ACTOR = "job:monitor"


async def _bank_params(services: Services, pack: PolicyPack, totals: BankTotals, **extra) -> dict:
    exposure = bank_exposure(pack.program, from_fen(totals.issued_fen), from_fen(totals.overdue_fen))
    monitoring = pack.program.bank_monitoring
    return {"bank": totals.bank, "program": pack.meta, "ratio": exposure.ratio,
            "overdue": exposure.overdue, "issued": exposure.issued, "days": monitoring.overdue_days.value,
            "warn": monitoring.warn_ratio.value, "suspend": monitoring.suspend_ratio.value,
            "article": monitoring.warn_ratio.article, "report_date": totals.report_date, **extra}


async def _to_bank_and_staff(services: Services, bank_id: int, macro: str, params: dict) -> list[Notification]:
    officers = await services.store.banks.officers(bank_id)
    return to_all(officers + services.settings.staff_ids, "alerts", macro, params)


async def check_bank(services: Services, pack: PolicyPack, totals: BankTotals, today: date) -> list[Notification]:
    """第十二条 for one bank, the levels written and the notices queued in one transaction (see `_check_bank`)."""
    async with services.store.atomic():
        notes = await _check_bank(services, pack, totals, today)
        return await queue_in(services.store, notes) if notes else notes


async def _check_bank(services: Services, pack: PolicyPack, totals: BankTotals, today: date) -> list[Notification]:
    """第十二条 for one bank: warn on reaching 5%, ask staff to approve a suspension on reaching 8%,
    and give the all-clear when the ratio falls back below a line."""
    store = services.store
    staff = services.settings.staff_ids
    params = await _bank_params(services, pack, totals)
    current = bank_exposure(pack.program, params["issued"], params["overdue"]).level
    told = await store.banks.level(pack.id, totals.bank_id)
    pending = await store.alerts.open_alerts(pack.id, SUSPEND_REQUEST, totals.bank_id)
    notes: list[Notification] = []
    if pending and current != "suspend":
        for alert in pending:
            await store.alerts.resolve(alert.id, ACTOR)
        notes += to_all(staff, "alerts", "suspend_request_dropped", params)
    change = level_change(told.level, current)
    if change == "rise":
        if told.level == "normal":
            await store.banks.set_level(pack.id, totals.bank_id, "warning", ACTOR)
            notes += await _to_bank_and_staff(services, totals.bank_id, "warning", params)
        if current == "suspend" and not pending:
            if pack.program.bank_monitoring.suspend_needs_approval.value:
                alert = await store.alerts.raise_alert(pack.id, SUSPEND_REQUEST, ACTOR, bank_id=totals.bank_id,
                                                       level="suspend")
                buttons = ((("btn_approve_suspension", SuspensionDecision(True, alert.id)),
                            ("btn_decline_suspension", SuspensionDecision(False, alert.id))),)
                notes += to_all(staff, "alerts", "suspend_request", params, buttons)
            else:
                notes += await suspend_bank(services, pack, totals.bank_id, today, ACTOR)
    elif change == "fall":
        await store.banks.set_level(pack.id, totals.bank_id, current, ACTOR,
                                    suspended_on=told.suspended_on if current == "suspend" else None)
        notes += await _to_bank_and_staff(services, totals.bank_id, "all_clear",
                                          {**params, "previous": told.level, "level": current})
    return notes


async def pending_suspensions(services: Services, pack: PolicyPack, staff_chat: int) -> list[Notification]:
    """Open suspension requests, each with its approve/decline buttons (for the review desk)."""
    notes = []
    for alert in await services.store.alerts.open_alerts(pack.id, SUSPEND_REQUEST):
        totals = await bank_totals(services, pack, alert.bank_id)
        if totals is None:
            continue
        buttons = ((("btn_approve_suspension", SuspensionDecision(True, alert.id)),
                    ("btn_decline_suspension", SuspensionDecision(False, alert.id))),)
        notes.append(Notification(staff_chat, "alerts", "suspend_request", await _bank_params(services, pack, totals),
                                  buttons))
    return notes


async def bank_books(services: Services, pack: PolicyPack,
                     bank_id: int | None = None) -> list[tuple[BankTotals, BankBook]]:
    """Every bank's (or one bank's) latest snapshot summed up with its 第十二条 ratio and level."""
    program = pack.program
    return [(t, BankBook(t.bank, t.loans, t.overdue_loans,
                         bank_exposure(program, from_fen(t.issued_fen), from_fen(t.overdue_fen))))
            for t in await services.store.loans.bank_totals(pack.id, program.bank_monitoring.overdue_days.value,
                                                            bank_id)]


async def bank_totals(services: Services, pack: PolicyPack, bank_id: int) -> BankTotals | None:
    threshold = pack.program.bank_monitoring.overdue_days.value
    return next(iter(await services.store.loans.bank_totals(pack.id, threshold, bank_id)), None)


@dataclass(frozen=True)
class BankStatus:
    """What /status shows an officer."""

    totals: BankTotals | None
    book: BankBook | None
    told: str
    suspended_on: str | None
    overdue_loans: list[LoanRecord]
    open_claims: list[Claim]


async def bank_status(services: Services, pack: PolicyPack, bank_id: int) -> BankStatus:
    store = services.store
    totals, book = next(iter(await bank_books(services, pack, bank_id)), (None, None))
    threshold = pack.program.bank_monitoring.overdue_days.value
    loans = sorted((loan for loan in await store.loans.latest_of_bank(pack.id, bank_id) if loan.overdue_days >= threshold),
                   key=lambda loan: -loan.overdue_days)
    claims = [c for c in await store.claims.for_bank(bank_id) if c.status not in END_STATES]
    level = await store.banks.level(pack.id, bank_id)
    return BankStatus(totals, book, level.level, level.suspended_on, loans, claims)


async def suspend_bank(services: Services, pack: PolicyPack, bank_id: int, today: date, actor: str) -> list[Notification]:
    """第十二条: the suspension notice goes out (after the bureau's consent where required)."""
    await services.store.banks.set_level(pack.id, bank_id, "suspend", actor, suspended_on=today.isoformat())
    params = await _bank_params(services, pack, await bank_totals(services, pack, bank_id), suspended_on=today.isoformat())
    return await _to_bank_and_staff(services, bank_id, "suspended", params)


async def decide_suspension(services: Services, alert_id: int, approve: bool, today: date,
                            actor: str) -> list[Notification] | None:
    """Staff's decision on a suspension and its notices, in one transaction (``None`` if no longer pending)."""
    async with services.store.atomic():
        notes = await _decide_suspension(services, alert_id, approve, today, actor)
        return await queue_in(services.store, notes) if notes else notes


async def _decide_suspension(services: Services, alert_id: int, approve: bool, today: date,
                            actor: str) -> list[Notification] | None:
    """Staff approve or decline a pending suspension; ``None`` if it is no longer pending."""
    store = services.store
    alert = await store.alerts.get(alert_id)
    if alert is None or alert.resolved_at is not None or alert.kind != SUSPEND_REQUEST:
        return None
    await store.alerts.resolve(alert_id, actor)
    pack = services.packs[alert.program_id]
    if approve:
        return await suspend_bank(services, pack, alert.bank_id, today, actor)
    params = await _bank_params(services, pack, await bank_totals(services, pack, alert.bank_id))
    return to_all(services.settings.staff_ids, "alerts", "suspension_declined", params)


async def fund_position(services: Services, pack: PolicyPack) -> ledger.FundPosition:
    """第三条、第十九条: where the fund stands now."""
    return await ledger.fund_position(services.store, pack)


class FundDecisionRefused(Exception):
    """A pause or resume that would change nothing: ``code`` is ``already_paused`` or ``not_paused``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _fund_params(pack: PolicyPack, position: ledger.FundPosition, **extra) -> dict:
    fund = pack.program.fund
    keeps = fund.pause_keeps_agreed_sharing
    return {"program": pack.meta, "paid": position.paid, "level": position.pause_level,
            "balance": position.balance, "size": position.size,
            "article": fund.pause_at_cumulative.article if fund.pause_at_cumulative else fund.size.article,
            "keeps_sharing_article": keeps.article if keeps is not None and keeps.value else None, **extra}


async def check_fund(services: Services, pack: PolicyPack) -> list[Notification]:
    """第十九条: once the cumulative compensation reaches the pause level, new claims stop; the pause is
    recorded as a decision of the system and every bank and staff are told, once."""
    store = services.store
    async with store.atomic():
        position = await ledger.fund_position(store, pack)
        if not position.paused or (position.decision is not None and position.decision.kind == "pause"):
            return []
        record = await store.programs.record_fund_decision(pack.id, "pause", to_fen(position.paid), None, ACTOR)
        return await queue_in(store, await _fund_notice(services, pack, "fund_paused",
                                                        _fund_params(pack, position, record=record)))


async def _fund_notice(services: Services, pack: PolicyPack, macro: str, params: dict) -> list[Notification]:
    officers = []
    for bank in await services.store.banks.all():
        officers += await services.store.banks.officers(bank.id)
    return to_all(officers + services.settings.staff_ids, "alerts", macro, params)


async def decide_fund(services: Services, pack: PolicyPack, kind: str, note: str | None,
                      actor: str) -> list[Notification]:
    """第十九条: the bureaus pause the fund or resume it once risk is under control. Recorded (who, when,
    the document or note) and announced once; refused when it would change nothing. A resume keeps the
    history: what was paid still counts towards the fund's balance (第三条)."""
    store = services.store
    async with store.atomic():
        position = await ledger.fund_position(store, pack)
        if position.paused == (kind == "pause"):
            raise FundDecisionRefused("already_paused" if position.paused else "not_paused")
        record = await store.programs.record_fund_decision(pack.id, kind, to_fen(position.paid), note, actor)
        macro = "fund_paused" if kind == "pause" else "fund_resumed"
        return await queue_in(store, await _fund_notice(services, pack, macro,
                                                        _fund_params(pack, position, record=record)))


async def recovery_reminders(services: Services, pack: PolicyPack, today: date) -> list[Notification]:
    """第十八条's reminders and the alerts that record them, in one transaction (see `_recovery_reminders`)."""
    async with services.store.atomic():
        notes = await _recovery_reminders(services, pack, today)
        return await queue_in(services.store, notes) if notes else notes


async def _recovery_reminders(services: Services, pack: PolicyPack, today: date) -> list[Notification]:
    """第十八条: remind the bank 7 days and 1 day before the 30-day deadline and on the day; tell staff
    once when it has passed. Derived from the store, so a missed run is made up by the next one."""
    store = services.store
    notes: list[Notification] = []
    for recovery in await store.claims.open_recoveries():
        claim = await store.claims.by_id(recovery.claim_id)
        if claim.program_id != pack.id:
            continue
        deadline = date.fromisoformat(recovery.deadline)
        days_left = (deadline - today).days
        late = return_is_late(deadline, today)
        passed = [d for d in REMINDER_DAYS if d >= days_left]
        if late:
            kind = f"recovery_late:{recovery.id}"
        elif passed:
            kind = f"recovery_reminder:{recovery.id}:{min(passed)}"
        else:
            continue
        if await store.alerts.exists(pack.id, kind):
            continue
        alert = await store.alerts.raise_alert(pack.id, kind, ACTOR, bank_id=claim.bank_id)
        await store.alerts.resolve(alert.id, ACTOR)
        params = {"claim_no": claim.claim_no, "amount": from_fen(recovery.return_fen), "deadline": recovery.deadline,
                  "days_left": days_left, "article": pack.program.recovery.return_days.article}
        officers = await store.banks.officers(claim.bank_id)
        staff = services.settings.staff_ids if days_left <= 0 else []
        notes += to_all(officers + staff, "alerts", "recovery_late" if late else "recovery_reminder", params)
    return notes


async def run_monitoring(services: Services, today: date) -> list[Notification]:
    """One monitoring run over every configured program (the daily job and staff's /monitor)."""
    notes: list[Notification] = []
    for pack in services.programs:
        threshold = pack.program.bank_monitoring.overdue_days.value
        for totals in await services.store.loans.bank_totals(pack.id, threshold):
            notes += await check_bank(services, pack, totals, today)
        notes += await check_fund(services, pack)
        notes += await recovery_reminders(services, pack, today)
    return notes


@dataclass(frozen=True)
class BookPreview:
    """What an upload would change for the bank: its book now (None when it has none) and the uploaded one."""

    report_date: date
    before: BankBook | None
    after: BankBook


async def preview_book(services: Services, pack: PolicyPack, bank: Bank, data: bytes, filename: str,
                       today: date) -> BookPreview:
    """An officer's upload validated whole and summed up against the bank's current book, nothing written (the
    import run and rolled back; `LoanBookError` when a row is bad): loans, principal and the 第十二条 ratio,
    before → after."""
    before = next((book for _, book in await bank_books(services, pack, bank.id)), None)
    summary = await import_loan_book(services.store, pack, data, filename, report_date=today, actor="preview",
                                     only_bank=bank.name, dry_run=True)
    [after] = summary.books or [BankBook(bank.name, 0, 0, bank_exposure(pack.program, ZERO, ZERO))]
    return BookPreview(today, before, after)


async def import_and_check(services: Services, pack: PolicyPack, bank: Bank, data: bytes, filename: str,
                           today: date, actor: str) -> tuple[ImportSummary, list[Notification]]:
    """An officer's loan book: validated whole and imported as the bank's book for today (all or nothing,
    `LoanBookError` otherwise), then the bank checked against 第十二条's lines at once."""
    summary = await import_loan_book(services.store, pack, data, filename, report_date=today, actor=actor,
                                     only_bank=bank.name)
    totals = await bank_totals(services, pack, bank.id)
    return summary, await check_bank(services, pack, totals, today)


@dataclass(frozen=True)
class ProgramOverview:
    """What /monitor shows for one program: every bank's book and level (第十二条) and the fund (第三、十九条)."""

    pack: PolicyPack
    books: list[BankBook]
    fund: ledger.FundPosition


async def monitor_now(services: Services, today: date) -> tuple[list[Notification], list[ProgramOverview]]:
    """Staff's /monitor: the run the daily job makes, and the overview of each program afterwards."""
    notes = await run_monitoring(services, today)
    overviews = [ProgramOverview(pack, [book for _, book in await bank_books(services, pack)],
                                 await ledger.fund_position(services.store, pack)) for pack in services.programs]
    return notes, overviews
