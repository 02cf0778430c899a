from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.clock import local_date
from ggzy.common.errors import DomainError
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data, parse
from ggzy.http.pages import redirect, render
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import Jurisdiction, OrgRole
from ggzy.identity.permissions import Action, Principal, allows
from ggzy.registration import selectors, services
from ggzy.registration.enums import FundingSource, ProjectStatus, Route, RuleTableKind, TradingType
from ggzy.registration.models import Project
from ggzy.registration.schemas import ProjectIn, RoutePreviewIn

router = APIRouter()


def _form_context(s: Session, now: Any, values: dict[str, Any]) -> dict[str, Any]:
    cat = selectors.active_version(s, RuleTableKind.CATALOGUE, local_date(now))
    return {
        "values": values,
        "trading_types": list(TradingType),
        "funding_sources": list(FundingSource),
        "jurisdictions": list(Jurisdiction),
        "routes": list(Route),
        "catalogue": cat.catalogue_items if cat else [],
        "regulators": identity_selectors.organizations(s, role=OrgRole.REGULATOR.value),
        "branches": identity_selectors.branches(s),
    }


def _values_of(p: Project) -> dict[str, Any]:
    return {
        "name": p.name,
        "trading_type": p.trading_type,
        "catalogue_item_code": p.catalogue_item_code,
        "funding_source": p.funding_source,
        "estimated_amount": str(p.estimated_amount),
        "region_code": p.region_code,
        "address": p.address,
        "scale": p.scale,
        "approval_document": p.approval_document,
        "contact_name": p.contact_name,
        "contact_phone": p.contact_phone,
        "tenderer_credit_code": p.tenderer.credit_code,
        "agency_credit_code": p.agency.credit_code if p.agency else "",
        "regulator_org_id": str(p.regulator_org_id),
        "jurisdiction": p.jurisdiction,
        "route": p.route,
        "emergency_justification": p.emergency_justification,
        "emergency_awardee_credit_code": p.emergency_awardee.credit_code if p.emergency_awardee else "",
    }


@router.get("/projects")
def project_list(request: Request, db: DbDep, status: str = "", p: Principal = permit(Action.PROJECT_READ)) -> Response:
    st = ProjectStatus(status) if status in {s.value for s in ProjectStatus} else None
    with db.session(write=False) as s:
        return render(
            request,
            "registration/list.html",
            {
                "projects": selectors.projects(s, p, status=st, limit=200),
                "status": status,
                "statuses": list(ProjectStatus),
            },
        )


@router.get("/projects/new")
def project_new(request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_CREATE)) -> Response:
    with db.session(write=False) as s:
        return render(request, "registration/form.html", _form_context(s, clock.now(), {}) | {"project": None})


@router.post("/projects/new")
async def project_create(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_CREATE)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(ProjectIn, form)
        with db.transaction() as s:
            project = services.project_create(session=s, now=clock.now(), principal=p, data=data)
    except DomainError as e:
        with db.session(write=False) as s:
            return render(
                request,
                "registration/form.html",
                _form_context(s, clock.now(), form) | {"project": None, "error": e.message},
                status=e.status,
            )
    return redirect(f"/projects/{project.id}", "已保存草稿，确认无误后请提交审核")


@router.post("/projects/preview")
async def project_preview(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_ROUTE_PREVIEW)
) -> Response:
    """The form's "where will it go" check, without saving anything."""
    form = await form_data(request)
    with db.session(write=False) as s:
        ctx = _form_context(s, clock.now(), form) | {"project": None}
        raw_id = form.get("project_id", "")
        if raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 9:
            ctx["project"] = services.project_for(s, p, int(raw_id))
        try:
            data = parse(RoutePreviewIn, form)
            routing, _c, _t = services.preview_route(
                s,
                now=clock.now(),
                trading_type=data.trading_type.value,
                catalogue_code=data.catalogue_item_code,
                amount=data.estimated_amount,
                region_code=data.region_code,
            )
            ctx["routing"] = routing
        except DomainError as e:
            ctx["error"] = e.message
        return render(request, "registration/form.html", ctx)


@router.get("/projects/{project_id}")
def project_detail(
    project_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.PROJECT_READ)
) -> Response:
    with db.session(write=False) as s:
        project = services.project_for(s, p, project_id)
        # Whoever may read both this project and the audit log sees the project's own history.
        history = (
            audit.events_for(s, object_type="project", object_id=str(project.id), limit=50)
            if allows(p, Action.AUDIT_READ)
            else []
        )
        return render(
            request,
            "registration/detail.html",
            {
                "project": project,
                "actions": services.actions_for(p, project),
                "history": history,
                "reasons": [r for r in project.routing_reasons.split("\n") if r],
            },
        )


@router.get("/projects/{project_id}/edit")
def project_edit_page(
    project_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_EDIT)
) -> Response:
    with db.session(write=False) as s:
        project = services.project_for(s, p, project_id)
        return render(
            request, "registration/form.html", _form_context(s, clock.now(), _values_of(project)) | {"project": project}
        )


@router.post("/projects/{project_id}/edit")
async def project_edit_submit(
    project_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.PROJECT_EDIT)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(ProjectIn, form)
        with db.transaction() as s:
            services.project_edit(session=s, now=clock.now(), principal=p, project_id=project_id, data=data)
    except DomainError as e:
        with db.session(write=False) as s:
            project = services.project_for(s, p, project_id)
            return render(
                request,
                "registration/form.html",
                _form_context(s, clock.now(), form) | {"project": project, "error": e.message},
                status=e.status,
            )
    return redirect(f"/projects/{project_id}", "已保存")


# One page route per named action; each declares its own permission like the API does.
ACTIONS: dict[str, tuple[Action, Callable[..., Project], str | None, str]] = {
    "submit": (Action.PROJECT_EDIT, services.project_submit, None, "已提交，等待交易中心审核"),
    "withdraw": (Action.PROJECT_EDIT, services.project_withdraw, None, "已撤回"),
    "return": (Action.PROJECT_REVIEW, services.project_return, "reason", "已退回"),
    "accept": (Action.PROJECT_REVIEW, services.project_accept, None, "已受理进场并赋码"),
    "accept-direct-award": (Action.PROJECT_REVIEW, services.project_accept_direct_award, None, "已受理应急直接发包"),
    "emergency-signoff": (Action.PROJECT_EMERGENCY_SIGNOFF, services.project_emergency_signoff, "opinion", "已签批"),
    "emergency-reject": (Action.PROJECT_EMERGENCY_SIGNOFF, services.project_emergency_reject, "reason", "已不予签批"),
    "fast-track": (Action.PROJECT_FAST_TRACK, services.project_fast_track, "reason", "已标记快速交易"),
}


def _action_route(slug: str, perm: Action, service: Callable[..., Project], text_arg: str | None, done: str) -> None:
    async def handler(
        project_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(perm)
    ) -> Response:
        form = await form_data(request)
        kwargs: dict[str, Any] = {}
        if text_arg:
            text = form.get("reason", "").strip()
            if len(text) < 2:
                return redirect(f"/projects/{project_id}", "请填写理由或意见（至少 2 个字）")
            kwargs[text_arg] = text[:2000]
        try:
            with db.transaction() as s:
                service(session=s, now=clock.now(), principal=p, project_id=project_id, **kwargs)
        except DomainError as e:
            if e.status == 404:
                raise
            return redirect(f"/projects/{project_id}", e.message)
        return redirect(f"/projects/{project_id}", done)

    router.add_api_route(f"/projects/{{project_id}}/{slug}", handler, methods=["POST"], name=f"project_{slug}")


for _slug, (_perm, _service, _arg, _done) in ACTIONS.items():
    _action_route(_slug, _perm, _service, _arg, _done)
