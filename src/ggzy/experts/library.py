"""Keeping the library: registration (pending until admitted), admission review by a regulator,
suspension, the blacklist and retirement with reasons and dates, declared conflicts and days the
expert cannot serve. Every change is an audit event."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.errors import Conflict, InvalidInput, NotFound, RuleViolation
from ggzy.experts.enums import ExpertStatus
from ggzy.experts.models import Expert, ExpertBusy, ExpertConflict, ExpertSpeciality, Speciality
from ggzy.experts.rules import Limits
from ggzy.identity.permissions import Principal
from ggzy.identity.rules import validate_id_number, validate_uscc
from ggzy.identity.services import actor_of

ADMISSION_BASIS = "评标专家和评标专家库管理办法（发改委令第26号）；本地入库条件（可配置）"


def _birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _record(session: Session, now: datetime, principal: Principal, action: str, e: Expert, **detail: object) -> None:
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action=f"expert.{action}",
        object_type="expert",
        object_id=e.id,
        after={"status": e.status, **detail},
    )


def expert_register(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    name: str,
    id_number: str,
    employer_credit_code: str,
    title: str,
    years: int,
    region_code: str,
    phone: str,
    specialities: list[str],
    limits: Limits,
) -> Expert:
    number = validate_id_number(id_number)
    employer = validate_uscc(employer_credit_code)
    if session.scalar(select(Expert.id).where(Expert.id_number == number)) is not None:
        raise Conflict("该身份证号的专家已在库中", code="expert_exists")
    known = set(session.scalars(select(Speciality.code).where(Speciality.code.in_(specialities))))
    if not specialities or known != set(specialities):
        missing = "、".join(sorted(set(specialities) - known)) or "（未填写）"
        raise InvalidInput(f"专业代码不在专业分类中：{missing}", code="speciality_unknown")
    born = _birth_date(number)
    today = now.date()
    if _age_on(born, today) >= limits.max_age or years < limits.min_years:
        raise RuleViolation(
            f"入库条件：从业 {limits.min_years} 年以上、年龄不超过 {limits.max_age} 周岁"
            f"（当前从业 {years} 年、{_age_on(born, today)} 周岁）",
            code="admission_conditions",
            detail={"basis": ADMISSION_BASIS},
        )
    e = Expert(
        name=name.strip(),
        id_number=number,
        birth_date=born,
        employer_credit_code=employer,
        title=title.strip(),
        years=years,
        region_code=region_code,
        phone=phone.strip(),
        status=ExpertStatus.PENDING.value,
        created_at=now,
    )
    session.add(e)
    session.flush()
    session.add_all(ExpertSpeciality(expert_id=e.id, speciality_code=c) for c in dict.fromkeys(specialities))
    _record(session, now, principal, "register", e, specialities=specialities)
    return e


def _locked(session: Session, expert_id: int) -> Expert:
    e = session.get(Expert, expert_id, with_for_update=True)
    if e is None:
        raise NotFound(f"专家 {expert_id} 不存在", code="expert_not_found")
    return e


# Which status changes a regulator may make, from which statuses.
CHANGES: dict[ExpertStatus, frozenset[ExpertStatus]] = {
    ExpertStatus.ACTIVE: frozenset({ExpertStatus.PENDING, ExpertStatus.SUSPENDED}),  # admit, or reinstate
    ExpertStatus.SUSPENDED: frozenset({ExpertStatus.ACTIVE}),
    ExpertStatus.BLACKLISTED: frozenset({ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED}),
    ExpertStatus.RETIRED: frozenset({ExpertStatus.ACTIVE, ExpertStatus.SUSPENDED, ExpertStatus.PENDING}),
}


def expert_set_status(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    expert_id: int,
    status: ExpertStatus,
    reason: str,
    until: date | None = None,
) -> Expert:
    e = _locked(session, expert_id)
    current = ExpertStatus(e.status)
    if status not in CHANGES or current not in CHANGES[status]:
        raise Conflict(f"专家当前为“{current.label}”，不能改为“{status.label}”", code="invalid_transition")
    if status is not ExpertStatus.ACTIVE and not reason.strip():
        raise InvalidInput("请写明理由", code="reason_required")
    if status is ExpertStatus.ACTIVE and current is ExpertStatus.PENDING:
        e.admitted_at = now
    e.status, e.status_reason, e.status_until = status.value, reason.strip()[:500], until
    _record(session, now, principal, status.value, e, reason=e.status_reason, until=until)
    return e


def conflict_declare(
    *, session: Session, now: datetime, principal: Principal, expert_id: int, credit_code: str, kind: str, note: str
) -> ExpertConflict:
    e = _locked(session, expert_id)
    c = ExpertConflict(expert_id=e.id, credit_code=validate_uscc(credit_code), kind=kind[:20], note=note[:200])
    session.add(c)
    session.flush()
    _record(session, now, principal, "conflict_declare", e, credit_code=c.credit_code, kind=c.kind)
    return c


def busy_declare(
    *, session: Session, now: datetime, principal: Principal, expert_id: int, day: date, reason: str
) -> ExpertBusy:
    e = _locked(session, expert_id)
    # A day already booked answers like a fresh declaration: refusing would tell whoever asks that
    # the expert sits on a committee that day, and the drawn names are sealed until sign-in.
    b = session.get(ExpertBusy, (e.id, day))
    if b is None:
        b = ExpertBusy(expert_id=e.id, day=day, reason=reason[:100])
        session.add(b)
    _record(session, now, principal, "busy_declare", e, day=day)
    return b
