"""Every user-facing sentence, rendered from jinja2 templates in ``bot/texts/<locale>/``.

Code never builds prose: it calls `Texts.render` for a whole message or `Texts.line` for one macro of a
template file (a reason, an error), passing values; the templates hold the words in zh and en.
"""

import html
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from jinja2 import Environment, FileSystemBytecodeCache, PackageLoader, StrictUndefined

from bot.rules.reasons import Reason
from bot.telegram_limits import MAX_TEXT

LOCALES = ("zh", "en")
DEFAULT_LOCALE = "zh"


def _grouped(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,}"


def money_zh(amount: Decimal) -> str:
    """400000 -> "400,000.00元（40万元）", 150000000 -> "150,000,000.00元（1.5亿元）": yuan with two decimals,
    and 万 or 亿 where natural."""
    amount = Decimal(amount)
    text = f"{_grouped(amount)}元"
    if abs(amount) >= 100_000_000 and amount % 10_000 == 0:
        text += f"（{(amount / 100_000_000).normalize():f}亿元）"
    elif abs(amount) >= 10_000 and amount % 100 == 0:
        text += f"（{(amount / 10_000).normalize():f}万元）"
    return text


def money_en(amount: Decimal) -> str:
    return f"CNY {_grouped(amount)}"


def program_name_zh(meta: Any) -> str:
    return meta.short_title


def program_name_en(meta: Any) -> str:
    return meta.short_title_en or meta.short_title


def minute(stamp: str | None) -> str | None:
    """A stored ISO time as the minute it names, as people read it: 2026-12-01T20:34:05 -> 2026-12-01 20:34."""
    return stamp and stamp[:16].replace("T", " ")


def percent(ratio: Decimal) -> str:
    """0.3 -> "30%", 0.0512 -> "5.12%"."""
    value = (Decimal(ratio) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).normalize()
    return f"{value:f}%"


def pages(text: str, limit: int = MAX_TEXT) -> list[str]:
    """A text cut into messages of at most ``limit`` characters, at line ends where it can be (a line
    longer than a message is cut where it must be), so a long list never fails as "message is too long"."""
    out: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > limit:
            if current:
                out.append(current)
                current = ""
            out.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            out.append(current)
            current = ""
        current += line
    if current or not out:
        out.append(current)
    return [page.strip("\n") for page in out if page.strip()] or [text[:limit]]


#: Figures a direct answer shows in bold: 60天, 30%, 150万元, 3个百分点, 2027年, 10 million yuan, 30 days.
_FIGURE = re.compile(r"\d+(?:\.\d+)?\s*(?:%|个百分点|万元|万|亿元|亿|元|天|年|million(?: yuan)?|days?|percent)?")


def figures_bold(text: str) -> str:
    """Text for Telegram's HTML parse mode: escaped, with its figures in bold."""
    return _FIGURE.sub(lambda m: f"<b>{m.group(0)}</b>", html.escape(text, quote=False))


class Texts:
    def __init__(self, compiled_dir: str | None = None) -> None:
        """``compiled_dir``: where compiled templates are kept (jinja2's own cache, checked against each
        template's source; the temporary directory by default), so a one-shot command such as
        ``ipbot compensate`` does not compile its templates on every run."""
        self._envs = {}
        compiled = FileSystemBytecodeCache(compiled_dir)
        for locale in LOCALES:
            env = Environment(
                loader=PackageLoader("bot.texts", locale),
                bytecode_cache=compiled,
                undefined=StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=False,
                autoescape=False,
            )
            env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
            env.filters["money"] = money_zh if locale == "zh" else money_en
            env.filters["pct"] = percent
            env.filters["minute"] = minute
            env.filters["program_name"] = program_name_zh if locale == "zh" else program_name_en
            env.filters["fen"] = lambda fen, _money=env.filters["money"]: _money(Decimal(fen) / 100)
            env.filters["sentence"] = lambda text: text[:1].upper() + text[1:]
            env.filters["figures_bold"] = figures_bold
            env.filters["html"] = lambda text: html.escape(str(text), quote=False)
            self._envs[locale] = env

    def _env(self, locale: str) -> Environment:
        return self._envs.get(locale, self._envs[DEFAULT_LOCALE])

    def render(self, locale: str, name: str, /, **context: Any) -> str:
        """A whole message from ``<locale>/<name>.j2``."""
        return self._env(locale).get_template(f"{name}.j2").render(**context).strip()

    def line(self, locale: str, name: str, macro: str, /, **params: Any) -> str:
        """One macro of ``<locale>/<name>.j2``, e.g. the sentence for an error code."""
        module = self._env(locale).get_template(f"{name}.j2").make_module()
        return str(getattr(module, macro)(**params)).strip()

    def reason(self, locale: str, reason: Reason) -> str:
        """The short sentence for a rule outcome."""
        return self.line(locale, "reasons", reason.code, **reason.params)

    def program_name(self, locale: str, meta: Any) -> str:
        """A program's short title in the reader's language (for button labels built in code)."""
        return program_name_en(meta) if locale == "en" else program_name_zh(meta)

    def reasons(self, locale: str, reasons: list[Reason]) -> list[dict[str, str]]:
        """Rule outcomes as the design's citation objects: code, policy, article and the sentence."""
        return [{"code": r.code, "policy": r.policy, "article": r.article, "text": self.reason(locale, r)}
                for r in reasons]


TEXTS = Texts()
