"""Working days in China: statutory holidays, 调休 make-up days, operator overrides, local midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from ggzy.common.audit import Actor, AuditEvent, verify_chain
from ggzy.common.calendar import CalendarOverride, WorkCalendar, override_remove, override_set
from ggzy.common.clock import SHANGHAI
from ggzy.db import Database

CAL = WorkCalendar()
MAKE_UP_2026 = [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9), date(2026, 9, 20)]
MAKE_UP_2026.append(date(2026, 10, 10))
SPRING_FESTIVAL_2026 = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # Feb 15-23
NATIONAL_DAY_2026 = [date(2026, 10, 1) + timedelta(days=i) for i in range(7)]  # Oct 1-7


def test_package_facts_this_suite_relies_on() -> None:
    cn = holidays.country_holidays("CN", years=2026)
    assert set(MAKE_UP_2026) <= set(cn.weekend_workdays)
    assert all(d in cn or d.weekday() >= 5 for d in SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026)


@pytest.mark.parametrize("day", MAKE_UP_2026)
def test_make_up_weekend_days_are_workdays(day: date) -> None:
    assert day.weekday() >= 5
    assert CAL.is_workday(day)


@pytest.mark.parametrize("day", SPRING_FESTIVAL_2026 + NATIONAL_DAY_2026 + [date(2026, 1, 1), date(2026, 9, 25)])
def test_holiday_days_are_not_workdays(day: date) -> None:
    assert not CAL.is_workday(day)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 30), True),  # ordinary Monday
        (date(2026, 11, 28), False),  # ordinary Saturday
        (date(2026, 11, 29), False),  # ordinary Sunday
        (date(2026, 2, 13), True),  # Friday before the Spring Festival
        (date(2026, 2, 24), True),  # first working day after it
        (date(2026, 10, 8), True),
        (date(2026, 10, 4), False),  # Sunday inside the National Day week
    ],
)
def test_ordinary_days(day: date, expected: bool) -> None:
    assert CAL.is_workday(day) is expected


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 13), 0, date(2026, 2, 13)),
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday make-up day
        (date(2026, 2, 13), 2, date(2026, 2, 24)),  # skips Feb 15-23
        (date(2026, 2, 13), 5, date(2026, 2, 27)),
        (date(2026, 2, 13), 6, date(2026, 2, 28)),  # Saturday make-up day again
        (date(2026, 2, 13), 7, date(2026, 3, 2)),
        (date(2026, 9, 30), 1, date(2026, 10, 8)),  # skips Oct 1-7
        (date(2026, 9, 30), 3, date(2026, 10, 10)),  # Saturday make-up day
        (date(2026, 9, 30), 4, date(2026, 10, 12)),
        (date(2026, 9, 18), 1, date(2026, 9, 20)),  # Sunday make-up day
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday -> Monday
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # across the year end and 2027 New Year's Day
    ],
)
def test_add_workdays(start: date, n: int, expected: date) -> None:
    assert CAL.add_workdays(start, n) == expected


def test_add_workdays_refuses_negative() -> None:
    with pytest.raises(ValueError):
        CAL.add_workdays(date(2026, 11, 30), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 2, 13), date(2026, 2, 24), 2),  # Feb 14 and Feb 24
        (date(2026, 2, 14), date(2026, 2, 23), 0),
        (date(2026, 9, 30), date(2026, 10, 12), 4),  # Oct 8, 9, 10, 12
        (date(2026, 11, 30), date(2026, 11, 30), 0),
        (date(2026, 11, 27), date(2026, 12, 4), 5),
    ],
)
def test_workdays_between(start: date, end: date, expected: int) -> None:
    assert CAL.workdays_between(start, end) == expected


@given(start=st.dates(date(2026, 1, 1), date(2027, 11, 30)), n=st.integers(0, 40))
def test_workdays_between_inverts_add_workdays(start: date, n: int) -> None:
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    assert n == 0 or CAL.is_workday(end)


def test_next_workday() -> None:
    assert CAL.next_workday(date(2026, 2, 15)) == date(2026, 2, 24)
    assert CAL.next_workday(date(2026, 2, 14)) == date(2026, 2, 14)


def test_override_wins_over_the_package() -> None:
    monday, make_up, festival = date(2026, 11, 30), date(2026, 2, 14), date(2026, 2, 17)
    cal = WorkCalendar({monday: False, make_up: False, festival: True})
    assert not cal.is_workday(monday)
    assert not cal.is_workday(make_up)
    assert cal.is_workday(festival)
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 17)
    assert cal.add_workdays(date(2026, 11, 27), 1) == date(2026, 12, 1)
    # the default calendar is untouched by another instance's overrides
    assert CAL.is_workday(monday) and not CAL.is_workday(festival)


def test_2027_uses_package_holidays() -> None:
    assert not CAL.is_workday(date(2027, 1, 1))
    assert not CAL.is_workday(date(2027, 2, 8))  # Monday, Spring Festival 2027
    assert not CAL.is_workday(date(2027, 10, 4))  # Monday, National Day 2027
    assert CAL.add_workdays(date(2027, 2, 4), 1) == date(2027, 2, 11)


# --- end_of_workdays: midnight is Asia/Shanghai midnight ------------------------------------------


def _shanghai_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def test_end_of_workdays_counts_from_the_local_day_late_monday() -> None:
    start = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)  # 23:30 Monday in Shanghai
    end = CAL.end_of_workdays(start, 1)
    assert end == _shanghai_midnight(date(2026, 12, 2))  # close of Tuesday Dec 1
    assert end == datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert end.tzinfo is not None


def test_end_of_workdays_counts_from_the_local_day_after_local_midnight() -> None:
    start = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # still Monday in UTC, 00:30 Tuesday in Shanghai
    end = CAL.end_of_workdays(start, 1)
    assert end == _shanghai_midnight(date(2026, 12, 3))  # close of Wednesday Dec 2
    assert end == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "n", "last_day"),
    [
        (datetime(2026, 2, 13, 2, 0, tzinfo=UTC), 2, date(2026, 2, 24)),
        (datetime(2026, 9, 30, 10, 0, tzinfo=UTC), 3, date(2026, 10, 10)),
        (datetime(2026, 12, 30, 20, 0, tzinfo=UTC), 1, date(2027, 1, 4)),  # 04:00 Dec 31 Shanghai
    ],
)
def test_end_of_workdays_is_local_midnight_after_nth_workday(start: datetime, n: int, last_day: date) -> None:
    assert CAL.end_of_workdays(start, n) == _shanghai_midnight(last_day + timedelta(days=1))


def test_end_of_workdays_accepts_local_input_and_refuses_naive() -> None:
    local = datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI)
    assert CAL.end_of_workdays(local, 1) == _shanghai_midnight(date(2026, 12, 3))
    with pytest.raises(ValueError):
        CAL.end_of_workdays(datetime(2026, 11, 30, 9, 0), 1)


# --- overrides stored in the database -------------------------------------------------------------

OPERATOR = Actor(user_id=None, name="交易中心 李静", role="operator")
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


def test_load_reads_overrides_and_audits_them(empty_db: Database) -> None:
    monday, saturday = date(2026, 12, 7), date(2026, 12, 12)
    with empty_db.transaction() as s:
        override_set(session=s, now=NOW, actor=OPERATOR, day=monday, is_workday=False, note="国务院通知：调休")
        override_set(session=s, now=NOW, actor=OPERATOR, day=saturday, is_workday=True, note="补班")
    with empty_db.session(write=False) as s:
        cal = WorkCalendar.load(s)
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert verify_chain(s).ok
    assert not cal.is_workday(monday)
    assert cal.is_workday(saturday)
    assert cal.add_workdays(date(2026, 12, 4), 1) == date(2026, 12, 8)
    assert [(e.action, e.object_type, e.object_id, e.actor_name) for e in events] == [
        ("calendar.override", "calendar_day", "2026-12-07", "交易中心 李静"),
        ("calendar.override", "calendar_day", "2026-12-12", "交易中心 李静"),
    ]
    assert events[0].before_digest is None and events[0].after_digest is not None


def test_override_change_and_removal_are_audited(empty_db: Database) -> None:
    day = date(2026, 12, 7)
    with empty_db.transaction() as s:
        override_set(session=s, now=NOW, actor=OPERATOR, day=day, is_workday=False, note="一")
    with empty_db.transaction() as s:
        override_set(session=s, now=NOW, actor=OPERATOR, day=day, is_workday=True, note="更正")
    with empty_db.session(write=False) as s:
        row = s.get(CalendarOverride, day)
        assert row is not None and row.is_workday and row.note == "更正"
        assert WorkCalendar.load(s).is_workday(day)
    with empty_db.transaction() as s:
        override_remove(session=s, now=NOW, actor=OPERATOR, day=day)
    with empty_db.session(write=False) as s:
        assert s.get(CalendarOverride, day) is None
        assert WorkCalendar.load(s).overrides == {}
        events = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert verify_chain(s).ok
    assert [e.action for e in events] == ["calendar.override", "calendar.override", "calendar.override_remove"]
    assert events[1].before_digest is not None  # the change records what it replaced
