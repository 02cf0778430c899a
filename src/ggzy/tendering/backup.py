"""The backup opening key (备用解密): where the tender documents provide it (电子招标投标办法第三十一条
lets them set a fallback for bids a bidder cannot decrypt), each section gets its own SM2 key at
publication. Bidders wrap their content key to it as well as to their own key.

The private half is split at once with Shamir's scheme (k of n) and each share is encrypted to
one custodian organisation's registered SM2 key; the whole private key exists only in memory for
that moment and is never stored, so neither the platform's operators nor a database
administrator can open a bid early. After the deadline k custodians decrypt their shares on their
own machines and hand them in (released to them only after the deadline, so they cannot pool
them early); the opening recombines them (``ggzy.bidding.opening``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.common import audit, shamir, sm2
from ggzy.common.errors import Conflict, InvalidInput
from ggzy.common.orm import Base
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import OrgRole
from ggzy.identity.models_keys import OrgKey
from ggzy.identity.rules import validate_uscc
from ggzy.tendering.models import Tender

BASIS = "电子招标投标办法第三十一条"
# Organisations whose users may hand in a share (Action.BACKUP_HANDIN).
CUSTODIAN_ROLES = frozenset({OrgRole.CENTRE, OrgRole.TENDERER, OrgRole.AGENCY, OrgRole.REGULATOR})


class BackupKey(Base):
    __tablename__ = "backup_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"), unique=True)
    public_hex: Mapped[str] = mapped_column(String(128))
    fingerprint: Mapped[str] = mapped_column(String(16))
    threshold: Mapped[int]
    created_at: Mapped[datetime]


class BackupShare(Base):
    """One custodian's share, encrypted to that custodian's key; handed in decrypted after the deadline."""

    __tablename__ = "backup_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    backup_key_id: Mapped[int] = mapped_column(ForeignKey("backup_key.id"), index=True)
    custodian_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    custodian_key: Mapped[str] = mapped_column(String(16))  # fingerprint of the key it is wrapped to
    wrapped: Mapped[str] = mapped_column(Text)  # SM2 ciphertext of the share, hex (~480 characters)
    handed_in: Mapped[str | None] = mapped_column(String(200))
    handed_in_at: Mapped[datetime | None]
    handed_in_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    extra: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


def custodians_from(session: Session, credit_codes: list[str], threshold: int) -> tuple[list[int], int]:
    if not credit_codes:
        if threshold:
            raise InvalidInput("未指定备用解密保管单位时门限应为 0", code="backup_threshold")
        return [], 0
    ids: list[int] = []
    for raw in dict.fromkeys(credit_codes):
        org = identity_selectors.org_by_credit_code(session, validate_uscc(raw))
        if org is None:
            raise InvalidInput(f"备用解密保管单位 {raw} 未在平台登记", code="custodian_unknown")
        if OrgRole.BIDDER in org.role_set:
            # A custodian that may also bid could help open its competitors' bids.
            raise InvalidInput(f"投标人/供应商（{org.name}）不能担任备用解密保管单位", code="custodian_is_bidder")
        if not org.role_set & CUSTODIAN_ROLES:
            raise InvalidInput(
                f"{org.name}不能担任备用解密保管单位（须为交易中心、招标人、代理机构或行政监督部门）",
                code="custodian_role",
            )
        ids.append(org.id)
    if len(ids) < 2 or not 2 <= threshold <= len(ids):
        raise InvalidInput(
            "备用解密须至少两家保管单位，门限 k 须满足 2 ≤ k ≤ 保管单位数",
            code="backup_threshold",
            detail={"basis": BASIS},
        )
    return ids, threshold


def _custodian_key(session: Session, org_id: int) -> OrgKey:
    key = session.scalar(
        select(OrgKey).where(OrgKey.org_id == org_id, OrgKey.revoked_at.is_(None)).order_by(OrgKey.id.desc()).limit(1)
    )
    if key is None:
        o = identity_selectors.organization(session, org_id)
        org = o.name if o else str(org_id)
        raise Conflict(f"备用解密保管单位“{org}”尚未登记有效的 SM2 密钥，不能发布", code="custodian_without_key")
    return key


def keys_create(session: Session, *, now: datetime, t: Tender) -> None:
    """One key per section; its private half is split among the custodians and then forgotten."""
    if not t.backup_custodians:
        return
    custodian_keys = [_custodian_key(session, org_id) for org_id in t.backup_custodians]
    for section in t.sections:
        public_hex, private_hex = sm2.generate()
        shares = shamir.split(bytes.fromhex(private_hex), k=t.backup_threshold, n=len(custodian_keys))
        del private_hex
        bk = BackupKey(
            section_id=section.id,
            public_hex=public_hex,
            fingerprint=sm2.fingerprint(public_hex),
            threshold=t.backup_threshold,
            created_at=now,
        )
        session.add(bk)
        session.flush()
        for key, share in zip(custodian_keys, shares, strict=True):
            session.add(
                BackupShare(
                    backup_key_id=bk.id,
                    custodian_org_id=key.org_id,
                    custodian_key=key.fingerprint,
                    wrapped=sm2.encrypt(key.public_hex, share.encode()),
                )
            )
        audit.record(
            session,
            now=now,
            actor=audit.SYSTEM,
            action="backup_key.create",
            object_type="tender_section",
            object_id=section.id,
            after={"fingerprint": bk.fingerprint, "threshold": bk.threshold, "custodians": t.backup_custodians},
        )


def key_for(session: Session, section_id: int) -> BackupKey | None:
    return session.scalar(select(BackupKey).where(BackupKey.section_id == section_id))
