"""The outbox: every public change, numbered in the transaction that makes it.

A crawler (the portal's change feed, the upward exchange, open data) reads changes after a cursor
and must never skip one. A plain sequence can't promise that with concurrent writers: a
transaction holding number 5 may commit after one holding 6, and a reader that already moved past
6 misses 5. Here the number comes from one counter row (``sequences.next_value``), updated in the
writer's transaction: the row lock is held until commit, so numbers are handed out in commit
order and a rolled-back number is handed out again. Whatever a reader sees is a gap-free prefix.
The price is that writers of public changes queue at that row from ``emit`` to their commit, so
``emit`` is called as late as possible in a transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.common.orm import Base
from ggzy.common.sequences import next_value

COUNTER = "change_log"


class Change(Base):
    __tablename__ = "change_log"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(80))
    # Only what the rules make public: the feed serves it to anyone.
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


def emit(
    session: Session, *, now: datetime, kind: str, object_type: str, object_id: object, data: dict[str, Any]
) -> Change:
    c = Change(
        seq=next_value(session, COUNTER),
        occurred_at=now,
        kind=kind,
        object_type=object_type,
        object_id=str(object_id),
        data=data,
    )
    session.add(c)
    session.flush()
    return c


def since(session: Session, *, after: int, limit: int, kinds: tuple[str, ...] = ()) -> list[Change]:
    q = select(Change).where(Change.seq > after).order_by(Change.seq).limit(limit)
    if kinds:
        q = q.where(Change.kind.in_(kinds))
    return list(session.scalars(q))


def head(session: Session) -> int:
    return session.scalar(select(Change.seq).order_by(Change.seq.desc()).limit(1)) or 0
