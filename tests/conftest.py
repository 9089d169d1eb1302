import os
import tempfile
from pathlib import Path

import pytest

from bot.policies import load_pack, load_packs
from bot.store import Store

FIXTURES = Path(__file__).parent / "fixtures"

#: Every test's data directory shares one Q&A cache (built once per run, not once per test); the tests of the
#: cache itself pass their own directory. Subprocesses (the CLI, the sandbox) inherit it.
os.environ.setdefault("IPBOT_QA_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ipbot-tests-qa"))


@pytest.fixture(scope="session")
def packs():
    return load_packs()


@pytest.fixture(scope="session")
def jiangbei(packs):
    return packs["cq-jiangbei-2024"]


@pytest.fixture(scope="session")
def fixture_program():
    """Other districts' programs, shaped differently (public figures; test fixtures only)."""
    return lambda name: load_pack(FIXTURES / "programs" / f"{name}.yaml")


@pytest.fixture
async def store(tmp_path):
    store = await Store.open(tmp_path / "test.sqlite3")
    await store.programs.ensure(["cq-jiangbei-2024"])
    yield store
    await store.close()


_FIGURES: list[str] = []


@pytest.fixture(scope="session")
def figures():
    """Robustness figures a test measured (fuzzed updates, kills, injected faults), printed at the end of
    the run so CI's log shows them."""
    return _FIGURES.append


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("robustness figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
