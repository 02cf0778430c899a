"""The upward exchange's use cases: collect records from the change feed, deliver them, and let
operators resend what failed after a fix.

Collecting follows the outbox with its own cursor, in one transaction with the rows it writes,
so a change is turned into records exactly once. Delivering claims due rows under a short lease
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several app processes share the queue without
sending a row twice at once), posts each outside any transaction, then records the outcome. A
network failure leaves the row pending with exponential backoff; the idempotency key, fixed by
the content, lets upstream recognise a resend of a record it already took.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from ggzy.common import audit, outbox
from ggzy.common.crypto import sm3_hex
from ggzy.common.errors import Conflict, NotFound
from ggzy.exchange import validate
from ggzy.exchange.datasets import Record, records_for
from ggzy.exchange.enums import DeliveryStatus as S
from ggzy.exchange.models import Delivery, ExchangeState
from ggzy.exchange.sources import procedure
from ggzy.exchange.spec import dataset
from ggzy.identity.permissions import Principal
from ggzy.identity.services import actor_of

log = logging.getLogger("ggzy.exchange")
KINDS = ("notice.published", "contract.recorded")
LEASE = timedelta(minutes=2)
BACKOFF_FIRST, BACKOFF_MAX = timedelta(seconds=30), timedelta(hours=1)
ROOTS = ("500", "550")  # records with no parent


@dataclass(frozen=True)
class Options:
    platform_no: int
    base_url: str
    centre: str
    max_attempts: int = 10


@dataclass(frozen=True)
class Outcome:
    ok: bool
    permanent: bool = False  # upstream refused the record itself: retrying the same cannot help
    message: str = ""
    receipt: str = ""


class Sender(Protocol):
    def send(self, d: Delivery) -> Outcome: ...


def canonical(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


# --- collecting ---------------------------------------------------------------------------------


def _state(session: Session) -> ExchangeState:
    st = session.get(ExchangeState, 1, with_for_update=True)
    if st is None:
        st = ExchangeState(id=1, cursor=0)
        session.add(st)
        session.flush()
    return st


def _known_tenders(session: Session, code: object) -> frozenset[str]:
    """Of the tender project ``code``: known if upstream has it or will have it first (a 501 that
    is queued or sent, not held)."""
    if not isinstance(code, str) or not code:
        return frozenset()
    found = session.scalar(
        select(Delivery.id)
        .where(
            Delivery.dataset_no == "501",
            Delivery.record_key == code,
            Delivery.status.in_((S.PENDING.value, S.SENT.value)),
        )
        .limit(1)
    )
    return frozenset({code}) if found else frozenset()


def _problems(session: Session, rec: Record) -> list[dict[str, str]]:
    ds = dataset(rec.dataset)
    found = validate.check(ds, rec.fields, known_tenders=_known_tenders(session, rec.fields.get("TENDER_PROJECT_CODE")))
    for f in ds.fields:
        if not f.cannot_modify or f.name not in rec.fields:
            continue
        sent = session.scalars(
            select(Delivery.payload).where(
                Delivery.dataset_no == rec.dataset, Delivery.record_key == rec.key, Delivery.status == S.SENT.value
            )
        ).first()
        if sent is not None and sent.get(f.name) != rec.fields[f.name]:
            found.append(validate.Problem(f.name, "cannot_modify", f"{f.cn}（{f.name}）：报送后不可修改"))
    return [p.as_dict() for p in found]


def _store(session: Session, *, now: datetime, rec: Record, change_seq: int, tender_id: int | None) -> Delivery | None:
    digest = sm3_hex(canonical(rec.fields))
    same = session.scalars(
        select(Delivery).where(Delivery.dataset_no == rec.dataset, Delivery.record_key == rec.key)
    ).all()
    if any(d.digest == digest and d.status != S.SUPERSEDED.value for d in same):
        return None  # nothing new (a project's second tender repeats its 500 record)
    for d in same:  # an unsent older version gives way to this one
        if d.status in (S.HELD.value, S.PENDING.value, S.FAILED.value):
            d.status, d.updated_at = S.SUPERSEDED.value, now
    problems = _problems(session, rec)
    d = Delivery(
        dataset_no=rec.dataset,
        record_key=rec.key,
        parent_dataset=rec.parent[0] if rec.parent else None,
        parent_key=rec.parent[1] if rec.parent else None,
        change_seq=change_seq,
        tender_id=tender_id,
        payload=rec.fields,
        digest=digest,
        idempotency_key=sm3_hex(f"{rec.dataset}|{rec.key}|{digest}"),
        status=(S.HELD if problems else S.PENDING).value,
        problems=problems,
        attempts=0,
        next_attempt_at=None if problems else now,
        last_error="",
        receipt="",
        created_at=now,
        updated_at=now,
    )
    session.add(d)
    session.flush()
    return d


def _records(session: Session, change: outbox.Change, opts: Options) -> tuple[int | None, list[Record]]:
    tender_id = change.data.get("tender_id")
    if tender_id is None:
        return None, []
    x = procedure(session, int(tender_id), platform_no=opts.platform_no, base_url=opts.base_url, centre=opts.centre)
    return int(tender_id), records_for(x, change)


BUILD_FAILED = "000"  # a change whose records could not be built: held, naming the change


def _build_failed(session: Session, *, now: datetime, change: outbox.Change, error: Exception) -> None:
    key = f"change-{change.seq}"
    message = (
        f"变更 {change.seq}（{change.kind} {change.object_id}）生成数据集记录失败：{type(error).__name__}: {error}"
    )
    session.add(
        Delivery(
            dataset_no=BUILD_FAILED, record_key=key, change_seq=change.seq, tender_id=change.data.get("tender_id"),
            payload={}, digest=sm3_hex(key), idempotency_key=sm3_hex(key), status=S.HELD.value,
            problems=[{"field": "-", "code": "build_failed", "message": message[:500]}],
            attempts=0, last_error="", receipt="", created_at=now, updated_at=now,
        )
    )  # fmt: skip
    session.flush()


def _collect_change(session: Session, *, now: datetime, change: outbox.Change, opts: Options) -> None:
    """One change's records, or (should building them fail) a held row saying so: a bad change
    must neither stop the exchange nor be skipped silently."""
    try:
        with session.begin_nested():
            tender_id, recs = _records(session, change, opts)
            for rec in recs:
                _store(session, now=now, rec=rec, change_seq=change.seq, tender_id=tender_id)
    except Exception as e:  # recorded on the held row; the operator resends after the fix
        log.exception("exchange: building records of change %s failed", change.seq)
        _build_failed(session, now=now, change=change, error=e)


def collect(session: Session, *, now: datetime, opts: Options, batch: int = 200) -> int:
    """Turn the changes after the cursor into deliveries; returns how many changes were read."""
    st = _state(session)
    changes = outbox.since(session, after=st.cursor, limit=batch, kinds=KINDS)
    for change in changes:
        _collect_change(session, now=now, change=change, opts=opts)
    if changes:
        st.cursor = changes[-1].seq
    return len(changes)


# --- delivering ---------------------------------------------------------------------------------


def claim(session: Session, *, now: datetime, limit: int = 50) -> list[Delivery]:
    """Due rows whose parent upstream already has, leased to this caller."""
    parent = aliased(Delivery)
    parent_sent = exists().where(
        and_(
            parent.dataset_no == Delivery.parent_dataset,
            parent.record_key == Delivery.parent_key,
            parent.status == S.SENT.value,
        )
    )
    q = (
        select(Delivery)
        .where(
            Delivery.status == S.PENDING.value,
            Delivery.next_attempt_at <= now,
            (Delivery.lease_until.is_(None)) | (Delivery.lease_until < now),
            (Delivery.parent_dataset.is_(None)) | parent_sent,
        )
        .order_by(Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Delivery)
    )
    rows = list(session.scalars(q))
    for d in rows:
        d.lease_until, d.attempts = now + LEASE, d.attempts + 1
    session.flush()
    return rows


def record_outcome(
    session: Session, *, now: datetime, delivery_id: int, outcome: Outcome, max_attempts: int
) -> Delivery:
    d = session.get(Delivery, delivery_id, with_for_update=True)
    assert d is not None
    d.lease_until, d.updated_at = None, now
    if outcome.ok:
        d.status, d.sent_at, d.receipt, d.last_error = S.SENT.value, now, outcome.receipt[:120], ""
    elif outcome.permanent:
        d.status, d.last_error = S.FAILED.value, outcome.message
    elif d.attempts >= max_attempts:
        d.status, d.last_error = S.FAILED.value, f"重试 {d.attempts} 次仍失败：{outcome.message}"
    else:
        d.next_attempt_at, d.last_error = now + backoff(d.attempts), outcome.message
    return d


def deliver(db: Any, *, now: datetime, sender: Sender, max_attempts: int, limit: int = 50) -> int:
    """One round: claim, send each outside a transaction, record outcomes; returns how many sent."""
    with db.transaction() as s:
        claimed = [(d.id, d) for d in claim(s, now=now, limit=limit)]
        for _, d in claimed:
            s.expunge(d)
    sent = 0
    for delivery_id, d in claimed:
        try:
            outcome = sender.send(d)
        except Exception as e:
            outcome = Outcome(ok=False, message=f"{type(e).__name__}: {e}"[:500])
        with db.transaction() as s:
            record_outcome(s, now=now, delivery_id=delivery_id, outcome=outcome, max_attempts=max_attempts)
        sent += outcome.ok
    return sent


def run(db: Any, *, now: datetime, opts: Options, sender: Sender | None) -> tuple[int, int]:
    """Collect everything new, then deliver what is due (rounds until nothing more goes)."""
    read = 0
    while True:
        with db.transaction() as s:
            n = collect(s, now=now, opts=opts)
        read += n
        if n == 0:
            break
    sent = 0
    while sender is not None:
        n = deliver(db, now=now, sender=sender, max_attempts=opts.max_attempts)
        sent += n
        if n == 0:
            break
    return read, sent


# --- operators ----------------------------------------------------------------------------------


def _rebuild(session: Session, d: Delivery, opts: Options) -> Record | None:
    change = session.scalar(select(outbox.Change).where(outbox.Change.seq == d.change_seq))
    if change is None:
        return None
    _, recs = _records(session, change, opts)
    return next((r for r in recs if r.dataset == d.dataset_no and r.key == d.record_key), None)


def resend(*, session: Session, now: datetime, principal: Principal, delivery_id: int, opts: Options) -> Delivery:
    """A held or failed record, built again from the data as it is now (after a fix), checked
    again, and queued at once if it passes."""
    d = session.get(Delivery, delivery_id, with_for_update=True)
    if d is None:
        raise NotFound(f"报送记录 {delivery_id} 不存在", code="delivery_not_found")
    if d.status not in (S.HELD.value, S.FAILED.value):
        raise Conflict(f"该记录{S(d.status).label}，无需重新报送", code="delivery_not_resendable")
    before = {"status": d.status, "digest": d.digest}
    if d.dataset_no == BUILD_FAILED:
        return _rebuild_change(session, now=now, principal=principal, d=d, opts=opts, before=before)
    rec = _rebuild(session, d, opts)
    if rec is None:
        raise Conflict("来源数据已不存在，无法重新生成", code="delivery_source_gone")
    digest = sm3_hex(canonical(rec.fields))
    problems = _problems(session, rec)
    d.payload, d.digest, d.problems = rec.fields, digest, problems
    d.idempotency_key = sm3_hex(f"{rec.dataset}|{rec.key}|{digest}")
    d.status = (S.HELD if problems else S.PENDING).value
    d.attempts, d.last_error, d.lease_until = 0, "", None
    d.next_attempt_at, d.updated_at = (None if problems else now), now
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="exchange.resend",
        object_type="exchange_delivery",
        object_id=d.id,
        before=before,
        after={"status": d.status, "digest": d.digest, "problems": len(problems)},
    )
    return d


def _rebuild_change(
    session: Session, *, now: datetime, principal: Principal, d: Delivery, opts: Options, before: dict[str, Any]
) -> Delivery:
    change = session.scalar(select(outbox.Change).where(outbox.Change.seq == d.change_seq))
    if change is None:
        raise Conflict("来源数据已不存在，无法重新生成", code="delivery_source_gone")
    d.status, d.updated_at = S.SUPERSEDED.value, now
    session.flush()
    _collect_change(session, now=now, change=change, opts=opts)
    audit.record(
        session, now=now, actor=actor_of(principal), action="exchange.resend", object_type="exchange_delivery",
        object_id=d.id, before=before, after={"status": d.status, "rebuilt_change": change.seq},
    )  # fmt: skip
    return d


def recheck_held(*, session: Session, now: datetime, principal: Principal, opts: Options) -> tuple[int, int]:
    """Every held record built and checked again (after fixing data many depend on);
    returns (now queued, still held)."""
    ids = list(session.scalars(select(Delivery.id).where(Delivery.status == S.HELD.value).order_by(Delivery.id)))
    queued = 0
    for i in ids:
        queued += resend(session=session, now=now, principal=principal, delivery_id=i, opts=opts).status == S.PENDING
    return queued, len(ids) - queued
