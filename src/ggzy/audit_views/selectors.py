"""Reading the audit log by role: auditors and administrators see all of it (bidders' names on bid
events only once the section's opening has started); a regulator sees the events on projects in
its jurisdiction."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ggzy.bidding.models import Opening
from ggzy.common.audit import AuditEvent
from ggzy.evaluation.models import Evaluation, Member
from ggzy.identity.permissions import Action, Principal, Scope, scope_for
from ggzy.registration.models import Project


def events(
    session: Session,
    principal: Principal,
    *,
    before_seq: int | None = None,
    limit: int = 100,
    object_type: str | None = None,
    object_id: str | None = None,
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(limit)
    if before_seq is not None:
        stmt = stmt.where(AuditEvent.seq < before_seq)
    if object_type:
        stmt = stmt.where(AuditEvent.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEvent.object_id == object_id)
    scope = scope_for(principal, Action.AUDIT_READ)
    if scope is Scope.JURISDICTION:
        in_scope = select(Project.id).where(Project.jurisdiction.in_([j.value for j in principal.jurisdictions]))
        ids = [str(i) for i in session.scalars(in_scope)]
        stmt = stmt.where(and_(AuditEvent.object_type == "project", AuditEvent.object_id.in_(ids)))
    elif scope is not Scope.ANY:
        return []
    rows = _sealed_until_signed_in(session, _sealed_until_opening(session, session.scalars(stmt).all()))
    if object_id:  # asking about one section must not count its sealed bid events either
        rows = [r for r in rows if r.object_id != REDACTED]
    return rows


# Events that name a section's bidder. The log keeps them whole (its hash chain covers them), but
# nobody reads who they are before the section's opening starts (招标投标法第二十二条).
SEALED_ACTIONS = frozenset({"bid.submit", "bid.replace", "bid.withdraw"})
REDACTED = "（开标前保密）"


def _sealed_until_opening(session: Session, rows: Sequence[AuditEvent]) -> Sequence[Any]:
    sections = {r.object_id for r in rows if r.action in SEALED_ACTIONS}
    if not sections:
        return rows
    opened = {
        str(i)
        for i in session.scalars(select(Opening.section_id).where(Opening.section_id.in_([int(x) for x in sections])))
    }
    return [
        SimpleNamespace(
            **{c.key: getattr(r, c.key) for c in AuditEvent.__table__.columns}
            | {"actor_user_id": None, "actor_name": REDACTED, "actor_org_id": None, "client_addr": ""}
            | {"object_id": REDACTED, "detail": {}}  # nor how many bid on which section
        )
        if r.action in SEALED_ACTIONS and r.object_id not in opened
        else r
        for r in rows
    ]


# An expert's answer to an invitation names a drawn expert. Nobody but the system learns who was
# drawn until that expert signs in at the evaluation site (issue 5; 评标专家和评标专家库管理办法:
# the list is confidential before the evaluation); a declining expert never signs in, so stays sealed.
EXPERT_SEALED = frozenset({"extraction.accept", "extraction.decline"})
EXPERT_REDACTED = "（签到前保密）"


def _sealed_until_signed_in(session: Session, rows: Sequence[Any]) -> Sequence[Any]:
    users = {r.actor_user_id for r in rows if r.action in EXPERT_SEALED and r.actor_user_id is not None}
    if not users:
        return rows
    seated = {
        (str(x), u)
        for x, u in session.execute(
            select(Evaluation.extraction_id, Member.user_id)
            .join(Member, Member.evaluation_id == Evaluation.id)
            .where(Member.user_id.in_(users), Member.signed_in_at.is_not(None))
        )
    }
    return [
        SimpleNamespace(
            **{c.key: getattr(r, c.key) for c in AuditEvent.__table__.columns}
            | {"actor_user_id": None, "actor_name": EXPERT_REDACTED, "actor_org_id": None, "client_addr": ""}
            | {"before_digest": None, "after_digest": None, "detail": {}}
        )
        if r.action in EXPERT_SEALED and (r.object_id, r.actor_user_id) not in seated
        else r
        for r in rows
    ]
