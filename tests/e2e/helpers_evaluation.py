"""The world of the evaluation browser test: the live server with a clock the test moves, and
API clients for the setup that happens before the evaluation day (the tender, sealed bids, the
opening, the expert library, the draw and the experts' acceptances).

The setup reuses ``tests.evaluation.helpers`` (the same flow through the API) against the live
server: its clients are httpx clients, which the helpers use just like test clients."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from ggzy.common.clock import FixedClock
from ggzy.db import Database
from ggzy.demo import DEMO_PASSWORD
from ggzy.experts.models import Expert
from ggzy.identity.models import Organization, User
from tests.e2e.conftest import movable_world, serving
from tests.evaluation.helpers import PASSWORD


@dataclass
class World:
    """The live server, with the database, clock and data directory the test controls."""

    url: str
    db: Database
    clock: FixedClock
    tmp_path: Path
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def api(self, username: str) -> httpx.Client:
        """A signed-in API client (cookie session plus its CSRF header): a demo user, or an
        expert of the test's library (``ex1``, ``ex2`` ...), who has the experts' password."""
        if username not in self.clients:
            c = httpx.Client(base_url=self.url, timeout=60)
            password = PASSWORD if username.startswith("ex") else DEMO_PASSWORD
            r = c.post("/api/v1/auth/login", json={"username": username, "password": password})
            assert r.status_code == 200, r.text
            # The session cookie is Secure and httpx (unlike Chromium) won't send it to plain-HTTP
            # 127.0.0.1, so carry it by hand.
            cookie = "; ".join(f"{k}={v}" for k, v in r.cookies.items())
            assert cookie, "login set no session cookie"
            c.cookies.clear()
            c.headers.update({"cookie": cookie, "x-csrf-token": r.json()["csrf_token"]})
            self.clients[username] = c
        return self.clients[username]

    def expert_name(self, username: str) -> str:
        with self.db.session(write=False) as s:
            name = s.scalar(select(Expert.name).join(User, User.id == Expert.user_id).where(User.username == username))
        assert name, username
        return str(name)

    def org_name(self, credit_code: str) -> str:
        with self.db.session(write=False) as s:
            name = s.scalar(select(Organization.name).where(Organization.credit_code == credit_code))
        assert name, credit_code
        return str(name)


@contextmanager
def world(sqlite_templates: dict[str, Path], tmp_path: Path) -> Iterator[World]:
    db, clock, app = movable_world(sqlite_templates, tmp_path, "e2e-evaluation.db")
    try:
        with serving(app) as url:
            w = World(url, db, clock, tmp_path)
            try:
                yield w
            finally:
                for c in w.clients.values():
                    c.close()
    finally:
        db.dispose()


def login(browser: Browser, base: str, username: str, password: str = DEMO_PASSWORD) -> Page:
    """A user signed in through the login page, in a browser context of its own."""
    page = browser.new_context(locale="zh-CN").new_page()
    page.on("dialog", lambda d: d.accept())  # the confirm() before submitting a form (data-confirm)
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/workbench")
    return page
