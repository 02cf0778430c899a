"""Who may be drawn: the eligible experts for one speciality of one request, after every avoidance
rule, as one indexed query (the fast path), and, when too few remain, how many each rule removed.

Avoidance (评标委员会和评标方法暂行规定第十二条, 发改委令第26号, local practice):
not active; wrong speciality; outside the region scope; over the age limit on the evaluation
day; staff of the tenderer or of the project's supervising department; staff of a bidder (known
after opening); a declared conflict with the tenderer or a bidder; too many services for the
same tenderer in the last 12 months; busy on the evaluation day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from ggzy.experts.enums import Avoidance, ExpertStatus
from ggzy.experts.models import Expert, ExpertBusy, ExpertConflict, ExpertService, ExpertSpeciality
from ggzy.experts.rules import Limits


@dataclass(frozen=True)
class PoolQuery:
    speciality: str  # a classification code; its sub-specialities match too
    regions: Sequence[str]  # region codes (6 digits) or prefixes ("2202" = the whole city)
    day: date
    tenderer: str  # credit code
    supervisors: Sequence[str] = ()  # credit codes of the supervising department(s)
    bidders: Sequence[str] = ()  # credit codes of the section's bidders
    exclude: Sequence[int] = field(default_factory=tuple)  # already drawn for another need


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _conditions(q: PoolQuery, limits: Limits) -> list[tuple[Avoidance, ColumnElement[bool]]]:
    """Each rule as a SQL condition an eligible expert satisfies, in the order they are applied."""
    parties = [q.tenderer, *q.bidders]
    region = [Expert.region_code.startswith(r) for r in q.regions] or [Expert.region_code.is_not(None)]
    since = _years_before(q.day, 1)
    # One scan of the tenderer's recent services per request, not a count per candidate.
    frequent = (
        select(ExpertService.expert_id)
        .where(ExpertService.tenderer_credit_code == q.tenderer, ExpertService.served_on > since)
        .group_by(ExpertService.expert_id)
        .having(func.count() >= limits.max_services_per_tenderer)
    )
    return [
        (Avoidance.NOT_ACTIVE, Expert.status == ExpertStatus.ACTIVE.value),
        (Avoidance.SPECIALITY, Expert.id.in_(_of_speciality(q.speciality))),
        (Avoidance.REGION, or_(*region)),
        (Avoidance.AGE, Expert.birth_date > _years_before(q.day, limits.max_age)),
        (Avoidance.TENDERER_STAFF, Expert.employer_credit_code != q.tenderer),
        (Avoidance.SUPERVISOR_STAFF, Expert.employer_credit_code.not_in(list(q.supervisors) or [""])),
        (Avoidance.BIDDER_STAFF, Expert.employer_credit_code.not_in(list(q.bidders) or [""])),
        (
            Avoidance.DECLARED_CONFLICT,
            ~exists().where(ExpertConflict.expert_id == Expert.id, ExpertConflict.credit_code.in_(parties)),
        ),
        (Avoidance.FREQUENT, Expert.id.not_in(frequent)),
        (Avoidance.BUSY, ~exists().where(ExpertBusy.expert_id == Expert.id, ExpertBusy.day == q.day)),
    ]


def _of_speciality(code: str) -> Select[int]:
    """Experts of the speciality or a sub-speciality, as an index range on the code (codes are
    hierarchical: A01 covers A0101 ...): [code, code with its last character incremented)."""
    upper = code[:-1] + chr(ord(code[-1]) + 1)
    return select(ExpertSpeciality.expert_id).where(
        ExpertSpeciality.speciality_code >= code, ExpertSpeciality.speciality_code < upper
    )


def _base(q: PoolQuery) -> Select[int]:
    stmt = select(Expert.id).order_by(Expert.id)
    if q.exclude:
        stmt = stmt.where(Expert.id.not_in(list(q.exclude)))
    return stmt


def eligible(session: Session, q: PoolQuery, limits: Limits) -> list[int]:
    """The eligible experts' ids, in id order (the list a draw commits to)."""
    stmt = _base(q).where(and_(*(c for _, c in _conditions(q, limits))))
    return list(session.scalars(stmt))


def plain(session: Session, q: PoolQuery) -> list[int]:
    """The benchmark's baseline: active experts of the speciality, no avoidance rules."""
    stmt = _base(q).where(Expert.status == ExpertStatus.ACTIVE.value, Expert.id.in_(_of_speciality(q.speciality)))
    return list(session.scalars(stmt))


def breakdown(session: Session, q: PoolQuery, limits: Limits) -> list[tuple[Avoidance, int]]:
    """How many experts each rule removed, applying the rules in order (for a clear refusal)."""
    out: list[tuple[Avoidance, int]] = []
    applied: list[ColumnElement[bool]] = []
    before = session.scalar(select(func.count()).select_from(_base(q).subquery())) or 0
    for rule, cond in _conditions(q, limits):
        applied.append(cond)
        stmt = _base(q).where(and_(*applied))
        after = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        out.append((rule, before - after))
        before = after
    return out
