"""Reading the audit log by role: auditors and administrators see all of it; a regulator sees the
events on projects in its jurisdiction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from ggzy.common.audit import AuditEvent
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
    return session.scalars(stmt).all()
