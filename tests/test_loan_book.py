from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.loan_book import LoanBookError, parse_loan_book, parse_row
from bot.services.loan_reading import read_loan_book
from tests.loan_books import CODE, HEADER, csv_bytes, row, xlsx_bytes


def test_a_good_csv_is_read_into_rows():
    loans = read_loan_book(csv_bytes([row("L1"), row("L2", principal="300万", overdue_days="20")]), "book.csv")
    assert [l.loan_id for l in loans] == ["L1", "L2"]
    assert loans[1].principal == D("3000000.00")
    assert loans[1].overdue_days == 20
    assert loans[0].issued_on == date(2025, 1, 10)


def test_a_utf8_bom_from_excel_is_accepted():
    data = "\ufeff".encode() + csv_bytes([row()])
    assert len(read_loan_book(data, "book.csv")) == 1


def test_an_xlsx_book_reads_the_same_as_csv():
    rows = [row("L1"), row("L2", overdue_days="16")]
    assert read_loan_book(xlsx_bytes(rows), "book.xlsx") == read_loan_book(csv_bytes(rows), "book.csv")


def test_optional_columns_are_read():
    data = csv_bytes([row(ip_type="专利+商标", insurer="示例担保", ip_pledged_principal="60万", outstanding="0")])
    loan = read_loan_book(data, "book.csv")[0]
    assert loan.ip_type == "patent+trademark"
    assert loan.ip_pledged_principal == D("600000.00")
    assert loan.outstanding == D("0.00")


def test_every_bad_row_is_listed_with_its_row_number():
    data = csv_bytes([row("L1"), row("L2", principal="abc"), row("L3", issued_on="2025/13/10"),
                      row("L1", overdue_days="-1")])
    with pytest.raises(LoanBookError) as info:
        read_loan_book(data, "book.csv")
    found = {(e.row, e.column, e.code) for e in info.value.errors}
    assert (3, "principal", "amount_garbage") in found
    assert (4, "issued_on", "bad_date") in found
    assert (5, "overdue_days", "bad_days") in found


def test_a_duplicate_loan_id_is_an_error():
    with pytest.raises(LoanBookError) as info:
        read_loan_book(csv_bytes([row("L1"), row("L1")]), "book.csv")
    assert [(e.row, e.code) for e in info.value.errors] == [(3, "duplicate_loan")]


def test_missing_and_unknown_columns_are_named():
    header = [h for h in HEADER if h != "due_on"] + ["colour"]
    with pytest.raises(LoanBookError) as info:
        parse_loan_book(header, [])
    assert {(e.column, e.code) for e in info.value.errors} == {("due_on", "missing_column"), ("colour", "unknown_column")}


def test_a_malformed_credit_code_is_refused_but_a_failing_check_character_is_not():
    with pytest.raises(LoanBookError) as info:
        read_loan_book(csv_bytes([row(credit_code="123")]), "book.csv")
    assert info.value.errors[0].code == "credit_code_length"
    assert read_loan_book(csv_bytes([row(credit_code="91350100M0001TGQXM")]), "book.csv")


def test_an_officer_may_load_only_their_own_bank():
    with pytest.raises(LoanBookError) as info:
        read_loan_book(csv_bytes([row(bank="别的银行")]), "book.csv", only_bank="示例银行")
    assert info.value.errors[0].code == "wrong_bank"


def test_a_loan_issued_after_the_report_date_is_an_error():
    with pytest.raises(LoanBookError) as info:
        read_loan_book(csv_bytes([row()]), "book.csv", report_date=date(2025, 1, 9))
    assert info.value.errors[0].code == "issued_after_report"
    assert read_loan_book(csv_bytes([row()]), "book.csv", report_date=date(2025, 1, 10))


@pytest.mark.parametrize(("data", "name", "code"), [
    ("贷款".encode("gbk"), "book.csv", "not_utf8"),
    (b"", "book.csv", "empty_file"),
    (b"not a zip", "book.xlsx", "unreadable"),
    (b"x", "book.pdf", "unsupported_format"),
    (",".join(HEADER).encode(), "book.csv", "no_rows"),
])
def test_unusable_files_are_refused_as_a_whole(data, name, code):
    with pytest.raises(LoanBookError) as info:
        read_loan_book(data, name)
    assert [(e.row, e.code) for e in info.value.errors] == [(0, code)]


def test_outstanding_above_principal_is_an_error():
    with pytest.raises(LoanBookError) as info:
        read_loan_book(csv_bytes([row(outstanding="1000000.01")]), "book.csv")
    assert info.value.errors[0].code == "exceeds_principal"


safe_text = st.text(alphabet=st.characters(whitelist_categories=("L", "Nd"), max_codepoint=0x9FFF), min_size=1,
                    max_size=12)


@given(loan_id=safe_text, bank=safe_text, fen=st.integers(min_value=1, max_value=10**11),
       days=st.integers(min_value=0, max_value=5000),
       issued=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 1, 1)),
       term=st.integers(min_value=0, max_value=3650))
def test_any_valid_row_round_trips(loan_id, bank, fen, days, issued, term):
    from datetime import timedelta
    principal = D(fen) / 100
    due = issued + timedelta(days=term)
    loan, errors = parse_row(2, {"loan_id": loan_id, "bank": bank, "credit_code": CODE.lower(),
                                 "enterprise": "企业", "principal": f"{principal:,.2f}",
                                 "issued_on": issued.isoformat(), "due_on": due.isoformat(),
                                 "overdue_days": str(days)})
    assert errors == []
    assert (loan.loan_id, loan.bank, loan.credit_code, loan.principal, loan.issued_on, loan.due_on,
            loan.overdue_days) == (loan_id, bank, CODE, principal, issued, due, days)


@given(st.dictionaries(st.sampled_from(HEADER), st.text(max_size=15)))
def test_any_row_is_either_a_loan_or_a_list_of_errors(record):
    loan, errors = parse_row(2, record)
    assert (loan is None) == bool(errors)
    assert all(e.row == 2 for e in errors)


def test_a_book_of_more_rows_than_the_limit_is_refused_whole(monkeypatch):
    from bot.rules import loan_book
    from bot.rules.loan_book import LoanBookError
    from bot.services import loan_reading
    from tests.loan_books import csv_bytes, row

    monkeypatch.setattr(loan_book, "MAX_ROWS", 3)
    loan_reading.read_loan_book(csv_bytes([row(f"L{i}") for i in range(3)]), "b.csv")
    with pytest.raises(LoanBookError) as refused:
        loan_reading.read_loan_book(csv_bytes([row(f"L{i}") for i in range(4)]), "b.csv")
    assert refused.value.errors[0].code == "too_many_rows"


async def test_a_book_that_takes_too_long_to_read_is_refused(tmp_path, monkeypatch, jiangbei):
    import time as time_module

    from bot.rules.loan_book import LoanBookError
    from bot.services import loan_import, loan_reading
    from bot.store import Store
    from tests.loan_books import csv_bytes, row

    read_book = loan_reading.book_messages

    def slow(*args, **kwargs):
        for message in read_book(*args, **kwargs):
            time_module.sleep(0.3)
            yield message

    monkeypatch.setattr(loan_import, "PARSE_SECONDS", 0.05)
    monkeypatch.setattr(loan_reading, "book_messages", slow)
    store = await Store.open(tmp_path / "s.sqlite3")
    with pytest.raises(LoanBookError) as refused:
        await loan_import.import_loan_book(store, jiangbei, csv_bytes([row()]), "b.csv", report_date=date(2026, 1, 1),
                                           actor="test")
    assert refused.value.errors[0].code == "too_slow"
    await store.close()


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-08-25", date(2025, 8, 25)), ("2025/8/25", date(2025, 8, 25)), ("2025.8.25", date(2025, 8, 25)),
    ("2025年8月25日", date(2025, 8, 25)), ("20250825", date(2025, 8, 25)),
    ("2025/2/30", None), ("25/8/2025", None), ("2025-13-01", None), ("明天", None),
])
def test_dates_are_read_in_the_forms_spreadsheets_write(text, expected):
    from bot.rules.loan_book import _date
    assert _date(text) == expected


def test_a_banks_export_with_chinese_headers_and_slashed_dates_is_read():
    header = ["贷款编号", "贷款银行", "统一社会信用代码", "企业名称", "本金（元）", "发放日期", "到期日", "逾期天数"]
    cells = ["L1", "示例银行", "91350100M000100Y43", "示例科技有限公司", "1,000,000", "2025/8/25", "2026/8/24", "0"]
    [loan] = parse_loan_book(header, [cells])
    assert (loan.loan_id, loan.principal, loan.issued_on) == ("L1", D("1000000"), date(2025, 8, 25))


def test_a_header_neither_in_the_format_nor_an_alias_is_still_refused():
    header = ["贷款编号", "贷款银行", "统一社会信用代码", "企业名称", "本金", "发放日期", "到期日", "逾期天数", "客户经理"]
    with pytest.raises(LoanBookError) as refused:
        parse_loan_book(header, [])
    assert [(e.column, e.code) for e in refused.value.errors] == [("客户经理", "unknown_column")]


CELL = {
    "loan_id": st.sampled_from(["L1", " L2 ", "", "贷-3"]),
    "bank": st.sampled_from(["示例银行", "", " 另一银行"]),
    "credit_code": st.sampled_from([CODE, CODE.lower(), "91350100M000100Y44", "123", "", "91350100M000100O43"]),
    "enterprise": st.sampled_from(["示例科技有限公司", ""]),
    "principal": st.sampled_from(["1000000", "300万", "0", "-5", "1,000.5", "1.234", "", "abc", "10000000000000"]),
    "issued_on": st.sampled_from(["2025-01-10", "2025/8/25", "20250110", "2025-02-30", "", "昨天"]),
    "due_on": st.sampled_from(["2026-01-10", "2024-01-01", "2025年8月25日", ""]),
    "overdue_days": st.sampled_from(["0", "90", "９０", "²", "-1", "", "99999", "1.5"]),
    "ip_type": st.sampled_from(["", "patent", "专利", "专利+商标", "土地"]),
    "insurer": st.sampled_from(["", "示例担保"]),
    "ip_pledged_principal": st.sampled_from(["", "500000"]),
    "outstanding": st.sampled_from(["", "0", "2000000"]),
}


@given(st.lists(st.sampled_from(list(CELL)[8:]), unique=True).flatmap(
    lambda optional: st.permutations(list(CELL)[:8] + optional)).flatmap(
    lambda names: st.tuples(st.just(names), st.tuples(*(CELL[n] for n in names)))))
def test_the_quick_reading_of_plain_rows_agrees_with_the_full_one(header_and_cells):
    """BookValidator reads the common row quickly and sends the rest to parse_row: wherever the quick reading
    takes a row, it must read it exactly as parse_row does."""
    from bot.rules.loan_book import BookValidator
    names, cells = header_and_cells
    validator = BookValidator(list(names))
    quick = validator._plain_row(2, list(cells))
    full, errors = parse_row(2, dict(zip(names, cells)))
    if quick is not None:
        assert quick == full and errors == []
