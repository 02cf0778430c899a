"""Property-based fuzzing of every operation in /api/openapi.json with schemathesis.

Each operation is fuzzed as the anonymous public, a city-centre operator and a tenderer (both
signed in with an API token in ``Authorization: Bearer``, so no session or CSRF state can be
lost mid-run). Whatever arrives, the API must answer without a 5xx; a successful answer must
match its documented schema; an error must be the ``{code, message, detail}`` envelope with a
Chinese message.

The fuzz runs on SQLite only: it shares one database per module (copied from the session's
seeded template), and running it again on PostgreSQL would double the file's time without
exercising anything backend-specific that the rest of the suite does not already cover.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import select

from ggzy import demo
from ggzy.common.audit import verify_chain
from ggzy.common.clock import FixedClock
from ggzy.config import Settings
from ggzy.db import Database, create_database
from ggzy.identity.models import ApiToken
from ggzy.main import create_app
from tests.conftest import T0

CJK = re.compile(r"[\u4e00-\u9fff]")
FUZZ_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same cases every run, so a failure reproduces
    database=None,
)


@dataclass
class World:
    app: FastAPI
    db: Database
    headers: dict[str, dict[str, str]]  # who -> extra request headers
    token_ids: set[int]  # the fuzzers' own tokens: never revoked by a fuzzed token_id


@pytest.fixture(scope="module")
def world(sqlite_templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = tmp_path_factory.mktemp("fuzz") / "ggzy.db"
    shutil.copy(sqlite_templates["seeded"], path)
    db = create_database(f"sqlite:///{path}")
    clock = FixedClock(T0)
    settings_ = Settings(env="test", database_url="sqlite://", data_dir=path.parent, cookie_secure=True)
    app = create_app(settings_, db=db, clock=clock)
    headers: dict[str, dict[str, str]] = {"public": {}}
    token_ids = set()
    for who in ("operator", "tenderer"):
        c = TestClient(app, base_url="https://testserver")
        r = c.post("/api/v1/auth/login", json={"username": who, "password": demo.DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        r = c.post(
            "/api/v1/me/tokens",
            json={"name": f"fuzz {who}", "days": 30},
            headers={"x-csrf-token": r.json()["csrf_token"]},
        )
        assert r.status_code == 201, r.text
        headers[who] = {"Authorization": f"Bearer {r.json()['token']}"}
        token_ids.add(r.json()["id"])
    yield World(app, db, headers, token_ids)
    db.dispose()


@pytest.fixture(scope="module")
def api_schema(world: World) -> Any:
    return schemathesis.openapi.from_asgi("/api/openapi.json", world.app)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every documented operation; the spec does not depend on the database."""
    spec = create_app(Settings(env="test", database_url="sqlite://"), clock=FixedClock(T0)).openapi()
    return [(m.upper(), path) for path, item in spec["paths"].items() for m in item]


OPERATIONS = _operations()


def _check(case: Any, response: Any, who: str) -> None:
    label = f"{who}: {case.operation.label} -> {response.status_code}"
    assert response.status_code < 500, f"{label}\n{case.as_curl_command()}\n{response.text[:500]}"
    if 200 <= response.status_code < 300:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
        return
    case.validate_response(response, checks=[not_a_server_error, content_type_conformance])
    if response.status_code == 405 or not response.content:
        return
    body = response.json()
    assert set(body) == {"code", "message", "detail"}, f"{label}: not the error envelope: {body}"
    assert isinstance(body["code"], str) and body["code"], label
    assert CJK.search(body["message"]), f"{label}: the message is not Chinese: {body['message']!r}"


def test_the_spec_lists_the_api() -> None:
    assert len(OPERATIONS) >= 40
    assert ("POST", "/api/v1/projects") in OPERATIONS and ("GET", "/api/v1/audit/verify") in OPERATIONS
    assert all(path.startswith("/api/v1/") for _m, path in OPERATIONS), "pages must stay out of the API spec"


# schemathesis' own pytest loader (from_fixture) does not run under this pytest, so each
# operation is driven through hypothesis directly with schemathesis' case strategies.
@pytest.mark.parametrize("who", ["public", "operator", "tenderer"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_fuzz_operation(api_schema: Any, world: World, who: str, method: str, path: str) -> None:
    operation = api_schema[path][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @given(case=cases)
    @FUZZ_SETTINGS
    def fuzz(case: Any) -> None:
        params = case.path_parameters or {}
        if params.get("token_id") in world.token_ids:
            params["token_id"] = 999_999  # revoking its own credential would blind the rest of the run
        _check(case, case.call(headers=world.headers[who]), who)

    fuzz()


def test_fuzzing_left_a_valid_audit_chain(world: World) -> None:
    """Runs after the fuzz in file order: whatever it wrote, the chain still verifies."""
    with world.db.session(write=False) as s:
        result = verify_chain(s)
        assert result.ok, result.reason
        assert result.checked > 0
        live = s.scalars(select(ApiToken).where(ApiToken.id.in_(world.token_ids))).all()
        assert all(t.revoked_at is None for t in live)


def test_openapi_documents_the_error_envelope(world: World) -> None:
    """Clients generated from the spec must be told what a 422 really looks like: the API returns
    ``{code, message, detail}`` (see ggzy.http.errors), not FastAPI's default ``{detail: [...]}``."""
    spec = TestClient(world.app).get("/api/openapi.json").json()
    r = TestClient(world.app, base_url="https://testserver").post("/api/v1/signup", json={})
    assert r.status_code == 422 and set(r.json()) == {"code", "message", "detail"}
    op = spec["paths"]["/api/v1/signup"]["post"]
    ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
    documented = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    assert {"code", "message", "detail"} <= set(documented.get("properties", {})), (
        f"422 is documented as {ref} with properties {sorted(documented.get('properties', {}))}, "
        "but the API answers {code, message, detail}"
    )
