"""The loan book format of design.md, validated row by row (the same for chat upload, CLI import and
``monitor``): ``loan_id,bank,credit_code,enterprise,principal,issued_on,due_on,overdue_days`` plus the
optional ``ip_type,insurer,ip_pledged_principal,outstanding``. A file with any bad row is refused whole.

Banks' own exports are read too: Chinese column headers through `HEADER_ALIASES` (贷款编号, 发放日期, 本金（元）…)
and dates as spreadsheets write them (2025/8/25, 2025.8.25, 2025年8月25日, 20250825).
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from bot.rules.amounts import MAX_DAYS, AmountError, parse_amount, parse_days
from bot.rules.credit_code import check_credit_code

#: The most loan rows one book may hold (a district's whole book is a few thousand; README states it).
MAX_ROWS = 1_000_000
REQUIRED = ("loan_id", "bank", "credit_code", "enterprise", "principal", "issued_on", "due_on", "overdue_days")
OPTIONAL = ("ip_type", "insurer", "ip_pledged_principal", "outstanding")
_COLUMNS = REQUIRED + OPTIONAL
#: The Chinese headers banks' exports use, each read as the column of the format it names.
HEADER_ALIASES = {
    "贷款编号": "loan_id", "借据号": "loan_id", "借据编号": "loan_id", "贷款号": "loan_id",
    "银行": "bank", "贷款银行": "bank", "合作银行": "bank", "放款银行": "bank", "银行名称": "bank",
    "统一社会信用代码": "credit_code", "信用代码": "credit_code", "社会信用代码": "credit_code",
    "企业名称": "enterprise", "企业": "enterprise", "借款人": "enterprise", "借款企业": "enterprise",
    "本金": "principal", "贷款本金": "principal", "贷款金额": "principal", "放款金额": "principal", "发放金额": "principal",
    "发放日": "issued_on", "发放日期": "issued_on", "放款日": "issued_on", "放款日期": "issued_on", "起贷日": "issued_on",
    "到期日": "due_on", "到期日期": "due_on", "贷款到期日": "due_on",
    "逾期天数": "overdue_days", "逾期日数": "overdue_days",
    "知识产权类型": "ip_type", "质押物类型": "ip_type", "质押类型": "ip_type",
    "保险机构": "insurer", "担保机构": "insurer", "保险（担保）机构": "insurer", "合作保险机构": "insurer",
    "知识产权质押部分本金": "ip_pledged_principal", "质押部分本金": "ip_pledged_principal",
    "知识产权质押本金": "ip_pledged_principal",
    "贷款余额": "outstanding", "余额": "outstanding", "未还本金": "outstanding",
}
_UNIT = re.compile(r"[(（][^)）]*[)）]$")
_DATE_FORMS = (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"), re.compile(r"^(\d{4})(\d{2})(\d{2})$"))
IP_TYPES = {
    "patent": "patent", "专利": "patent", "专利权": "patent",
    "trademark": "trademark", "商标": "trademark", "商标权": "trademark", "商标专用权": "trademark",
    "copyright": "copyright", "著作权": "copyright", "版权": "copyright",
    "other": "other", "其他": "other",
}


class LoanRow(NamedTuple):
    """One valid loan of a book (a tuple: a million of them are made by one import)."""

    row: int
    loan_id: str
    bank: str
    credit_code: str
    enterprise: str
    principal: Decimal
    issued_on: date
    due_on: date
    overdue_days: int
    ip_type: str | None = None
    insurer: str | None = None
    ip_pledged_principal: Decimal | None = None
    outstanding: Decimal | None = None


@dataclass(frozen=True)
class RowError:
    """``row`` is the line in the file (the header is row 1; 0 for the file as a whole)."""

    row: int
    column: str | None
    code: str
    value: str = ""


class LoanBookError(ValueError):
    def __init__(self, errors: Sequence[RowError]):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = list(errors)


def column_name(header: str) -> str:
    """The format's name for a header cell: itself, or the column its Chinese alias names, a unit in brackets
    and full-width forms aside (「本金（元）」 → principal)."""
    name = unicodedata.normalize("NFKC", header.strip().lstrip("\ufeff")).strip()
    bare = _UNIT.sub("", name).strip()
    for candidate in (name, bare, name.replace("(", "（").replace(")", "）")):
        if candidate in HEADER_ALIASES:
            return HEADER_ALIASES[candidate]
    return bare.lower() if bare.lower() in REQUIRED + OPTIONAL else name


def check_header(header: Sequence[str]) -> list[RowError]:
    names = [column_name(h) for h in header]
    errors = [RowError(1, name, "missing_column") for name in REQUIRED if name not in names]
    errors += [RowError(1, name, "unknown_column") for name in names if name not in REQUIRED + OPTIONAL]
    errors += [RowError(1, name, "duplicate_column") for i, name in enumerate(names) if name in names[:i]]
    return errors


@lru_cache(maxsize=1024)
def _ip_type(text: str) -> str | None:
    parts = [p.strip().lower() for p in text.replace("、", "+").replace("/", "+").split("+") if p.strip()]
    codes = [IP_TYPES.get(p) for p in parts]
    if not codes or None in codes:
        return None
    return "+".join(sorted(set(codes), key=list(IP_TYPES.values()).index))


@lru_cache(maxsize=16_384)
def _date(text: str) -> date | None:
    """ISO dates, and the forms spreadsheets and bank systems write (2025/8/25, 2025.8.25, 2025年8月25日,
    20250825)."""
    for form in _DATE_FORMS:
        found = form.match(text.strip())
        if found:
            try:
                return date(*(int(part) for part in found.groups()))
            except ValueError:
                return None
    return None


def parse_row(number: int, record: dict[str, str]) -> tuple[LoanRow | None, list[RowError]]:
    """One data row (``number`` as in the file) to a `LoanRow`, or the list of what is wrong with it."""
    errors: list[RowError] = []
    value = {k: (record.get(k) or "").strip() for k in _COLUMNS}

    for name in ("loan_id", "bank", "credit_code", "enterprise"):
        if not value[name]:
            errors.append(RowError(number, name, "empty"))

    credit_code = value["credit_code"]
    if credit_code:
        check = check_credit_code(credit_code)
        credit_code = check.code
        if check.problem in ("length", "charset"):
            errors.append(RowError(number, "credit_code", f"credit_code_{check.problem}", value["credit_code"]))

    amounts: dict[str, Decimal | None] = {}
    for name in ("principal", "ip_pledged_principal", "outstanding"):
        if not value[name]:
            if name == "principal":
                errors.append(RowError(number, name, "empty"))
            amounts[name] = None
            continue
        try:
            amounts[name] = parse_amount(value[name], allow_zero=name == "outstanding")
        except AmountError as exc:
            errors.append(RowError(number, name, f"amount_{exc.code}", value[name]))
            amounts[name] = None

    dates: dict[str, date | None] = {}
    for name in ("issued_on", "due_on"):
        dates[name] = _date(value[name]) if value[name] else None
        if dates[name] is None:
            errors.append(RowError(number, name, "empty" if not value[name] else "bad_date", value[name]))
    if dates["issued_on"] and dates["due_on"] and dates["due_on"] < dates["issued_on"]:
        errors.append(RowError(number, "due_on", "due_before_issue", value["due_on"]))

    overdue_days = None
    if not value["overdue_days"]:
        errors.append(RowError(number, "overdue_days", "empty"))
    else:
        try:
            overdue_days = parse_days(value["overdue_days"])
        except ValueError:
            errors.append(RowError(number, "overdue_days", "bad_days", value["overdue_days"]))

    ip_type = None
    if value["ip_type"]:
        ip_type = _ip_type(value["ip_type"])
        if ip_type is None:
            errors.append(RowError(number, "ip_type", "bad_ip_type", value["ip_type"]))

    principal = amounts["principal"]
    for name in ("ip_pledged_principal", "outstanding"):
        if principal is not None and amounts[name] is not None and amounts[name] > principal:
            errors.append(RowError(number, name, "exceeds_principal", value[name]))

    if errors:
        return None, errors
    return LoanRow(
        row=number, loan_id=value["loan_id"], bank=value["bank"], credit_code=credit_code,
        enterprise=value["enterprise"], principal=principal, issued_on=dates["issued_on"],
        due_on=dates["due_on"], overdue_days=overdue_days, ip_type=ip_type, insurer=value["insurer"] or None,
        ip_pledged_principal=amounts["ip_pledged_principal"], outstanding=amounts["outstanding"],
    ), []


class BookValidator:
    """A loan book validated as it streams, chunk by chunk: every row's errors are collected (a file with any bad
    row is refused whole) while only the current chunk's loans are held.

    ``only_bank``: an officer may load only their own bank's loans. ``report_date``: a loan cannot be issued
    after the date the book reports on. A loan id twice in one bank is found by `duplicate_loans` (or, when the
    rows go to the store, by its unique key)."""

    def __init__(self, header: Sequence[str], *, report_date: date | None = None, only_bank: str | None = None):
        errors = check_header(header)
        if errors:
            raise LoanBookError(errors)
        self.names = [column_name(h) for h in header]
        # each format column's cell, or the blank appended past the row's end for a column the book lacks
        width = len(self.names)
        self._pick = itemgetter(*(self.names.index(c) if c in self.names else width for c in _COLUMNS))
        self._padding = [""] * (width + 1)
        self.report_date = report_date
        self.only_bank = only_bank
        self.errors: list[RowError] = []
        self.rows = 0

    def validate(self, numbered_rows: Iterable[tuple[int, Sequence[str]]]) -> list[LoanRow]:
        """The chunk's valid loans; its errors are added to `errors`. Blank rows are skipped."""
        loans = []
        for number, cells in numbered_rows:
            if not "".join(cells).strip():
                continue
            self.rows += 1
            if self.rows > MAX_ROWS:
                raise LoanBookError([RowError(0, None, "too_many_rows", str(MAX_ROWS))])
            if len(cells) > len(self.names):
                self.errors.append(RowError(number, None, "too_many_cells", str(len(cells))))
                continue
            loan = self._plain_row(number, cells)
            if loan is None:
                loan, row_errors = parse_row(number, dict(zip(self.names, cells)))
            if loan is None:
                self.errors += row_errors
                continue
            if self.only_bank is not None and loan.bank != self.only_bank:
                self.errors.append(RowError(number, "bank", "wrong_bank", loan.bank))
            if self.report_date is not None and loan.issued_on > self.report_date:
                self.errors.append(RowError(number, "issued_on", "issued_after_report", loan.issued_on.isoformat()))
            loans.append(loan)
        return loans

    def _plain_row(self, number: int, cells: Sequence[str]) -> LoanRow | None:
        """The common row read quickly: every cell in its plainest form (a plain number, a date, whole days, no
        optional amounts). Anything else is ``None``, and `parse_row` reads it in full and names its errors; a
        property test pins that both read every row they both take alike."""
        (loan_id, bank, code, enterprise, principal, issued_on, due_on, days, ip_type, insurer, ip_pledged,
         outstanding) = map(str.strip, self._pick(cells + self._padding[len(cells):]))
        if not (loan_id and bank and code and enterprise and principal and days.isascii() and days.isdigit()) \
                or ip_pledged or outstanding:
            return None
        check = check_credit_code(code)
        issued, due = _date(issued_on), _date(due_on)
        ip = _ip_type(ip_type) if ip_type else None
        overdue_days = int(days)
        if check.problem in ("length", "charset") or issued is None or due is None or due < issued \
                or (ip_type and ip is None) or overdue_days > MAX_DAYS:
            return None
        try:
            amount = parse_amount(principal)
        except AmountError:
            return None
        return LoanRow(number, loan_id, bank, check.code, enterprise, amount, issued, due, overdue_days, ip,
                       insurer or None)

    def finish(self, more_errors: Iterable[RowError] = ()) -> None:
        """Raises `LoanBookError` with every error in row order if any row was bad (or there was none)."""
        errors = [*self.errors, *more_errors]
        if self.rows == 0:
            errors.append(RowError(0, None, "no_rows"))
        if errors:
            raise LoanBookError(sorted(errors, key=lambda e: e.row))


class BookTotals:
    """A streamed book summed as its loans arrive: per bank and days overdue, the loans and their principal (a
    few hundred sums however long the book; `monitoring.bank_books` applies 第十二条 to them)."""

    def __init__(self) -> None:
        self.by_bank_and_days: dict[tuple[str, int], list] = {}

    def add(self, loans: Iterable[LoanRow]) -> None:
        sums = self.by_bank_and_days
        for loan in loans:
            entry = sums.get((loan.bank, loan.overdue_days))
            if entry is None:
                sums[loan.bank, loan.overdue_days] = [1, loan.principal]
            else:
                entry[0] += 1
                entry[1] += loan.principal


def duplicate_loans(loans: Iterable[LoanRow]) -> list[RowError]:
    """Each row repeating a loan id its bank already used further up."""
    seen: set[tuple[str, str]] = set()
    errors = []
    for loan in loans:
        key = (loan.bank, loan.loan_id)
        if key in seen:
            errors.append(RowError(loan.row, "loan_id", "duplicate_loan", loan.loan_id))
        seen.add(key)
    return errors


def parse_loan_book(header: Sequence[str], rows: Iterable[Sequence[str]], *, report_date: date | None = None,
                    only_bank: str | None = None) -> list[LoanRow]:
    """Validate a whole table in memory; raises `LoanBookError` with every row-numbered error if any row is bad
    (see `BookValidator`)."""
    validator = BookValidator(header, report_date=report_date, only_bank=only_bank)
    loans = validator.validate(enumerate(rows, start=2))
    validator.finish(duplicate_loans(loans))
    return loans
