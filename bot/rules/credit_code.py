"""Unified social credit code (统一社会信用代码) validation, GB 32100-2015.

Eighteen characters from ``0-9A-HJ-NPQRTUWXY`` (no I, O, Z, S, V). Position 18 is a check character
over positions 1-17 (GB 32100-2015 clause 5); positions 9-17 are the organisation code whose own check
digit (position 17) follows GB 11714. The 18th check is enforced; the organisation-code check only warns,
because some early pilot codes that are real fail it. A code failing the 18th check is refused with a
path to staff, who can bind such a company by hand (e.g. 91350100M0001TGQXM).
"""

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


@dataclass(frozen=True)
class CreditCodeCheck:
    """The outcome of checking one code.

    ``problem`` is ``None`` for an accepted code, else one of ``length``, ``charset``, ``check_digit``.
    ``warnings`` may hold ``org_check_digit`` for an accepted code.
    """

    code: str
    problem: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def valid(self) -> bool:
        return self.problem is None

    @property
    def staff_can_bind(self) -> bool:
        """Only a well-formed code whose check character fails may be bound by staff by hand."""
        return self.problem == "check_digit"


def normalise_credit_code(raw: str) -> str:
    """Upper-case, half-width, without spaces or dashes."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-_")


def check_character(first17: str) -> str:
    """GB 32100-2015: C18 = 31 - (sum(Ci * Wi) mod 31), with 31 written as 0."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, _WEIGHTS))
    return CHARSET[(31 - total % 31) % 31]


def org_code_check_digit(body8: str) -> str | None:
    """GB 11714: C9 = 11 - (sum(Ci * Wi) mod 11); 10 is X, 11 is 0. ``None`` if not computable."""
    values = []
    for ch in body8:
        if ch.isdigit():
            values.append(int(ch))
        elif "A" <= ch <= "Z":
            values.append(ord(ch) - ord("A") + 10)
        else:
            return None
    check = 11 - sum(v * w for v, w in zip(values, _ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(check, str(check))


@lru_cache(maxsize=65_536)
def check_credit_code(raw: str) -> CreditCodeCheck:
    """Validate a unified social credit code; see the module docstring for what is enforced. Remembered: a loan
    book names the same few thousand enterprises on row after row."""
    code = normalise_credit_code(raw)
    if len(code) != 18:
        return CreditCodeCheck(code, "length")
    if any(ch not in _VALUE for ch in code):
        return CreditCodeCheck(code, "charset")
    if check_character(code[:17]) != code[17]:
        return CreditCodeCheck(code, "check_digit")
    warnings = ()
    if org_code_check_digit(code[8:16]) != code[16]:
        warnings = ("org_check_digit",)
    return CreditCodeCheck(code, None, warnings)
