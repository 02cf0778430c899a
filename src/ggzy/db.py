"""Engines and sessions.

SQLite (the embedded default) runs in WAL mode. Two engines point at the same file: a write
engine whose transactions start with ``BEGIN IMMEDIATE`` (so a write transaction takes the lock
before it reads, and never fails later with a stale snapshot), and a read engine with ordinary
deferred transactions so pages that only read run side by side. On PostgreSQL both are one
engine; row locks and ``UPDATE ... RETURNING`` keep several app processes correct.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_engine(url: str, *, immediate: bool) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: a driver error in a log never carries the values (ID numbers, digests).
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN, so we choose its kind.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit survives power loss (a receipt is only sent after the commit), at the
        # cost of one more fsync per transaction; NORMAL could lose the last commits in WAL mode.
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


@dataclass
class Database:
    url: str
    write_engine: Engine
    read_engine: Engine

    @property
    def dialect(self) -> str:
        return self.write_engine.dialect.name

    def __post_init__(self) -> None:
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        # SQLite has one writer. Threads of this process queue here for it instead of polling
        # the file lock (busy_timeout sleeps up to 100 ms between tries, leaving the lock idle
        # while requests pile up); other processes still meet the file lock.
        self._writer = threading.Lock() if self.dialect == "sqlite" else None

    def session(self, *, write: bool = True) -> Session:
        return (self._write if write else self._read)()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write session committed on success, rolled back on any error (except an error that
        says its changes must stay, such as the count of a wrong guess)."""
        with self._writer or nullcontext(), self.session(write=True) as session:
            session.begin()
            try:
                yield session
            except BaseException as e:
                if getattr(e, "keep_changes", False):
                    session.commit()
                else:
                    session.rollback()
                raise
            session.commit()

    def analyze(self) -> None:
        """Refresh the planner's statistics. SQLite keeps none until told: without them it picks
        a poor index for the expert pool query (docs/performance.md), so this runs after
        migrations, after the demo load and on demand (``ggzy db analyze``) after bulk loads."""
        with self.transaction() as s:
            s.execute(text("ANALYZE"))

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def create_database(url: str) -> Database:
    if url.startswith("sqlite"):
        return Database(url, _sqlite_engine(url, immediate=True), _sqlite_engine(url, immediate=False))
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)
    return Database(url, engine, engine)
