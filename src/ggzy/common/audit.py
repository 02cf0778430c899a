"""Append-only, SM3 hash-chained audit log.

Each event's hash covers its own canonical content and the previous event's hash, so changing,
removing or reordering any event breaks the chain from that point. The single ``audit_head``
row holds the last sequence number and hash: appending updates it first, which takes the write
lock (a row lock on PostgreSQL, the database lock on SQLite), so concurrent processes append
one at a time and never fork the chain. Deleting the newest events is caught by comparing the
chain's end with the head; the day heads shown on the portal let outsiders keep copies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.common.clock import SHANGHAI, ensure_aware, local_date
from ggzy.common.crypto import canonical_json, digest_of, sm3_hex
from ggzy.common.orm import Base

GENESIS = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    actor_user_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(40))
    actor_org_id: Mapped[int | None]
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(80), index=True)
    before_digest: Mapped[str | None] = mapped_column(String(64))
    after_digest: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class Actor:
    """Who did something: a user, or the system itself (chronograph, CLI)."""

    user_id: int | None
    name: str
    role: str
    org_id: int | None = None
    client_addr: str = ""


SYSTEM = Actor(user_id=None, name="系统", role="system")


def _event_content(ev: AuditEvent) -> dict[str, Any]:
    return {
        "seq": ev.seq,
        "occurred_at": ensure_aware(ev.occurred_at).isoformat(timespec="microseconds"),
        "actor_user_id": ev.actor_user_id,
        "actor_name": ev.actor_name,
        "actor_role": ev.actor_role,
        "actor_org_id": ev.actor_org_id,
        "client_addr": ev.client_addr,
        "action": ev.action,
        "object_type": ev.object_type,
        "object_id": ev.object_id,
        "before_digest": ev.before_digest,
        "after_digest": ev.after_digest,
        "detail": ev.detail,
    }


def event_hash(prev_hash: str, ev: AuditEvent) -> str:
    return sm3_hex(prev_hash.encode("ascii") + canonical_json(_event_content(ev)))


def state_digest(state: Any) -> str | None:
    return None if state is None else digest_of(state)


def record(
    session: Session,
    *,
    now: datetime,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    before: Any = None,
    after: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with the change."""
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == 1)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.hash)
    ).first()
    if head is None:
        session.add(AuditHead(id=1, seq=1, hash=GENESIS))
        session.flush()
        seq, prev = 1, GENESIS
    else:
        seq, prev = head.seq, head.hash
    ev = AuditEvent(
        seq=seq,
        occurred_at=ensure_aware(now),
        actor_user_id=actor.user_id,
        actor_name=actor.name,
        actor_role=actor.role,
        actor_org_id=actor.org_id,
        client_addr=actor.client_addr,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before_digest=state_digest(before),
        after_digest=state_digest(after),
        detail=detail or {},
    )
    ev.hash = event_hash(prev, ev)
    ev.prev_hash = prev
    session.add(ev)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(hash=ev.hash))
    return ev


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def verify_chain(session: Session, *, batch: int = 2000, progress: Any = None) -> VerifyResult:
    """Walk the chain in order; report the first event that does not fit."""
    prev = GENESIS
    expected = 1
    checked = 0
    for ev in _iter_events(session, batch):
        if ev.seq != expected:
            return VerifyResult(False, checked, expected, f"缺少第 {expected} 号事件（链在此处断开，疑似被删除或重排）")
        if ev.prev_hash != prev:
            return VerifyResult(False, checked, ev.seq, f"第 {ev.seq} 号事件的前序哈希与链不符（疑似被删除或重排）")
        if event_hash(prev, ev) != ev.hash:
            return VerifyResult(False, checked, ev.seq, f"第 {ev.seq} 号事件的内容与其哈希不符（疑似被篡改）")
        prev = ev.hash
        expected += 1
        checked += 1
        if progress is not None:
            progress(checked)
    head = session.get(AuditHead, 1)
    if head is not None and head.seq > checked:
        return VerifyResult(
            False, checked, checked + 1, f"链尾只到第 {checked} 号，链头记录为第 {head.seq} 号（疑似末尾事件被删除）"
        )
    if head is not None and head.seq < checked:
        return VerifyResult(
            False, checked, head.seq + 1, f"第 {head.seq + 1} 号及以后的事件不在链头记录之内（疑似事后插入）"
        )
    if head is not None and head.hash != prev:
        return VerifyResult(False, checked, checked, f"第 {checked} 号事件的哈希与链头记录不符（疑似被篡改）")
    if head is None and checked:
        return VerifyResult(False, checked, 1, "链头记录缺失")
    return VerifyResult(True, checked)


def _iter_events(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def events_for(session: Session, *, object_type: str, object_id: str, limit: int = 100) -> list[AuditEvent]:
    """One object's history, newest first (the caller has already checked the reader may see it)."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def event_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


@dataclass(frozen=True)
class DayHead:
    day: date
    seq: int
    hash: str
    events: int


def day_heads(session: Session, *, days: int = 14) -> list[DayHead]:
    """The chain head at the end of each Asia/Shanghai day, newest first."""
    heads: dict[date, DayHead] = {}
    counts: dict[date, int] = {}
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.hash).order_by(AuditEvent.seq.desc())
    )
    for seq, occurred_at, h in rows:
        d = local_date(occurred_at)
        counts[d] = counts.get(d, 0) + 1
        if d not in heads:
            if len(heads) >= days:
                break
            heads[d] = DayHead(d, seq, h, 0)
    return [DayHead(h.day, h.seq, h.hash, counts[h.day]) for h in heads.values()]


__all__ = [
    "SHANGHAI",
    "SYSTEM",
    "Actor",
    "AuditEvent",
    "AuditHead",
    "DayHead",
    "VerifyResult",
    "day_heads",
    "record",
    "verify_chain",
]
