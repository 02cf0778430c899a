"""Signing in and staying signed in: session cookies, lockout, CSRF, API tokens, passwords."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ggzy import demo
from ggzy.common.audit import AuditEvent, verify_chain
from ggzy.common.clock import FixedClock
from ggzy.config import Settings
from ggzy.db import Database
from ggzy.identity.models import User

Client = Callable[[str], TestClient]
PW = demo.DEMO_PASSWORD


def new_client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, base_url="https://testserver")


def login(c: TestClient, username: str = "bidder", password: str = PW):  # type: ignore[no-untyped-def]
    return c.post("/api/v1/auth/login", json={"username": username, "password": password})


def signed_in(app, username: str = "bidder") -> TestClient:  # type: ignore[no-untyped-def]
    c = new_client(app)
    r = login(c, username)
    assert r.status_code == 200, r.text
    c.headers["x-csrf-token"] = r.json()["csrf_token"]
    return c


def user_row(db: Database, username: str) -> User:
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return user


# --- sessions -----------------------------------------------------------------------------------


def test_login_sets_a_hardened_session_cookie(app) -> None:  # type: ignore[no-untyped-def]
    r = login(new_client(app))
    assert r.status_code == 200
    assert r.json()["me"]["username"] == "bidder" and r.json()["csrf_token"]
    cookies = [h for h in r.headers.get_list("set-cookie") if h.startswith("ggzy_session=")]
    assert len(cookies) == 1
    attrs = {a.strip().split("=")[0].lower(): a.strip() for a in cookies[0].split(";")[1:]}
    assert "httponly" in attrs and "secure" in attrs
    assert attrs["samesite"].lower() == "samesite=lax"
    assert attrs["path"] == "Path=/"


def test_wrong_password_and_unknown_user_look_the_same(app) -> None:  # type: ignore[no-untyped-def]
    c = new_client(app)
    for username, password in (("bidder", "Wrong-pass-2026"), ("nobody", PW)):
        r = login(c, username, password)
        assert r.status_code == 401
        assert r.json()["code"] == "bad_credentials" and re.search(r"[\u4e00-\u9fff]", r.json()["message"])
    assert "ggzy_session" not in c.cookies
    assert c.get("/api/v1/me").status_code == 401


def test_lockout_after_repeated_failures(app, db: Database, clock: FixedClock, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    c = new_client(app)
    assert settings.login_max_failures == 5
    for i in range(1, settings.login_max_failures):
        r = login(c, password="Wrong-pass-2026")
        assert r.status_code == 401 and r.json()["code"] == "bad_credentials"
        assert user_row(db, "bidder").failed_logins == i, "the failure count is committed although login fails"
    r = login(c, password="Wrong-pass-2026")
    assert r.status_code == 429 and r.json()["code"] == "account_locked"
    locked_until = user_row(db, "bidder").locked_until
    assert locked_until is not None
    r = login(c)  # the right password does not open a locked account
    assert r.status_code == 429 and r.json()["code"] == "account_locked"
    clock.advance(timedelta(minutes=settings.login_lock_minutes) - timedelta(seconds=1))
    assert login(c).status_code == 429
    clock.advance(timedelta(seconds=2))
    r = login(c)
    assert r.status_code == 200, r.text
    assert user_row(db, "bidder").failed_logins == 0 and user_row(db, "bidder").locked_until is None
    with db.session(write=False) as s:
        uid = str(user_row(db, "bidder").id)
        failed = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "auth.login_failed", AuditEvent.object_id == uid)
            .order_by(AuditEvent.seq)
        ).all()
        assert [e.detail.get("failures") for e in failed] == [1, 2, 3, 4, 5]
        assert "locked_until" in failed[-1].detail
        assert verify_chain(s).ok


def test_lockout_belongs_to_one_account(app) -> None:  # type: ignore[no-untyped-def]
    c = new_client(app)
    for _ in range(5):
        login(c, password="Wrong-pass-2026")
    assert login(c).status_code == 429
    assert login(c, "bidder2").status_code == 200


def test_logout_ends_the_session(app) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app)
    raw = c.cookies["ggzy_session"]
    assert c.get("/api/v1/me").status_code == 200
    assert c.post("/api/v1/auth/logout").status_code == 204
    r = c.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "login_required"
    replay = new_client(app)  # the old cookie, kept by an attacker, is dead on the server too
    replay.cookies.set("ggzy_session", raw)
    assert replay.get("/api/v1/me").status_code == 401


def test_session_cookie_is_stored_only_as_a_digest(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    raw = signed_in(app).cookies["ggzy_session"]
    with db.session(write=False) as s:
        rows = s.execute(text("SELECT * FROM web_session")).all()
    assert rows and not any(raw in str(v) for row in rows for v in row)


# --- CSRF ---------------------------------------------------------------------------------------


def test_cookie_post_without_csrf_header_is_refused(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app)
    token = c.headers.pop("x-csrf-token")
    r = c.post("/api/v1/me/tokens", json={"name": "no csrf"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    r = c.post("/api/v1/me/tokens", json={"name": "wrong csrf"}, headers={"x-csrf-token": token[:-1] + "x"})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    with db.session(write=False) as s:
        assert s.execute(text("SELECT count(*) FROM api_token")).scalar_one() == 0
    assert c.post("/api/v1/me/tokens", json={"name": "ok"}, headers={"x-csrf-token": token}).status_code == 201


def test_anonymous_login_form_needs_the_double_submit_token(app) -> None:  # type: ignore[no-untyped-def]
    form = {"username": "bidder", "password": PW}
    c = new_client(app)
    r = c.post("/login", data=form, follow_redirects=False)
    assert r.status_code == 403 and "ggzy_session" not in c.cookies
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert c.cookies.get("ggzy_csrf") == token
    stranger = new_client(app)  # a cross-site form knows no cookie of ours
    assert stranger.post("/login", data=form | {"csrf_token": token}, follow_redirects=False).status_code == 403
    r = c.post("/login", data=form | {"csrf_token": "forged"}, follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/login", data=form | {"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/workbench"
    assert c.get("/api/v1/me").json()["username"] == "bidder"


# --- API tokens ---------------------------------------------------------------------------------


def create_token(c: TestClient, **body) -> dict:  # type: ignore[no-untyped-def,type-arg]
    r = c.post("/api/v1/me/tokens", json={"name": "脚本", **body})
    assert r.status_code == 201, r.text
    return r.json()


def bearer(app, raw: str) -> TestClient:  # type: ignore[no-untyped-def]
    c = new_client(app)
    c.headers["authorization"] = f"Bearer {raw}"
    return c


def test_token_is_shown_once_and_never_stored(app, db: Database) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app, "tenderer")
    created = create_token(c, days=30)
    raw = created["token"]
    assert raw.startswith("ggzy_") and len(raw) > 30
    listed = c.get("/api/v1/me/tokens")
    assert listed.status_code == 200 and [t["id"] for t in listed.json()] == [created["id"]]
    assert "token" not in listed.json()[0]
    assert raw not in listed.text and raw[len("ggzy_") :] not in listed.text
    assert raw.startswith(listed.json()[0]["prefix"]) and len(listed.json()[0]["prefix"]) < len(raw) // 2
    with db.session(write=False) as s:
        rows = s.execute(text("SELECT * FROM api_token")).mappings().all()
        events = s.execute(text("SELECT * FROM audit_event")).all()
    secret = raw[len("ggzy_") :]
    assert rows and not any(secret in str(v) for row in rows for v in row.values())
    assert not any(secret in str(v) for row in events for v in row), "the token leaked into the audit log"


def test_bearer_token_authenticates_without_cookie_or_csrf(app) -> None:  # type: ignore[no-untyped-def]
    raw = create_token(signed_in(app, "tenderer"))["token"]
    c = bearer(app, raw)
    assert c.get("/api/v1/me").json()["username"] == "tenderer"
    r = c.post("/api/v1/me/tokens", json={"name": "second"})  # a write, no cookie, no CSRF header
    assert r.status_code == 201, r.text
    assert not c.cookies


def test_token_in_query_string_is_not_accepted(app) -> None:  # type: ignore[no-untyped-def]
    raw = create_token(signed_in(app, "tenderer"))["token"]
    c = new_client(app)
    for param in ("token", "access_token", "api_token"):
        r = c.get("/api/v1/me", params={param: raw})
        assert r.status_code == 401, param
    assert c.get("/api/v1/projects", params={"token": raw}).status_code == 401


def test_revoked_token_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    owner = signed_in(app, "tenderer")
    created = create_token(owner)
    c = bearer(app, created["token"])
    assert c.get("/api/v1/me").status_code == 200
    r = owner.post(f"/api/v1/me/tokens/{created['id']}/revoke")
    assert r.status_code == 200 and r.json()["revoked_at"]
    for path in ("/api/v1/me", "/api/v1/branches"):  # a bad credential is refused even on public data
        r = c.get(path)
        assert r.status_code == 401 and r.json()["code"] == "bad_token"


def test_someone_elses_token_cannot_be_revoked(app) -> None:  # type: ignore[no-untyped-def]
    created = create_token(signed_in(app, "tenderer"))
    r = signed_in(app, "agency").post(f"/api/v1/me/tokens/{created['id']}/revoke")
    assert r.status_code == 404
    assert bearer(app, created["token"]).get("/api/v1/me").status_code == 200


def test_expired_token_is_refused(app, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    raw = create_token(signed_in(app, "tenderer"), days=1)["token"]
    c = bearer(app, raw)
    clock.advance(timedelta(hours=23, minutes=59))
    assert c.get("/api/v1/me").status_code == 200
    clock.advance(timedelta(minutes=1))
    r = c.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "bad_token"


def test_malformed_bearer_is_refused(app) -> None:  # type: ignore[no-untyped-def]
    for value in ("Bearer ggzy_not-a-real-token", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Bearer " + "x" * 500):
        r = new_client(app).get("/api/v1/me", headers={"authorization": value})
        assert r.status_code == 401 and r.json()["code"] == "bad_token", value


# --- passwords ----------------------------------------------------------------------------------


def test_passwords_are_stored_as_argon2id(db: Database) -> None:
    with db.session(write=False) as s:
        hashes = s.scalars(select(User.password_hash)).all()
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(PW in h for h in hashes)


def test_password_change_ends_other_sessions(app) -> None:  # type: ignore[no-untyped-def]
    here, elsewhere = signed_in(app), signed_in(app)
    new = "N3w-secret-pass"
    r = here.post("/api/v1/me/password", json={"old_password": PW, "new_password": new})
    assert r.status_code == 204, r.text
    assert elsewhere.get("/api/v1/me").status_code == 401
    assert login(new_client(app)).status_code == 401, "the old password no longer works"
    assert login(new_client(app), password=new).status_code == 200


def test_password_change_needs_the_old_password(app) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app)
    r = c.post("/api/v1/me/password", json={"old_password": "Not-my-pass-1", "new_password": "N3w-secret-pass"})
    assert r.status_code == 422 and r.json()["code"] == "wrong_password"
    assert c.get("/api/v1/me").status_code == 200
    assert login(new_client(app)).status_code == 200


def test_weak_passwords_are_rejected(app) -> None:  # type: ignore[no-untyped-def]
    c = signed_in(app)
    for weak in ("Sh0rt-pw", "alllowercase-only", "NoDigitsOrSymbols", "1234567890123"):
        r = c.post("/api/v1/me/password", json={"old_password": PW, "new_password": weak})
        assert r.status_code == 422 and r.json()["code"] == "weak_password", weak
        assert re.search(r"[\u4e00-\u9fff]", r.json()["message"])
    assert c.get("/api/v1/me").status_code == 200, "a refused change keeps the session"
    assert login(new_client(app)).status_code == 200
