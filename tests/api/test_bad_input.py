"""Malformed requests get a 4xx with the Chinese ``{code, message, detail}`` envelope, and leave
no trace: no organisation, user, project or audit event is written by a refused request."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from ggzy.db import Database
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.rules import make_id_number, make_uscc

CJK = re.compile(r"[\u4e00-\u9fff]")
TABLES = ("organization", "app_user", "project", "audit_event")
NEW_CODE = make_uscc("91220204MA1000099")  # not in the demo world


def counts(db: Database) -> dict[str, int]:
    with db.session(write=False) as s:
        return {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def assert_error(r: Any, status: int | tuple[int, ...], code: str | None = None) -> dict[str, Any]:
    statuses = (status,) if isinstance(status, int) else status
    assert r.status_code in statuses, r.text
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"code", "message", "detail"}, body
    assert CJK.search(body["message"]), f"message is not Chinese: {body['message']!r}"
    if code is not None:
        assert body["code"] == code, body
    return body


def signup_payload(**over: Any) -> dict[str, Any]:
    return {
        "org_name": "吉林市测试建筑有限公司",
        "credit_code": NEW_CODE,
        "org_role": "bidder",
        "region_code": "220204",
        "username": "new_bidder",
        "display_name": "测试 经办人",
        "id_number": make_id_number("22020319800101001"),
        "password": "Str0ng-pass-2026",
    } | over


def org_payload(**over: Any) -> dict[str, Any]:
    base = {"name": "吉林市测试招标单位", "credit_code": NEW_CODE, "roles": ["tenderer"], "region_code": "220202"}
    return base | over


def project_payload(db: Database, **over: Any) -> dict[str, Any]:
    with db.session(write=False) as s:
        regulator = identity_selectors.org_by_credit_code(s, make_uscc("11220200MB0200002"))
        assert regulator is not None
        regulator_id = regulator.id
    return {
        "name": "船营区测试道路改造工程",
        "trading_type": "construction",
        "catalogue_item_code": "GC-01",
        "funding_source": "fiscal",
        "estimated_amount": "20000000",
        "region_code": "220204",
        "contact_name": "联系人",
        "contact_phone": "0432-62000000",
        "regulator_org_id": regulator_id,
        "jurisdiction": "construction",
    } | over


@contextmanager
def nothing_written(db: Database) -> Iterator[None]:
    """The requests inside must not write a single row of the watched tables."""
    before = counts(db)
    yield
    assert counts(db) == before


def test_well_formed_requests_are_accepted(db: Database, anon: TestClient, client_for) -> None:  # type: ignore[no-untyped-def]
    """The control: the payloads the other tests spoil are valid as they stand."""
    before = counts(db)
    assert anon.post("/api/v1/signup", json=signup_payload()).status_code == 201
    other = make_uscc("91220202MA1000099")
    admin = client_for("admin")
    assert admin.post("/api/v1/organizations", json=org_payload(credit_code=other)).status_code == 201
    assert client_for("tenderer").post("/api/v1/projects", json=project_payload(db)).status_code == 201
    after = counts(db)
    assert after["organization"] == before["organization"] + 2
    assert after["app_user"] == before["app_user"] + 1
    assert after["project"] == before["project"] + 1
    assert after["audit_event"] > before["audit_event"]


BAD_CODES = {
    "too short": NEW_CODE[:17],
    "too long": NEW_CODE + "1",
    "forbidden letter O": "91220204MA1000O" + NEW_CODE[15:],
    "bad authority/category": "0" + NEW_CODE[1:],
    "region not digits": make_uscc("91A20204MA1000099"),
    "wrong check character": NEW_CODE[:17] + ("0" if NEW_CODE[17] != "0" else "1"),
}


@pytest.fixture
def tenderer(client_for: Callable[[str], TestClient]) -> TestClient:
    return client_for("tenderer")


@pytest.mark.parametrize("bad", list(BAD_CODES.values()), ids=list(BAD_CODES))
def test_malformed_credit_code_on_signup(db: Database, anon: TestClient, bad: str) -> None:
    with nothing_written(db):
        r = anon.post("/api/v1/signup", json=signup_payload(credit_code=bad))
    body = assert_error(r, 422, "invalid_credit_code")
    assert "统一社会信用代码" in body["message"]


@pytest.mark.parametrize("bad", list(BAD_CODES.values()), ids=list(BAD_CODES))
def test_malformed_credit_code_on_org_create(db: Database, client_for, bad: str) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    with nothing_written(db):
        r = admin.post("/api/v1/organizations", json=org_payload(credit_code=bad))
    assert_error(r, 422, "invalid_credit_code")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"org_name": None}, "org_name"),
        ({"org_role": "landlord"}, "org_role"),
        ({"region_code": "22020"}, "region_code"),
        ({"username": "bad name!"}, "username"),
        ({"extra_field": 1}, "extra_field"),
    ],
    ids=["missing name", "unknown role", "short region", "bad username", "unknown field"],
)
def test_signup_validation_errors_name_the_field(db: Database, anon: TestClient, change, field) -> None:  # type: ignore[no-untyped-def]
    payload = {k: v for k, v in signup_payload(**change).items() if v is not None}
    with nothing_written(db):
        body = assert_error(anon.post("/api/v1/signup", json=payload), 422, "validation_error")
    assert field in {d["field"] for d in body["detail"]}
    assert all(CJK.search(d["message"]) for d in body["detail"])


def test_signup_refuses_roles_people_may_not_give_themselves(db: Database, anon: TestClient) -> None:
    with nothing_written(db):
        r = anon.post("/api/v1/signup", json=signup_payload(org_role="regulator"))
    assert_error(r, 422, "signup_role")


@pytest.mark.parametrize(
    "amount",
    ["-1", "0", "0.001", "100.123", "1e20", "abc", "", 12.345, None],
    ids=["negative", "zero", "tiny", "three decimals", "too large", "text", "empty", "float 3dp", "missing"],
)
def test_project_amount_must_be_positive_yuan_and_fen(db: Database, tenderer: TestClient, amount) -> None:  # type: ignore[no-untyped-def]
    payload = project_payload(db, estimated_amount=amount)
    if amount is None:
        del payload["estimated_amount"]
    with nothing_written(db):
        body = assert_error(tenderer.post("/api/v1/projects", json=payload), 422, "validation_error")
    assert "estimated_amount" in {d["field"] for d in body["detail"]}
    assert "估算金额" in body["message"]


@pytest.mark.parametrize(
    "change",
    [{"trading_type": "barter"}, {"funding_source": "lottery"}, {"jurisdiction": "weather"}, {"route": "secret"}],
    ids=["trading_type", "funding_source", "jurisdiction", "route"],
)
def test_project_wrong_enum_values(db: Database, tenderer: TestClient, change) -> None:  # type: ignore[no-untyped-def]
    with nothing_written(db):
        body = assert_error(tenderer.post("/api/v1/projects", json=project_payload(db, **change)), 422)
    assert next(iter(change)) in {d["field"] for d in body["detail"]}


def test_project_rule_violation_is_explained(db: Database, tenderer: TestClient) -> None:
    with nothing_written(db):
        r = tenderer.post("/api/v1/projects", json=project_payload(db, jurisdiction="finance"))
    body = assert_error(r, 422, "jurisdiction_mismatch")
    assert body["detail"]["basis"]


def test_oversized_body_with_content_length(db: Database, tenderer: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    limit = app.state.settings.max_body_bytes
    payload = project_payload(db, scale="规" * (limit // 3 + 10))
    with nothing_written(db):
        r = tenderer.post("/api/v1/projects", json=payload)
    assert int(r.request.headers["content-length"]) > limit
    assert_error(r, 413, "too_large")


def test_oversized_body_without_content_length(db: Database, tenderer: TestClient, app) -> None:  # type: ignore[no-untyped-def]
    """A chunked body carries no Content-Length; the guard counts while it streams."""
    limit = app.state.settings.max_body_bytes
    chunk = b'{"name": "' + b"x" * 65536

    def stream() -> Iterator[bytes]:
        sent = 0
        while sent <= limit:
            yield chunk
            sent += len(chunk)
        yield b'"}'

    with nothing_written(db):
        r = tenderer.post("/api/v1/projects", content=stream(), headers={"content-type": "application/json"})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 413, "too_large")


def test_non_numeric_content_length_is_refused(db: Database, anon: TestClient) -> None:
    headers = {"content-type": "application/json", "content-length": "x"}
    with nothing_written(db):
        r = anon.post("/api/v1/signup", content=b"{}", headers=headers)
    assert_error(r, (400, 413))


@pytest.mark.parametrize(
    ("ctype", "content"),
    [("text/plain", b'{"a": 1}'), ("application/x-www-form-urlencoded", b"org_name=x"), ("", b"{}")],
    ids=["text/plain", "form-encoded", "no content type"],
)
def test_api_writes_must_be_json(db: Database, tenderer: TestClient, anon: TestClient, ctype, content) -> None:  # type: ignore[no-untyped-def]
    headers = {"content-type": ctype} if ctype else {}
    with nothing_written(db):
        r1 = anon.post("/api/v1/signup", content=content, headers=headers)
        r2 = tenderer.post("/api/v1/projects", content=content, headers=headers)
    assert_error(r1, 415, "unsupported_media_type")
    assert_error(r2, 415, "unsupported_media_type")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded"])
def test_chunked_api_writes_must_be_json_too(db: Database, tenderer: TestClient, ctype: str) -> None:
    """Leaving out Content-Length (a chunked body) must not slip past the content-type rule."""

    def stream() -> Iterator[bytes]:
        yield b"name=x"

    with nothing_written(db):
        r = tenderer.post("/api/v1/projects", content=stream(), headers={"content-type": ctype})
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert_error(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("content", [b"{", b'{"org_name": }', b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_invalid_json_is_a_validation_error(db: Database, anon: TestClient, content: bytes) -> None:
    with nothing_written(db):
        r = anon.post("/api/v1/signup", content=content, headers={"content-type": "application/json"})
    assert_error(r, 422, "validation_error")


@pytest.mark.parametrize("big", [2**31, 2**63], ids=["2^31", "2^63"])
@pytest.mark.parametrize(
    ("who", "method", "url"),
    [
        ("operator", "GET", "/api/v1/projects/{}"),
        ("operator", "POST", "/api/v1/projects/{}/accept"),
        (None, "GET", "/api/v1/organizations/{}"),
        ("tenderer", "POST", "/api/v1/me/tokens/{}/revoke"),
        ("operator", "GET", "/api/v1/projects?offset={}"),
        ("auditor", "GET", "/api/v1/audit/events?before_seq={}"),
    ],
    ids=["project", "accept", "organization", "token", "offset", "before_seq"],
)
def test_out_of_range_integers_are_client_errors(db: Database, anon, client_for, who, method, url, big) -> None:  # type: ignore[no-untyped-def]
    """An id no row can have is "not found" or invalid input, never a 500 from the database driver."""
    c: TestClient = anon if who is None else client_for(who)
    with nothing_written(db):
        r = c.request(method, url.format(big), json={} if method == "POST" else None)
    assert r.status_code < 500, f"{method} {url.format(big)} -> {r.status_code}"
    if "?" in url:  # a paging parameter beyond any row is a page (empty past the end) or a 422
        assert r.status_code in (200, 422), r.text
        assert r.status_code == 422 or "offset" not in url or r.json() == []
    else:
        assert_error(r, (404, 422))


def test_invalid_project_form_rerenders_with_the_error(db: Database, tenderer: TestClient) -> None:
    form = {k: str(v) for k, v in project_payload(db, estimated_amount="-5", name="新建测试项目表单").items()}
    form["csrf_token"] = tenderer.headers["x-csrf-token"]
    with nothing_written(db):
        r = tenderer.post("/projects/new", data=form, headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("text/html")
    page = html.unescape(r.text)
    assert 'id="project-form"' in page and 'role="alert"' in page
    assert "估算金额" in page
    assert "新建测试项目表单" in page, "the user's input is kept in the form"
