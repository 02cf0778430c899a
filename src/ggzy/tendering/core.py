"""Plumbing every tendering use case shares: the tender's own clock (accelerated in the sandbox),
the rules in force, who may see a tender, locking it, the one path every action takes (lock,
transition, change, audit), and immutable notices."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit, outbox
from ggzy.common.audit import Actor
from ggzy.common.clock import local_date
from ggzy.common.crypto import digest_of
from ggzy.common.errors import Conflict, NotFound, PermissionDenied
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.tendering import rules, state
from ggzy.tendering.enums import Method, NoticeKind, PeriodUnit, RuleKey, TenderStatus
from ggzy.tendering.models import Notice, Section, Tender, TenderRule


def tender_now(t: Tender, now: datetime) -> datetime:
    """The tender's own clock: in the sandbox, statutory periods pass ``acceleration`` times faster."""
    if t.acceleration <= 1 or t.published_at is None:
        return now
    return t.published_at + (now - t.published_at) * t.acceleration


def section_deadline(t: Tender, s: Section) -> datetime | None:
    """When the section's bids close and its opening starts: its own deadline, or the tender's."""
    return s.bid_deadline or t.bid_deadline


def wall_time(t: Tender, nominal: datetime) -> datetime:
    """When, on the wall clock, the tender's own clock shows ``nominal``."""
    if t.acceleration <= 1 or t.published_at is None:
        return nominal
    return t.published_at + (nominal - t.published_at) / t.acceleration


def rule_rows(session: Session) -> list[rules.RuleRow]:
    return [
        rules.RuleRow(
            Method(r.method), RuleKey(r.key), r.amount, PeriodUnit(r.unit), r.basis, r.effective_from, r.verified
        )
        for r in session.scalars(select(TenderRule))
    ]


def rules_for(session: Session, t: Tender, now: datetime) -> dict[Any, rules.RuleRow]:
    """The rows in force when the tender was published (or would be, now)."""
    return rules.in_force(rule_rows(session), Method(t.method), t.rules_date or local_date(now))


def snapshot(t: Tender) -> dict[str, Any]:
    return {
        "code": t.code,
        "name": t.name,
        "method": t.method,
        "status": t.status,
        "docs_start": t.docs_start,
        "docs_end": t.docs_end,
        "question_deadline": t.question_deadline,
        "bid_deadline": t.bid_deadline,
        "sections": [(s.code, s.name, str(s.estimate), s.evaluation_method) for s in t.sections],
        "invitees": t.invitees,
        "acceleration": t.acceleration,
    }


def visible(principal: Principal, t: Tender) -> bool:
    """Published tenders are public (their notice is); before that only the parties and the centre."""
    return allows_object(principal, Action.TENDER_READ, t) or t.published_at is not None


def tender_for(session: Session, principal: Principal, tender_id: int) -> Tender:
    t = session.get(Tender, tender_id)
    if t is None or not visible(principal, t):
        raise NotFound(f"招标项目 {tender_id} 不存在", code="tender_not_found")
    return t


def locked(session: Session, principal: Principal | None, tender_id: int, perm: Action | None) -> Tender:
    t = session.scalar(select(Tender).where(Tender.id == tender_id).with_for_update())
    if t is None or (principal is not None and not visible(principal, t)):
        raise NotFound(f"招标项目 {tender_id} 不存在", code="tender_not_found")
    if principal is not None and perm is not None and not allows_object(principal, perm, t):
        raise PermissionDenied("该招标项目不在您的办理范围内", code="out_of_scope")
    return t


def act(
    session: Session,
    *,
    now: datetime,
    principal: Principal | None,
    actor: Actor,
    tender_id: int,
    perm: Action | None,
    name: str,
    change: Any = None,
    detail: dict[str, Any] | None = None,
) -> Tender:
    t = locked(session, principal, tender_id, perm)
    before = snapshot(t)
    target = state.transition(name, TenderStatus(t.status))
    if change is not None:
        change(t)
    t.status, t.updated_at = target.value, now
    audit.record(
        session,
        now=now,
        actor=actor,
        action=name.replace("tender_", "tender."),
        object_type="tender",
        object_id=t.id,
        before=before,
        after=snapshot(t),
        detail=detail,
    )
    return t


def publish_notice(
    session: Session,
    *,
    now: datetime,
    t: Tender,
    kind: NoticeKind,
    title: str,
    body: str,
    facts: dict[str, Any] | None = None,
) -> Notice:
    """Append an immutable notice; it supersedes the tender's latest one."""
    latest = session.scalar(select(Notice).where(Notice.tender_id == t.id).order_by(Notice.version.desc()).limit(1))
    version = (latest.version + 1) if latest else 1
    content = {
        "tender": t.code,
        "kind": kind.value,
        "version": version,
        "title": title,
        "body": body,
        "facts": facts or {},
        "published_at": now.isoformat(),
    }
    n = Notice(
        tender_id=t.id,
        kind=kind.value,
        version=version,
        supersedes_id=latest.id if latest else None,
        title=title,
        body=body,
        facts=facts or {},
        published_at=now,
        digest=digest_of(content),
    )
    session.add(n)
    session.flush()
    # Published notices are public: the change feed, open data and the upward exchange follow it.
    outbox.emit(
        session, now=now, kind="notice.published", object_type="notice", object_id=n.id,
        data={
            "tender": t.code, "tender_id": t.id, "notice_kind": kind.value, "version": version,
            "supersedes": n.supersedes_id, "title": title, "published_at": now.isoformat(), "digest": n.digest,
        },
    )  # fmt: skip
    return n


def schedule_facts(t: Tender) -> dict[str, Any]:
    return {
        k: getattr(t, k).isoformat()
        for k in ("docs_start", "docs_end", "question_deadline", "bid_deadline")
        if getattr(t, k) is not None
    }


class Answerable(Protocol):
    id: int
    tender_id: int
    answer: str | None
    answered_at: datetime | None
    answered_by: int | None


A = TypeVar("A", bound=Answerable)


def answer_once(
    session: Session,
    *,
    now: datetime,
    principal: Principal,
    tender_id: int,
    model: type[A],
    row_id: int,
    text: str,
    action: str,
    what: str,
    already: str,
) -> tuple[Tender, A]:
    """The tenderer's one answer to a question or an objection: lock both, check, answer. The caller
    records the audit event (each says what it needs)."""
    t = locked(session, principal, tender_id, Action.TENDER_MANAGE)
    state.transition(action, TenderStatus(t.status))
    id_column: Any = getattr(model, "id")  # noqa: B009 (a mapped column, not a plain attribute)
    row = session.scalar(select(model).where(id_column == row_id).with_for_update())
    if row is None or row.tender_id != t.id:
        raise NotFound(f"{what}不存在", code=f"{action.split('_')[0]}_not_found")
    if row.answer is not None:
        raise Conflict(already, code="already_answered")
    row.answer, row.answered_at, row.answered_by = text, now, principal.user_id
    return t, row
