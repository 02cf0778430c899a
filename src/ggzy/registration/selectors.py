from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from ggzy.identity.enums import Role
from ggzy.identity.models import Branch
from ggzy.identity.permissions import Action, Principal, Scope, allows_object, scope_for
from ggzy.registration import rules
from ggzy.registration.enums import ProjectStatus, RuleTableKind, VersionStatus
from ggzy.registration.models import Project, RuleTableVersion


def active_version(session: Session, kind: RuleTableKind, on: date) -> RuleTableVersion | None:
    return session.scalar(
        select(RuleTableVersion)
        .where(
            RuleTableVersion.kind == kind.value,
            RuleTableVersion.status == VersionStatus.ACTIVE.value,
            RuleTableVersion.effective_from <= on,
        )
        .order_by(RuleTableVersion.effective_from.desc(), RuleTableVersion.number.desc())
        .limit(1)
    )


def versions(session: Session, kind: RuleTableKind) -> Sequence[RuleTableVersion]:
    return session.scalars(
        select(RuleTableVersion).where(RuleTableVersion.kind == kind.value).order_by(RuleTableVersion.number.desc())
    ).all()


def version(session: Session, version_id: int) -> RuleTableVersion | None:
    return session.get(RuleTableVersion, version_id)


def routing_inputs(
    session: Session, on: date
) -> tuple[
    RuleTableVersion | None,
    RuleTableVersion | None,
    list[rules.CatalogueEntry],
    list[rules.Threshold],
    list[rules.BranchArea],
]:
    cat = active_version(session, RuleTableKind.CATALOGUE, on)
    thr = active_version(session, RuleTableKind.THRESHOLD, on)
    entries = [
        rules.CatalogueEntry(i.code, i.trading_type, i.name, i.mandatory_from, i.basis)
        for i in (cat.catalogue_items if cat else [])
    ]
    thresholds = [rules.Threshold(t.trading_type, t.city_from, t.basis) for t in (thr.threshold_rules if thr else [])]
    areas = [rules.BranchArea(b.code, b.name, b.is_city, frozenset(b.regions)) for b in session.scalars(select(Branch))]
    return cat, thr, entries, thresholds, areas


_S = TypeVar("_S", bound=Select)  # type: ignore[type-arg,unused-ignore]


def readable(principal: Principal, p: Project) -> bool:
    """The permission table's object rule, and drafts are their parties' business only."""
    if not allows_object(principal, Action.PROJECT_READ, p):
        return False
    return p.status != ProjectStatus.DRAFT.value or principal.org_id in p.party_org_ids


def _visible(stmt: _S, principal: Principal) -> _S:
    """Restrict a project query to what ``readable`` allows (kept in step with it by a test)."""
    scope = scope_for(principal, Action.PROJECT_READ)
    if scope is not Scope.OWN_ORG:
        stmt = stmt.where(Project.status != ProjectStatus.DRAFT.value)
    if scope is None:
        return stmt.where(false())
    if scope is Scope.ANY or (scope is Scope.OWN_BRANCH and principal.is_city_staff):
        return stmt
    if scope is Scope.OWN_BRANCH:
        return stmt.where(Project.branch_id == principal.branch_id)
    if scope is Scope.OWN_ORG:
        return stmt.where(or_(Project.tenderer_org_id == principal.org_id, Project.agency_org_id == principal.org_id))
    if scope is Scope.JURISDICTION:
        return stmt.where(Project.jurisdiction.in_([j.value for j in principal.jurisdictions]))
    return stmt.where(false())


def projects(
    session: Session, principal: Principal, *, status: ProjectStatus | None = None, limit: int = 100, offset: int = 0
) -> Sequence[Project]:
    stmt = _visible(select(Project), principal).order_by(Project.id.desc()).limit(limit).offset(offset)
    if status is not None:
        stmt = stmt.where(Project.status == status.value)
    return session.scalars(stmt).all()


def review_queue(session: Session, principal: Principal) -> Sequence[Project]:
    stmt = _visible(select(Project), principal).where(Project.status == ProjectStatus.SUBMITTED.value)
    return session.scalars(stmt.order_by(Project.submitted_at)).all()


def emergency_queue(session: Session, principal: Principal) -> Sequence[Project]:
    if principal.role is not Role.REGULATOR:
        return []
    stmt = _visible(select(Project), principal).where(
        Project.status == ProjectStatus.SUBMITTED.value,
        Project.route == "emergency_direct",
        Project.emergency_signed_at.is_(None),
    )
    return session.scalars(stmt.order_by(Project.submitted_at)).all()


def project(session: Session, project_id: int) -> Project | None:
    return session.get(Project, project_id)


def counts_by_status(session: Session, principal: Principal) -> dict[str, int]:
    stmt = _visible(select(Project.status, func.count()).group_by(Project.status), principal)
    return {str(row[0]): int(row[1]) for row in session.execute(stmt).all()}


def public_counts(session: Session) -> dict[str, int]:
    """Accepted projects by trading type: public figures for the portal home."""
    rows = session.execute(
        select(Project.trading_type, func.count())
        .where(Project.status.in_([ProjectStatus.ACCEPTED.value, ProjectStatus.DIRECT_AWARDED.value]))
        .group_by(Project.trading_type)
    ).all()
    return {t: n for t, n in rows}
