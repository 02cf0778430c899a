"""What the upward exchange has produced and where each record stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.common.orm import Base


class ExchangeState(Base):
    """How far the exchange has followed the change feed."""

    __tablename__ = "exchange_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    cursor: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class Delivery(Base):
    """One record of one dataset on its way upstream.

    ``held``: it fails its dataset's validators (``problems`` says why) and waits for a fix;
    ``pending``: queued (``next_attempt_at``), ``sent``: the upstream platform took it
    (``receipt``); ``failed``: refused by upstream, or out of retries (``last_error``).
    ``superseded``: a newer version of the same record replaced it before it was sent.
    The idempotency key is fixed by the content, so a resend after a timeout is recognised
    upstream as the same record, never taken twice.
    """

    __tablename__ = "exchange_delivery"
    __table_args__ = (
        UniqueConstraint("dataset_no", "record_key", "digest", name="uq_exchange_delivery_content"),
        Index("ix_exchange_delivery_due", "status", "next_attempt_at"),
        Index("ix_exchange_delivery_record", "dataset_no", "record_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_no: Mapped[str] = mapped_column(String(3))
    record_key: Mapped[str] = mapped_column(String(120))
    # The record that must reach upstream first (a section needs its tender project), if any.
    parent_dataset: Mapped[str | None] = mapped_column(String(3))
    parent_key: Mapped[str | None] = mapped_column(String(120))
    change_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    tender_id: Mapped[int | None]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(Text, default="")
    receipt: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
