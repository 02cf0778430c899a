"""One injectable clock for the whole platform.

Every service takes ``now`` from its caller; the caller gets it from a ``Clock``. Tests use
``FixedClock`` and move it, so deadlines are exercised without sleeping. Timestamps are always
timezone-aware and stored in UTC; ``SHANGHAI`` is only for display and for calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that only moves when told to (tests, sandbox replays)."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 30, 1, 0, tzinfo=UTC))

    def __post_init__(self) -> None:
        self.current = ensure_aware(self.current)

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current = self.current + delta
        return self.current

    def set(self, when: datetime) -> None:
        self.current = ensure_aware(when)


def ensure_aware(value: datetime) -> datetime:
    """Refuse naive datetimes: a naive value is a bug, not a local time to guess at."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime: timestamps must carry a timezone")
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    return ensure_aware(value).astimezone(SHANGHAI)


def local_date(value: datetime) -> date:
    """The calendar day in Asia/Shanghai: what a deadline in days counts from."""
    return to_local(value).date()


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    return to_local(value).strftime(fmt)
