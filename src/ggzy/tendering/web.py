"""Tender pages: the list, the set-up form (with the earliest lawful schedule), the detail page
and its action forms. Participation (documents, obtaining, questions) and the public notices are
in ``web_participation``. Every rule lives in the services; these routes only parse and render.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import SHANGHAI, format_local, local_date
from ggzy.common.errors import DomainError, InvalidInput
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data, parse
from ggzy.http.pages import redirect, render
from ggzy.identity.enums import Role
from ggzy.identity.models import Organization
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.registration import selectors as reg_selectors
from ggzy.registration.enums import ProjectStatus, Route
from ggzy.tendering import core, participation, rules, selectors, services, state, web_award
from ggzy.tendering.enums import EvaluationMethod, Method, NoticeKind, TenderStatus
from ggzy.tendering.models import Tender
from ggzy.tendering.schemas import ClarifyIn, ReasonIn, TenderIn

router = APIRouter()

MIN_SECTION_ROWS = 3
MAX_SECTION_ROWS = 50
SCHEDULE_FIELDS = {
    "docs_start": "文件发出开始时间",
    "docs_end": "文件发出截止时间",
    "question_deadline": "提问截止时间",
    "bid_deadline": "投标截止时间",
}
INPUT_FORMAT = "%Y-%m-%dT%H:%M"


def labels() -> dict[str, Any]:
    """Chinese labels every tendering template uses."""
    return {
        "tender_status_labels": {s.value: s.label for s in TenderStatus},
        "method_labels": {m.value: m.label for m in Method},
        "evaluation_labels": {e.value: e.label for e in EvaluationMethod},
        "notice_kind_labels": {k.value: k.label for k in NoticeKind},
    }


def local_input(value: datetime | None) -> str:
    return format_local(value, INPUT_FORMAT)


def aware(raw: str | None, label: str) -> datetime | None:
    """A ``datetime-local`` value is Beijing time; anything with its own offset keeps it."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{label}：时间格式不正确（应为 年-月-日 时:分）", code="validation_error") from None
    return value.replace(tzinfo=SHANGHAI) if value.tzinfo is None else value


def _section_rows(form: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for i in range(1, MAX_SECTION_ROWS + 1):
        row: dict[str, Any] = {
            k: form.get(f"section_{i}_{k}", "").strip() for k in ("name", "estimate", "evaluation_method")
        }
        row["qualification"] = form.get(f"section_{i}_qualification", "").strip()
        row["bid_deadline"] = aware(form.get(f"section_{i}_bid_deadline"), f"第 {i} 标段投标截止时间")
        if row["name"] or row["estimate"]:
            rows.append(row)
    return rows


def tender_in(form: dict[str, str], sandbox: bool) -> TenderIn:
    values: dict[str, Any] = {
        "project_id": form.get("project_id", ""),
        "name": form.get("name", "").strip(),
        "method": form.get("method", ""),
        "is_ppp": form.get("is_ppp") == "1",
        "content": form.get("content", "").strip(),
        "sections": _section_rows(form),
        "invitee_credit_codes": [c.strip() for c in form.get("invitees", "").splitlines() if c.strip()],
        "backup_custodian_credit_codes": [c.strip() for c in form.get("custodians", "").splitlines() if c.strip()],
        "backup_threshold": form.get("backup_threshold", "").strip() or "0",
        "decryption_minutes": form.get("decryption_minutes", "").strip() or "30",
    }
    for field, label in SCHEDULE_FIELDS.items():
        values[field] = aware(form.get(field), label)
    if sandbox and form.get("acceleration", "").strip():
        values["acceleration"] = form["acceleration"].strip()
    return parse(TenderIn, values)


def values_of(t: Tender) -> dict[str, Any]:
    v: dict[str, Any] = {
        "project_id": str(t.project_id),
        "name": t.name,
        "method": t.method,
        "is_ppp": "1" if t.is_ppp else "",
        "content": t.content,
        "acceleration": str(t.acceleration),
        "invitees": "",
        "custodians": "",
        "backup_threshold": str(t.backup_threshold),
        "decryption_minutes": str(t.decryption_minutes),
    }
    for field in SCHEDULE_FIELDS:
        v[field] = local_input(getattr(t, field))
    for s in t.sections:
        v |= {
            f"section_{s.seq}_name": s.name,
            f"section_{s.seq}_estimate": str(s.estimate),
            f"section_{s.seq}_evaluation_method": s.evaluation_method,
            f"section_{s.seq}_qualification": s.qualification,
            f"section_{s.seq}_bid_deadline": local_input(s.bid_deadline) if s.bid_deadline else "",
        }
    return v


def _sandbox(request: Request) -> bool:
    return bool(request.app.state.settings.env == "sandbox")


def _form_context(
    s: Session, request: Request, p: Principal, values: dict[str, Any], tender: Tender | None
) -> dict[str, Any]:
    projects = [
        pr
        for pr in reg_selectors.projects(s, p, status=ProjectStatus.ACCEPTED, limit=200)
        if pr.route == Route.NORMAL.value and allows_object(p, Action.TENDER_MANAGE, pr)
    ]
    filled = max((int(k.split("_")[1]) for k in values if k.startswith("section_") and values[k]), default=0)
    return labels() | {
        "values": values,
        "tender": tender,
        "projects": projects,
        "methods": list(Method),
        "evaluation_methods": list(EvaluationMethod),
        "section_rows": range(1, max(MIN_SECTION_ROWS, filled + 1) + 1),
        "sandbox": _sandbox(request),
        "schedule_fields": SCHEDULE_FIELDS,
    }


def _invitee_codes(s: Session, t: Tender) -> str:
    return "\n".join(o.credit_code for i in t.invitees if (o := s.get(Organization, i)) is not None)


def _custodian_codes(s: Session, t: Tender) -> str:
    return "\n".join(o.credit_code for i in t.backup_custodians if (o := s.get(Organization, i)) is not None)


@router.get("/tenders")
def tender_list(request: Request, db: DbDep, status: str = "", p: Principal = permit(Action.NOTICE_READ)) -> Response:
    """Parties and supervisors see their tenders; bidders the published ones they may take part in."""
    if not p.is_authenticated:
        return redirect("/notices")
    st = TenderStatus(status) if status in {s.value for s in TenderStatus} else None
    with db.session(write=False) as s:
        return render(
            request,
            "tendering/list.html",
            labels()
            | {
                "tenders": selectors.tenders(s, p, status=st, limit=200),
                "status": status,
                "statuses": list(TenderStatus),
            },
        )


@router.get("/tenders/new")
def tender_new(
    request: Request, db: DbDep, project_id: str = "", p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    values = {"project_id": project_id[:10], "section_1_evaluation_method": ""}
    with db.session(write=False) as s:
        return render(request, "tendering/form.html", _form_context(s, request, p, values, None))


@router.post("/tenders/new")
async def tender_create(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        data = tender_in(form, _sandbox(request))
        with db.transaction() as s:
            t = services.tender_create(session=s, now=clock.now(), principal=p, data=data, sandbox=_sandbox(request))
    except DomainError as e:
        with db.session(write=False) as s:
            ctx = _form_context(s, request, p, form, None) | {"error": e.message}
            return render(request, "tendering/form.html", ctx, status=e.status)
    return redirect(f"/tenders/{t.id}", "已保存草稿；请上传招标文件，确认无误后提交交易中心审核")


@router.post("/tenders/preview")
async def tender_preview(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    """The form's "earliest lawful schedule" check under the rules in force today; saves nothing."""
    form = await form_data(request)
    with db.session(write=False) as s:
        tender = None
        if form.get("tender_id", "").isdigit():
            tender = core.tender_for(s, p, int(form["tender_id"]))
        ctx = _form_context(s, request, p, form, tender)
        try:
            if form.get("method") not in {m.value for m in Method}:
                raise InvalidInput("请先选择招标（采购）方式", code="validation_error")
            method = Method(form["method"])
            start = aware(form.get("docs_start"), SCHEDULE_FIELDS["docs_start"])
            if start is None:
                raise InvalidInput("请先填写文件发出开始时间", code="validation_error")
            in_force = rules.in_force(core.rule_rows(s), method, local_date(clock.now()))
            out = rules.earliest_schedule(start, in_force, WorkCalendar.load(s))
            ctx["earliest"] = {
                "method": method,
                "docs_start": start,
                "docs_end": out.get("docs_end"),
                "bid_deadline": out.get("bid_deadline"),
                "rules": [r.describe() for r in in_force.values()],
            }
        except DomainError as e:
            ctx["error"] = e.message
        return render(request, "tendering/form.html", ctx)


def detail_context(s: Session, p: Principal, t: Tender) -> dict[str, Any]:
    status = TenderStatus(t.status)
    obtained = p.role is Role.BIDDER and participation.has_obtained(s, t.id, p.org_id)
    manages = allows_object(p, Action.TENDER_MANAGE, t)
    return labels() | {
        "tender": t,
        "actions": services.actions_for(p, t),
        "manages": manages,
        "answering": manages and "question_answer" in state.available(status),
        "obtained": obtained,
        "reads_documents": obtained or allows_object(p, Action.TENDER_READ, t),
        "notices": selectors.tender_notices(s, t.id),
        "documents": selectors.documents(s, t.id),
        "questions": selectors.questions(s, t.id),
        "obtainers": selectors.obtainers(s, t.id) if allows_object(p, Action.TENDER_OBTAINERS, t) else None,
        "previous": s.get(Tender, t.previous_id) if t.previous_id else None,
    }


@router.get("/tenders/{tender_id}")
def tender_detail(
    tender_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.NOTICE_READ)
) -> Response:
    with db.session(write=False) as s:
        t = core.tender_for(s, p, tender_id)
        return render(request, "tendering/detail.html", detail_context(s, p, t) | web_award.award_context(s, p, t))


@router.get("/tenders/{tender_id}/edit")
def tender_edit_page(
    tender_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    with db.session(write=False) as s:
        t = core.tender_for(s, p, tender_id)
        if not allows_object(p, Action.TENDER_MANAGE, t):
            return redirect(f"/tenders/{t.id}", "只有招标人或其代理机构可以修改该招标项目")
        values = values_of(t) | {"invitees": _invitee_codes(s, t), "custodians": _custodian_codes(s, t)}
        return render(request, "tendering/form.html", _form_context(s, request, p, values, t))


@router.post("/tenders/{tender_id}/edit")
async def tender_edit_submit(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        data = tender_in(form, _sandbox(request))
        with db.transaction() as s:
            services.tender_edit(
                session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data, sandbox=_sandbox(request)
            )
    except DomainError as e:
        if e.status == 404:
            raise
        with db.session(write=False) as s:
            t = core.tender_for(s, p, tender_id)
            ctx = _form_context(s, request, p, form, t) | {"error": e.message}
            return render(request, "tendering/form.html", ctx, status=e.status)
    return redirect(f"/tenders/{tender_id}", "已保存")


# One page route per named action, each declaring its own permission as the API does.
ACTIONS: dict[str, tuple[Action, Callable[..., Tender], bool, str]] = {
    "submit": (Action.TENDER_MANAGE, services.tender_submit, False, "已提交，等待交易中心审核"),
    "return": (Action.TENDER_REVIEW, services.tender_return, True, "已退回"),
    "publish": (Action.TENDER_REVIEW, services.tender_publish, False, "已审核通过并发布公告"),
    "fail": (Action.TENDER_REVIEW, services.tender_fail, True, "已确认流标并发布公告"),
    "terminate": (Action.TENDER_MANAGE, services.tender_terminate, True, "已终止"),
    "retender": (Action.TENDER_MANAGE, services.tender_retender, False, "已生成重新招标的草稿，请调整时间安排后提交"),
}


def _action_route(slug: str, perm: Action, service: Callable[..., Tender], needs_reason: bool, done: str) -> None:
    async def handler(
        tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(perm)
    ) -> Response:
        form = await form_data(request)
        try:
            kwargs = (
                {"reason": parse(ReasonIn, {"reason": form.get("reason", "").strip()}).reason} if needs_reason else {}
            )
            with db.transaction() as s:
                t = service(session=s, now=clock.now(), principal=p, tender_id=tender_id, **kwargs)
        except DomainError as e:
            if e.status == 404:
                raise
            return redirect(f"/tenders/{tender_id}", e.message)
        return redirect(f"/tenders/{t.id}", done)  # retender answers with the new draft

    router.add_api_route(f"/tenders/{{tender_id}}/{slug}", handler, methods=["POST"], name=f"tender_{slug}_page")


for _slug, (_perm, _service, _reason, _done) in ACTIONS.items():
    _action_route(_slug, _perm, _service, _reason, _done)


@router.post("/tenders/{tender_id}/clarify")
async def tender_clarify(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(
            ClarifyIn,
            {
                "title": form.get("title", "").strip(),
                "body": form.get("body", "").strip(),
                "changes_bid_content": form.get("changes_bid_content") == "1",
                "new_bid_deadline": aware(form.get("new_bid_deadline"), "新的投标截止时间"),
            },
        )
        with db.transaction() as s:
            services.tender_clarify(session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data)
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect(f"/tenders/{tender_id}", e.message)
    return redirect(f"/tenders/{tender_id}", "澄清或变更公告已发布")
