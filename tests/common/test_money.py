"""Money round-trips exactly, to the fen, on both backends (SQLite keeps it as an integer count of
fen, since its NUMERIC affinity would store binary floats and lose the last fen of large amounts)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from ggzy.db import Database
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.rules import make_uscc
from ggzy.registration.models import Project, ThresholdRule

AMOUNTS = ["99999999999999.99", "0.01", "12345678.90", "12345678901234.57", "70368744177664.01"]


def _rule_ids(db: Database) -> list[int]:
    with db.session(write=False) as s:
        ids = list(s.scalars(select(ThresholdRule.id).order_by(ThresholdRule.id)).all())
    assert len(ids) >= len(AMOUNTS)
    return ids[: len(AMOUNTS)]


def test_threshold_amounts_round_trip_exactly(db: Database) -> None:
    ids = _rule_ids(db)
    with db.transaction() as s:
        for rid, amount in zip(ids, AMOUNTS, strict=True):
            rule = s.get(ThresholdRule, rid)
            assert rule is not None
            rule.city_from = Decimal(amount)
    with db.session(write=False) as s:
        back = {rid: s.get(ThresholdRule, rid).city_from for rid in ids}  # type: ignore[union-attr]
    for rid, amount in zip(ids, AMOUNTS, strict=True):
        assert isinstance(back[rid], Decimal)
        assert back[rid] == Decimal(amount)
        assert str(back[rid]) == amount
    if db.dialect == "sqlite":
        with db.session(write=False) as s:
            kinds = set(s.execute(text("SELECT typeof(city_from) FROM threshold_rule")).scalars())
            raw = {row[0]: row[1] for row in s.execute(text("SELECT id, city_from FROM threshold_rule"))}
        assert kinds == {"integer"}
        assert raw[ids[0]] == 9_999_999_999_999_999 and raw[ids[1]] == 1 and raw[ids[2]] == 1_234_567_890


def test_amounts_compare_and_sort_exactly_in_sql(db: Database) -> None:
    """Queries that filter or sort by amount see the last fen too."""
    ids = _rule_ids(db)
    values = ["99999999999999.98", "99999999999999.99", "0.01", "0.02", "12345678.90"]
    with db.transaction() as s:
        for rid, amount in zip(ids, values, strict=True):
            s.get(ThresholdRule, rid).city_from = Decimal(amount)  # type: ignore[union-attr]
    with db.session(write=False) as s:
        top = s.scalars(select(ThresholdRule.id).where(ThresholdRule.city_from >= Decimal("99999999999999.99"))).all()
        ordered = s.scalars(
            select(ThresholdRule.city_from).where(ThresholdRule.id.in_(ids)).order_by(ThresholdRule.city_from)
        ).all()
    assert top == [ids[1]]
    assert [str(v) for v in ordered] == sorted(values, key=Decimal)


@pytest.mark.parametrize("amount", AMOUNTS)
def test_project_amount_round_trips_exactly(db: Database, amount: str) -> None:
    with db.transaction() as s:
        p = s.scalar(select(Project).order_by(Project.id).limit(1))
        assert p is not None
        pid = p.id
        p.estimated_amount = Decimal(amount)
    with db.session(write=False) as s:
        back = s.get(Project, pid).estimated_amount  # type: ignore[union-attr]
        if db.dialect == "sqlite":
            kind = s.execute(text("SELECT typeof(estimated_amount) FROM project WHERE id = :i"), {"i": pid}).scalar()
            assert kind == "integer"
    assert isinstance(back, Decimal) and back == Decimal(amount) and str(back) == amount


def test_api_keeps_every_fen_of_a_project_amount(db: Database, client_for: Callable[[str], TestClient]) -> None:
    with db.session(write=False) as s:
        regulator = identity_selectors.org_by_credit_code(s, make_uscc("11220200MB0200002"))
        assert regulator is not None
        regulator_id = regulator.id
    c = client_for("tenderer")
    for amount in ("99999999999999.99", "12345678.90", "0.01"):
        r = c.post(
            "/api/v1/projects",
            json={
                "name": f"金额精度测试项目 {amount}",
                "trading_type": "construction",
                "catalogue_item_code": "GC-01",
                "funding_source": "fiscal",
                "estimated_amount": amount,
                "region_code": "220204",
                "contact_name": "项目联系人",
                "contact_phone": "0432-62000000",
                "regulator_org_id": regulator_id,
                "jurisdiction": "construction",
            },
        )
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        got = c.get(f"/api/v1/projects/{pid}").json()["estimated_amount"]
        assert Decimal(str(got)) == Decimal(amount), (amount, got)
        with db.session(write=False) as s:
            assert s.get(Project, pid).estimated_amount == Decimal(amount)  # type: ignore[union-attr]
