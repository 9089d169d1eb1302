from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.money import FEN, ceiling_fen, floor_fen, from_fen, to_fen, yuan_str

fen = st.integers(min_value=0, max_value=10**13)
amounts = st.decimals(min_value=0, max_value=10**10, places=6, allow_nan=False, allow_infinity=False)


@given(fen)
def test_fen_round_trips_through_yuan(value):
    assert to_fen(from_fen(value)) == value


@given(amounts)
def test_a_ceiling_never_rounds_up_and_a_floor_never_down(amount):
    assert ceiling_fen(amount) <= amount < ceiling_fen(amount) + FEN
    assert floor_fen(amount) - FEN < amount <= floor_fen(amount)


@given(fen)
def test_yuan_strings_have_exactly_two_decimals(value):
    text = yuan_str(from_fen(value))
    whole, _, cents = text.partition(".")
    assert len(cents) == 2 and Decimal(text) == from_fen(value)


@pytest.mark.parametrize(("amount", "printed"), [
    ("400000", "400,000.00元（40万元）"),
    ("99990000", "99,990,000.00元（9999万元）"),
    ("100000000", "100,000,000.00元（1亿元）"),
    ("150000000", "150,000,000.00元（1.5亿元）"),
    ("150005000", "150,005,000.00元（15000.5万元）"),
    ("1234.56", "1,234.56元"),
])
def test_amounts_print_in_wan_or_yi_where_natural(amount, printed):
    from bot.texts import money_zh
    assert money_zh(Decimal(amount)) == printed
