"""Reads for the library pages and an expert's own invitations."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.experts.extraction import committee
from ggzy.experts.models import Expert, ExpertSpeciality, Extraction, Speciality
from ggzy.identity.permissions import Principal


def experts(session: Session, *, status: str | None = None, limit: int = 200) -> Sequence[Expert]:
    q = select(Expert).order_by(Expert.status, Expert.id).limit(limit)
    if status:
        q = q.where(Expert.status == status)
    return session.scalars(q).all()


def specialities_of(session: Session, ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    rows = session.execute(
        select(ExpertSpeciality.expert_id, Speciality.name)
        .join(Speciality, Speciality.code == ExpertSpeciality.speciality_code)
        .where(ExpertSpeciality.expert_id.in_(list(ids)))
    )
    for expert_id, name in rows:
        out.setdefault(expert_id, []).append(name)
    return out


def invitations(session: Session, principal: Principal) -> list[Extraction]:
    """Drawn committees the signed-in expert is on and has not answered yet."""
    me = session.scalar(select(Expert).where(Expert.user_id == principal.user_id)) if principal.user_id else None
    if me is None:
        return []
    drawn = session.scalars(
        select(Extraction).where(Extraction.status == "drawn").order_by(Extraction.id.desc()).limit(200)
    )
    return [x for x in drawn if any(me.id in m for m in committee(x)) and str(me.id) not in (x.responses or {})]
