from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.common.orm import Base


class OrgKey(Base):
    """An organisation's SM2 public key (its digital certificate in practice), registered by one of
    its users after proving possession. Revoked keys stay: old signatures must still be checked."""

    __tablename__ = "org_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))  # the holder: certificate login signs in as them
    public_hex: Mapped[str] = mapped_column(String(128), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(16), index=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    registered_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")


class KeyChallenge(Base):
    """A one-time challenge that a key's holder signs to prove possession (or to sign in)."""

    __tablename__ = "key_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
