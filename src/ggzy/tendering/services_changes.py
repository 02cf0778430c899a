"""Tender use cases after publication: clarify, close at the deadline, fail, terminate, re-tender.

This module owns the deadline events: their names, scheduling them at publication
(``schedule_deadlines``, called by ``services.tender_publish``), moving them (clarify), cancelling
them (terminate) and handling the tender's one (``tender_close``, the chronograph's handler). Set-up
(create, edit, submit, return, publish) is in ``services``, which imports this module and re-exports
its names, so callers keep using ``services.tender_clarify``, ``services.CLOSE_EVENT`` and the rest;
nothing here imports ``services`` (imports run ``services`` -> ``services_changes`` -> ``core``).
Each action goes through ``core.act`` (lock, ``state.transition``, audit event), checks the clock in
the tender's own time (``tender_now``) and writes the notice the law wants.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from ggzy.common import audit, chronograph
from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import format_local
from ggzy.common.errors import Conflict, InvalidInput, RuleViolation
from ggzy.common.sequences import next_value
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of
from ggzy.registration import codes
from ggzy.registration.models import Project
from ggzy.tendering import rules
from ggzy.tendering.core import (
    act,
    publish_notice,
    rules_for,
    schedule_facts,
    section_deadline,
    snapshot,
    tender_now,
    wall_time,
)
from ggzy.tendering.enums import NoticeKind, TenderStatus
from ggzy.tendering.models import Section, Tender
from ggzy.tendering.schemas import ClarifyIn

CLOSE_EVENT = "tender.deadline"
SECTION_CLOSE_EVENT = "section.deadline"


def schedule_deadlines(session: Session, t: Tender) -> None:
    """At publication: the tender's deadline, and each section's own earlier one, in wall-clock time."""
    assert t.bid_deadline is not None
    chronograph.schedule(session, kind=CLOSE_EVENT, object_id=t.id, due_at=wall_time(t, t.bid_deadline))
    for s in t.sections:
        if s.bid_deadline is not None and s.bid_deadline != t.bid_deadline:
            chronograph.schedule(session, kind=SECTION_CLOSE_EVENT, object_id=s.id, due_at=wall_time(t, s.bid_deadline))


def tender_clarify(*, session: Session, now: datetime, principal: Principal, tender_id: int, data: ClarifyIn) -> Tender:
    def change(t: Tender) -> None:
        nominal = tender_now(t, now)
        assert t.bid_deadline is not None
        # A section that has closed has its bids sealed: a change can no longer reach it.
        first = min(section_deadline(t, s) or t.bid_deadline for s in t.sections)
        if nominal >= first:
            raise Conflict("已有标段投标截止，不能再澄清或变更", code="deadline_passed")
        deadline = data.new_bid_deadline or t.bid_deadline
        if data.new_bid_deadline is not None and data.new_bid_deadline < t.bid_deadline:
            raise InvalidInput("澄清不能提前投标截止时间", code="deadline_earlier")
        if data.changes_bid_content:
            # A moved deadline applies to every section (their own earlier deadlines end), so the
            # lead time is checked against the first deadline that stays.
            stays = deadline if data.new_bid_deadline is not None else first
            earliest = rules.clarification_deadline(
                nominal, stays, rules_for(session, t, now), WorkCalendar.load(session)
            )
            if earliest is not None:
                when = format_local(earliest, "%Y-%m-%d %H:%M:%S")
                raise RuleViolation(
                    f"该澄清影响投标文件编制，距投标截止不足法定期限，投标截止时间须顺延至不早于 {when}",
                    code="clarification_too_late",
                    detail={
                        "rule": "clarification_lead",
                        "basis": "招标投标法第二十三条",
                        "earliest": earliest.isoformat(),
                    },
                )
        if data.new_bid_deadline is not None:
            t.bid_deadline = deadline
            t.docs_end = min(t.docs_end, deadline) if t.docs_end else deadline
            for s in t.sections:
                s.bid_deadline = None  # every section now closes at the moved deadline
            chronograph.schedule(session, kind=CLOSE_EVENT, object_id=t.id, due_at=wall_time(t, deadline))
        publish_notice(
            session,
            now=now,
            t=t,
            kind=NoticeKind.CLARIFICATION,
            title=data.title,
            body=data.body,
            facts=schedule_facts(t) | {"changes_bid_content": data.changes_bid_content},
        )

    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_MANAGE,
        name="tender_clarify",
        change=change,
    )


def tender_close(session: Session, now: datetime, tender_id: str) -> None:
    """The chronograph's handler for the bid deadline; also safe to call by hand."""

    def change(t: Tender) -> None:
        assert t.bid_deadline is not None
        if tender_now(t, now) < t.bid_deadline:
            raise Conflict("投标截止时间未到", code="deadline_not_reached")

    act(
        session,
        now=now,
        principal=None,
        actor=audit.SYSTEM,
        tender_id=int(tender_id),
        perm=None,
        name="tender_close",
        change=change,
    )


def tender_fail(*, session: Session, now: datetime, principal: Principal, tender_id: int, reason: str) -> Tender:
    def change(t: Tender) -> None:
        t.end_reason = reason
        publish_notice(session, now=now, t=t, kind=NoticeKind.FAILURE, title=f"{t.name}（流标公告）", body=reason)

    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_REVIEW,
        name="tender_fail",
        change=change,
        detail={"reason": reason},
    )


def tender_terminate(*, session: Session, now: datetime, principal: Principal, tender_id: int, reason: str) -> Tender:
    def change(t: Tender) -> None:
        t.end_reason = reason
        chronograph.cancel(session, kind=CLOSE_EVENT, object_id=t.id, now=now)
        if t.published_at is not None:
            publish_notice(
                session, now=now, t=t, kind=NoticeKind.TERMINATION, title=f"{t.name}（终止公告）", body=reason
            )

    return act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_MANAGE,
        name="tender_terminate",
        change=change,
        detail={"reason": reason},
    )


def tender_retender(*, session: Session, now: datetime, principal: Principal, tender_id: int) -> Tender:
    """A failed tender's one-step re-tender: the same set-up as a new draft, one round later."""
    old = act(
        session,
        now=now,
        principal=principal,
        actor=actor_of(principal),
        tender_id=tender_id,
        perm=Action.TENDER_MANAGE,
        name="tender_retender",
    )
    project = session.get(Project, old.project_id)
    assert project is not None and project.code is not None
    seq = next_value(session, f"tender:{project.code}")
    new = Tender(
        project_id=old.project_id,
        seq=seq,
        code=codes.tender_project_code(project.code, seq),
        name=old.name,
        method=old.method,
        is_ppp=old.is_ppp,
        content=old.content,
        tenderer_org_id=old.tenderer_org_id,
        agency_org_id=old.agency_org_id,
        branch_id=old.branch_id,
        jurisdiction=old.jurisdiction,
        invitees=list(old.invitees),
        backup_custodians=list(old.backup_custodians),
        backup_threshold=old.backup_threshold,
        decryption_minutes=old.decryption_minutes,
        acceleration=old.acceleration,
        status=TenderStatus.DRAFT.value,
        round_no=old.round_no + 1,
        previous_id=old.id,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(new)
    session.flush()
    for s in old.sections:
        new.sections.append(
            Section(
                seq=s.seq,
                code=codes.section_code(new.code, s.seq),
                name=s.name,
                estimate=s.estimate,
                qualification=s.qualification,
                evaluation_method=s.evaluation_method,
            )
        )
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.create",
        object_type="tender",
        object_id=new.id,
        after=snapshot(new),
        detail={"retender_of": old.id},
    )
    return new
