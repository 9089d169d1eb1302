"""Money in the rules: `Decimal` yuan, stored as integer fen (design.md, Conventions).

Rounding follows what the policy words promise: a ceiling ("不高于") is rounded down to the fen so the
bot never reports more than the fund may pay; a floor ("不低于") is rounded up so it never reports less
than a party must bear.
"""

from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0")


def to_fen(yuan: Decimal) -> int:
    """Yuan (at most two decimals after rounding half up) to integer fen for the store."""
    return int(yuan.scaleb(2).to_integral_value(ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    """Integer fen from the store to `Decimal` yuan with two decimals."""
    return (Decimal(fen) / 100).quantize(FEN)


def ceiling_fen(amount: Decimal) -> Decimal:
    """Round a ceiling down to the fen: the bot never reports more than the policy allows."""
    return amount.quantize(FEN, rounding=ROUND_DOWN)


def floor_fen(amount: Decimal) -> Decimal:
    """Round a floor up to the fen: the bot never reports less than the policy requires."""
    return amount.quantize(FEN, rounding=ROUND_UP)


def yuan_str(amount: Decimal) -> str:
    """The contract's money string: yuan with exactly two decimals, e.g. "400000.00"."""
    return str(amount.quantize(FEN, rounding=ROUND_HALF_UP))
