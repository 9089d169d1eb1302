"""Configuration from the environment or a ``.env`` file (design.md, Configuration)."""

from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.policies import DEFAULT_POLICY_DIR


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore",
                                      populate_by_name=True)

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    data_dir: Path = Field(default=Path("data"), alias="IPBOT_DATA_DIR")
    programs: Annotated[list[str], NoDecode] = Field(default=["cq-jiangbei-2024"], alias="IPBOT_PROGRAMS")
    staff_ids: Annotated[list[int], NoDecode] = Field(default=[], alias="IPBOT_STAFF_IDS")
    locale: Literal["zh", "en"] = Field(default="zh", alias="IPBOT_LOCALE")
    broadcast_rate: float = Field(default=25.0, gt=0, le=30, alias="IPBOT_BROADCAST_RATE")
    monitor_at: time = Field(default=time(9, 0), alias="IPBOT_MONITOR_AT")
    policy_dir: Path = Field(default=DEFAULT_POLICY_DIR, alias="IPBOT_POLICY_DIR")
    invite_hours: int = Field(default=72, gt=0, alias="IPBOT_INVITE_HOURS")
    qa_cache: Path | None = Field(default=None, alias="IPBOT_QA_CACHE_DIR")

    _split_programs = field_validator("programs", "staff_ids", mode="before")(_split)

    @property
    def db_path(self) -> Path:
        return self.data_dir / "ipbot.sqlite3"

    @property
    def qa_cache_dir(self) -> Path:
        """Where the Q&A keeps its dictionary and index between starts (rebuilt when the packs change):
        ``IPBOT_QA_CACHE_DIR``, by default ``qa/`` in the data directory."""
        return self.qa_cache or self.data_dir / "qa"
