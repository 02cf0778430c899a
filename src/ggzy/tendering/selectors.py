from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, false, or_, select
from sqlalchemy.orm import Session

from ggzy.identity.enums import Role
from ggzy.identity.models import Branch, Organization
from ggzy.identity.permissions import Action, Principal, Scope, scope_for
from ggzy.registration.models import Project
from ggzy.tendering.enums import TenderStatus
from ggzy.tendering.models import DocumentObtain, Notice, Question, Tender, TenderDocument

_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg,unused-ignore]
PUBLISHED = [
    s.value for s in TenderStatus if s not in (TenderStatus.DRAFT, TenderStatus.PENDING_REVIEW, TenderStatus.RETURNED)
]


def _visible(stmt: _S, principal: Principal) -> _S:
    scope = scope_for(principal, Action.TENDER_READ)
    if principal.role is Role.BIDDER:
        # Bidders see published tenders; invited procedures only when invited (checked per row).
        return stmt.where(Tender.status.in_(PUBLISHED))
    if scope is None:
        return stmt.where(false())
    if scope is Scope.ANY or (scope is Scope.OWN_BRANCH and principal.is_city_staff):
        return stmt
    if scope is Scope.OWN_BRANCH:
        return stmt.where(Tender.branch_id == principal.branch_id)
    if scope is Scope.OWN_ORG:
        return stmt.where(or_(Tender.tenderer_org_id == principal.org_id, Tender.agency_org_id == principal.org_id))
    if scope is Scope.JURISDICTION:
        return stmt.where(Tender.jurisdiction.in_([j.value for j in principal.jurisdictions]))
    return stmt.where(false())


def tenders(
    session: Session, principal: Principal, *, status: TenderStatus | None = None, limit: int = 100
) -> list[Tender]:
    stmt = _visible(select(Tender), principal).order_by(Tender.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Tender.status == status.value)
    rows = session.scalars(stmt).all()
    if principal.role is Role.BIDDER:
        rows = [t for t in rows if not t.invitees or principal.org_id in t.invitees]
    return list(rows)


def review_queue(session: Session, principal: Principal) -> Sequence[Tender]:
    if principal.role is not Role.OPERATOR:
        return []
    stmt = _visible(select(Tender), principal).where(Tender.status == TenderStatus.PENDING_REVIEW.value)
    return session.scalars(stmt.order_by(Tender.updated_at)).all()


def notices(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    kind: str | None = None,
    trading_type: str | None = None,
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[Notice]:
    """Public notices, newest first, by stage (the notice's kind), trading type, region (the
    hosting branch: the city or a county) and date. Notices of invited procedures are public too:
    the invitation goes to the invitees, the fact of the procedure is public (电子招标投标办法 Art. 41)."""
    stmt = select(Notice).order_by(Notice.published_at.desc(), Notice.id.desc()).offset(offset).limit(limit)
    if kind:
        stmt = stmt.where(Notice.kind == kind)
    if trading_type or region:
        stmt = stmt.join(Tender, Tender.id == Notice.tender_id)
    if trading_type:
        stmt = stmt.join(Project, Project.id == Tender.project_id).where(Project.trading_type == trading_type)
    if region:
        stmt = stmt.join(Branch, Branch.id == Tender.branch_id).where(Branch.code == region)
    if since:
        stmt = stmt.where(Notice.published_at >= since)
    if until:
        stmt = stmt.where(Notice.published_at < until)
    return session.scalars(stmt).all()


def notice(session: Session, notice_id: int) -> Notice | None:
    return session.get(Notice, notice_id)


def tender_notices(session: Session, tender_id: int) -> Sequence[Notice]:
    return session.scalars(select(Notice).where(Notice.tender_id == tender_id).order_by(Notice.version)).all()


def documents(session: Session, tender_id: int) -> Sequence[TenderDocument]:
    return session.scalars(
        select(TenderDocument).where(TenderDocument.tender_id == tender_id).order_by(TenderDocument.id)
    ).all()


def questions(session: Session, tender_id: int) -> Sequence[Question]:
    return session.scalars(select(Question).where(Question.tender_id == tender_id).order_by(Question.id)).all()


def obtainers(session: Session, tender_id: int) -> list[Any]:
    """Secret before opening: callers must hold TENDER_OBTAINERS for this tender."""
    return list(
        session.execute(
            select(DocumentObtain, Organization)
            .join(Organization, Organization.id == DocumentObtain.org_id)
            .where(DocumentObtain.tender_id == tender_id)
            .order_by(DocumentObtain.obtained_at)
        ).all()
    )
