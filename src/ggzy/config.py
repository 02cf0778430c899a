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
    # Upward exchange (公共资源交易平台系统数据规范): where records go, the platform's number in the
    # unified deal code and its code upstream, and how often a record is retried. The token is a
    # secret (environment only). The sandbox receiver mounts a stand-in provincial platform at
    # /sandbox/upstream for demos; never in production.
    exchange_upstream_url: str = ""
    exchange_token: str = ""
    exchange_platform_no: int = Field(default=1, ge=0, le=99)
    exchange_platform_code: str = "GGZY-JL-01"
    exchange_max_attempts: int = Field(default=10, ge=1, le=100)
    exchange_sandbox_receiver: bool = False
    # How often the in-process chronograph applies due events; 0 turns it off (tests drive it).
    chronograph_seconds: float = 5.0


@lru_cache
def get_settings() -> Settings:
    return Settings()
