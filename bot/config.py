"""Configuration from the environment or a ``.env`` file (design.md, Configuration).

`Settings` is a pydantic model that reads its fields' variables itself (python-dotenv for the ``.env`` file), as
pydantic-settings would: values passed in win, then the environment, then ``.env``, then the defaults; names are
matched whatever their case. pydantic-settings itself is not used: importing it also imports asyncio and its
command-line and cloud sources, some 60-80 ms of the 0.3 s a calculator took to start (issue 14).
"""

import os
from datetime import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.policies import DEFAULT_POLICY_DIR

#: The ``.env`` file read, relative to the working directory.
ENV_FILE = Path(".env")


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def _variables() -> dict[str, str]:
    """The environment over the ``.env`` file, names upper-cased."""
    from_file: dict[str, str | None] = {}
    if ENV_FILE.is_file():
        from dotenv import dotenv_values

        from_file = dotenv_values(ENV_FILE, encoding="utf-8")
    merged = {name.upper(): value for name, value in from_file.items() if value is not None}
    merged.update((name.upper(), value) for name, value in os.environ.items())
    return merged


class Settings(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    data_dir: Path = Field(default=Path("data"), alias="IPBOT_DATA_DIR")
    programs: list[str] = Field(default=["cq-jiangbei-2024"], alias="IPBOT_PROGRAMS")
    staff_ids: list[int] = Field(default=[], alias="IPBOT_STAFF_IDS")
    locale: Literal["zh", "en"] = Field(default="zh", alias="IPBOT_LOCALE")
    broadcast_rate: float = Field(default=25.0, gt=0, le=30, alias="IPBOT_BROADCAST_RATE")
    monitor_at: time = Field(default=time(9, 0), alias="IPBOT_MONITOR_AT")
    policy_dir: Path = Field(default=DEFAULT_POLICY_DIR, alias="IPBOT_POLICY_DIR")
    invite_hours: int = Field(default=72, gt=0, alias="IPBOT_INVITE_HOURS")
    qa_cache: Path | None = Field(default=None, alias="IPBOT_QA_CACHE_DIR")

    _split_programs = field_validator("programs", "staff_ids", mode="before")(_split)

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, given: Any) -> Any:
        """Each field not passed in (by name or variable name) is read from its variable, if set."""
        if not isinstance(given, dict):
            return given
        variables = _variables()
        read = {field.alias: variables[field.alias] for name, field in cls.model_fields.items()
                if field.alias in variables and name not in given and field.alias not in given}
        return {**read, **given}

    @property
    def db_path(self) -> Path:
        return self.data_dir / "ipbot.sqlite3"

    @property
    def packs_cache(self) -> Path:
        """Where the policy packs are kept validated between runs (`bot.policies.load_packs`)."""
        return self.data_dir / "policy-packs.pickle"

    @property
    def qa_cache_dir(self) -> Path:
        """Where the Q&A keeps its dictionary and index between starts (rebuilt when the packs change):
        ``IPBOT_QA_CACHE_DIR``, by default ``qa/`` in the data directory."""
        return self.qa_cache or self.data_dir / "qa"
