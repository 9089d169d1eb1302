"""The design's layers, checked on the source: who may import whom, handlers that only call services,
templates that hold sentences only (no article of any program), and zh/en templates that match."""

import ast
import re
from pathlib import Path

import pytest
from jinja2 import Environment, nodes

from bot.telegram_adapter.menu import ROLE_COMMANDS
from bot.texts import LOCALES, TEXTS

ROOT = Path(__file__).parent.parent
TEXTS_DIR = ROOT / "bot" / "texts"


def imports_of(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


#: What each layer may not import (design.md: dependencies point down only).
FORBIDDEN = {
    "bot/rules": ("bot.store", "bot.services", "bot.telegram_adapter", "bot.app", "handlers", "telegram", "aiosqlite",
                  "asyncio", "jinja2", "bot.texts"),
    "bot/store": ("bot.services", "bot.telegram_adapter", "bot.app", "handlers", "telegram"),
    "bot/services": ("bot.telegram_adapter", "bot.app", "handlers", "telegram"),
    "bot/telegram_adapter": ("handlers", "bot.app"),
    "handlers": ("bot.store", "bot.app"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_upwards(layer):
    wrong = [(path.relative_to(ROOT).as_posix(), name) for path in modules(layer) for name in imports_of(path)
             if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])]
    assert wrong == []


@pytest.mark.parametrize("folder", ["bot", "bench", "handlers"])
def test_the_product_and_the_benches_never_import_the_tests(folder):
    assert [p.name for p in modules(folder) if any(n == "tests" or n.startswith("tests.") for n in imports_of(p))] == []


def test_handlers_never_reach_the_store():
    assert [p.name for p in modules("handlers") if re.search(r"context\.store|\.store\.", p.read_text())] == []


def test_handlers_holds_features_only():
    features = {p.stem for p in (ROOT / "handlers").glob("*.py")} - {"__init__"}
    assert features == {"ask", "bank", "bind", "broadcast", "claims", "errors", "estimate", "profile", "selfcheck",
                        "staff", "start"}


ARTICLE = re.compile(r"第[一二三四五六七八九十百零]+条|（[一二三四五六七八九十]+）")


@pytest.mark.parametrize("template", sorted(TEXTS_DIR.rglob("*.j2")), ids=lambda p: p.relative_to(TEXTS_DIR).as_posix())
def test_no_template_holds_an_article_reference(template):
    assert ARTICLE.findall(template.read_text(encoding="utf-8")) == []


def macros(path: Path) -> dict[str, tuple[str, ...]]:
    tree = Environment().parse(path.read_text(encoding="utf-8"))
    return {m.name: tuple(arg.name for arg in m.args) for m in tree.find_all(nodes.Macro)}


@pytest.mark.parametrize("name", sorted(p.name for p in (TEXTS_DIR / "zh").glob("*.j2")))
def test_every_macro_exists_in_both_languages_with_the_same_arguments(name):
    zh, en = macros(TEXTS_DIR / "zh" / name), macros(TEXTS_DIR / "en" / name)
    assert zh == en


def test_both_languages_have_the_same_templates():
    assert {p.name for p in (TEXTS_DIR / "zh").glob("*.j2")} == {p.name for p in (TEXTS_DIR / "en").glob("*.j2")}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", sorted(ROLE_COMMANDS))
def test_every_command_of_every_role_has_a_menu_entry(locale, role):
    for command in ROLE_COMMANDS[role]:
        assert 1 <= len(TEXTS.line(locale, "commands", command)) <= 256  # the Bot API limits of a description
