"""Project registration (进场登记) use cases.

Object rules from the permission table are checked here, so every caller (API, pages, CLI)
gets the same answer: a project the principal may not read is ``NotFound`` (its existence is not
revealed); one it may read but not act on is ``PermissionDenied``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.clock import local_date
from ggzy.common.errors import InvalidInput, NotFound, PermissionDenied, RuleViolation
from ggzy.common.sequences import next_value
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import OrgRole, Role
from ggzy.identity.models import Branch, Organization
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.rules import validate_uscc
from ggzy.identity.services import actor_of
from ggzy.registration import codes, rules, selectors, state
from ggzy.registration.enums import ALLOWED_JURISDICTIONS, ProjectStatus, Route, TradingType
from ggzy.registration.models import Project
from ggzy.registration.schemas import ProjectIn

EMERGENCY_TYPES = {TradingType.CONSTRUCTION, TradingType.GOVERNMENT_PROCUREMENT}


def snapshot(p: Project) -> dict[str, Any]:
    """Every business field, as its before/after digest in the audit log covers it. Amounts are
    quantised so the same value always digests the same."""
    return {
        "code": p.code,
        "name": p.name,
        "trading_type": p.trading_type,
        "catalogue": p.catalogue_item_code,
        "funding": p.funding_source,
        "amount": f"{p.estimated_amount:.2f}",
        "region": p.region_code,
        "address": p.address,
        "scale": p.scale,
        "approval": p.approval_document,
        "contact": p.contact_name,
        "phone": p.contact_phone,
        "tenderer": p.tenderer_org_id,
        "agency": p.agency_org_id,
        "regulator": p.regulator_org_id,
        "jurisdiction": p.jurisdiction,
        "branch": p.branch_id,
        "must_tender": p.must_tender,
        "status": p.status,
        "route": p.route,
        "emergency_justification": p.emergency_justification,
        "emergency_awardee": p.emergency_awardee_org_id,
        "emergency_signed_by": p.emergency_signed_by,
        "emergency_signed_at": p.emergency_signed_at,
        "fast_track": p.fast_track,
        "fast_track_reason": p.fast_track_reason,
        "review_comment": p.review_comment,
    }


def _org(session: Session, credit_code: str, role: OrgRole, what: str) -> Organization:
    org = identity_selectors.org_by_credit_code(session, validate_uscc(credit_code))
    if org is None:
        raise InvalidInput(f"{what}（{credit_code}）尚未在平台登记", code="org_not_found")
    if role not in org.role_set:
        raise InvalidInput(f"{org.name}不具有“{role.label}”身份", code="org_role_mismatch")
    return org


def _parties(session: Session, principal: Principal, data: ProjectIn) -> tuple[int, int | None]:
    """Tenderer and agency: a tenderer registers for itself, an agency on a tenderer's behalf."""
    if principal.role is Role.TENDERER:
        if data.tenderer_credit_code:
            own = session.get(Organization, principal.org_id)
            if own is None or own.credit_code != validate_uscc(data.tenderer_credit_code):
                raise InvalidInput("招标人只能为本单位登记项目", code="tenderer_mismatch")
        agency = _org(session, data.agency_credit_code, OrgRole.AGENCY, "代理机构") if data.agency_credit_code else None
        return principal.org_id or 0, agency.id if agency else None
    if not data.tenderer_credit_code:
        raise InvalidInput("代理机构登记项目须填写委托招标人的统一社会信用代码", code="tenderer_missing")
    tenderer = _org(session, data.tenderer_credit_code, OrgRole.TENDERER, "招标人")
    if data.agency_credit_code:
        own = session.get(Organization, principal.org_id)
        if own is None or own.credit_code != validate_uscc(data.agency_credit_code):
            raise InvalidInput("代理机构只能以本单位名义登记", code="agency_mismatch")
    return tenderer.id, principal.org_id


def _check_supervision(session: Session, data: ProjectIn) -> None:
    if data.jurisdiction not in ALLOWED_JURISDICTIONS[data.trading_type]:
        allowed = "、".join(j.label for j in ALLOWED_JURISDICTIONS[data.trading_type])
        raise RuleViolation(
            f"{data.trading_type.label}项目的监督部门应属于：{allowed}",
            code="jurisdiction_mismatch",
            detail={"rule": "行业监管", "basis": "国办发〔2015〕63号; 招标投标法实施条例第四条"},
        )
    regulator = session.get(Organization, data.regulator_org_id)
    if regulator is None or OrgRole.REGULATOR not in regulator.role_set:
        raise InvalidInput("所选监督部门不存在或不是行政监督部门", code="regulator_not_found")
    if data.jurisdiction not in regulator.jurisdiction_set:
        raise InvalidInput(f"{regulator.name}不监管“{data.jurisdiction.label}”行业", code="regulator_jurisdiction")


def _emergency(session: Session, data: ProjectIn) -> int | None:
    if data.route is not Route.EMERGENCY_DIRECT:
        return None
    if data.trading_type not in EMERGENCY_TYPES:
        raise RuleViolation(
            "只有工程建设和政府采购项目可以应急直接发包",
            code="emergency_type",
            detail={"rule": "应急直接发包", "basis": "招标投标法第六十六条; 政府采购法第八十五条"},
        )
    assert data.emergency_awardee_credit_code
    return _org(session, data.emergency_awardee_credit_code, OrgRole.BIDDER, "承包单位").id


def preview_route(
    session: Session, *, now: datetime, trading_type: str, catalogue_code: str, amount: Any, region_code: str
) -> tuple[rules.Routing, int | None, int | None]:
    cat, thr, entries, thresholds, areas = selectors.routing_inputs(session, local_date(now))
    if cat is None:
        raise RuleViolation("尚无生效的进场交易目录，请联系交易中心", code="no_catalogue")
    routing = rules.route(
        trading_type=trading_type,
        catalogue_code=catalogue_code,
        amount=amount,
        region_code=region_code,
        catalogue=entries,
        thresholds=thresholds,
        branches=areas,
        catalogue_title=cat.title,
    )
    return routing, cat.id, thr.id if thr else None


def _apply_routing(session: Session, now: datetime, p: Project) -> None:
    routing, cat_id, thr_id = preview_route(
        session,
        now=now,
        trading_type=p.trading_type,
        catalogue_code=p.catalogue_item_code,
        amount=p.estimated_amount,
        region_code=p.region_code,
    )
    branch = session.scalar(select(Branch).where(Branch.code == routing.branch_code))
    p.branch_id = branch.id if branch else None
    p.must_tender = routing.must_tender
    p.routing_reasons = "\n".join(routing.reasons)
    p.catalogue_version_id, p.threshold_version_id = cat_id, thr_id


def _fill(session: Session, p: Project, principal: Principal, data: ProjectIn) -> None:
    _check_supervision(session, data)
    p.tenderer_org_id, p.agency_org_id = _parties(session, principal, data)
    p.emergency_awardee_org_id = _emergency(session, data)
    p.name, p.trading_type, p.catalogue_item_code = data.name, data.trading_type.value, data.catalogue_item_code
    p.funding_source, p.estimated_amount, p.region_code = (
        data.funding_source.value,
        data.estimated_amount,
        data.region_code,
    )
    p.address, p.scale, p.approval_document = data.address, data.scale, data.approval_document
    p.contact_name, p.contact_phone = data.contact_name, data.contact_phone
    p.regulator_org_id, p.jurisdiction, p.route = data.regulator_org_id, data.jurisdiction.value, data.route.value
    p.emergency_justification = data.emergency_justification if data.route is Route.EMERGENCY_DIRECT else ""


def project_create(*, session: Session, now: datetime, principal: Principal, data: ProjectIn) -> Project:
    p = Project(status=ProjectStatus.DRAFT.value, created_by=principal.user_id, created_at=now, updated_at=now)
    _fill(session, p, principal, data)
    _apply_routing(session, now, p)
    session.add(p)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="project.create",
        object_type="project",
        object_id=p.id,
        after=snapshot(p),
    )
    return p


def _locked(session: Session, principal: Principal, project_id: int, action: Action) -> Project:
    p = session.scalar(select(Project).where(Project.id == project_id).with_for_update())
    if p is None or not selectors.readable(principal, p):
        raise NotFound(f"项目 {project_id} 不存在", code="project_not_found")
    if not allows_object(principal, action, p):
        raise PermissionDenied("该项目不在您的办理范围内", code="out_of_scope")
    return p


def _facts(p: Project) -> state.Facts:
    return state.Facts(ProjectStatus(p.status), Route(p.route), p.emergency_signed_at is not None, p.fast_track)


def _act(
    session: Session,
    *,
    now: datetime,
    principal: Principal,
    project_id: int,
    perm: Action,
    name: str,
    detail: dict[str, Any] | None = None,
    change: Any = None,
) -> Project:
    """Lock, check the transition, apply the change, set the status, audit: every action's path."""
    p = _locked(session, principal, project_id, perm)
    before = snapshot(p)
    target = state.transition(name, _facts(p))
    if change is not None:
        change(p)
    p.status = target.value
    p.updated_at = now
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action=name.replace("project_", "project."),
        object_type="project",
        object_id=p.id,
        before=before,
        after=snapshot(p),
        detail=detail,
    )
    return p


def project_edit(*, session: Session, now: datetime, principal: Principal, project_id: int, data: ProjectIn) -> Project:
    def change(p: Project) -> None:
        tenderer = p.tenderer_org_id
        _fill(session, p, principal, data)
        if p.tenderer_org_id != tenderer:  # an agency may not move a project to another tenderer
            raise InvalidInput("不能更改项目的招标人；如登记错误请撤回后重新登记", code="tenderer_immutable")
        _clear_approvals(p)
        _apply_routing(session, now, p)

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_EDIT,
        name="project_edit",
        change=change,
    )


def project_submit(*, session: Session, now: datetime, principal: Principal, project_id: int) -> Project:
    def change(p: Project) -> None:
        _apply_routing(session, now, p)  # the rules in force when it is submitted decide
        p.submitted_at = now
        p.review_comment = ""

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_EDIT,
        name="project_submit",
        change=change,
    )


def project_withdraw(*, session: Session, now: datetime, principal: Principal, project_id: int) -> Project:
    return _act(
        session, now=now, principal=principal, project_id=project_id, perm=Action.PROJECT_EDIT, name="project_withdraw"
    )


def _clear_approvals(p: Project) -> None:
    """A regulator signed off, and an operator fast-tracked, the project as it was; once it goes
    back for changes, neither may carry over to what comes back."""
    p.emergency_signed_by, p.emergency_signed_at = None, None
    p.fast_track, p.fast_track_reason = False, ""


def project_return(*, session: Session, now: datetime, principal: Principal, project_id: int, reason: str) -> Project:
    def change(p: Project) -> None:
        p.review_comment, p.reviewed_at, p.reviewed_by = reason, now, principal.user_id
        _clear_approvals(p)

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_REVIEW,
        name="project_return",
        detail={"reason": reason},
        change=change,
    )


def _assign_code(session: Session, now: datetime, p: Project) -> None:
    branch = session.get(Branch, p.branch_id)
    if branch is None:
        raise RuleViolation("项目尚未确定受理分中心", code="no_branch")
    letter = TradingType(p.trading_type).letter
    year = local_date(now).year
    seq = next_value(session, f"project:{letter}{branch.code}{year}")
    p.code = codes.project_code(letter, branch.code, year, seq)


def _accept(
    session: Session, *, now: datetime, principal: Principal, project_id: int, name: str, comment: str
) -> Project:
    def change(p: Project) -> None:
        _assign_code(session, now, p)
        p.review_comment, p.reviewed_at, p.reviewed_by = comment, now, principal.user_id

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_REVIEW,
        name=name,
        change=change,
    )


def project_accept(
    *, session: Session, now: datetime, principal: Principal, project_id: int, comment: str = ""
) -> Project:
    return _accept(session, now=now, principal=principal, project_id=project_id, name="project_accept", comment=comment)


def project_accept_direct_award(
    *, session: Session, now: datetime, principal: Principal, project_id: int, comment: str = ""
) -> Project:
    return _accept(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        name="project_accept_direct_award",
        comment=comment,
    )


def _named_regulator(principal: Principal, p: Project) -> None:
    """Others in the sector may watch; only the department named on the project signs for it."""
    if principal.org_id != p.regulator_org_id:
        raise PermissionDenied(f"该项目的监督部门为{p.regulator.name}，须由其签批", code="not_named_regulator")


def project_emergency_signoff(
    *, session: Session, now: datetime, principal: Principal, project_id: int, opinion: str
) -> Project:
    def change(p: Project) -> None:
        _named_regulator(principal, p)
        p.emergency_signed_by, p.emergency_signed_at = principal.user_id, now

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_EMERGENCY_SIGNOFF,
        name="project_emergency_signoff",
        detail={"opinion": opinion},
        change=change,
    )


def project_emergency_reject(
    *, session: Session, now: datetime, principal: Principal, project_id: int, reason: str
) -> Project:
    def change(p: Project) -> None:
        _named_regulator(principal, p)
        p.review_comment = f"行政监督部门不予签批：{reason}"
        _clear_approvals(p)

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_EMERGENCY_SIGNOFF,
        name="project_emergency_reject",
        detail={"reason": reason},
        change=change,
    )


def project_fast_track(
    *, session: Session, now: datetime, principal: Principal, project_id: int, reason: str
) -> Project:
    def change(p: Project) -> None:
        p.fast_track, p.fast_track_reason = True, reason

    return _act(
        session,
        now=now,
        principal=principal,
        project_id=project_id,
        perm=Action.PROJECT_FAST_TRACK,
        name="project_fast_track",
        detail={"reason": reason},
        change=change,
    )


def project_for(session: Session, principal: Principal, project_id: int) -> Project:
    p = selectors.project(session, project_id)
    if p is None or not selectors.readable(principal, p):
        raise NotFound(f"项目 {project_id} 不存在", code="project_not_found")
    return p


def actions_for(principal: Principal, p: Project) -> list[str]:
    """The named actions this principal can take on the project now (for pages and the API)."""
    needs = {
        "project_edit": Action.PROJECT_EDIT,
        "project_submit": Action.PROJECT_EDIT,
        "project_withdraw": Action.PROJECT_EDIT,
        "project_return": Action.PROJECT_REVIEW,
        "project_accept": Action.PROJECT_REVIEW,
        "project_accept_direct_award": Action.PROJECT_REVIEW,
        "project_emergency_signoff": Action.PROJECT_EMERGENCY_SIGNOFF,
        "project_emergency_reject": Action.PROJECT_EMERGENCY_SIGNOFF,
        "project_fast_track": Action.PROJECT_FAST_TRACK,
    }
    signers_only = {"project_emergency_signoff", "project_emergency_reject"}
    return [
        a
        for a in state.available_actions(_facts(p))
        if allows_object(principal, needs[a], p) and (a not in signers_only or principal.org_id == p.regulator_org_id)
    ]
