"""Working days in China.

The ``holidays`` package's China calendar knows the statutory holidays, the substituted days off
and the weekend days made working days (调休, ``weekend_workdays``). The State Council publishes
each year's arrangement late in the year before, so operators can override single days
(``CalendarOverride``); an override always wins. Legal basis for counting in working days:
政府采购法 Arts. 52-55 and 实施条例, which count objection and complaint windows in 工作日.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.common import audit
from ggzy.common.audit import Actor
from ggzy.common.clock import SHANGHAI, ensure_aware, local_date
from ggzy.common.orm import Base


class CalendarOverride(Base):
    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(100), default="")


@lru_cache(maxsize=64)
def _china_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    cn = holidays.country_holidays("CN", years=year)
    days_off = frozenset(cn.keys())
    workdays = frozenset(getattr(cn, "weekend_workdays", set()))
    return days_off, workdays


class WorkCalendar:
    """Pure calendar logic; overrides are passed in, so it needs no database."""

    def __init__(self, overrides: Mapping[date, bool] | None = None) -> None:
        self.overrides = dict(overrides or {})

    @classmethod
    def load(cls, session: Session) -> WorkCalendar:
        rows = session.execute(select(CalendarOverride.day, CalendarOverride.is_workday)).all()
        return cls({d: w for d, w in rows})

    def is_workday(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        days_off, made_workdays = _china_year(day.year)
        if day in made_workdays:
            return True
        if day in days_off:
            return False
        return day.weekday() < 5

    def add_workdays(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (start itself not counted)."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = start
        while n:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count

    def next_workday(self, day: date) -> date:
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def end_of_workdays(self, start: datetime, n: int) -> datetime:
        """A period of n working days beginning the day after ``start`` ends at the close of the
        n-th working day, midnight Asia/Shanghai (not UTC)."""
        last = self.add_workdays(local_date(ensure_aware(start)), n)
        return datetime.combine(last + timedelta(days=1), time(0), tzinfo=SHANGHAI).astimezone(
            ensure_aware(start).tzinfo
        )


def override_set(
    *, session: Session, now: datetime, actor: Actor, day: date, is_workday: bool, note: str
) -> CalendarOverride:
    """An operator's correction of one day (the State Council's notice came late or differs)."""
    row = session.get(CalendarOverride, day, with_for_update=True)
    before = None if row is None else {"is_workday": row.is_workday, "note": row.note}
    if row is None:
        row = CalendarOverride(day=day)
        session.add(row)
    row.is_workday, row.note, row.created_by = is_workday, note, actor.name
    audit.record(
        session,
        now=now,
        actor=actor,
        action="calendar.override",
        object_type="calendar_day",
        object_id=day.isoformat(),
        before=before,
        after={"is_workday": is_workday, "note": note},
    )
    return row


def override_remove(*, session: Session, now: datetime, actor: Actor, day: date) -> None:
    row = session.get(CalendarOverride, day, with_for_update=True)
    if row is None:
        return
    audit.record(
        session,
        now=now,
        actor=actor,
        action="calendar.override_remove",
        object_type="calendar_day",
        object_id=day.isoformat(),
        before={"is_workday": row.is_workday, "note": row.note},
    )
    session.delete(row)
