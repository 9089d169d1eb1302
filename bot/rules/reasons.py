"""Citations carried by every rule outcome (design.md, Conventions).

A `Reason` names the program, the article as printed and a code; its sentence is rendered from the
templates (``reasons.j2``) with ``params``, so the rules stay free of prose and of languages.
"""

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Reason:
    code: str
    policy: str
    article: str
    params: dict[str, Any] = field(default_factory=dict)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"cannot store {type(value).__name__} in a reason")


def _decode(obj: dict) -> Any:
    return Decimal(obj["$decimal"]) if set(obj) == {"$decimal"} else obj


def reasons_to_json(reasons: list[Reason]) -> str:
    """The reasons stored with an amount, amounts kept exact (so what is shown later is what was decided)."""
    return json.dumps([asdict(r) for r in reasons], ensure_ascii=False, default=_encode)


def reasons_from_json(text: str) -> list[Reason]:
    return [Reason(**item) for item in json.loads(text or "[]", object_hook=_decode)]
