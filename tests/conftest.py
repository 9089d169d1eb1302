from pathlib import Path

import pytest

from bot.policies import load_pack, load_packs
from bot.store import Store

FIXTURES = Path(__file__).parent / "fixtures"


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
