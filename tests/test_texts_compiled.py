import pytest

from bot.texts import Texts


def test_a_template_compiled_once_is_read_back_by_the_next_start(tmp_path, monkeypatch):
    first = Texts(str(tmp_path)).render("zh", "policy_list", packs=[])
    again = Texts(str(tmp_path))
    for locale in ("zh", "en"):
        monkeypatch.setattr(again._env(locale), "compile", lambda *a, **k: pytest.fail("compiled again"))
    assert again.render("zh", "policy_list", packs=[]) == first
