"""The working-day calendar: public to read, corrected by city-centre operators."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from ggzy.common import calendar
from ggzy.common.errors import InvalidInput
from ggzy.http.deps import ClockDep, DbDep, permit
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of

router = APIRouter(tags=["工作日历"])


class OverrideIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    is_workday: bool
    note: str = Field(min_length=2, max_length=200, description="依据，如国务院办公厅放假安排通知文号")


class DayOut(BaseModel):
    day: date
    is_workday: bool
    overridden: bool
    note: str = ""


class WorkdaysOut(BaseModel):
    start: date
    n: int
    result: date


@router.get("/calendar/days", response_model=list[DayOut], summary="日历（含调休与人工修正）")
def days(db: DbDep, start: date, end: date, _: Principal = permit(Action.CALENDAR_READ)) -> list[DayOut]:
    if end < start or (end - start).days > 400:
        raise InvalidInput("查询区间须在 400 天以内且结束不早于开始", code="bad_range")
    with db.session(write=False) as s:
        cal = calendar.WorkCalendar.load(s)
        notes = {o.day: o.note for o in s.query(calendar.CalendarOverride).all()}
    out, d = [], start
    while d <= end:
        out.append(DayOut(day=d, is_workday=cal.is_workday(d), overridden=d in cal.overrides, note=notes.get(d, "")))
        d += timedelta(days=1)
    return out


@router.get("/calendar/add-workdays", response_model=WorkdaysOut, summary="计算 n 个工作日后的日期")
def add_workdays(
    db: DbDep, start: date, n: Annotated[int, Query(ge=0, le=400)], _: Principal = permit(Action.CALENDAR_READ)
) -> WorkdaysOut:
    with db.session(write=False) as s:
        cal = calendar.WorkCalendar.load(s)
    return WorkdaysOut(start=start, n=n, result=cal.add_workdays(start, n))


@router.put("/calendar/overrides/{day}", response_model=DayOut, summary="人工修正某日是否工作日")
def put_override(
    day: date, data: OverrideIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CALENDAR_MANAGE)
) -> DayOut:
    with db.transaction() as s:
        row = calendar.override_set(
            session=s, now=clock.now(), actor=actor_of(p), day=day, is_workday=data.is_workday, note=data.note
        )
        return DayOut(day=row.day, is_workday=row.is_workday, overridden=True, note=row.note)


@router.delete("/calendar/overrides/{day}", status_code=204, summary="取消人工修正")
def delete_override(day: date, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CALENDAR_MANAGE)) -> None:
    with db.transaction() as s:
        calendar.override_remove(session=s, now=clock.now(), actor=actor_of(p), day=day)
