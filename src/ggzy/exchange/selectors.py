"""Reading the exchange's records (for the operators' page, the API and the command line)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.exchange.models import Delivery


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
    return {status: n for status, n in rows}


def deliveries(
    session: Session,
    *,
    status: str | None = None,
    dataset_no: str | None = None,
    limit: int = 100,
    before: int | None = None,
) -> list[Delivery]:
    q = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status:
        q = q.where(Delivery.status == status)
    if dataset_no:
        q = q.where(Delivery.dataset_no == dataset_no)
    if before:
        q = q.where(Delivery.id < before)
    return list(session.scalars(q))
