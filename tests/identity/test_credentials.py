"""Regression tests: credentials end when they should (reset, change, deactivation), tokens always
expire, failed password changes count toward lock-out, unknown logins write nothing, flash messages
come only from this site, and a page ignores a non-Bearer Authorization header."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ggzy import demo
from ggzy.common.audit import AuditEvent, AuditHead
from ggzy.config import Settings
from ggzy.db import Database

PW = demo.DEMO_PASSWORD
NEW_PW = "N3w-secret-pass"
Client = Callable[[str], TestClient]


def new_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver")


def login(c: TestClient, username: str, password: str = PW):  # type: ignore[no-untyped-def]
    return c.post("/api/v1/auth/login", json={"username": username, "password": password})


def signed_in(app, username: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = new_client(app)
    r = login(c, username)
    assert r.status_code == 200, r.text
    c.headers["x-csrf-token"] = r.json()["csrf_token"]
    return c


def make_token(c: TestClient, days: int = 30) -> str:
    r = c.post("/api/v1/me/tokens", json={"name": "对接脚本", "days": days})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def bearer(app, raw: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = new_client(app)
    c.headers["authorization"] = f"Bearer {raw}"
    return c


def assert_token_dead(app, raw: str) -> None:  # type: ignore[no-untyped-def]
    r = bearer(app, raw).get("/api/v1/me")
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "bad_token"


def assert_session_dead(c: TestClient) -> None:
    r = c.get("/api/v1/me")
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "login_required"


def audit_state(db: Database) -> tuple[int, int | None]:
    with db.session(write=False) as s:
        count = s.scalar(select(func.count()).select_from(AuditEvent))
        head = s.scalar(select(func.max(AuditHead.seq)))
    assert count is not None
    return count, head


# --- ending credentials ---------------------------------------------------------------------------


def test_admin_password_reset_ends_sessions_and_revokes_tokens(app, client_for: Client) -> None:  # type: ignore[no-untyped-def]
    browser = signed_in(app, "tenderer")
    raw = make_token(browser)
    machine = bearer(app, raw)
    assert machine.get("/api/v1/me").json()["username"] == "tenderer"

    r = client_for("admin").post("/api/v1/users/tenderer/password-reset", json={"new_password": NEW_PW})
    assert r.status_code == 200, r.text

    assert_session_dead(browser)
    assert_token_dead(app, raw)
    assert login(new_client(app), "tenderer").status_code == 401, "the old password no longer works"
    assert login(new_client(app), "tenderer", NEW_PW).status_code == 200


def test_own_password_change_ends_other_sessions_and_revokes_tokens(app) -> None:  # type: ignore[no-untyped-def]
    here, elsewhere = signed_in(app, "agency"), signed_in(app, "agency")
    raw = make_token(elsewhere)
    assert bearer(app, raw).get("/api/v1/me").status_code == 200

    r = here.post("/api/v1/me/password", json={"old_password": PW, "new_password": NEW_PW})
    assert r.status_code == 204, r.text

    assert_session_dead(elsewhere)
    assert_token_dead(app, raw)
    assert login(new_client(app), "agency", NEW_PW).status_code == 200


def test_deactivation_ends_sessions_revokes_tokens_and_blocks_login(app, client_for: Client) -> None:  # type: ignore[no-untyped-def]
    browser = signed_in(app, "bidder")
    raw = make_token(browser)
    assert bearer(app, raw).get("/api/v1/me").status_code == 200
    admin = client_for("admin")

    r = admin.post("/api/v1/users/bidder/deactivate")
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is False

    assert_session_dead(browser)
    assert_token_dead(app, raw)
    r = login(new_client(app), "bidder")
    assert r.status_code == 401 and r.json()["code"] == "bad_credentials"

    r = admin.post("/api/v1/users/bidder/activate")
    assert r.status_code == 200, r.text
    assert r.json()["is_active"] is True
    assert login(new_client(app), "bidder").status_code == 200
    assert_token_dead(app, raw)  # reactivation does not bring a revoked token back


# --- tokens always expire -------------------------------------------------------------------------


def test_token_without_expiry_is_refused(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app, "tenderer")
    for days in (None, 367, 10_000, 0):
        r = c.post("/api/v1/me/tokens", json={"name": "x", "days": days})
        assert r.status_code == 422, (days, r.text)
    assert c.get("/api/v1/me/tokens").json() == []

    r = c.post("/api/v1/me/tokens", json={"name": "x", "days": 366})
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"] is not None
    r = c.post("/api/v1/me/tokens", json={"name": "default"})
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"] is not None, "a token without days still gets an expiry"
    assert all(t["expires_at"] for t in c.get("/api/v1/me/tokens").json())


# --- lock-out through the password-change form ----------------------------------------------------


def test_wrong_old_password_counts_toward_lockout(app, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.login_max_failures == 5
    c = signed_in(app, "bidder2")
    wrong = {"old_password": "Not-my-pass-1", "new_password": NEW_PW}
    for _ in range(settings.login_max_failures - 1):
        r = c.post("/api/v1/me/password", json=wrong)
        assert r.status_code == 422 and r.json()["code"] == "wrong_password", r.text
    r = c.post("/api/v1/me/password", json=wrong)
    assert r.status_code == 429 and r.json()["code"] == "account_locked", r.text

    r = login(new_client(app), "bidder2")  # the right password does not open the locked account
    assert r.status_code == 429 and r.json()["code"] == "account_locked"
    assert login(new_client(app), "bidder2", NEW_PW).status_code in (401, 429), "the password was not changed"


# --- unknown usernames write nothing --------------------------------------------------------------


def test_login_for_unknown_username_writes_nothing(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = audit_state(db)
    c = new_client(app)
    for name in ("nobody", "no-such-user", "管理员"):
        r = login(c, name)
        assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
    assert audit_state(db) == before
    # A known user's failure, by contrast, is recorded.
    assert login(c, "bidder", "Wrong-pass-2026").status_code == 401
    assert audit_state(db)[0] == before[0] + 1


# --- flash messages -------------------------------------------------------------------------------

NOTICE = re.compile(r'<div class="notice" role="status">([^<]*)</div>')


def page_csrf(c: TestClient, path: str = "/account") -> str:
    page = c.get(path)
    assert page.status_code == 200, page.text
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m is not None
    return m.group(1)


def test_flash_is_not_taken_from_the_url(anon: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    forged = "伪造的通知"
    for path in ("/", "/login", "/workbench"):
        r = anon.get(path, params={"msg": forged, "flash": forged, "message": forged})
        assert r.status_code == 200, (path, r.status_code)
        assert forged not in r.text, path
    c = signed_in(app, "tenderer")
    r = c.get("/workbench", params={"msg": forged})
    assert r.status_code == 200 and forged not in r.text


def test_flash_after_a_form_is_shown_once(app) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app, "tenderer")
    csrf = page_csrf(c)
    # An invalid form redirects back with the error as the flash message.
    r = c.post("/account/tokens", data={"csrf_token": csrf, "name": "x", "days": "0"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/account", "the message does not travel in the URL"
    first = c.get("/account")
    shown = NOTICE.findall(first.text)
    assert len(shown) == 1 and "不能小于 1" in shown[0], first.text[:2000]
    second = c.get("/account")
    assert NOTICE.findall(second.text) == [], "a flash message is shown once"

    # And a successful action's message (revoke a token through its form).
    created = c.post("/api/v1/me/tokens", json={"name": "将吊销", "days": 5}).json()
    r = c.post(f"/account/tokens/{created['id']}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert NOTICE.findall(c.get("/account").text) == ["令牌已吊销"]
    assert NOTICE.findall(c.get("/").text) == []


# --- pages and the Authorization header -----------------------------------------------------------


def test_page_ignores_non_bearer_authorization(app) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app, "tenderer")
    basic = {"authorization": "Basic eHh4Onh4eA=="}
    r = c.get("/workbench", headers=basic, follow_redirects=False)
    assert r.status_code == 200, (r.status_code, r.headers.get("location"))
    assert "城投集团 张伟" in r.text
    # Signed out, the same header leads to the login page once, and that page loads.
    anon = new_client(app)
    r = anon.get("/workbench", headers=basic, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    r = anon.get(r.headers["location"], headers=basic, follow_redirects=False)
    assert r.status_code == 200
