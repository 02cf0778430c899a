"""Settings from the environment (prefix GGZY_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GGZY_", extra="ignore")

    env: Literal["production", "development", "sandbox", "test"] = "development"
    database_url: str = "sqlite:///./var/ggzy.db"
    port: int = 8000
    host: str = "127.0.0.1"
    data_dir: Path = Path("./var")
    # Session cookies are Secure unless explicitly turned off for plain-HTTP local use.
    cookie_secure: bool = True
    session_hours: int = 8
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    max_body_bytes: int = Field(default=1_000_000, description="largest JSON/form body accepted")
    bid_max_bytes: int = Field(default=200 * 1024 * 1024, description="largest sealed bid envelope accepted")
    # The expert library's limits (local practice, configurable; ggzy.experts.rules).
    expert_max_age: int = 70
    expert_min_years: int = 8
    expert_max_services: int = 3
    centre_name: str = "吉林市公共资源交易中心"
    # Open data (OCDS): the ocid prefix registered with the Open Contracting Partnership, and the
    # portal's public address used in the published links.
    ocid_prefix: str = "ocds-ggzy00"
    public_base_url: str = "http://127.0.0.1:8000"
    # How often the in-process chronograph applies due events; 0 turns it off (tests drive it).
    chronograph_seconds: float = 5.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
