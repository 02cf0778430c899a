from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from ggzy.exchange.models import Delivery
from ggzy.exchange.spec import datasets


class ProblemOut(BaseModel):
    field: str
    code: str
    message: str


class DeliveryOut(BaseModel):
    id: int
    dataset_no: str
    dataset_name: str
    record_key: str
    status: str
    problems: list[ProblemOut]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    receipt: str
    idempotency_key: str
    created_at: datetime
    sent_at: datetime | None
    payload: dict[str, Any]


class ExchangeSummaryOut(BaseModel):
    upstream_configured: bool
    counts: dict[str, int]


class RecheckOut(BaseModel):
    queued: int
    held: int


def delivery_out(d: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        dataset_no=d.dataset_no,
        dataset_name=datasets()[d.dataset_no].cn if d.dataset_no in datasets() else "（生成失败）",
        record_key=d.record_key,
        status=d.status,
        problems=[ProblemOut(**p) for p in d.problems],
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_error=d.last_error,
        receipt=d.receipt,
        idempotency_key=d.idempotency_key,
        created_at=d.created_at,
        sent_at=d.sent_at,
        payload=d.payload,
    )
