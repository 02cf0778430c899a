from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.common.orm import Base


class Bid(Base):
    """One submitted envelope. The row and the stored file hold only ciphertext until opening; the
    bidder's identity is never shown to anyone but the bidder itself before then."""

    __tablename__ = "bid"
    __table_args__ = (
        # At most one current bid per bidder and section, even with concurrent submissions.
        Index(
            "uq_bid_current",
            "section_id",
            "bidder_org_id",
            unique=True,
            sqlite_where=text("status = 'accepted'"),
            postgresql_where=text("status = 'accepted'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"), index=True)
    bidder_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    status: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(unique=True)  # the receipt number
    digest: Mapped[str] = mapped_column(String(64), index=True)  # SM3 of the whole envelope file
    size: Mapped[int]
    received_at: Mapped[datetime]
    header: Mapped[dict[str, Any]] = mapped_column(JSON)
    signer_key: Mapped[str] = mapped_column(String(16))
    device: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    receipt: Mapped[dict[str, Any]] = mapped_column(JSON)
    receipt_signature: Mapped[str] = mapped_column(String(200))
    ended_at: Mapped[datetime | None]
    # Filled in at opening.
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    content_key: Mapped[str | None] = mapped_column(String(32))
    decrypted_via: Mapped[str] = mapped_column(String(10), default="")
    decrypted_at: Mapped[datetime | None]
    sheet: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Opening(Base):
    """The opening (开标) of one section: the decryption window, then the record."""

    __tablename__ = "bid_opening"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    started_at: Mapped[datetime]  # nominal (the tender's own clock)
    decrypt_until: Mapped[datetime]  # nominal
    bid_count: Mapped[int]
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_digest: Mapped[str] = mapped_column(String(64), default="")
    closed_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))


class OpeningResponse(Base):
    """A participant's confirmation of, or objection to, the opening record, made on the spot
    (招标投标法实施条例 Art. 44: objections at opening are answered there and recorded)."""

    __tablename__ = "bid_opening_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    opening_id: Mapped[int] = mapped_column(ForeignKey("bid_opening.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text, default="")
    made_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
