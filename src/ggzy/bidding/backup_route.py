"""The backup route at the opening (电子招标投标办法第三十一条: the tender documents may set a
fallback for bids a bidder cannot decrypt): custodians hand in their shares after the deadline,
and any k good ones recover the section's backup key in memory, which opens the bids still
pending; the recovered key is never stored (``ggzy.tendering.backup`` made and split it)."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding import envelope, rules, state
from ggzy.bidding.enums import OpeningStatus, Outcome
from ggzy.bidding.models import Opening
from ggzy.bidding.opening import _decrypt_into, _stored_intact, bids_of, locked
from ggzy.bidding.store import BidStore
from ggzy.common import audit, shamir, sm2
from ggzy.common.errors import Conflict, DomainError, InvalidInput, NotFound
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of
from ggzy.tendering import backup


def share_handin(
    *, session: Session, now: datetime, principal: Principal, section_id: int, share: str, store: BidStore
) -> backup.BackupShare:
    _, s, o = locked(session, now=now, section_id=section_id)
    state.transition("share_handin", OpeningStatus(o.status))
    bk = backup.key_for(session, s.id)
    if bk is None:
        raise Conflict("本标段未设备用解密", code="no_backup_route")
    row = session.scalar(
        select(backup.BackupShare)
        .where(backup.BackupShare.backup_key_id == bk.id, backup.BackupShare.custodian_org_id == principal.org_id)
        .with_for_update()
    )
    if row is None:
        raise NotFound("贵单位不是本标段备用解密密钥的保管单位", code="not_custodian")
    try:
        shamir.parse(share)
    except shamir.ShareError as e:
        raise InvalidInput(str(e), code="share_invalid") from e
    row.handed_in, row.handed_in_at, row.handed_in_by = share.strip(), now, principal.user_id
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="opening.share_handin",
        object_type="tender_section",
        object_id=s.id,
        detail={"backup_key": bk.fingerprint},
    )
    if o.status == OpeningStatus.REVIEW.value:
        _try_backup(session, now=now, o=o, store=store)
    return row


def backup_apply(
    *, session: Session, now: datetime, principal: Principal, section_id: int, store: BidStore
) -> DomainError | None:
    """The host runs the backup route once the window is over and enough shares are in; a failure
    is recorded (the caller commits it) and returned as the error to report."""
    _, s, o = locked(session, now=now, section_id=section_id, principal=principal, perm=Action.OPENING_HOST)
    state.transition("backup_apply", OpeningStatus(o.status))
    bk = backup.key_for(session, s.id)
    if bk is None:
        raise Conflict("本标段未设备用解密", code="no_backup_route")
    if not _try_backup(session, now=now, o=o, store=store):
        return Conflict(f"备用解密须至少 {bk.threshold} 家保管单位提交正确的份额", code="shares_insufficient")
    return None


def _recover(bk: backup.BackupKey, shares: list[str]) -> str | None:
    """The backup private key from any k of the handed-in shares that fit the public key: one
    wrong share (a slip, or a custodian's mischief) does not block the others (n is at most 9)."""
    for combo in itertools.combinations(shares, bk.threshold):
        try:
            private_hex = shamir.combine(list(combo)).hex()
            if sm2.decrypt(private_hex, sm2.encrypt(bk.public_hex, b"ggzy-backup-check")) == b"ggzy-backup-check":
                return private_hex
        except (shamir.ShareError, sm2.SM2Error, ValueError):
            continue
    return None


def _try_backup(session: Session, *, now: datetime, o: Opening, store: BidStore) -> bool:
    bk = backup.key_for(session, o.section_id)
    assert bk is not None
    pending = [b for b in bids_of(session, o.section_id) if b.outcome is None]
    rows = [
        r
        for r in session.scalars(select(backup.BackupShare).where(backup.BackupShare.backup_key_id == bk.id))
        if r.handed_in
    ]
    if not pending:
        return True
    if len(rows) < bk.threshold:
        return False
    private_hex = _recover(bk, [r.handed_in or "" for r in rows])
    if private_hex is None:
        audit.record(
            session, now=now, actor=audit.SYSTEM, action="opening.backup_failed", object_type="tender_section",
            object_id=o.section_id, detail={"reason": "任何 k 份份额的组合都与备用解密公钥不符", "shares": len(rows)},
        )  # fmt: skip
        return False
    for bid in pending:
        if not _stored_intact(bid, store):
            bid.outcome = Outcome.WITHDRAWN.value
            bid.outcome_reason = f"平台存储的投标文件损坏，非投标人原因，视为撤回（{rules.DECRYPTION_BASIS}）"
            continue
        try:
            key = envelope.unwrap(bid.header, private_hex, "backup")
            _decrypt_into(bid, store=store, content_key=key, via="backup", now=now)
        except envelope.EnvelopeError as e:
            bid.outcome = Outcome.REVOKED.value
            bid.outcome_reason = f"投标人未解密，备用解密亦失败（{e}），视为撤销（{rules.DECRYPTION_BASIS}）"
    audit.record(
        session,
        now=now,
        actor=audit.SYSTEM,
        action="opening.backup_decrypt",
        object_type="tender_section",
        object_id=o.section_id,
        after={b.seq: b.outcome for b in pending},
    )
    return True
