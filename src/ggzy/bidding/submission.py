"""Submitting, replacing and withdrawing sealed bids, and their signed receipts.

The platform checks everything about an envelope except its content: that it is addressed to this
section and this bidder, signed by one of the bidder's registered keys, intact (the ciphertext's
SM3 matches the signed header), wraps the content key to the backup opening key where the tender
documents require it, and arrives before the deadline by the server's clock
(招标投标法第二十八条：截止时间后送达的投标文件，招标人应当拒收). A bidder may replace or
withdraw its bid until the deadline (第二十九条); the last accepted one counts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from ggzy.bidding import eligibility
from ggzy.bidding.enums import BidStatus
from ggzy.bidding.envelope import signature_valid
from ggzy.bidding.models import Bid
from ggzy.common import audit
from ggzy.common.crypto import canonical_json
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ggzy.common.sequences import next_value
from ggzy.common.signing import PlatformKey
from ggzy.common.sm2 import fingerprint
from ggzy.identity.keys import active_key
from ggzy.identity.models import Organization
from ggzy.identity.permissions import Principal
from ggzy.identity.services import actor_of
from ggzy.tendering import backup
from ggzy.tendering.core import section_deadline, tender_now, visible
from ggzy.tendering.enums import TenderStatus
from ggzy.tendering.models import Section, Tender

RECEIPT_TYPE = "ggzy-bid-receipt"


def section_for(
    session: Session, principal: Principal, section_id: int, *, lock: bool = False
) -> tuple[Tender, Section]:
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    # Only the tender row: its eager relationships (project, parties, branch) cost a dozen queries
    # per bid, which the deadline surge cannot afford.
    q = select(Tender).where(Tender.id == section.tender_id).options(lazyload("*"))
    # A shared lock: bidders don't wait for each other, but a status change (closing, termination)
    # waits for bids in flight and they for it (PostgreSQL FOR SHARE; SQLite serialises writes).
    t = session.scalar(q.with_for_update(read=True) if lock else q)
    if t is None or not visible(principal, t):
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    return t, section


def _open_for_bids(t: Tender, s: Section, now: datetime) -> None:
    if t.status != TenderStatus.BIDDING.value:
        raise Conflict(f"招标项目当前状态为“{TenderStatus(t.status).label}”，不接受投标", code="not_accepting_bids")
    deadline = section_deadline(t, s)  # a section may close before the tender's last deadline
    assert deadline is not None
    if tender_now(t, now) >= deadline:
        raise Conflict(
            "已过投标截止时间，投标文件被拒收（招标投标法第二十八条）",
            code="deadline_passed",
            detail={"deadline": deadline.isoformat(), "received": tender_now(t, now).isoformat()},
        )


def _bidder(session: Session, principal: Principal) -> Organization:
    org = session.get(Organization, principal.org_id) if principal.org_id else None
    if org is None or principal.user_id is None:
        raise PermissionDenied("只有投标人/供应商可以投标", code="forbidden")
    return org


def precheck(session: Session, *, now: datetime, principal: Principal, section_id: int) -> None:
    """The checks that need no envelope, made before a large upload is read at all."""
    t, s = section_for(session, principal, section_id)
    _open_for_bids(t, s, now)
    eligibility.check(session, org=_bidder(session, principal), t=t, now=now)


def sealing_info(session: Session, principal: Principal, section_id: int) -> dict[str, Any]:
    t, s = section_for(session, principal, section_id)
    bk = backup.key_for(session, s.id)
    return {
        "tender": t.code,
        "section": s.code,
        "section_name": s.name,
        "bid_deadline": section_deadline(t, s),
        "backup_key": bk.public_hex if bk else None,
        "backup_key_fingerprint": bk.fingerprint if bk else None,
        "backup_threshold": bk.threshold if bk else 0,
    }


def _current(session: Session, section_id: int, org_id: int) -> Bid | None:
    return session.scalar(
        select(Bid)
        .where(Bid.section_id == section_id, Bid.bidder_org_id == org_id, Bid.status == BidStatus.ACCEPTED.value)
        .with_for_update()
    )


def _check_envelope(session: Session, header: dict[str, Any], t: Tender, s: Section, org: Organization) -> None:
    body = header["body"]
    if body["tender"] != t.code or body["section"] != s.code:
        raise InvalidInput("投标文件封装的项目或标段与提交的标段不符", code="envelope_wrong_section")
    if body["bidder"] != org.credit_code:
        raise InvalidInput("投标文件封装的投标人与登录单位不符", code="envelope_wrong_bidder")
    signer = active_key(session, org_id=org.id, fingerprint=body["signer_key"])
    if signer is None:
        raise InvalidInput("签名密钥不是贵单位登记的有效密钥（未登记或已吊销）", code="signer_unknown")
    if not signature_valid(header, signer.public_hex):
        raise InvalidInput("投标文件签名验证失败（文件被改动或签名不是该密钥所作）", code="signature_invalid")
    wrap = body["wrapped_keys"]["bidder"]
    if active_key(session, org_id=org.id, fingerprint=str(wrap.get("key"))) is None:
        raise InvalidInput("内容密钥未封装给贵单位登记的有效密钥", code="wrap_key_unknown")
    bk = backup.key_for(session, s.id)
    backup_wrap = body["wrapped_keys"].get("backup")
    if bk is not None and (not isinstance(backup_wrap, dict) or backup_wrap.get("key") != bk.fingerprint):
        raise InvalidInput(
            f"招标文件设有备用解密，内容密钥须同时封装给本标段的备用解密公钥（指纹 {bk.fingerprint}）",
            code="backup_wrap_missing",
            detail={"basis": backup.BASIS},
        )
    if bk is None and backup_wrap is not None:
        raise InvalidInput("本标段未设备用解密，投标文件不应封装备用解密密钥", code="backup_wrap_unexpected")


def _receipt(
    key: PlatformKey, t: Tender, s: Section, org: Organization, bid: Bid, kind: str, at: datetime | None = None
) -> tuple[dict[str, Any], str]:
    receipt: dict[str, Any] = {
        "type": RECEIPT_TYPE,
        "version": 1,
        "kind": kind,  # "submitted" or "withdrawn"
        "tender": t.code,
        "section": s.code,
        "bidder": org.credit_code,
        "digest": bid.digest,
        "size": bid.size,
        "seq": bid.seq,
        "received_at": bid.received_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        "platform_key": fingerprint(key.public_hex),
    }
    if at is not None:
        receipt["withdrawn_at"] = at.astimezone(UTC).isoformat(timespec="milliseconds")
    return receipt, key.sign(canonical_json(receipt))


def bid_submit(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    section_id: int,
    header: dict[str, Any],
    digest: str,
    size: int,
    platform_key: PlatformKey,
) -> tuple[Bid, bool]:
    """Record a stored envelope; returns the bid and whether it is new (False: an identical retry)."""
    t, s = section_for(session, principal, section_id, lock=True)
    org = _bidder(session, principal)
    current = _current(session, s.id, org.id)
    if current is not None and current.digest == digest:
        return current, False  # the same envelope again: the same receipt, nothing changes
    _open_for_bids(t, s, now)
    eligibility.check(session, org=org, t=t, now=now)
    _check_envelope(session, header, t, s, org)
    earlier = session.scalar(
        select(Bid.id).where(Bid.section_id == s.id, Bid.bidder_org_id == org.id, Bid.digest == digest).limit(1)
    )
    if earlier is not None:
        raise Conflict("该投标文件此前已被替换或撤回，不能重放；请重新封装", code="bid_replayed")
    if current is not None:
        current.status, current.ended_at = BidStatus.REPLACED.value, now
    bid = Bid(
        tender_id=t.id,
        section_id=s.id,
        bidder_org_id=org.id,
        submitted_by=principal.user_id,
        status=BidStatus.ACCEPTED.value,
        seq=next_value(session, "bid_receipt"),
        digest=digest,
        size=size,
        received_at=now,
        header=header,
        signer_key=header["body"]["signer_key"],
        device=header["body"]["device"],
        client_addr=principal.client_addr,
        receipt={},
        receipt_signature="",
    )
    bid.receipt, bid.receipt_signature = _receipt(platform_key, t, s, org, bid, "submitted")
    session.add(bid)
    try:
        session.flush()
    except IntegrityError as e:  # a concurrent submission by the same bidder won the race
        raise Conflict("贵单位的另一份投标文件正在提交，请稍后重试", code="bid_concurrent") from e
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="bid.replace" if current else "bid.submit",
        object_type="tender_section",
        object_id=s.id,
        after={"seq": bid.seq, "digest": digest, "size": size, "device": bid.device},
        detail={"replaced": current.seq} if current else None,
    )
    return bid, True


def bid_withdraw(
    *, session: Session, now: datetime, principal: Principal, section_id: int, platform_key: PlatformKey
) -> tuple[Bid, dict[str, Any], str]:
    """Withdraw the current bid; returns it with a signed withdrawal receipt (the submission
    receipt stays on the bid)."""
    t, s = section_for(session, principal, section_id, lock=True)
    org = _bidder(session, principal)
    _open_for_bids(t, s, now)
    current = _current(session, s.id, org.id)
    if current is None:
        raise NotFound("贵单位在本标段没有有效的投标文件", code="bid_not_found")
    current.status, current.ended_at = BidStatus.WITHDRAWN.value, now
    receipt, signature = _receipt(platform_key, t, s, org, current, "withdrawn", at=now)
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="bid.withdraw",
        object_type="tender_section",
        object_id=s.id,
        after={"seq": current.seq, "digest": current.digest},
    )
    return current, receipt, signature


def my_bids(session: Session, principal: Principal, section_id: int) -> list[Bid]:
    """The bidder's own bids for a section, newest first. Nobody else's, ever, before opening."""
    if principal.org_id is None:
        return []
    return list(
        session.scalars(
            select(Bid)
            .where(Bid.section_id == section_id, Bid.bidder_org_id == principal.org_id)
            .order_by(Bid.seq.desc())
        )
    )


def receipt_status(session: Session, receipt: dict[str, Any]) -> str | None:
    """What became of the bid a (verified) receipt names: its status today."""
    bid = session.scalar(select(Bid).where(Bid.seq == receipt.get("seq"), Bid.digest == receipt.get("digest")))
    return bid.status if bid else None
