"""Browser tests: Debian's Chromium driven by Playwright against a live server in a thread.

No browser is ever downloaded: the launch uses /usr/bin/chromium. Without it these tests skip,
saying so, unless GGZY_REQUIRE_BROWSER=1 (CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from ggzy.common.clock import FixedClock
from ggzy.config import Settings
from ggzy.db import Database, create_database
from ggzy.main import create_app
from tests.conftest import T0

CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = os.environ.get("GGZY_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        if REQUIRE_BROWSER:
            pytest.fail(f"{CHROMIUM} 不存在；CI 要求浏览器测试（GGZY_REQUIRE_BROWSER=1）")
        pytest.skip(f"{CHROMIUM} 不存在（apt-get install chromium）；浏览器测试已跳过")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` on a free local port in a thread; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("e2e server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def movable_world(sqlite_templates: dict[str, Path], tmp_path: Path, name: str) -> tuple[Database, FixedClock, FastAPI]:
    """A copy of the demo world whose clock the test moves: sessions outlive the weeks it moves,
    and no background runner runs (the test applies the deadlines itself)."""
    path = tmp_path / name
    shutil.copy(sqlite_templates["seeded"], path)
    db = create_database(f"sqlite:///{path}")
    clock = FixedClock(T0 + timedelta(hours=1))
    settings = Settings(
        env="test",
        database_url=f"sqlite:///{path}",
        data_dir=tmp_path,
        cookie_secure=True,
        chronograph_seconds=0,
        session_hours=24 * 400,
    )
    return db, clock, create_app(settings, db=db, clock=clock)


@pytest.fixture
def live_server(sqlite_templates: dict[str, Path], tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "e2e.db"
    shutil.copy(sqlite_templates["seeded"], path)
    db = create_database(f"sqlite:///{path}")
    # Chromium treats 127.0.0.1 as a secure context, so the Secure session cookie works over HTTP.
    settings = Settings(env="test", database_url=f"sqlite:///{path}", data_dir=tmp_path, cookie_secure=True)
    app = create_app(settings, db=db, clock=FixedClock(T0 + timedelta(hours=1)))
    with serving(app) as url:
        yield url
    db.dispose()
