"""The exchange as the running platform configures it (settings to options and a sender)."""

from __future__ import annotations

from typing import Any

from ggzy.config import Settings
from ggzy.exchange import services
from ggzy.exchange.sender import HttpSender


def options(settings: Settings) -> services.Options:
    return services.Options(
        platform_no=settings.exchange_platform_no,
        base_url=settings.public_base_url,
        centre=settings.centre_name,
        max_attempts=settings.exchange_max_attempts,
    )


def sender(settings: Settings) -> HttpSender | None:
    """None when no upstream is configured: records are collected and checked, and wait."""
    if not settings.exchange_upstream_url:
        return None
    return HttpSender(
        settings.exchange_upstream_url, token=settings.exchange_token, platform_code=settings.exchange_platform_code
    )


def tick(db: Any, clock: Any, settings: Settings) -> tuple[int, int]:
    s = sender(settings)
    try:
        return services.run(db, now=clock.now(), opts=options(settings), sender=s)
    finally:
        if s is not None:
            s.close()
