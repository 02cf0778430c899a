"""Shared fixtures.

Every test that touches the database runs twice, on SQLite and on PostgreSQL. Each backend gets a
template once per session (migrated with Alembic, then the demo world loaded through the real
services) and each test works on a fresh copy: a file copy on SQLite, ``CREATE DATABASE ...
TEMPLATE`` on PostgreSQL. Without a reachable PostgreSQL those runs skip, saying why, unless
GGZY_REQUIRE_PG=1 (CI) turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from ggzy import demo
from ggzy.common.clock import FixedClock
from ggzy.config import Settings
from ggzy.db import Database, create_database
from ggzy.main import create_app
from ggzy.migrate import upgrade

# Monday 2026-11-30 09:00 in Asia/Shanghai: the demo world is built at T0, tests start from it.
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
PG_ADMIN = os.environ.get("GGZY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("GGZY_REQUIRE_PG") == "1"
RUN_ID = uuid.uuid4().hex[:8]


def _pg_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN.rpartition("/")
    return f"{base}/{dbname}"


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_unavailable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:
        return f"PostgreSQL 不可达（{PG_ADMIN}）：{exc.__class__.__name__}"
    return None


def _seed(db: Database) -> None:
    demo.load(db, FixedClock(T0))


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("templates")
    empty, seeded = root / "empty.db", root / "seeded.db"
    upgrade(f"sqlite:///{empty}")
    shutil.copy(empty, seeded)
    db = create_database(f"sqlite:///{seeded}")
    _seed(db)
    db.dispose()  # the last connection's close checkpoints the WAL into the file we copy
    return {"empty": empty, "seeded": seeded}


@pytest.fixture(scope="session")
def pg_templates() -> Iterator[dict[str, str]]:
    why = _pg_unavailable()
    if why:
        if REQUIRE_PG:
            pytest.fail(f"{why}；CI 要求 PostgreSQL（GGZY_REQUIRE_PG=1）")
        pytest.skip(f"{why}；PostgreSQL 测试已跳过")
    names = {"empty": f"ggzy_tpl_empty_{RUN_ID}", "seeded": f"ggzy_tpl_seeded_{RUN_ID}"}
    for name in names.values():
        _pg_admin(f"DROP DATABASE IF EXISTS {name}")
        _pg_admin(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
        upgrade(_pg_url(name))
    db = create_database(_pg_url(names["seeded"]))
    _seed(db)
    db.dispose()
    yield names
    for name in names.values():
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="pg", marks=pytest.mark.postgres)]


def _database(request: pytest.FixtureRequest, tmp_path: Path, kind: str) -> Iterator[Database]:
    if request.param == "sqlite":
        path = tmp_path / "ggzy.db"
        shutil.copy(request.getfixturevalue("sqlite_templates")[kind], path)
        database = create_database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    template = request.getfixturevalue("pg_templates")[kind]
    name = f"ggzy_t_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    database = create_database(_pg_url(name))
    yield database
    database.dispose()
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database holding the demo world (branches, organisations, users of every role, rule tables)."""
    yield from _database(request, tmp_path, "seeded")


@pytest.fixture(params=BACKENDS)
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated database with no rows."""
    yield from _database(request, tmp_path, "empty")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(hours=1))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # Sessions outlive the clock moves of lifecycle tests (months of statutory periods).
    return Settings(
        env="test",
        database_url="sqlite://",
        data_dir=tmp_path,
        cookie_secure=True,
        chronograph_seconds=0,
        session_hours=24 * 400,
    )


@pytest.fixture
def app(db: Database, clock: FixedClock, settings: Settings):  # type: ignore[no-untyped-def]
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def anon(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver")


@pytest.fixture
def client_for(app) -> Callable[[str], TestClient]:  # type: ignore[no-untyped-def]
    """A signed-in API client for a demo user (cookie session plus its CSRF header)."""
    cache: dict[str, TestClient] = {}

    def make(username: str) -> TestClient:
        if username not in cache:
            c = TestClient(app, base_url="https://testserver")
            r = c.post("/api/v1/auth/login", json={"username": username, "password": demo.DEMO_PASSWORD})
            assert r.status_code == 200, r.text
            c.headers["x-csrf-token"] = r.json()["csrf_token"]
            cache[username] = c
        return cache[username]

    return make
