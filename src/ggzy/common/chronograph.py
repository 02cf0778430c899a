"""Dated events and the runner that applies them when they fall due.

A domain schedules an event (``schedule``) when it sets a deadline; the runner (``run_due``)
applies due events through the handler registered for their kind, each in its own write
transaction, and marks them done in that same transaction, so an event is applied once even
with several app processes: on PostgreSQL a process skips rows another has locked
(``FOR UPDATE SKIP LOCKED``); on SQLite write transactions are serialised. Handlers are the
domains' own action services and check the state and the clock themselves, so a stale or
repeated event changes nothing, and correctness never waits for the runner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Index, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ggzy.common.errors import DomainError
from ggzy.common.orm import Base

log = logging.getLogger("ggzy.chronograph")

Handler = Callable[[Session, datetime, str], None]


class DatedEvent(Base):
    __tablename__ = "dated_event"
    __table_args__ = (Index("ix_dated_event_pending", "done_at", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    object_id: Mapped[str] = mapped_column(String(60), index=True)
    due_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(300), default="")
    attempts: Mapped[int] = mapped_column(default=0)


def schedule(session: Session, *, kind: str, object_id: object, due_at: datetime) -> DatedEvent:
    """Set (or move) the one pending event of this kind for this object."""
    session.execute(
        update(DatedEvent)
        .where(DatedEvent.kind == kind, DatedEvent.object_id == str(object_id), DatedEvent.done_at.is_(None))
        .values(done_at=due_at, outcome="superseded")
    )
    ev = DatedEvent(kind=kind, object_id=str(object_id), due_at=due_at)
    session.add(ev)
    return ev


def cancel(session: Session, *, kind: str, object_id: object, now: datetime) -> None:
    session.execute(
        update(DatedEvent)
        .where(DatedEvent.kind == kind, DatedEvent.object_id == str(object_id), DatedEvent.done_at.is_(None))
        .values(done_at=now, outcome="cancelled")
    )


def run_due(db: object, *, now: datetime, handlers: Mapping[str, Handler], limit: int = 100) -> int:
    """Apply up to ``limit`` due events; return how many were applied."""
    from ggzy.db import Database

    assert isinstance(db, Database)
    applied = 0
    for _ in range(limit):
        with db.transaction() as s:
            ev = s.scalar(
                select(DatedEvent)
                .where(DatedEvent.done_at.is_(None), DatedEvent.due_at <= now)
                .order_by(DatedEvent.due_at, DatedEvent.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if ev is None:
                return applied
            handler = handlers.get(ev.kind)
            ev.attempts += 1
            if handler is None:
                ev.done_at, ev.outcome = now, "no handler"
                continue
            try:
                with s.begin_nested():
                    handler(s, now, ev.object_id)
                ev.outcome = "applied"
                applied += 1
            except DomainError as exc:  # the state moved on (terminated, already closed): nothing to do
                ev.outcome = f"skipped: {exc.code}"
            ev.done_at = now
    return applied


class Runner:
    """The in-process background runner: wakes every ``interval`` seconds."""

    def __init__(
        self,
        db: object,
        clock: object,
        handlers: Mapping[str, Handler],
        interval: float,
        also: Sequence[Callable[[], object]] = (),
    ) -> None:
        """``also``: other catch-up work run each tick (the search index following the change feed)."""
        self.db, self.clock, self.handlers, self.interval, self.also = db, clock, handlers, interval, also
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ggzy-chronograph", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                run_due(self.db, now=self.clock.now(), handlers=self.handlers)  # type: ignore[attr-defined]
            except Exception:  # keep running; the next tick retries
                log.exception("chronograph tick failed")
            for work in self.also:
                try:
                    work()
                except Exception:
                    log.exception("background catch-up failed")
