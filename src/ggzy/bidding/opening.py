"""Remote opening (不见面开标) of one section: start at the deadline, the decryption window, the
backup route, and the opening record.

At the deadline the bid list is frozen (submission checks the clock) and each section's opening
starts, or fails when too few bids came in (``rules.min_bids``, a dated rule row). Each bidder
hands in its content key (``ggzy bidder decrypt-key``) within the window; the platform decrypts,
checks the digest the bidder signed and reads the price sheet. What is not decrypted follows 电子招标投标办法第三十一条:
the bidder's fault means 撤销 (revoked), anyone else's 撤回 (withdrawn), and the backup route is
used where the tender documents provide it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.bidding import envelope, rules, state
from ggzy.bidding.enums import BidStatus, OpeningStatus, Outcome
from ggzy.bidding.models import Bid, Opening
from ggzy.bidding.store import BidStore
from ggzy.common import audit, chronograph
from ggzy.common.crypto import digest_of
from ggzy.common.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied
from ggzy.common.money import format_yuan
from ggzy.identity.models import Organization
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.services import actor_of
from ggzy.tendering import backup
from ggzy.tendering import services as tendering
from ggzy.tendering.core import act, publish_notice, rules_for, section_deadline, tender_now, wall_time
from ggzy.tendering.enums import NoticeKind, TenderStatus
from ggzy.tendering.models import Section, Tender

PENDING_BACKUP = "待备用解密"


# --- the start --------------------------------------------------------------------------------


def deadline_reached(session: Session, now: datetime, tender_id: str) -> None:
    """The chronograph's handler for the bid deadline: close the tender and start its openings."""
    t = session.get(Tender, int(tender_id))
    if t is None or not ensure(session, now=now, t=t):
        raise Conflict("截标与开标已处理", code="already_applied")


def section_deadline_reached(session: Session, now: datetime, section_id: str) -> None:
    """The chronograph's handler for a section's own, earlier deadline: start its opening."""
    s = session.get(Section, int(section_id))
    t = session.scalar(select(Tender).where(Tender.id == s.tender_id).with_for_update()) if s else None
    if t is None or not ensure(session, now=now, t=t):
        raise Conflict("该标段开标已处理", code="already_applied")


def ensure(session: Session, *, now: datetime, t: Tender) -> bool:
    """Bring the tender's openings up to the clock; every opening action calls this first, so
    nothing waits for the chronograph. Returns whether anything changed."""
    changed = False
    nominal = tender_now(t, now)
    if t.status == TenderStatus.BIDDING.value:
        assert t.bid_deadline is not None
        if nominal >= t.bid_deadline:
            tendering.tender_close(session, now, str(t.id))
            changed = True
    bidding = t.status == TenderStatus.BIDDING.value
    failed: list[tuple[Section, Opening]] = []
    for s in t.sections:
        o = session.scalar(select(Opening).where(Opening.section_id == s.id))
        deadline = section_deadline(t, s)
        due = t.status == TenderStatus.CLOSED.value or (bidding and deadline is not None and nominal >= deadline)
        if o is None and due:
            o = _start(session, now=now, t=t, s=s)
            changed = True
            if o.status == OpeningStatus.FAILED.value:
                failed.append((s, o))
        # A window closes on time whatever became of the tender meanwhile (terminated, failed).
        elif o is not None and o.status == OpeningStatus.DECRYPTING.value and tender_now(t, now) >= o.decrypt_until:
            _window_close(session, now=now, t=t, o=o, actor=audit.SYSTEM)
            changed = True
    if failed and len(failed) < len(t.sections):
        # Some sections open, these do not: each gets its own public failure notice.
        for s, o in failed:
            publish_notice(
                session, now=now, t=t, kind=NoticeKind.FAILURE, title=f"{t.name} {s.name}（流标公告）",
                body=o.failure_reason, facts={"section": s.code},
            )  # fmt: skip
    if changed:
        _advance(session, now=now, t=t)
    return changed


def _advance(session: Session, *, now: datetime, t: Tender) -> None:
    """When no section is still opening: every one failed means the tender fails (流标); otherwise
    the tender moves on to evaluation."""
    if t.status != TenderStatus.CLOSED.value:
        return
    openings = session.scalars(select(Opening).where(Opening.tender_id == t.id)).all()
    if len(openings) < len(t.sections):
        return
    if all(o.status == OpeningStatus.FAILED.value for o in openings):
        _tender_fail(session, now=now, t=t, reason="；".join(o.failure_reason for o in openings))
    elif all(o.status in (OpeningStatus.FAILED.value, OpeningStatus.PUBLISHED.value) for o in openings):
        act(
            session,
            now=now,
            principal=None,
            actor=audit.SYSTEM,
            tender_id=t.id,
            perm=None,
            name="tender_opened",
            detail={"sections": {o.section_id: o.status for o in openings}},
        )


def _start(session: Session, *, now: datetime, t: Tender, s: Section) -> Opening:
    deadline = section_deadline(t, s)
    assert deadline is not None
    count = session.scalar(
        select(func.count(Bid.id)).where(Bid.section_id == s.id, Bid.status == BidStatus.ACCEPTED.value)
    )
    need = rules.min_bids(rules_for(session, t, now))
    o = Opening(
        tender_id=t.id,
        section_id=s.id,
        status=OpeningStatus.DECRYPTING.value,
        started_at=deadline,
        decrypt_until=deadline + timedelta(minutes=t.decryption_minutes),
        bid_count=count or 0,
    )
    if o.bid_count < need.count:
        o.status = OpeningStatus.FAILED.value
        o.failure_reason = f"{s.name}：截止时共 {o.bid_count} 家投标，不足 {need.count} 家，不予开标（{need.basis}）"
        o.closed_at = now
    session.add(o)
    session.flush()
    if o.status == OpeningStatus.DECRYPTING.value:
        chronograph.schedule(session, kind=state.WINDOW_EVENT, object_id=o.id, due_at=wall_time(t, o.decrypt_until))
    audit.record(
        session,
        now=now,
        actor=audit.SYSTEM,
        action="opening.fail" if o.failure_reason else "opening.start",
        object_type="tender_section",
        object_id=s.id,
        after={"status": o.status, "bids": o.bid_count, "decrypt_until": o.decrypt_until},
        detail={"reason": o.failure_reason} if o.failure_reason else None,
    )
    return o


def _tender_fail(session: Session, *, now: datetime, t: Tender, reason: str) -> None:
    def change(x: Tender) -> None:
        x.end_reason = reason
        publish_notice(session, now=now, t=x, kind=NoticeKind.FAILURE, title=f"{x.name}（流标公告）", body=reason)

    act(
        session,
        now=now,
        principal=None,
        actor=audit.SYSTEM,
        tender_id=t.id,
        perm=None,
        name="tender_fail",
        change=change,
        detail={"reason": reason, "automatic": True},
    )


# --- finding and locking ------------------------------------------------------------------------


def locked(
    session: Session, *, now: datetime, section_id: int, principal: Principal | None = None, perm: Action | None = None
) -> tuple[Tender, Section, Opening]:
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    t = session.scalar(select(Tender).where(Tender.id == section.tender_id).with_for_update())
    assert t is not None
    if principal is not None and perm is not None and not allows_object(principal, perm, t):
        raise PermissionDenied("该标段的开标不在您的办理范围内", code="out_of_scope")
    ensure(session, now=now, t=t)
    o = session.scalar(select(Opening).where(Opening.section_id == section_id).with_for_update())
    if o is None:
        raise Conflict("尚未到投标截止时间，开标尚未开始", code="opening_not_started")
    return t, section, o


def own_bid(session: Session, principal: Principal, section_id: int) -> Bid:
    bid = session.scalar(
        select(Bid).where(
            Bid.section_id == section_id,
            Bid.bidder_org_id == principal.org_id,
            Bid.status == BidStatus.ACCEPTED.value,
        )
    )
    if bid is None or principal.org_id is None:
        raise NotFound("贵单位在本标段没有有效的投标文件", code="bid_not_found")
    return bid


def bids_of(session: Session, section_id: int) -> list[Bid]:
    return list(
        session.scalars(
            select(Bid).where(Bid.section_id == section_id, Bid.status == BidStatus.ACCEPTED.value).order_by(Bid.seq)
        )
    )


# --- decryption -------------------------------------------------------------------------------


def _decrypt_into(bid: Bid, *, store: BidStore, content_key: str, via: str, now: datetime) -> None:
    """Decrypt and read the price sheet; EnvelopeError if the key or the content is wrong."""
    plaintext = envelope.decrypt(store.path(bid.digest), content_key)
    bid.sheet = envelope.price_sheet(plaintext)
    bid.content_key, bid.decrypted_via, bid.decrypted_at = content_key, via, now
    bid.outcome, bid.outcome_reason = Outcome.OPENED.value, ""


def _stored_intact(bid: Bid, store: BidStore) -> bool:
    path = store.path(bid.digest)
    if not path.exists():
        return False
    h = hashes.Hash(hashes.SM3())
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.finalize().hex() == bid.digest


def key_submit(
    *, session: Session, now: datetime, principal: Principal, section_id: int, content_key: str, store: BidStore
) -> tuple[Bid, DomainError | None]:
    """Decrypt the caller's bid. A wrong key is not an exception here: the failed attempt is
    recorded (the caller commits it) and returned as the error to report."""
    t, s, o = locked(session, now=now, section_id=section_id)
    bid = own_bid(session, principal, s.id)
    if o.status != OpeningStatus.DECRYPTING.value and o.decrypt_until <= tender_now(t, now):
        raise Conflict("解密时限已过", code="decryption_window_closed")
    state.transition("key_submit", OpeningStatus(o.status))
    if bid.outcome == Outcome.OPENED.value:
        raise Conflict("贵单位的投标文件已解密", code="already_decrypted")
    if not _stored_intact(bid, store):
        # The bidder did its part; the platform lost or damaged the file: 撤回, not 撤销.
        bid.outcome = Outcome.WITHDRAWN.value
        bid.outcome_reason = f"平台存储的投标文件缺失或损坏，非投标人原因，视为撤回（{rules.DECRYPTION_BASIS}）"
        audit.record(
            session, now=now, actor=audit.SYSTEM, action="opening.storage_fault", object_type="tender_section",
            object_id=s.id, detail={"seq": bid.seq},
        )  # fmt: skip
        return bid, None
    try:
        _decrypt_into(bid, store=store, content_key=content_key.strip().lower(), via="bidder", now=now)
    except envelope.EnvelopeError as e:
        audit.record(
            session,
            now=now,
            actor=actor_of(principal),
            action="opening.decrypt_failed",
            object_type="tender_section",
            object_id=s.id,
            detail={"seq": bid.seq, "code": e.code},
        )
        return bid, InvalidInput(f"解密失败：{e}（可在解密时限内重试）", code=f"decrypt_{e.code}")
    # The price stays out of the log (even as a digest, which could be matched against guesses)
    # until the record is built (电子招标投标办法第三十条).
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="opening.decrypt",
        object_type="tender_section",
        object_id=s.id,
        after={"seq": bid.seq, "outcome": bid.outcome},
    )
    return bid, None


def window_close(session: Session, now: datetime, opening_id: str) -> None:
    """The chronograph's handler for the end of the decryption window."""
    o = session.get(Opening, int(opening_id))
    t = session.get(Tender, o.tender_id) if o is not None else None
    if t is None or not ensure(session, now=now, t=t):
        raise Conflict("解密时限已处理", code="already_applied")


def window_close_early(
    *, session: Session, now: datetime, principal: Principal, section_id: int, store: BidStore
) -> Opening:
    """The host may end the window before its time only once every bid is decrypted."""
    t, s, o = locked(session, now=now, section_id=section_id, principal=principal, perm=Action.OPENING_HOST)
    state.transition("window_close", OpeningStatus(o.status))
    if any(b.outcome is None for b in bids_of(session, s.id)):
        raise Conflict("仍有投标文件未解密，须等待解密时限届满", code="decryption_pending")
    _window_close(session, now=now, t=t, o=o, actor=actor_of(principal))
    return o


def _window_close(session: Session, *, now: datetime, t: Tender, o: Opening, actor: audit.Actor) -> None:
    o.status = state.transition("window_close", OpeningStatus(o.status)).value
    o.closed_at = now
    bk = backup.key_for(session, o.section_id)
    for bid in bids_of(session, o.section_id):
        if bid.outcome is not None:
            continue
        if bk is not None:
            bid.outcome_reason = PENDING_BACKUP
        else:
            bid.outcome = Outcome.REVOKED.value
            bid.outcome_reason = f"投标人未在解密时限内完成解密，视为撤销投标文件（{rules.DECRYPTION_BASIS}）"
    chronograph.cancel(session, kind=state.WINDOW_EVENT, object_id=o.id, now=now)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="opening.window_close",
        object_type="tender_section",
        object_id=o.section_id,
        after={"status": o.status},
    )


# --- the record ---------------------------------------------------------------------------------


def entry_classify(
    *, session: Session, now: datetime, principal: Principal, section_id: int, seq: int, outcome: Outcome, reason: str
) -> Bid:
    """The host records why a bid was not decrypted: the bidder's fault (撤销) or not (撤回)."""
    _, s, o = locked(session, now=now, section_id=section_id, principal=principal, perm=Action.OPENING_HOST)
    state.transition("entry_classify", OpeningStatus(o.status))
    bid = next((b for b in bids_of(session, s.id) if b.seq == seq), None)
    if bid is None:
        raise NotFound(f"回执号 {seq} 的投标文件不在本标段", code="bid_not_found")
    if bid.outcome == Outcome.OPENED.value or outcome is Outcome.OPENED:
        raise Conflict("只能认定未解密的投标文件", code="bid_decrypted")
    if not reason.strip():
        raise InvalidInput("请填写认定原因", code="reason_required")
    bid.outcome, bid.outcome_reason = outcome.value, f"{reason.strip()[:300]}（{rules.DECRYPTION_BASIS}）"
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="opening.classify",
        object_type="tender_section",
        object_id=s.id,
        after={"seq": seq, "outcome": outcome.value, "reason": reason},
    )
    return bid


def record_of(session: Session, o: Opening) -> dict[str, Any]:
    """The opening record (开标记录表) as it stands: one row per bid in the order received. While
    bidders are still decrypting, names and prices are withheld: they are announced only once
    decryption is over (电子招标投标办法第三十条), so no bidder decides whether to decrypt after
    seeing the others' prices."""
    s = session.get(Section, o.section_id)
    t = session.get(Tender, o.tender_id)
    assert s is not None and t is not None
    rows = []
    # Announced when every bid has its outcome: after the window, and after any backup decryption.
    bids = bids_of(session, o.section_id)
    sealed = o.status == OpeningStatus.DECRYPTING.value or any(b.outcome is None for b in bids)
    for bid in bids:
        org = session.get(Organization, bid.bidder_org_id)
        assert org is not None
        sheet = {} if sealed else (bid.sheet or {})
        rows.append(
            {
                "seq": bid.seq,
                "bidder": "（解密结束后公布）" if sealed else org.name,
                "credit_code": "" if sealed else org.credit_code,
                "price": sheet.get("price"),
                "duration_days": sheet.get("duration_days"),
                "quality": sheet.get("quality"),
                "project_manager": sheet.get("project_manager"),
                "deposit": sheet.get("deposit"),
                "outcome": bid.outcome,
                "outcome_label": Outcome(bid.outcome).label if bid.outcome else (bid.outcome_reason or "待解密"),
                "reason": bid.outcome_reason,
                "decrypted_via": bid.decrypted_via,
                "digest": bid.digest,
                "received_at": bid.received_at.astimezone(UTC).isoformat(timespec="milliseconds"),
            }
        )
    return {
        "tender": t.code,
        "tender_name": t.name,
        "section": s.code,
        "section_name": s.name,
        "started_at": o.started_at.isoformat(),
        "bid_count": o.bid_count,
        "rows": rows,
    }


def record_publish(*, session: Session, now: datetime, principal: Principal, section_id: int) -> Opening:
    from ggzy.bidding.responses import unanswered

    t, s, o = locked(session, now=now, section_id=section_id, principal=principal, perm=Action.OPENING_HOST)
    state.transition("record_publish", OpeningStatus(o.status))
    if any(b.outcome is None for b in bids_of(session, s.id)):
        raise Conflict("仍有投标文件待备用解密或待认定，不能公布", code="outcomes_pending")
    if unanswered(session, o.id):
        raise Conflict("仍有开标异议未答复，不能公布", code="objections_pending")
    record = record_of(session, o)
    o.record, o.record_digest = record, digest_of(record)
    o.status, o.published_at = OpeningStatus.PUBLISHED.value, now
    body = "\n".join(
        f"回执号 {r['seq']} {r['bidder']}："
        + (f"报价 {format_yuan(r['price'])}，工期 {r['duration_days']} 天，" if r["price"] else "")
        + r["outcome_label"]
        for r in record["rows"]
    )
    notice = publish_notice(
        session,
        now=now,
        t=t,
        kind=NoticeKind.OPENING,
        title=f"{t.name} {s.name}（开标记录）",
        body=body,
        facts={
            "section": s.code,
            "record": record,  # the record_digest is the SM3 of this object's canonical JSON
            "record_digest": o.record_digest,
            "rows": record["rows"],
            "digests": [
                {"seq": r["seq"], "digest": r["digest"], "received_at": r["received_at"]} for r in record["rows"]
            ],
        },
    )
    o.notice_id = notice.id
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="opening.publish",
        object_type="tender_section",
        object_id=s.id,
        after={"record_digest": o.record_digest, "notice": notice.id},
    )
    _advance(session, now=now, t=t)
    return o
