"""Tender set-up use cases (create, edit, submit, return, publish) and the actions a user may take.

Every action locks the tender, asks ``state.transition``, checks the clock in the tender's own time
(``tender_now``: accelerated in the sandbox), writes the notice where the law wants one, and records
the audit event. Deadlines are handed to the chronograph in wall-clock time. The later actions
(clarify, close, fail, terminate, re-tender) and the deadline events live in ``services_changes``;
``__all__`` re-exports them and ``core``'s clock helpers, so callers import this module alone
(``services.CLOSE_EVENT``, ``services.tender_close``, ``services.tender_now``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import local_date
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, RuleViolation
from ggzy.common.sequences import next_value
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import OrgRole
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.rules import validate_uscc
from ggzy.identity.services import actor_of
from ggzy.registration import codes
from ggzy.registration.enums import ProjectStatus, Route
from ggzy.registration.models import Project
from ggzy.tendering import backup, rules, state
from ggzy.tendering.core import act, publish_notice, rules_for, schedule_facts, snapshot, tender_now, wall_time
from ggzy.tendering.enums import Method, NoticeKind, TenderStatus
from ggzy.tendering.models import Section, Tender, TenderDocument
from ggzy.tendering.schemas import TenderIn
from ggzy.tendering.services_changes import (
    CLOSE_EVENT,
    SECTION_CLOSE_EVENT,
    schedule_deadlines,
    tender_clarify,
    tender_close,
    tender_fail,
    tender_retender,
    tender_terminate,
)

__all__ = [
    "CLOSE_EVENT",
    "SECTION_CLOSE_EVENT",
    "actions_for",
    "check_lawful",
    "tender_clarify",
    "tender_close",
    "tender_create",
    "tender_edit",
    "tender_fail",
    "tender_now",
    "tender_publish",
    "tender_retender",
    "tender_return",
    "tender_submit",
    "tender_terminate",
    "wall_time",
]


def _project(session: Session, principal: Principal, project_id: int, method: Method) -> Project:
    p = session.get(Project, project_id)
    if p is None or not allows_object(principal, Action.PROJECT_READ, p):
        raise NotFound(f"项目 {project_id} 不存在", code="project_not_found")
    if not allows_object(principal, Action.TENDER_MANAGE, p):
        raise PermissionDenied("只有项目的招标人或其代理机构可以设立招标项目", code="out_of_scope")
    if p.status != ProjectStatus.ACCEPTED.value or p.code is None:
        raise Conflict("项目须经交易中心受理进场后才能设立招标项目", code="project_not_accepted")
    if p.route != Route.NORMAL.value:
        raise Conflict("应急直接发包项目不进行招标", code="project_direct_award")
    if p.trading_type != method.trading_type.value:
        raise InvalidInput(f"{method.label}不适用于该项目的交易类型", code="method_type_mismatch")
    return p


def _invitees(session: Session, method: Method, credit_codes: list[str]) -> list[int]:
    if not method.invited:
        if credit_codes:
            raise InvalidInput(f"{method.label}不设邀请名单", code="invitees_not_allowed")
        return []
    need = 1 if method is Method.GP_SINGLE_SOURCE else 3  # 招标投标法第十七条：邀请三个以上
    ids: list[int] = []
    for raw in dict.fromkeys(credit_codes):
        org = identity_selectors.org_by_credit_code(session, validate_uscc(raw))
        if org is None or OrgRole.BIDDER not in org.role_set:
            raise InvalidInput(f"受邀单位 {raw} 未登记为投标人/供应商", code="invitee_not_bidder")
        ids.append(org.id)
    if method is Method.GP_SINGLE_SOURCE and len(ids) != 1:
        raise InvalidInput("单一来源采购须且只能指定一家供应商", code="invitee_count")
    if len(ids) < need:
        raise RuleViolation(
            f"{method.label}须邀请 {need} 家以上",
            code="invitee_count",
            detail={"basis": "招标投标法第十七条；政府采购法第三十四条"},
        )
    return ids


def _fill(session: Session, t: Tender, data: TenderIn, sandbox: bool) -> None:
    if data.acceleration > 1 and not sandbox:
        raise InvalidInput("时间加速仅可在沙箱环境（GGZY_ENV=sandbox）中使用", code="acceleration_production")
    t.name, t.method, t.is_ppp, t.content = data.name, data.method.value, data.is_ppp, data.content
    t.invitees = _invitees(session, data.method, data.invitee_credit_codes)
    t.decryption_minutes = data.decryption_minutes
    t.backup_custodians, t.backup_threshold = backup.custodians_from(
        session, data.backup_custodian_credit_codes, data.backup_threshold
    )
    t.docs_start, t.docs_end = data.docs_start, data.docs_end
    t.question_deadline, t.bid_deadline = data.question_deadline, data.bid_deadline
    t.acceleration = data.acceleration
    t.sections.clear()
    session.flush()
    for i, s in enumerate(data.sections, start=1):
        t.sections.append(
            Section(
                seq=i,
                code=codes.section_code(t.code, i),
                name=s.name,
                estimate=s.estimate,
                qualification=s.qualification,
                evaluation_method=s.evaluation_method.value,
                bid_deadline=s.bid_deadline,
            )
        )


def tender_create(*, session: Session, now: datetime, principal: Principal, data: TenderIn, sandbox: bool) -> Tender:
    p = _project(session, principal, data.project_id, data.method)
    seq = next_value(session, f"tender:{p.code}")
    assert p.code is not None
    t = Tender(
        project_id=p.id,
        seq=seq,
        code=codes.tender_project_code(p.code, seq),
        status=TenderStatus.DRAFT.value,
        tenderer_org_id=p.tenderer_org_id,
        agency_org_id=p.agency_org_id,
        branch_id=p.branch_id,
        jurisdiction=p.jurisdiction,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(t)
    _fill(session, t, data, sandbox)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.create",
        object_type="tender",
        object_id=t.id,
        after=snapshot(t),
    )
    return t


def tender_edit(
    *, session: Session, now: datetime, principal: Principal, tender_id: int, data: TenderIn, sandbox: bool
) -> Tender:
    def change(t: Tender) -> None:
        if data.project_id != t.project_id or data.method.value != t.method:
            _project(session, principal, data.project_id, data.method)
            if data.project_id != t.project_id:
                raise InvalidInput("招标项目不能改挂到其他项目", code="project_immutable")
        _fill(session, t, data, sandbox)

    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_MANAGE,
        name="tender_edit",
        change=change,
    )


def _schedule(t: Tender) -> rules.Schedule:
    if None in (t.docs_start, t.docs_end, t.question_deadline, t.bid_deadline):
        raise InvalidInput("请先填写完整的时间安排（文件发出起止、提问截止、投标截止）", code="schedule_missing")
    assert t.docs_start and t.docs_end and t.question_deadline and t.bid_deadline
    return rules.Schedule(t.docs_start, t.docs_end, t.question_deadline, t.bid_deadline)


def check_lawful(session: Session, t: Tender, now: datetime) -> None:
    sched = _schedule(t)
    if sched.docs_start < now:
        raise RuleViolation("文件发出开始时间已过，请调整时间安排", code="schedule_in_past")
    table, cal = rules_for(session, t, now), WorkCalendar.load(session)
    rules.check_schedule(sched, table, cal)
    # A section closing earlier gets every minimum the tender's deadline gets (the same documents,
    # the same questions): its schedule is the tender's with its own deadline.
    for s in t.sections:
        if s.bid_deadline is None:
            continue
        if s.bid_deadline > sched.bid_deadline:
            raise RuleViolation(
                f"{s.name}的投标截止时间不能晚于项目的投标截止时间（项目截止即最后一个标段截止）",
                code="section_deadline_after_tender",
            )
        try:
            rules.check_schedule(replace(sched, bid_deadline=s.bid_deadline), table, cal)
        except RuleViolation as e:
            raise RuleViolation(f"{s.name}：{e.message}", code=e.code, detail=e.detail) from None


def tender_submit(*, session: Session, now: datetime, principal: Principal, tender_id: int) -> Tender:
    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_MANAGE,
        name="tender_submit",
        change=lambda t: check_lawful(session, t, now),
    )


def tender_return(*, session: Session, now: datetime, principal: Principal, tender_id: int, reason: str) -> Tender:
    def change(t: Tender) -> None:
        t.review_comment = reason

    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_REVIEW,
        name="tender_return",
        change=change,
        detail={"reason": reason},
    )


def tender_publish(*, session: Session, now: datetime, principal: Principal, tender_id: int) -> Tender:
    def change(t: Tender) -> None:
        t.rules_date = local_date(now)
        check_lawful(session, t, now)
        t.published_at = now
        kind = NoticeKind.INVITATION if t.invitees else NoticeKind.TENDER
        body = t.content or t.name
        notice = publish_notice(
            session,
            now=now,
            t=t,
            kind=kind,
            title=f"{t.name}（{kind.label}）",
            body=body,
            facts=schedule_facts(t) | {"method": t.method, "sections": [s.code for s in t.sections]},
        )
        # The documents uploaded before publication go out with this notice (its attachments).
        for d in session.scalars(select(TenderDocument).where(TenderDocument.tender_id == t.id)):
            if d.notice_id is None:
                d.notice_id = notice.id
        schedule_deadlines(session, t)
        backup.keys_create(session, now=now, t=t)

    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_REVIEW,
        name="tender_publish",
        change=change,
    )


def actions_for(principal: Principal, t: Tender) -> list[str]:
    """The named actions this principal can take on the tender now (for pages and the API)."""
    needs = {
        "tender_edit": Action.TENDER_MANAGE,
        "tender_submit": Action.TENDER_MANAGE,
        "tender_return": Action.TENDER_REVIEW,
        "tender_publish": Action.TENDER_REVIEW,
        "tender_clarify": Action.TENDER_MANAGE,
        "tender_fail": Action.TENDER_REVIEW,
        "tender_terminate": Action.TENDER_MANAGE,
        "tender_retender": Action.TENDER_MANAGE,
        "document_obtain": Action.TENDER_PARTICIPATE,
        "question_ask": Action.TENDER_PARTICIPATE,
    }
    return [a for a in state.available(TenderStatus(t.status)) if a in needs and allows_object(principal, needs[a], t)]
