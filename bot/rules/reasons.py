"""Citations carried by every rule outcome (design.md, Conventions).

A `Reason` names the program, the article as printed and a code; its sentence is rendered from the
templates (``reasons.j2``) with ``params``, so the rules stay free of prose and of languages.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Reason:
    code: str
    policy: str
    article: str
    params: dict[str, Any] = field(default_factory=dict)
