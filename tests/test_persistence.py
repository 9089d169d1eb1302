"""PTB's persistence in the store writes what changed: the button-data cache a row per keyboard, written when
new or used, deleted when PTB drops it; and it comes back whole after a restart."""

from bot.store.conversation_state import ConversationState
from bot.telegram_adapter.persistence import KEYBOARDS, StorePersistence


def _keyboards(count: int, used: dict[int, float] | None = None) -> list:
    used = used or {}
    return [(f"kb{i}", used.get(i, float(i)), {f"b{i}": ("ArticleLink", i)}) for i in range(count)]


async def test_the_button_cache_writes_only_the_keyboards_that_changed(tmp_path, monkeypatch):
    written: list[dict] = []
    apply = ConversationState.apply

    async def recording(self, changes):
        written.append(changes)
        await apply(self, changes)

    monkeypatch.setattr(ConversationState, "apply", recording)
    persistence = StorePersistence(tmp_path / "s.sqlite3", update_interval=1)
    await persistence.update_callback_data((_keyboards(1000), {}))
    await persistence.flush()
    assert sum(kind == KEYBOARDS for kind, _ in written[-1]) == 1000

    second = StorePersistence(tmp_path / "s.sqlite3", update_interval=1)
    keyboards, queries = await second.get_callback_data()
    assert [k[0] for k in keyboards] == [f"kb{i}" for i in range(1000)] and queries == {}
    changed = _keyboards(1000, used={7: 5000.0})[1:]  # keyboard 7 pressed, keyboard 0 dropped by PTB
    await second.update_callback_data((changed, {"q1": "kb7"}))
    await second.flush()
    assert {key for (kind, key) in written[-1] if kind == KEYBOARDS} == {"kb7", "kb0"}
    assert written[-1][KEYBOARDS, "kb0"] is None

    third = StorePersistence(tmp_path / "s.sqlite3", update_interval=1)
    keyboards, queries = await third.get_callback_data()
    assert len(keyboards) == 999 and keyboards[-1][0] == "kb7" and queries == {"q1": "kb7"}
    await third.flush()
