from __future__ import annotations

import calendar as pycal
from datetime import date

from fastapi import APIRouter, Request, Response
from sqlalchemy import select

from ggzy.common import calendar
from ggzy.common.clock import local_date
from ggzy.common.errors import DomainError, InvalidInput
from ggzy.http.deps import ClockDep, DbDep, permit
from ggzy.http.forms import form_data
from ggzy.http.pages import redirect, render
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of

router = APIRouter()


@router.get("/calendar")
def calendar_page(
    request: Request, db: DbDep, clock: ClockDep, year: int | None = None, _: Principal = permit(Action.CALENDAR_READ)
) -> Response:
    year = year if year is not None and 2000 <= year <= 2100 else local_date(clock.now()).year
    with db.session(write=False) as s:
        cal = calendar.WorkCalendar.load(s)
        overrides = s.scalars(select(calendar.CalendarOverride).order_by(calendar.CalendarOverride.day)).all()
    months = []
    for m in range(1, 13):
        weeks = [
            [(d, cal.is_workday(d) if d.month == m else None) for d in week]
            for week in pycal.Calendar().monthdatescalendar(year, m)
        ]
        months.append((m, weeks))
    return render(request, "workdays/calendar.html", {"year": year, "months": months, "overrides": overrides})


@router.post("/calendar/overrides")
async def override_submit(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CALENDAR_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        try:
            day = date.fromisoformat(form.get("day", ""))
        except ValueError as exc:
            raise InvalidInput("日期格式应为 YYYY-MM-DD", code="bad_date") from exc
        note = form.get("note", "").strip()
        if len(note) < 2:
            raise InvalidInput("请写明依据（如国务院办公厅放假安排通知）", code="note_missing")
        with db.transaction() as s:
            if form.get("kind") == "remove":
                calendar.override_remove(session=s, now=clock.now(), actor=actor_of(p), day=day)
            else:
                calendar.override_set(
                    session=s,
                    now=clock.now(),
                    actor=actor_of(p),
                    day=day,
                    is_workday=form.get("kind") == "workday",
                    note=note[:200],
                )
    except DomainError as e:
        return redirect("/calendar", e.message)
    return redirect(f"/calendar?year={day.year}", f"已修正 {day.isoformat()}")
