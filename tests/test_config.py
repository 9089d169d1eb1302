"""Configuration is read as design.md says: passed-in values, then the environment, then ``.env``, then defaults."""

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    """No IPBOT_ variable set and an empty working directory (no ``.env``)."""
    for name in ("TELEGRAM_BOT_TOKEN", "IPBOT_DATA_DIR", "IPBOT_PROGRAMS", "IPBOT_STAFF_IDS", "IPBOT_LOCALE",
                 "IPBOT_BROADCAST_RATE", "IPBOT_MONITOR_AT", "IPBOT_POLICY_DIR", "IPBOT_INVITE_HOURS",
                 "IPBOT_QA_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_defaults_without_environment(clean_environment):
    settings = Settings()
    assert settings.telegram_bot_token is None
    assert settings.data_dir == Path("data")
    assert settings.programs == ["cq-jiangbei-2024"]
    assert settings.staff_ids == []
    assert settings.monitor_at == time(9, 0)
    assert settings.qa_cache_dir == Path("data") / "qa"


def test_environment_is_read_and_lists_are_comma_separated(clean_environment, monkeypatch):
    monkeypatch.setenv("IPBOT_STAFF_IDS", "11, 22,")
    monkeypatch.setenv("IPBOT_PROGRAMS", "cq-jiangbei-2024,other")
    monkeypatch.setenv("IPBOT_MONITOR_AT", "08:30")
    monkeypatch.setenv("IPBOT_LOCALE", "en")
    settings = Settings()
    assert settings.staff_ids == [11, 22]
    assert settings.programs == ["cq-jiangbei-2024", "other"]
    assert settings.monitor_at == time(8, 30)
    assert settings.locale == "en"


def test_variable_names_are_matched_whatever_their_case(clean_environment, monkeypatch):
    monkeypatch.setenv("ipbot_locale", "en")
    assert Settings().locale == "en"


def test_env_file_is_read_and_the_environment_wins_over_it(clean_environment, monkeypatch):
    (clean_environment / ".env").write_text("IPBOT_LOCALE=en\nIPBOT_INVITE_HOURS=5\nTELEGRAM_BOT_TOKEN=from-file\n",
                                            encoding="utf-8")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "from-environment")
    settings = Settings()
    assert settings.locale == "en"
    assert settings.invite_hours == 5
    assert settings.telegram_bot_token == "from-environment"


def test_values_passed_in_win_by_field_name_or_variable_name(clean_environment, monkeypatch):
    monkeypatch.setenv("IPBOT_DATA_DIR", "/from/environment")
    assert Settings(IPBOT_DATA_DIR="/passed").data_dir == Path("/passed")
    assert Settings(data_dir="/passed").data_dir == Path("/passed")
    assert Settings().data_dir == Path("/from/environment")


@pytest.mark.parametrize(("name", "value"), [("IPBOT_LOCALE", "fr"), ("IPBOT_BROADCAST_RATE", "31"),
                                             ("IPBOT_BROADCAST_RATE", "0"), ("IPBOT_STAFF_IDS", "12,abc")])
def test_a_bad_value_in_the_environment_is_refused(clean_environment, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        Settings()
