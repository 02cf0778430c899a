"""Dated events: sandbox acceleration of statutory periods, and several processes applying due events."""

from __future__ import annotations

import multiprocessing
import time
import traceback
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from ggzy.bidding.models import Opening
from ggzy.bidding.state import WINDOW_EVENT
from ggzy.common.audit import AuditEvent, verify_chain
from ggzy.common.chronograph import DatedEvent, run_due
from ggzy.config import Settings
from ggzy.dated_events import HANDLERS
from ggzy.db import Database, create_database
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from ggzy.main import create_app
from ggzy.registration.models import Project
from ggzy.tendering import services
from ggzy.tendering.models import Notice, Tender
from ggzy.tendering.schemas import TenderIn
from ggzy.tendering.services import CLOSE_EVENT
from tests.tendering.helpers import accepted_project_id, tender_body
from tests.tendering.helpers_methods import sign_in

DAY_PER_MINUTE = 1440


def _settings(tmp_path, env: str) -> Settings:
    return Settings(
        env=env, database_url="sqlite://", data_dir=tmp_path, cookie_secure=True, chronograph_seconds=0,
        session_hours=24 * 400,
    )  # fmt: skip


@pytest.fixture
def sandbox_app(db, clock, tmp_path):  # type: ignore[no-untyped-def]
    return create_app(_settings(tmp_path, "sandbox"), db=db, clock=clock)


def _load(db: Database, tender_id: int) -> Tender:
    with db.session(write=False) as s:
        t = s.get(Tender, tender_id)
        assert t is not None
        return t


def test_sandbox_runs_a_day_per_wall_clock_minute(sandbox_app, db, clock) -> None:
    owner, operator = sign_in(sandbox_app, "tenderer"), sign_in(sandbox_app, "operator")
    bidder, late = sign_in(sandbox_app, "bidder"), sign_in(sandbox_app, "bidder2")
    start = clock.now() + timedelta(days=1)
    body = tender_body(accepted_project_id(owner), start, acceleration=DAY_PER_MINUTE)
    r = owner.post("/api/v1/tenders", json=body)
    assert r.status_code == 201 and r.json()["acceleration"] == DAY_PER_MINUTE, r.text
    tid = r.json()["id"]
    assert owner.post(f"/api/v1/tenders/{tid}/submit").status_code == 200
    clock.set(start)
    assert operator.post(f"/api/v1/tenders/{tid}/publish").status_code == 200

    t = _load(db, tid)
    assert t.published_at == start
    deadline = start + timedelta(days=20)
    assert t.bid_deadline == deadline
    assert services.tender_now(t, start + timedelta(minutes=10)) == start + timedelta(days=10)
    assert services.tender_now(t, start + timedelta(seconds=1)) == start + timedelta(seconds=1440)
    assert services.wall_time(t, deadline) == start + timedelta(minutes=20)
    with db.session(write=False) as s:
        due = s.scalars(select(DatedEvent.due_at).where(DatedEvent.object_id == str(tid))).all()
    assert due == [start + timedelta(minutes=20)]

    # Participation runs on the tender's own clock: documents go out for 7 nominal days (7 minutes).
    clock.set(start + timedelta(minutes=1))
    assert bidder.post(f"/api/v1/tenders/{tid}/obtain").status_code == 204
    clock.set(start + timedelta(minutes=7))
    r = late.post(f"/api/v1/tenders/{tid}/obtain")
    assert r.status_code == 409 and r.json()["code"] == "docs_closed", r.text
    clock.set(start + timedelta(minutes=15))  # question deadline: 15 nominal days
    r = bidder.post(f"/api/v1/tenders/{tid}/questions", json={"body": "是否允许联合体投标？"})
    assert r.status_code == 409 and r.json()["code"] == "questions_closed", r.text

    clock.set(start + timedelta(minutes=20) - timedelta(seconds=1))
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 0
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "bidding"
    clock.set(start + timedelta(minutes=20))
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 1
    # Nobody bid, so neither section is opened and the tender fails by itself at the 20th minute;
    # no decryption window is left to run.
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "failed"
    notices = owner.get(f"/api/v1/tenders/{tid}/notices").json()
    assert [n["kind"] for n in notices] == ["tender", "failure"]
    assert datetime.fromisoformat(notices[1]["published_at"]) == start + timedelta(minutes=20)
    assert "截止时共 0 家投标，不足 3 家" in notices[1]["body"]
    assert run_due(db, now=clock.now() + timedelta(days=1), handlers=HANDLERS) == 0


def test_an_unaccelerated_tender_keeps_wall_time(db, client_for, clock) -> None:
    owner = client_for("tenderer")
    start = clock.now() + timedelta(days=1)
    t = owner.post("/api/v1/tenders", json=tender_body(accepted_project_id(owner), start)).json()
    loaded = _load(db, t["id"])
    later = start + timedelta(days=3)
    assert services.tender_now(loaded, later) == later and services.wall_time(loaded, later) == later


@pytest.mark.parametrize("env", ["test", "development", "production"])
def test_acceleration_is_refused_outside_the_sandbox(env, db, clock, tmp_path) -> None:
    app = create_app(_settings(tmp_path, env), db=db, clock=clock)
    owner = sign_in(app, "tenderer")
    pid = accepted_project_id(owner)
    body = tender_body(pid, clock.now() + timedelta(days=1), acceleration=DAY_PER_MINUTE)
    r = owner.post("/api/v1/tenders", json=body)
    assert r.status_code == 422 and r.json()["code"] == "acceleration_production", r.text
    t = owner.post("/api/v1/tenders", json=body | {"acceleration": 1}).json()
    r = owner.put(f"/api/v1/tenders/{t['id']}", json=body)
    assert r.status_code == 422 and r.json()["code"] == "acceleration_production", r.text
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["acceleration"] == 1


# --- several processes applying due events at once -------------------------------------------

TENDERS = 30
PROCESSES = 2
TIMEOUT = 180


def _principal(db: Database, username: str):  # type: ignore[no-untyped-def]
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return identity_selectors.principal_of(user, client_addr="10.0.0.1")


def _publish_many(db: Database, now: datetime) -> tuple[list[int], datetime]:
    tenderer, operator = _principal(db, "tenderer"), _principal(db, "operator")
    with db.session(write=False) as s:
        pid = s.scalar(select(Project.id).where(Project.name.like("松花江南岸%")))
    start = now + timedelta(days=1)
    ids = []
    for _ in range(TENDERS):
        with db.transaction() as s:
            data = TenderIn.model_validate(tender_body(pid, start))
            t = services.tender_create(session=s, now=now, principal=tenderer, data=data, sandbox=False)
            services.tender_submit(session=s, now=now, principal=tenderer, tender_id=t.id)
            services.tender_publish(session=s, now=now, principal=operator, tender_id=t.id)
            ids.append(t.id)
    return ids, start + timedelta(days=20)


def _apply_due(url: str, now: datetime, barrier: Any, results: Any) -> None:
    """Child process: its own engine, one run of the chronograph."""
    try:
        db = create_database(url)
        barrier.wait(timeout=60)
        started = time.time()
        applied = run_due(db, now=now, handlers=HANDLERS)
        ended = time.time()
        db.dispose()
        results.put(("ok", applied, (started, ended)))
    except Exception:
        results.put(("error", traceback.format_exc(), None))


def test_two_processes_close_each_tender_exactly_once(db, clock) -> None:
    ids, deadline = _publish_many(db, clock.now())
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    after = deadline + timedelta(minutes=5)
    procs = [ctx.Process(target=_apply_due, args=(db.url, after, barrier, results)) for _ in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=TIMEOUT) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [o[1] for o in outcomes if o[0] == "error"]
    assert not errors, "\n".join(errors)
    assert sum(o[1] for o in outcomes) == TENDERS, outcomes
    spans = [o[2] for o in outcomes]
    assert max(a for a, _ in spans) < min(b for _, b in spans), f"the processes did not overlap: {spans}"

    keys = [str(i) for i in ids]

    def per_tender(action: str) -> dict[str, int]:
        return dict(
            s.execute(
                select(AuditEvent.object_id, func.count())
                .where(AuditEvent.action == action, AuditEvent.object_id.in_(keys))
                .group_by(AuditEvent.object_id)
            ).all()
        )

    with db.session(write=False) as s:
        # Nobody bid: each deadline closed its tender, failed both sections' openings and then
        # the tender itself, all once.
        assert set(s.scalars(select(Tender.status).where(Tender.id.in_(ids)))) == {"failed"}
        events = s.scalars(
            select(DatedEvent).where(DatedEvent.kind == CLOSE_EVENT, DatedEvent.object_id.in_(keys))
        ).all()
        assert sorted(e.object_id for e in events) == sorted(keys), "one deadline event per tender"
        assert {(e.outcome, e.attempts) for e in events} == {("applied", 1)}
        assert all(e.done_at == after for e in events)
        openings = s.scalars(select(Opening).where(Opening.tender_id.in_(ids))).all()
        assert len(openings) == 2 * TENDERS and {o.status for o in openings} == {"failed"}
        # A failed opening never starts, so it schedules no decryption window.
        windows = select(func.count()).where(
            DatedEvent.kind == WINDOW_EVENT, DatedEvent.object_id.in_([str(o.id) for o in openings])
        )
        assert s.scalar(windows) == 0
        # (the demo's own failed tender was closed and failed long before)
        assert per_tender("tender.close") == dict.fromkeys(keys, 1)
        assert per_tender("tender.fail") == dict.fromkeys(keys, 1)
        failures = dict(
            s.execute(
                select(Notice.tender_id, func.count())
                .where(Notice.kind == "failure", Notice.tender_id.in_(ids))
                .group_by(Notice.tender_id)
            ).all()
        )
        assert failures == dict.fromkeys(ids, 1)
        result = verify_chain(s)
        assert result.ok, result.reason
    assert run_due(db, now=after + timedelta(days=1), handlers=HANDLERS) == 0
