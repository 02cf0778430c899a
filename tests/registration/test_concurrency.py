"""Several OS processes registering and accepting projects at once, each with its own engine.

This is how the platform runs in production (several app processes on one PostgreSQL; on SQLite
several processes on one file, serialised by ``BEGIN IMMEDIATE``): project codes must still be
unique and gap-free per sequence, and the audit log must stay one unforked hash chain.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from ggzy.common import audit
from ggzy.common.audit import SYSTEM, AuditEvent, AuditHead, verify_chain
from ggzy.common.sequences import CodeSequence
from ggzy.db import Database, create_database
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from ggzy.identity.rules import make_uscc
from ggzy.registration import services as reg
from ggzy.registration.codes import PROJECT_CODE
from ggzy.registration.enums import ProjectStatus
from ggzy.registration.models import Project
from ggzy.registration.schemas import ProjectIn

PROCESSES = 3
PROJECTS_EACH = 12
EVENTS_EACH = 40
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
TIMEOUT = 180


def _principal(db: Database, username: str):  # type: ignore[no-untyped-def]
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == username))
        assert user is not None
        return identity_selectors.principal_of(user, client_addr="10.0.0.1")


def _project_in(db: Database, name: str) -> ProjectIn:
    with db.session(write=False) as s:
        regulator = identity_selectors.org_by_credit_code(s, make_uscc("11220200MB0200002"))
        assert regulator is not None
        regulator_id = regulator.id
    return ProjectIn.model_validate(
        {
            "name": name,
            "trading_type": "construction",
            "catalogue_item_code": "GC-01",
            "funding_source": "fiscal",
            "estimated_amount": Decimal("20000000"),
            "region_code": "220204",
            "contact_name": "项目联系人",
            "contact_phone": "0432-62000000",
            "regulator_org_id": regulator_id,
            "jurisdiction": "construction",
        }
    )


def _register_many(url: str, worker: int, barrier: Any, results: Any) -> None:
    """Child process: register, submit and accept projects, each step its own transaction."""
    try:
        db = create_database(url)
        tenderer, operator = _principal(db, "tenderer"), _principal(db, "operator")
        barrier.wait(timeout=60)
        started = time.time()
        codes = []
        for i in range(PROJECTS_EACH):
            now = NOW + timedelta(seconds=i)
            data = _project_in(db, f"并发登记测试工程 进程{worker} 第{i}号")
            with db.transaction() as s:
                pid = reg.project_create(session=s, now=now, principal=tenderer, data=data).id
            with db.transaction() as s:
                reg.project_submit(session=s, now=now, principal=tenderer, project_id=pid)
            with db.transaction() as s:
                codes.append(reg.project_accept(session=s, now=now, principal=operator, project_id=pid).code)
        db.dispose()
        results.put(("ok", worker, codes, (started, time.time())))
    except Exception:
        results.put(("error", worker, traceback.format_exc()))


def _append_many(url: str, worker: int, barrier: Any, results: Any) -> None:
    """Child process: append audit events one transaction at a time."""
    try:
        db = create_database(url)
        barrier.wait(timeout=60)
        started = time.time()
        for i in range(EVENTS_EACH):
            with db.transaction() as s:
                audit.record(
                    s,
                    now=NOW + timedelta(milliseconds=i),
                    actor=SYSTEM,
                    action="test.concurrent_append",
                    object_type="worker",
                    object_id=worker,
                    detail={"i": i},
                )
        db.dispose()
        results.put(("ok", worker, EVENTS_EACH, (started, time.time())))
    except Exception:
        results.put(("error", worker, traceback.format_exc()))


def _run(target: Any, url: str) -> list[Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    procs = [ctx.Process(target=target, args=(url, w, barrier, results)) for w in range(PROCESSES)]
    for p in procs:
        p.start()
    try:
        outcomes = [results.get(timeout=TIMEOUT) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [o[2] for o in outcomes if o[0] == "error"]
    assert not errors, "\n".join(errors)
    assert all(p.exitcode == 0 for p in procs)
    spans = [o[3] for o in outcomes]
    assert max(a for a, _ in spans) < min(b for _, b in spans), f"the processes did not overlap: {spans}"
    return [o[2] for o in outcomes]


def _audit_state(db: Database) -> tuple[int, int]:
    with db.session(write=False) as s:
        head = s.get(AuditHead, 1)
        return s.scalar(select(func.count()).select_from(AuditEvent)) or 0, head.seq if head else 0


def _assert_one_chain(db: Database, expected_events: int) -> None:
    with db.session(write=False) as s:
        result = verify_chain(s)
        assert result.ok, result.reason
        assert result.checked == expected_events
        seqs = list(s.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
        assert seqs == list(range(1, expected_events + 1)), "gaps or duplicates in the chain"
        prevs = list(s.scalars(select(AuditEvent.prev_hash)))
        assert len(set(prevs)) == len(prevs), "two events share a predecessor: the chain forked"
        head = s.get(AuditHead, 1)
        assert head is not None and head.seq == expected_events


def test_processes_registering_at_once_get_unique_contiguous_codes(db: Database) -> None:
    events_before, head_before = _audit_state(db)
    assert events_before == head_before
    codes = [c for batch in _run(_register_many, db.url) for c in batch]

    assert len(codes) == PROCESSES * PROJECTS_EACH
    assert len(set(codes)) == len(codes), "duplicate project codes"
    assert all(len(c) == 17 and PROJECT_CODE.match(c) for c in codes), codes
    assert {c[:11] for c in codes} == {"E2202002026"}, "construction, city branch, year 2026"

    with db.session(write=False) as s:
        stored = list(s.scalars(select(Project.code).where(Project.code.is_not(None))))
        accepted = s.scalar(select(func.count()).select_from(Project).where(Project.name.like("并发登记测试工程%")))
        statuses = set(s.scalars(select(Project.status).where(Project.name.like("并发登记测试工程%"))))
        sequences = {row.key: row.value for row in s.scalars(select(CodeSequence))}
    assert accepted == len(codes) and statuses == {ProjectStatus.ACCEPTED.value}
    assert set(codes) <= set(stored) and len(set(stored)) == len(stored)
    by_key: dict[str, list[int]] = defaultdict(list)
    for code in stored:
        by_key[code[:11]].append(int(code[11:]))
    for key, numbers in by_key.items():
        assert sorted(numbers) == list(range(1, len(numbers) + 1)), f"{key}: not contiguous: {sorted(numbers)}"
        assert sequences[f"project:{key}"] == len(numbers), key

    # create, submit and accept each wrote exactly one event, all on one chain
    _assert_one_chain(db, events_before + 3 * len(codes))


def test_concurrent_audit_appends_form_one_chain(db: Database) -> None:
    events_before, _ = _audit_state(db)
    assert _run(_append_many, db.url) == [EVENTS_EACH] * PROCESSES
    _assert_one_chain(db, events_before + PROCESSES * EVENTS_EACH)
    with db.session(write=False) as s:
        per_worker = s.execute(
            select(AuditEvent.object_id, func.count())
            .where(AuditEvent.action == "test.concurrent_append")
            .group_by(AuditEvent.object_id)
        ).all()
    assert sorted(tuple(r) for r in per_worker) == [(str(w), EVENTS_EACH) for w in range(PROCESSES)]
