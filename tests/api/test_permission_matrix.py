"""Every route against the one permission table, for every role.

The table in ``ggzy.identity.permissions`` is the contract: a role it refuses must be refused by
the route (401 / redirect to login for the anonymous public, 403 for a signed-in user), and a role
it allows must get past the permission layer (anything but 401/403: 404, 409, 422 are fine).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ggzy import demo
from ggzy.common.audit import AuditEvent
from ggzy.db import Database
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import Jurisdiction, Role
from ggzy.identity.models import User
from ggzy.identity.permissions import ANONYMOUS, TABLE, Action, Kind, Principal, allows
from ggzy.registration.models import Project, RuleTableVersion
from ggzy.tendering.models import Notice, Question, Tender, TenderDocument

try:  # FastAPI >= 0.165 includes routers lazily; this walks them with their full paths
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI keeps a flat list
    iter_route_contexts = None  # type: ignore[assignment]

DOCS = {"/api/openapi.json", "/api/docs", "/docs/oauth2-redirect", "/api/docs/oauth2-redirect"}
# One demo user per role; the anonymous public is ``None``; yongji_op is a county-branch operator.
PRINCIPALS: dict[str, str | None] = {
    "public": None,
    "admin": "admin",
    "operator": "operator",
    "yongji_op": "yongji_op",
    "tenderer": "tenderer",
    "agency": "agency",
    "bidder": "bidder",
    "expert": "expert",
    "regulator": "regulator",
    "auditor": "auditor",
}
# Routes that replace or end the caller's session run on a throwaway client.
SESSION_CHANGING = {"/login", "/logout", "/api/v1/auth/login", "/api/v1/auth/logout"}


@dataclass(frozen=True)
class RouteInfo:
    path: str
    method: str
    actions: tuple[Action, ...]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def _actions(dependant) -> Iterator[Action]:  # type: ignore[no-untyped-def]
    for sub in dependant.dependencies:
        action = getattr(sub.call, "ggzy_action", None)
        if action is not None:
            yield action
        yield from _actions(sub)


def _route_entries(app: FastAPI) -> Iterator[tuple[object, str, set[str], object]]:
    """(route, full path, methods, dependant) for every route, included routers flattened."""
    if iter_route_contexts is not None:
        for ctx in iter_route_contexts(app.routes):
            yield ctx.original_route, ctx.path or "", set(ctx.methods or ()), getattr(ctx, "dependant", None)
    else:  # pragma: no cover
        for r in app.routes:
            yield r, getattr(r, "path", ""), set(getattr(r, "methods", None) or ()), getattr(r, "dependant", None)


def routes_of(app: FastAPI) -> tuple[list[RouteInfo], list[str]]:
    """All application routes with their declared actions, and the problems found walking them."""
    found, problems = [], []
    for route, path, methods, dependant in _route_entries(app):
        if path.startswith("/static") or path in DOCS:
            continue
        if not isinstance(route, APIRoute) or dependant is None:
            problems.append(f"{sorted(methods)} {path}: not an APIRoute, declares no Action")
            continue
        actions = tuple(_actions(dependant))
        for method in sorted(methods - {"HEAD"}):
            if len(actions) != 1:
                problems.append(f"{method} {path}: declares {len(actions)} actions {actions}")
            found.append(RouteInfo(path, method, actions))
    return found, problems


def test_every_route_declares_exactly_one_action(app: FastAPI) -> None:
    routes, problems = routes_of(app)
    assert not problems, "\n".join(problems)
    assert len(routes) > 60  # the walk really saw the included routers
    paths = {r.path for r in routes}
    assert {"/api/v1/projects/{project_id}/accept", "/projects/{project_id}/accept", "/"} <= paths
    assert {a for r in routes for a in r.actions} == set(Action), "an Action in the table is used by no route"


def _path_values(db: Database) -> dict[str, str]:
    with db.session(write=False) as s:
        project = s.scalar(select(Project).where(Project.name.like("%江北污水处理厂%")))
        version = s.scalar(select(RuleTableVersion).where(RuleTableVersion.kind == "catalogue"))
        tender = s.scalar(select(Tender).where(Tender.status == "bidding"))  # the demo's open tender
        assert project is not None and version is not None and tender is not None
        notice = s.scalar(select(Notice).where(Notice.tender_id == tender.id))
        question = s.scalar(select(Question).where(Question.tender_id == tender.id))
        document = s.scalar(select(TenderDocument).where(TenderDocument.tender_id == tender.id))
        assert notice is not None and question is not None and document is not None
        return {
            "tender_id": str(tender.id),
            "section_id": str(tender.sections[0].id),
            "key_id": "1",
            "expert_id": "1",
            "extraction_id": "1",
            "response_id": "1",
            "site_id": "1",
            "delivery_id": "1",
            "evaluation_id": "1",
            "clarification_id": "1",
            "bid_id": "1",
            "notice_id": str(notice.id),
            "question_id": str(question.id),
            "document_id": str(document.id),
            "objection_id": "1",
            "project_id": str(project.id),
            "version_id": str(version.id),
            "token_id": "1",
            "org_id": "1",
            "username": "bidder",
            "kind": "catalogue",
            "day": "2026-12-01",
            "code": "GC-01",
        }


def _principal(db: Database, username: str | None) -> Principal:
    if username is None:
        return ANONYMOUS
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return identity_selectors.principal_of(user)


def _login(app: FastAPI, username: str) -> TestClient:
    c = TestClient(app, base_url="https://testserver")
    r = c.post("/api/v1/auth/login", json={"username": username, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["x-csrf-token"] = r.json()["csrf_token"]
    return c


def _anon(app: FastAPI) -> TestClient:
    """An anonymous browser holding the double-submit CSRF cookie a page gave it."""
    c = TestClient(app, base_url="https://testserver")
    page = c.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m and c.cookies.get("ggzy_csrf"), "the login page must hand out a CSRF token"
    c.headers["x-test-form-csrf"] = m.group(1)  # remembered for form posts; ignored by the server
    return c


def call(client: TestClient, route: RouteInfo, values: dict[str, str], login_as: str | None):  # type: ignore[no-untyped-def]
    url = route.path.format(**values)
    if route.method == "GET":
        return client.get(url, follow_redirects=False)
    if route.is_api and route.path.endswith(("/documents", "/bids")):  # uploads are raw bytes, not JSON
        headers = {"content-type": "application/octet-stream", "x-filename": "a.pdf"}
        return client.request(route.method, url, content=b"%PDF-1.4\n%%EOF", headers=headers, follow_redirects=False)
    if route.is_api:
        return client.request(route.method, url, json={}, follow_redirects=False)
    csrf = client.headers.get("x-csrf-token") or client.headers.get("x-test-form-csrf", "")
    form = {"csrf_token": csrf}
    if route.path == "/login":  # a real sign-in, so "allowed" is not confused with "wrong password"
        form |= {"username": login_as or "bidder", "password": demo.DEMO_PASSWORD}
    return client.request(route.method, url, data=form, follow_redirects=False)


def refused(r, route: RouteInfo, principal: Principal) -> bool:  # type: ignore[no-untyped-def]
    if not principal.is_authenticated:
        if route.is_api:
            return r.status_code == 401 and r.json()["code"] == "login_required"
        return r.status_code == 303 and r.headers["location"].startswith("/login?next=")
    if route.is_api:
        return r.status_code == 403 and r.json()["code"] == "forbidden"
    return r.status_code == 403


# Refusals by the permission table itself. Other 403s (out_of_scope, obtain_first, not_invited,
# not_named_regulator) come from object rules after the table let the role through.
TABLE_REFUSALS = {"login_required", "forbidden", "csrf_failed", "bad_token"}


def passed_permission_layer(r, route: RouteInfo) -> bool:  # type: ignore[no-untyped-def]
    if r.status_code == 401:
        return False
    if r.status_code == 403:
        return route.is_api and r.json().get("code") not in TABLE_REFUSALS
    return not (not route.is_api and r.status_code == 303 and r.headers["location"].startswith("/login?next="))


@pytest.mark.parametrize("who", list(PRINCIPALS))
def test_route_matrix_matches_permission_table(app: FastAPI, db: Database, who: str) -> None:
    username = PRINCIPALS[who]
    principal = _principal(db, username)
    values = _path_values(db)
    routes, _ = routes_of(app)
    client = _anon(app) if username is None else _login(app, username)
    wrong = []
    for route in routes:
        action = route.actions[0]
        c = client
        if route.path in SESSION_CHANGING and route.method == "POST":
            c = _anon(app) if username is None else _login(app, username)
        r = call(c, route, values, username)
        expected_allowed = allows(principal, action)
        ok = passed_permission_layer(r, route) if expected_allowed else refused(r, route, principal)
        if not ok:
            want = "allowed" if expected_allowed else "refused"
            wrong.append(f"{route.method} {route.path} [{action}] should be {want}: {r.status_code} {r.text[:120]}")
    assert not wrong, f"{who}:\n" + "\n".join(wrong)


def test_regulators_and_auditors_hold_no_write_action() -> None:
    for action, rule in TABLE.items():
        if rule.kind is Kind.WRITE:
            assert Role.REGULATOR not in rule.roles, action
            assert Role.AUDITOR not in rule.roles, action
    assert set(TABLE) == set(Action), "every Action has a row in the table"


@pytest.mark.parametrize("who", ["auditor", "regulator"])
def test_supervisors_are_refused_every_write_route(app: FastAPI, db: Database, who: str) -> None:
    routes, _ = routes_of(app)
    writes = [r for r in routes if TABLE[r.actions[0]].kind is Kind.WRITE and r.method != "GET"]
    assert len(writes) > 20
    values = _path_values(db)
    client = _login(app, who)
    with db.session(write=False) as s:
        events_before = s.scalar(select(func.count()).select_from(AuditEvent))
    for route in writes:
        r = call(client, route, values, who)
        assert r.status_code == 403, f"{who} {route.method} {route.path}: {r.status_code} {r.text[:200]}"
    with db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == events_before, "a refused write left a trace"


# --- object rules -------------------------------------------------------------------------------


def _project_id(db: Database, fragment: str) -> int:
    with db.session(write=False) as s:
        pid = s.scalar(select(Project.id).where(Project.name.like(f"%{fragment}%")))
        assert pid is not None, fragment
        return pid


def _listed(c: TestClient) -> list[dict]:  # type: ignore[type-arg]
    r = c.get("/api/v1/projects", params={"limit": 200})
    assert r.status_code == 200, r.text
    return r.json()


def test_tenderer_cannot_read_another_organisations_project(client_for: Callable[[str], TestClient], db) -> None:  # type: ignore[no-untyped-def]
    other = _project_id(db, "校园安保服务")  # registered by the city education bureau (purchaser)
    own = _project_id(db, "江北污水处理厂")
    tenderer = client_for("tenderer")
    r = tenderer.get(f"/api/v1/projects/{other}")
    assert r.status_code == 404 and r.json()["code"] == "project_not_found"
    assert tenderer.get(f"/api/v1/projects/{own}").status_code == 200
    ids = {p["id"] for p in _listed(tenderer)}
    assert own in ids and other not in ids
    assert client_for("purchaser").get(f"/api/v1/projects/{other}").status_code == 200


def test_county_operator_sees_only_its_branch(client_for: Callable[[str], TestClient], db: Database) -> None:
    yongji = client_for("yongji_op")
    listed = _listed(yongji)
    assert listed, "the county branch has a demo project"
    assert {p["branch_code"] for p in listed} == {"220221"}
    with db.session(write=False) as s:
        all_ids = set(s.scalars(select(Project.id)))
    city_submitted = _project_id(db, "校园安保服务")
    assert city_submitted in all_ids - {p["id"] for p in listed}
    city = client_for("operator")
    assert city.get(f"/api/v1/projects/{city_submitted}").json()["branch_code"] == "220200"
    assert yongji.get(f"/api/v1/projects/{city_submitted}").status_code == 404
    r = yongji.post(f"/api/v1/projects/{city_submitted}/accept")
    assert r.status_code == 404 and r.json()["code"] == "project_not_found"
    after = city.get(f"/api/v1/projects/{city_submitted}").json()
    assert after["status"] == "submitted" and after["code"] is None


def test_regulator_sees_only_its_jurisdiction(client_for: Callable[[str], TestClient], db: Database) -> None:
    with db.session(write=False) as s:
        # Drafts are their parties' business only: not even the sector's regulator sees them.
        construction = set(
            s.scalars(
                select(Project.id).where(Project.jurisdiction == Jurisdiction.CONSTRUCTION, Project.status != "draft")
            )
        )
    listed = _listed(client_for("regulator"))
    assert {p["id"] for p in listed} == construction and construction
    assert {p["jurisdiction"] for p in listed} == {"construction"}
    water = _project_id(db, "松花江南岸")
    assert client_for("regulator").get(f"/api/v1/projects/{water}").status_code == 404
    assert client_for("regulator_water").get(f"/api/v1/projects/{water}").status_code == 200


def test_city_operator_sees_every_project(client_for: Callable[[str], TestClient], db: Database) -> None:
    with db.session(write=False) as s:
        all_ids = set(s.scalars(select(Project.id).where(Project.status != "draft")))
    listed = {p["id"] for p in _listed(client_for("operator"))}
    assert listed == all_ids and len(all_ids) == len(demo.PROJECTS) - 1  # all but the tenderer's draft
    county = _project_id(db, "永吉县第一中学")
    assert client_for("operator").get(f"/api/v1/projects/{county}").status_code == 200
