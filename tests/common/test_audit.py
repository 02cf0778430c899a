"""The append-only SM3 hash chain: the database refuses changes, and the chain exposes them anyway."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from ggzy.cli import app as cli_app
from ggzy.common import audit
from ggzy.common.audit import GENESIS, Actor, AuditEvent, AuditHead, day_heads, event_hash, verify_chain
from ggzy.config import get_settings
from ggzy.db import Database

ACTOR = Actor(user_id=None, name="测试", role="system")
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
SWAPPED = (
    "occurred_at",
    "actor_user_id",
    "actor_name",
    "actor_role",
    "actor_org_id",
    "client_addr",
    "action",
    "object_type",
    "object_id",
    "before_digest",
    "after_digest",
    "detail",
    "prev_hash",
    "hash",
)


def _drop_triggers(db: Database) -> None:
    with db.transaction() as s:
        if db.dialect == "postgresql":
            s.execute(text("DROP TRIGGER audit_event_no_change ON audit_event"))
        else:
            s.execute(text("DROP TRIGGER audit_event_no_update"))
            s.execute(text("DROP TRIGGER audit_event_no_delete"))


def _verify(db: Database) -> audit.VerifyResult:
    with db.session(write=False) as s:
        return verify_chain(s)


def _count(db: Database) -> int:
    with db.session(write=False) as s:
        return audit.event_count(s)


def test_demo_chain_is_intact(db: Database) -> None:
    n = _count(db)
    assert n > 50
    result = _verify(db)
    assert result.ok, result.reason
    assert result.checked == n
    assert result.first_bad_seq is None
    with db.session(write=False) as s:
        head = s.get(AuditHead, 1)
        last = s.get(AuditEvent, n)
        assert head is not None and last is not None
        assert (head.seq, head.hash) == (n, last.hash)
        assert s.scalar(select(func.min(AuditEvent.seq))) == 1
        assert s.get(AuditEvent, 1).prev_hash == GENESIS  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_event SET actor_name = '篡改者' WHERE seq = 5", "DELETE FROM audit_event WHERE seq = 5"],
)
def test_database_refuses_update_and_delete_while_trigger_exists(db: Database, sql: str) -> None:
    with pytest.raises(DBAPIError, match="append-only"), db.transaction() as s:
        s.execute(text(sql))
    assert _verify(db).ok
    with db.session(write=False) as s:
        assert s.get(AuditEvent, 5).actor_name != "篡改者"  # type: ignore[union-attr]


def test_changed_field_is_named(db: Database) -> None:
    _drop_triggers(db)
    with db.transaction() as s:
        s.execute(text("UPDATE audit_event SET object_id = 'x' WHERE seq = 17"))
    result = _verify(db)
    assert not result.ok
    assert result.first_bad_seq == 17
    assert result.checked == 16
    assert "第 17 号" in result.reason and "篡改" in result.reason


def test_changed_timestamp_is_named(db: Database) -> None:
    _drop_triggers(db)
    with db.transaction() as s:
        ev = s.get(AuditEvent, 30)
        assert ev is not None
        ev.occurred_at = datetime(2020, 1, 1, tzinfo=UTC)
    result = _verify(db)
    assert (result.ok, result.first_bad_seq) == (False, 30)


def test_deleted_event_is_named(db: Database) -> None:
    _drop_triggers(db)
    with db.transaction() as s:
        s.execute(text("DELETE FROM audit_event WHERE seq = 20"))
    result = _verify(db)
    assert not result.ok
    assert result.first_bad_seq == 20
    assert "第 20 号" in result.reason


def test_deleted_and_rehashed_suffix_is_still_caught(db: Database) -> None:
    """Recomputing the hash of the edited event is not enough: the next event's prev_hash no longer fits."""
    _drop_triggers(db)
    with db.transaction() as s:
        ev = s.get(AuditEvent, 10)
        assert ev is not None
        ev.actor_name = "篡改者"
        ev.hash = event_hash(ev.prev_hash, ev)
    result = _verify(db)
    assert (result.ok, result.first_bad_seq) == (False, 11)


def test_swapped_events_are_detected_at_the_earlier(db: Database) -> None:
    _drop_triggers(db)
    with db.transaction() as s:
        a, b = s.get(AuditEvent, 12), s.get(AuditEvent, 15)
        assert a is not None and b is not None
        values_a = {k: getattr(a, k) for k in SWAPPED}
        values_b = {k: getattr(b, k) for k in SWAPPED}
        for k in SWAPPED:
            setattr(a, k, values_b[k])
            setattr(b, k, values_a[k])
    result = _verify(db)
    assert not result.ok
    assert result.first_bad_seq == 12


def test_tail_truncation_is_detected_via_head(db: Database) -> None:
    n = _count(db)
    _drop_triggers(db)
    with db.transaction() as s:
        s.execute(text("DELETE FROM audit_event WHERE seq = :n"), {"n": n})
    result = _verify(db)
    assert not result.ok
    assert result.checked == n - 1
    assert result.first_bad_seq == n
    assert "链头" in result.reason


def test_forged_append_without_head_names_the_forged_event(db: Database) -> None:
    """INSERT is not blocked by the triggers: an event slipped in past the head, even with a correct
    hash, does not fit the head, and the event to name is the forged one, n + 1."""
    n = _count(db)
    with db.transaction() as s:
        tail = s.get(AuditEvent, n)
        assert tail is not None
        forged = AuditEvent(
            seq=n + 1,
            occurred_at=NOW,
            actor_user_id=None,
            actor_name="伪造者",
            actor_role="system",
            actor_org_id=None,
            client_addr="",
            action="project.accept",
            object_type="project",
            object_id="1",
            before_digest=None,
            after_digest=None,
            detail={},
            prev_hash=tail.hash,
        )
        forged.hash = event_hash(tail.hash, forged)
        s.add(forged)
    result = _verify(db)
    assert not result.ok
    assert result.first_bad_seq == n + 1


def test_missing_head_is_detected(db: Database) -> None:
    with db.transaction() as s:
        s.execute(text("DELETE FROM audit_head"))
    result = _verify(db)
    assert (result.ok, result.first_bad_seq) == (False, 1)
    assert "链头" in result.reason


def test_record_appends_contiguous_linked_events(db: Database) -> None:
    n = _count(db)
    with db.session(write=False) as s:
        old_tail = s.get(AuditEvent, n)
        assert old_tail is not None
    with db.transaction() as s:
        first = audit.record(s, now=NOW, actor=ACTOR, action="test.one", object_type="t", object_id=1, after={"a": 1})
        second = audit.record(s, now=NOW, actor=ACTOR, action="test.two", object_type="t", object_id=2)
        assert (first.seq, second.seq) == (n + 1, n + 2)
    with db.session(write=False) as s:
        one, two = s.get(AuditEvent, n + 1), s.get(AuditEvent, n + 2)
        head = s.get(AuditHead, 1)
        assert one is not None and two is not None and head is not None
        assert one.prev_hash == old_tail.hash
        assert two.prev_hash == one.hash
        assert one.hash == event_hash(one.prev_hash, one)
        assert (head.seq, head.hash) == (n + 2, two.hash)
        assert one.after_digest is not None and one.before_digest is None
        assert one.object_id == "1"
    assert _verify(db).ok


def test_rolled_back_record_leaves_no_gap(db: Database) -> None:
    n = _count(db)
    with pytest.raises(RuntimeError), db.transaction() as s:
        audit.record(s, now=NOW, actor=ACTOR, action="test.lost", object_type="t", object_id=1)
        raise RuntimeError("the business change failed")
    with db.transaction() as s:
        ev = audit.record(s, now=NOW, actor=ACTOR, action="test.kept", object_type="t", object_id=1)
        assert ev.seq == n + 1
    assert _verify(db).ok


def test_first_record_on_empty_database_starts_at_genesis(empty_db: Database) -> None:
    with empty_db.transaction() as s:
        ev = audit.record(s, now=NOW, actor=ACTOR, action="test.first", object_type="t", object_id=1)
        assert ev.seq == 1 and ev.prev_hash == GENESIS
    assert _verify(empty_db) == audit.VerifyResult(True, 1)


def test_empty_chain_verifies(empty_db: Database) -> None:
    assert _verify(empty_db) == audit.VerifyResult(True, 0)


def test_day_heads_use_shanghai_days(db: Database) -> None:
    late = datetime(2026, 12, 1, 15, 59, tzinfo=UTC)  # 23:59 Dec 1 Shanghai
    after_midnight = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 00:00 Dec 2 Shanghai, still Dec 1 in UTC
    with db.transaction() as s:
        a = audit.record(s, now=late, actor=ACTOR, action="test.a", object_type="t", object_id=1)
        b = audit.record(s, now=late, actor=ACTOR, action="test.b", object_type="t", object_id=2)
        c = audit.record(s, now=after_midnight, actor=ACTOR, action="test.c", object_type="t", object_id=3)
        hashes = (b.seq, b.hash, c.seq, c.hash)
    assert a.seq + 1 == b.seq
    with db.session(write=False) as s:
        heads = day_heads(s)
        only_one = day_heads(s, days=1)
    assert [h.day for h in heads[:2]] == [date(2026, 12, 2), date(2026, 12, 1)]
    assert (heads[0].seq, heads[0].hash, heads[0].events) == (hashes[2], hashes[3], 1)
    assert (heads[1].seq, heads[1].hash, heads[1].events) == (hashes[0], hashes[1], 2)
    assert [h.day for h in only_one] == [date(2026, 12, 2)]
    # the demo's own events were all made on one Shanghai day before these
    assert all(h.day < date(2026, 12, 1) for h in heads[2:])


# --- the ``ggzy audit verify`` command -----------------------------------------------------------


@pytest.fixture
def run_verify(db: Database, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GGZY_DATABASE_URL", db.url)
    get_settings.cache_clear()

    def run():  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli_app, ["audit", "verify"])

    yield run
    get_settings.cache_clear()


def test_cli_verify_intact(db: Database, run_verify) -> None:  # type: ignore[no-untyped-def]
    result = run_verify()
    assert result.exit_code == 0, result.output
    assert "审计链完整" in result.output
    assert f"共 {_count(db)} 条事件" in result.output


def test_cli_verify_tampered_names_first_bad_event(db: Database, run_verify) -> None:  # type: ignore[no-untyped-def]
    _drop_triggers(db)
    with db.transaction() as s:
        s.execute(text("UPDATE audit_event SET actor_name = '篡改者' WHERE seq = 23"))
        s.execute(text("UPDATE audit_event SET actor_name = '篡改者' WHERE seq = 40"))
    result = run_verify()
    assert result.exit_code != 0
    assert "第一个问题事件为第 23 号" in result.output
