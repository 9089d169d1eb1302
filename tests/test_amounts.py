import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.amounts import MAX_AMOUNT, AmountError, parse_amount


@pytest.mark.parametrize(("raw", "expected"), [
    ("3000000", "3000000.00"),
    ("3,000,000", "3000000.00"),
    ("300万", "3000000.00"),
    ("300万元", "3000000.00"),
    ("三百万", "3000000.00"),
    ("1.5亿", "150000000.00"),
    ("￥3,000,000.00", "3000000.00"),
    ("¥ 1,500万", "15000000.00"),
    ("一百五十万元", "1500000.00"),
    ("两百万", "2000000.00"),
    ("２００万", "2000000.00"),
    (" 1234.5 ", "1234.50"),
])
def test_amount_accepts_the_ways_users_type_it(raw, expected):
    assert parse_amount(raw) == Decimal(expected)


@pytest.mark.parametrize(("raw", "code"), [
    ("", "empty"),
    ("   ", "empty"),
    ("-5", "negative"),
    ("负100万", "negative"),
    ("0", "zero"),
    ("0万", "zero"),
    ("abc", "garbage"),
    ("三百万abc", "garbage"),
    ("1e5", "garbage"),
    ("NaN", "garbage"),
    ("1,0,0", "garbage"),
    ("1.234", "too_precise"),
    ("200亿", "too_large"),
])
def test_amount_refuses_with_a_reason(raw, code):
    with pytest.raises(AmountError) as info:
        parse_amount(raw)
    assert info.value.code == code


def test_zero_is_allowed_where_it_means_something():
    assert parse_amount("0", allow_zero=True) == Decimal("0.00")


def test_max_amount_is_a_boundary_both_ways():
    assert parse_amount("100亿") == MAX_AMOUNT
    with pytest.raises(AmountError):
        parse_amount("10000000000.01")


fen_amounts = st.integers(min_value=1, max_value=int(MAX_AMOUNT * 100)).map(lambda fen: Decimal(fen) / 100)


@given(fen_amounts)
def test_plain_and_grouped_forms_parse_back_exactly(amount):
    assert parse_amount(f"{amount:.2f}") == amount
    assert parse_amount(f"{amount:,.2f}") == amount
    assert parse_amount(f"￥{amount:,.2f}元") == amount


@given(st.integers(min_value=1, max_value=1_000_000), st.sampled_from([("万", 10_000), ("亿", 100_000_000)]))
def test_wan_and_yi_units_multiply_exactly(number, unit):
    name, factor = unit
    value = Decimal(number) * factor
    if value <= MAX_AMOUNT:
        assert parse_amount(f"{number}{name}") == value


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=20))
def test_text_without_digits_never_crashes_the_parser(text):
    try:
        value = parse_amount(text)
    except AmountError:
        return
    assert value > 0


@given(fen_amounts)
def test_negative_amounts_are_always_refused(amount):
    with pytest.raises(AmountError) as info:
        parse_amount(f"-{amount}")
    assert info.value.code == "negative"


@pytest.mark.parametrize(("raw", "days"), [("0", 0), ("90", 90), (" ９０ ", 90), ("36500", 36500)])
def test_days_accept_whole_numbers(raw, days):
    from bot.rules.amounts import parse_days
    assert parse_days(raw) == days


@pytest.mark.parametrize("raw", ["", "-1", "1.5", "²", "九十", "36501", "9 0"])
def test_days_refuse_anything_else(raw):
    from bot.rules.amounts import parse_days
    with pytest.raises(ValueError):
        parse_days(raw)


@given(st.text(max_size=8))
def test_days_parser_returns_an_int_or_refuses(text):
    from bot.rules.amounts import parse_days
    with contextlib.suppress(ValueError):
        assert 0 <= parse_days(text) <= 36500
