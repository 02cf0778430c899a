"""Open data: every OCDS package the platform produces validates against the OCDS 1.1.5 schema
(../shared/ocds/, no network), for the demo's procedures and for one driven to its contracts; the
bulk export streams a valid package; nothing secret leaks (no bidder before the opening record,
no expert ever)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from ggzy.common.clock import local_date
from ggzy.tendering.models import Tender

OCDS = Path(__file__).resolve().parents[3] / "shared" / "ocds"


def _validators() -> tuple[Any, Any]:
    if not (OCDS / "release-schema.json").exists():
        pytest.skip(f"the OCDS 1.1.5 schema is not at {OCDS} (a checkout outside the workspace)")
    import zipfile

    import jsonschema_rs

    release = json.loads((OCDS / "release-schema.json").read_text())
    with zipfile.ZipFile(OCDS / "standard-1__1__5.zip") as z:  # the standard's own copy, no network
        versioned = json.loads(z.read("standard-1__1__5/schema/versioned-release-validation-schema.json"))

    def retrieve(uri: str) -> Any:
        if uri.endswith("/release-schema.json"):
            return release
        if uri.endswith("/versioned-release-validation-schema.json"):
            return versioned
        raise ValueError(f"no network: {uri}")

    packages = [
        json.loads((OCDS / f).read_text()) for f in ("release-package-schema.json", "record-package-schema.json")
    ]
    return tuple(jsonschema_rs.Draft4Validator(p, retriever=retrieve) for p in packages)  # type: ignore[return-value]


def _errors(validator: Any, doc: Any) -> list[str]:
    return [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(doc)]


def _published(db) -> list[int]:
    with db.session(write=False) as s:
        return list(s.scalars(select(Tender.id).where(Tender.published_at.is_not(None)).order_by(Tender.id)))


def test_every_package_of_the_demo_validates_and_hides_what_is_secret(client_for, db):
    releases_v, records_v = _validators()
    public = client_for("bidder")
    ids = _published(db)
    assert len(ids) >= 2
    for tid in ids:
        rel = public.get(f"/api/v1/ocds/releases/{tid}")
        assert rel.status_code == 200, rel.text
        assert _errors(releases_v, rel.json()) == [], tid
        rec = public.get(f"/api/v1/ocds/records/{tid}")
        assert _errors(records_v, rec.json()) == [], tid
        for r in rel.json()["releases"]:
            opened = any(
                d["title"].endswith("（开标记录）") or "开标记录" in d["title"] for d in r["tender"]["documents"]
            )
            if not opened:
                assert "tenderers" not in r["tender"], "no bidder is named before the opening record"
            assert "专家" not in json.dumps(r, ensure_ascii=False)
    with db.session(write=False) as s:
        draft = s.scalar(select(Tender.id).where(Tender.published_at.is_(None)))
    assert public.get(f"/api/v1/ocds/releases/{draft}").status_code == 404, "an unpublished tender has no open data"


def test_a_procedure_driven_to_its_contracts_has_awards_and_contracts(client_for, clock, db, tmp_path):
    from tests.tendering.test_gp_award import test_gp_open_tender_from_bids_to_contract as drive_to_award

    releases_v, records_v = _validators()
    drive_to_award(client_for, clock, db, tmp_path)  # a GP tender through bids, opening, candidates, award
    owner = client_for("yongji_school")
    with db.session(write=False) as s:
        t = s.scalar(select(Tender).where(Tender.status == "awarded").order_by(Tender.id.desc()))
        tid, seqs = t.id, [sec.seq for sec in t.sections]
    clock.advance(timedelta(days=3))
    for seq in seqs:
        body = {"section_seq": seq, "signed_on": local_date(clock.now()).isoformat(), "amount": "760000.00"}
        assert owner.post(f"/api/v1/tenders/{tid}/contracts", json=body).status_code == 201
    rel = client_for("bidder").get(f"/api/v1/ocds/releases/{tid}").json()
    assert _errors(releases_v, rel) == []
    tags = [r["tag"] for r in rel["releases"]]
    assert ["tender"] in tags and ["award"] in tags and ["awardUpdate"] in tags and ["contract"] in tags
    last = rel["releases"][-1]
    assert {a["status"] for a in last["awards"]} == {"active"} and len(last["contracts"]) == len(seqs)
    assert last["tender"]["status"] == "complete" and last["tender"]["numberOfTenderers"] == 3
    candidates_release = next(r for r in rel["releases"] if r["tag"] == ["award"])
    assert {a["status"] for a in candidates_release["awards"]} == {"pending"}
    rec = client_for("bidder").get(f"/api/v1/ocds/records/{tid}").json()
    assert _errors(records_v, rec) == [] and rec["records"][0]["compiledRelease"]["tag"] == ["compiled"]


def test_the_bulk_export_streams_one_valid_package(db, tmp_path, monkeypatch):
    releases_v, _ = _validators()
    from ggzy.cli import app as cli
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATABASE_URL", db.url.replace("postgresql+psycopg://", "postgresql://"))
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        out = tmp_path / "ocds.json"
        r = CliRunner().invoke(cli, ["export", "ocds", "--out", str(out)])
        assert r.exit_code == 0, r.output
    finally:
        get_settings.cache_clear()
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert _errors(releases_v, doc) == []
    assert {rel["ocid"] for rel in doc["releases"]} >= {f"ocds-ggzy00-{code}" for code in _codes(db)}


def _codes(db) -> set[str]:
    with db.session(write=False) as s:
        return set(s.scalars(select(Tender.code).where(Tender.published_at.is_not(None))))


def test_an_export_with_nothing_public_writes_no_invalid_package(empty_db, tmp_path, monkeypatch):
    from ggzy.cli import app as cli
    from ggzy.config import get_settings

    monkeypatch.setenv("GGZY_DATABASE_URL", empty_db.url.replace("postgresql+psycopg://", "postgresql://"))
    monkeypatch.setenv("GGZY_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        out = tmp_path / "ocds.json"
        r = CliRunner().invoke(cli, ["export", "ocds", "--out", str(out)])
    finally:
        get_settings.cache_clear()
    assert r.exit_code == 1 and "没有已公开的交易项目" in r.output
    assert not out.exists() and not (tmp_path / "ocds.json.part").exists()
