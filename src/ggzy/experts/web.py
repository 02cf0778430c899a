"""Pages: the library for the centre and the regulators, and an expert's invitations."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response

from ggzy.common.errors import DomainError
from ggzy.experts import extraction, library, selectors
from ggzy.experts.enums import ExpertStatus
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data
from ggzy.http.pages import redirect, render
from ggzy.identity.permissions import Action, Principal

router = APIRouter()


@router.get("/experts")
def experts_page(request: Request, db: DbDep, status: str = "", p: Principal = permit(Action.EXPERT_READ)) -> Response:
    with db.session(write=False) as s:
        rows = selectors.experts(s, status=status or None)
        return render(
            request,
            "experts/list.html",
            {
                "experts": rows,
                "specialities": selectors.specialities_of(s, [e.id for e in rows]),
                "status": status,
                "statuses": list(ExpertStatus),
            },
        )


@router.post("/experts/{expert_id}/status")
async def experts_status(
    expert_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_REVIEW)
) -> Response:
    form = await form_data(request)
    try:
        status = ExpertStatus(form.get("status", ""))
        until = date.fromisoformat(form["until"]) if form.get("until") else None
    except ValueError:
        return redirect("/experts", "请选择要做的处理")
    try:
        with db.transaction() as s:
            e = library.expert_set_status(
                session=s, now=clock.now(), principal=p, expert_id=expert_id, status=status,
                reason=form.get("reason", ""), until=until,
            )  # fmt: skip
            msg = f"{e.name}：{status.label}"
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect("/experts", e.message)
    return redirect("/experts", msg)


@router.post("/extractions/{extraction_id}/respond")
async def respond_page(
    extraction_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EXPERT_RESPOND)
) -> Response:
    form = await form_data(request)
    accept = form.get("accept") == "1"
    try:
        with db.transaction() as s:
            extraction.respond(session=s, now=clock.now(), principal=p, extraction_id=extraction_id, accept=accept)
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect("/workbench", e.message)
    return redirect(
        "/workbench", "已接受评标邀请，请按时到评标场地签到" if accept else "已谢绝，平台将由下一顺位专家补足"
    )
