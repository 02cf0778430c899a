"""What the rules make public about registrations: accepted projects' name, code, type, tenderer,
branch and amount (电子招标投标办法 Art. 41: the project's scope, size and funding source)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.identity.models import Branch
from ggzy.registration.enums import ProjectStatus
from ggzy.registration.models import Project

PUBLIC_STATUSES = (ProjectStatus.ACCEPTED.value, ProjectStatus.DIRECT_AWARDED.value)


def latest_public_projects(
    session: Session, *, limit: int = 20, branch_code: str | None = None, trading_type: str | None = None
) -> Sequence[Project]:
    stmt = select(Project).where(Project.status.in_(PUBLIC_STATUSES)).order_by(Project.reviewed_at.desc()).limit(limit)
    if branch_code:
        stmt = stmt.join(Branch, Branch.id == Project.branch_id).where(Branch.code == branch_code)
    if trading_type:
        stmt = stmt.where(Project.trading_type == trading_type)
    return session.scalars(stmt).all()
