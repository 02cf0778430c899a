"""Migration 0011 gives the postings of notices indexed before it their copies of the notice's date
and filter columns, on SQLite and PostgreSQL, so the search finds old notices as it finds new ones;
and it goes back down."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from ggzy.db import create_database
from ggzy.migrate import alembic_config, upgrade
from ggzy.portal import search
from tests.conftest import BACKENDS, REQUIRE_PG, RUN_ID, _pg_admin, _pg_unavailable, _pg_url

# (id, trading_type, region, stage, published_at, length, title); the same moment for 2 and 3.
DOCS = [
    (1, "construction", "220200", "tender", datetime(2026, 3, 1, 8, 0, 0, 123, tzinfo=UTC), 9, "水库除险加固招标公告"),
    (2, "land_use", "", "result", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), 5, "国有土地出让结果公告"),
    (3, "construction", "220221", "result", datetime(2026, 3, 2, 8, 0, tzinfo=UTC), 7, "水库除险加固中标结果公告"),
]
# (term, doc_id, in_title, in_body)
TERMS = [("水库", 1, 1, 2), ("加固", 1, 1, 1), ("土地", 2, 1, 3), ("水库", 3, 1, 0), ("加固", 3, 1, 0)]


@pytest.fixture(params=BACKENDS)
def at_0010(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database migrated to 0010 holding an index built before 0011 (no notices behind it:
    foreign keys are not checked while it is written)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
        upgrade(url, "0010")
        _fill(url)
        yield url
        return
    if why := _pg_unavailable():
        if REQUIRE_PG:
            pytest.fail(why)
        pytest.skip(why)
    name = f"ggzy_m_{RUN_ID}_{uuid.uuid4().hex[:8]}"
    _pg_admin(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    url = _pg_url(name)
    try:
        upgrade(url, "0010")
        _fill(url)
        yield url
    finally:
        _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))


def _fill(url: str) -> None:
    engine = _engine(url)
    with engine.begin() as c:
        if c.dialect.name == "postgresql":
            c.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no notice or tender rows
        cols = "id, notice_id, tender_id, title, body, trading_type, region, stage, published_at, length"
        for id_, type_, region, stage, at, length, title in DOCS:
            # As the application stores it: UTC; on SQLite as SQLAlchemy writes it, without a zone.
            at_ = at if c.dialect.name == "postgresql" else at.strftime("%Y-%m-%d %H:%M:%S.%f")
            c.execute(
                sa.text(f"INSERT INTO search_doc ({cols}) VALUES (:a, :b, 1, :c, :d, :e, :f, :g, :h, :i)"),
                dict(zip("abcdefghi", (id_, id_, title, title, type_, region, stage, at_, length), strict=True)),
            )
        c.execute(
            sa.text("INSERT INTO search_term (term, doc_id, in_title, in_body) VALUES (:t, :d, :a, :b)"),
            [{"t": t, "d": d, "a": a, "b": b} for t, d, a, b in TERMS],
        )
        c.execute(
            sa.text("INSERT INTO search_vocab (term, df) VALUES (:t, :n)"),
            [{"t": "水库", "n": 2}, {"t": "加固", "n": 2}, {"t": "土地", "n": 1}],
        )
        c.exec_driver_sql("INSERT INTO search_state (id, cursor, docs, words) VALUES (1, 0, 3, 21)")
    engine.dispose()


def test_0011_fills_the_postings_from_their_notices_and_goes_back_down(at_0010: str) -> None:
    upgrade(at_0010, "0011")
    engine = _engine(at_0010)
    with engine.connect() as c:
        copied = c.execute(
            sa.text(
                "SELECT t.term, t.doc_id FROM search_term t JOIN search_doc d ON d.id = t.doc_id "
                "WHERE t.published_at = d.published_at AND t.trading_type = d.trading_type "
                "AND t.region = d.region AND t.stage = d.stage AND t.length = d.length"
            )
        ).all()
        assert sorted(copied) == sorted((t, d) for t, d, _, _ in TERMS)
        index = sa.inspect(c).get_indexes("search_term")
        assert "ix_search_term_recent" in {i["name"] for i in index}
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:  # the copies are required
        c.exec_driver_sql("INSERT INTO search_term (term, doc_id, in_title, in_body) VALUES ('新词', 1, 0, 1)")
    engine.dispose()

    db = create_database(at_0010)
    try:
        with db.session(write=False) as s:
            found = search.search(s, "水库", search.Filters())
            assert (found.total, found.capped) == (2, False)
            # Doc 1 has the word in its body twice besides: it outscores doc 3, though older.
            assert [h.notice_id for h in found.hits] == [1, 3]
            assert found.hits[0].score > found.hits[1].score
            assert found.hits[0].published_at == DOCS[0][4]
            only = search.search(s, "水库加固", search.Filters(region="220221", stage="result"))
            assert [h.notice_id for h in only.hits] == [3] and only.total == 1
            assert search.search(s, "水库", search.Filters(until=datetime(2026, 3, 2, tzinfo=UTC))).total == 1
            assert [h.notice_id for h in search.search(s, "土地", search.Filters(region="")).hits] == [2]
    finally:
        db.dispose()

    command.downgrade(alembic_config(at_0010), "0010")
    engine = _engine(at_0010)
    with engine.connect() as c:
        assert {col["name"] for col in sa.inspect(c).get_columns("search_term")} == {
            "term",
            "doc_id",
            "in_title",
            "in_body",
        }
        assert c.execute(sa.text("SELECT count(*) FROM search_term")).scalar() == len(TERMS)
    engine.dispose()
