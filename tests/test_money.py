from decimal import Decimal

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
