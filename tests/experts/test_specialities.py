"""The speciality tree is data the centre loads and corrects: a CSV through the command line or a
batch through the API, all or nothing, codes extending their parent's (the draw relies on it)."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from ggzy.cli import app as cli
from ggzy.config import get_settings
from ggzy.experts.models import Speciality

SAMPLE = "src/ggzy/experts/data/specialities-sample.csv"


def test_batch_is_checked_whole_and_public(client_for, db):
    operator = client_for("operator")
    rows = [
        {"code": "A", "name": "工程"},
        {"code": "A04", "name": "港口与航道工程", "parent": "A"},
        {"code": "A0401", "name": "航道整治", "parent": "A04"},
    ]
    r = operator.put("/api/v1/specialities", json={"rows": rows})
    assert r.status_code == 200 and r.json()["changed"] == 3, r.text
    # A code must extend its parent's; the bad row refuses the whole batch.
    bad = [{"code": "A0402", "name": "港口", "parent": "A04"}, {"code": "B0101", "name": "错位", "parent": "A04"}]
    r = operator.put("/api/v1/specialities", json={"rows": bad})
    assert r.status_code == 422 and r.json()["code"] == "speciality_code_invalid"
    with db.session(write=False) as s:
        assert s.get(Speciality, "A0402") is None
    r = operator.put("/api/v1/specialities", json={"rows": [{"code": "D", "name": "其他"}]})
    assert r.status_code == 422 and r.json()["code"] == "speciality_parent_missing"
    assert client_for("bidder").put("/api/v1/specialities", json={"rows": rows}).status_code == 403
    public = client_for("bidder").get("/api/v1/specialities").json()
    assert {"code": "A0401", "name": "航道整治", "parent": "A04"} in public


def test_the_command_loads_a_csv_and_reports_bad_rows(tmp_path, monkeypatch):
    path = tmp_path / "g.db"
    monkeypatch.setenv("GGZY_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
        r = runner.invoke(cli, ["experts", "load-specialities", SAMPLE])
        assert r.exit_code == 0 and "变更 13 个节点" in r.output, r.output
        again = runner.invoke(cli, ["experts", "load-specialities", SAMPLE])
        assert "变更 0 个节点" in again.output
        bad = tmp_path / "bad.csv"
        bad.write_text("code,name,parent\nC0301,审计,C03\n", encoding="utf-8")
        r = runner.invoke(cli, ["experts", "load-specialities", str(bad)])
        assert r.exit_code == 2 and "上级专业 C03 不存在" in r.output
        from ggzy.db import create_database

        d = create_database(f"sqlite:///{path}")
        with d.session(write=False) as s:
            assert s.scalar(select(func.count()).select_from(Speciality)) == 13
        d.dispose()
    finally:
        get_settings.cache_clear()
