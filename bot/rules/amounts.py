"""Parsing amounts the way users type them (design.md, Conventions: inputs of amounts).

Accepted: ``3000000``, ``3,000,000``, ``300万``, ``300万元``, ``三百万``, ``1.5亿``, ``￥3,000,000.00``.
The result is `Decimal` yuan. A bad input raises `AmountError` whose ``code`` names what was wrong;
the wording for the user lives in the templates (``errors.j2``).
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from bot.rules.money import FEN

#: Larger than any single IP-pledge loan could be (100亿元): anything above is a typo.
MAX_AMOUNT = Decimal("10000000000")

_UNITS = {"": Decimal(1), "万": Decimal(10_000), "亿": Decimal(100_000_000)}
_ARABIC = re.compile(r"^(?P<num>\d+(?:\.\d+)?)(?P<unit>万|亿)?$")
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_CHINESE_DIGITS = set("零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点")


class AmountError(ValueError):
    """An amount the bot cannot accept; ``code`` is one of
    ``empty``, ``garbage``, ``negative``, ``zero``, ``too_large``, ``too_precise``."""

    def __init__(self, code: str, raw: str):
        super().__init__(f"{code}: {raw!r}")
        self.code = code
        self.raw = raw


_PLAIN = re.compile(r"[0-9]{1,16}(?:\.[0-9]{1,2})?")


def read_chinese_numeral(text: str) -> int | float | None:
    """The number cn2an reads in a numeral (三百万, 六十, 1.5万), or None where it reads none: it raises ValueError
    on 「百」 alone, KeyError on 「百11」, IndexError or TypeError on others."""
    import cn2an  # loaded only for Chinese numerals: it takes longer to import than the rest of a calculation

    try:
        return cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _normalise(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw).strip()
    text = text.replace("人民币", "").replace("RMB", "").replace("CNY", "")
    text = re.sub(r"[\s_￥¥]", "", text)
    if text.endswith("元"):
        text = text[:-1]
    return text


def _drop_thousands_separators(text: str, raw: str) -> str:
    """``3,000,000`` is fine; ``3,00,0`` is a typo, not three hundred."""
    if "," not in text:
        return text
    number = text.rstrip("万亿")
    if not _GROUPED.match(number):
        raise AmountError("garbage", raw)
    return text.replace(",", "")


def _number(text: str, raw: str) -> Decimal:
    match = _ARABIC.match(text)
    if match:
        return Decimal(match["num"]) * _UNITS[match["unit"] or ""]
    if text and set(text) <= _CHINESE_DIGITS | set("0123456789."):
        value = read_chinese_numeral(text)
        if value is None:
            raise AmountError("garbage", raw)
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise AmountError("garbage", raw) from None
    raise AmountError("garbage", raw)


def parse_amount(raw: str, *, allow_zero: bool = False) -> Decimal:
    """Parse a user's amount into `Decimal` yuan with two decimals.

    Negative amounts, zero (unless ``allow_zero``, e.g. "compensation already received this year"),
    more than two decimals of yuan, amounts above `MAX_AMOUNT` and anything unreadable are refused.
    """
    if raw and _PLAIN.fullmatch(raw):
        value = Decimal(raw)  # a spreadsheet's plain number, as most loan-book cells are: nothing to normalise
    else:
        text = _normalise(raw or "")
        if not text:
            raise AmountError("empty", raw)
        if text.startswith(("-", "负", "−")):
            raise AmountError("negative", raw)
        if text.startswith("+"):
            text = text[1:]
        value = _number(_drop_thousands_separators(text, raw), raw)
    if value > MAX_AMOUNT:
        raise AmountError("too_large", raw)
    in_fen = value.quantize(FEN)
    if value != in_fen:
        raise AmountError("too_precise", raw)
    if value < 0:
        raise AmountError("negative", raw)
    if value == 0 and not allow_zero:
        raise AmountError("zero", raw)
    return in_fen


#: More days overdue than this is a typo (a hundred years).
MAX_DAYS = 36_500
_DAYS = re.compile(r"^[0-9]+$")
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def parse_days(raw: str) -> int:
    """A whole number of days typed by a user (``90``, ``９０``); raises `ValueError` for anything else,
    including digits such as ``²`` that ``str.isdigit`` would accept."""
    text = (raw or "").translate(_FULL_WIDTH_DIGITS).strip()
    if not _DAYS.match(text) or int(text) > MAX_DAYS:
        raise ValueError(raw)
    return int(text)
