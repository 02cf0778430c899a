"""Reads for the opening room: who may watch, and what they see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding.enums import BidStatus, OpeningStatus, Outcome, ResponseKind
from ggzy.bidding.models import Bid, Opening
from ggzy.bidding.opening import bids_of, record_of
from ggzy.bidding.responses import responses
from ggzy.common.errors import Conflict, NotFound
from ggzy.identity.enums import Role
from ggzy.identity.models import Organization
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.tendering import backup
from ggzy.tendering.core import section_deadline, tender_now
from ggzy.tendering.enums import TenderStatus
from ggzy.tendering.models import Section, Tender


def needs_ensure(session: Session, now: datetime, section_id: int) -> bool:
    """Whether the clock has moved past something the chronograph has not applied yet."""
    s = session.get(Section, section_id)
    if s is None:
        return False
    t = s.tender
    o = session.scalar(select(Opening).where(Opening.section_id == section_id))
    if t.status == TenderStatus.BIDDING.value and o is None:
        deadline = section_deadline(t, s)
        return deadline is not None and tender_now(t, now) >= deadline
    if o is None:
        return t.status == TenderStatus.CLOSED.value
    return o.status == OpeningStatus.DECRYPTING.value and tender_now(t, now) >= o.decrypt_until


def _own(session: Session, principal: Principal, section_id: int) -> Bid | None:
    if principal.org_id is None:
        return None
    return session.scalar(
        select(Bid).where(
            Bid.section_id == section_id,
            Bid.bidder_org_id == principal.org_id,
            Bid.status == BidStatus.ACCEPTED.value,
        )
    )


def custodian_share(session: Session, principal: Principal, section_id: int) -> backup.BackupShare | None:
    bk = backup.key_for(session, section_id)
    if bk is None or principal.org_id is None:
        return None
    return session.scalar(
        select(backup.BackupShare).where(
            backup.BackupShare.backup_key_id == bk.id, backup.BackupShare.custodian_org_id == principal.org_id
        )
    )


def may_watch(session: Session, principal: Principal, t: Tender, section_id: int) -> bool:
    if principal.role is Role.BIDDER:
        return _own(session, principal, section_id) is not None
    return (
        allows_object(principal, Action.OPENING_VIEW, t) or custodian_share(session, principal, section_id) is not None
    )


def opening_view(session: Session, principal: Principal, now: datetime, section_id: int) -> dict[str, Any]:
    s = session.get(Section, section_id)
    if s is None or not may_watch(session, principal, s.tender, section_id):
        raise NotFound(f"标段 {section_id} 的开标不存在或您不是参与方", code="opening_not_found")
    t = s.tender
    o = session.scalar(select(Opening).where(Opening.section_id == section_id))
    if o is None:
        raise Conflict("尚未到投标截止时间，开标尚未开始", code="opening_not_started")
    status = OpeningStatus(o.status)
    mine = _own(session, principal, section_id)
    rs = responses(session, o.id)
    names = {
        org.id: org.name
        for org in session.scalars(select(Organization).where(Organization.id.in_({r.org_id for r in rs})))
    }
    bk = backup.key_for(session, section_id)
    share = custodian_share(session, principal, section_id)
    bids = bids_of(session, section_id) if status is not OpeningStatus.FAILED else []
    pending = [b for b in bids if b.outcome is None]
    actions: list[str] = []
    if mine is not None:
        if status is OpeningStatus.DECRYPTING and mine.outcome != Outcome.OPENED.value:
            actions.append("decrypt")
        if status is OpeningStatus.REVIEW:
            confirmed = any(r.org_id == principal.org_id and r.kind == ResponseKind.CONFIRM.value for r in rs)
            actions += ([] if confirmed else ["confirm"]) + ["object"]
    if allows_object(principal, Action.OPENING_HOST, t):
        if status is OpeningStatus.DECRYPTING and bids and not pending:
            actions.append("close")
        if status is OpeningStatus.REVIEW:
            actions += (["backup"] if bk and pending else []) + (["classify"] if pending else []) + ["publish"]
    if allows_object(principal, Action.OPENING_ANSWER, t) and any(
        r.kind == ResponseKind.OBJECTION.value and r.answer is None for r in rs
    ):
        actions.append("answer")
    if share is not None and share.handed_in is None and status in (OpeningStatus.DECRYPTING, OpeningStatus.REVIEW):
        actions.append("handin")
    nominal = tender_now(t, now)
    return {
        "section_id": s.id,
        "tender_id": t.id,
        "status": status.value,
        "status_label": status.label,
        "started_at": o.started_at,
        "decrypt_until": o.decrypt_until,
        "seconds_left": max(0, int((o.decrypt_until - nominal).total_seconds()))
        if status is OpeningStatus.DECRYPTING
        else 0,
        "bid_count": o.bid_count,
        "failure_reason": o.failure_reason,
        "record": o.record if o.record is not None else (record_of(session, o) if bids else None),
        "record_digest": o.record_digest,
        "responses": [
            {
                "id": r.id,
                "org": names.get(r.org_id, ""),
                "kind": r.kind,
                "body": r.body,
                "made_at": r.made_at.isoformat(),
                "answer": r.answer,
                "answered_at": r.answered_at.isoformat() if r.answered_at else None,
            }
            for r in rs
        ],
        "backup": (
            {
                "fingerprint": bk.fingerprint,
                "threshold": bk.threshold,
                "handed_in": sum(
                    1
                    for x in session.scalars(
                        select(backup.BackupShare).where(backup.BackupShare.backup_key_id == bk.id)
                    )
                    if x.handed_in
                ),
            }
            if bk
            else None
        ),
        "mine": (
            {"seq": mine.seq, "digest": mine.digest, "outcome": mine.outcome, "reason": mine.outcome_reason}
            if mine
            else None
        ),
        "actions": actions,
    }


def openings_for(session: Session, principal: Principal, *, limit: int = 20) -> list[tuple[Opening, Tender, Section]]:
    """Openings under way (decrypting or awaiting confirmation) that the principal takes part in:
    its own bids, its tenders, its branch as host, its jurisdiction, or its custody of a backup key."""
    rows = session.execute(
        select(Opening, Tender, Section)
        .join(Tender, Tender.id == Opening.tender_id)
        .join(Section, Section.id == Opening.section_id)
        .where(Opening.status.in_([OpeningStatus.DECRYPTING.value, OpeningStatus.REVIEW.value]))
        .order_by(Opening.started_at.desc())
        .limit(200)
    ).all()
    out = [(o, t, s) for o, t, s in rows if may_watch(session, principal, t, s.id)]
    return out[:limit]


def opening_started(session: Session, section_id: int) -> bool:
    return session.scalar(select(Opening.id).where(Opening.section_id == section_id)) is not None
