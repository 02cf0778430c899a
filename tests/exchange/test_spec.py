"""The dataset definitions the platform ships, and the validators, against the specification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ggzy.exchange.spec import SENT, dataset, datasets, normalise
from ggzy.exchange.validate import check

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "data-spec" / "v3"


def test_the_shipped_extract_equals_the_reference_definitions():
    if not REFERENCE.is_dir():
        pytest.skip(f"reference data-spec definitions not found at {REFERENCE}")
    for no in SENT:
        raw = json.loads((REFERENCE / f"{no}.json").read_text(encoding="utf-8"))
        d = normalise(raw)
        ours = dataset(no)
        assert [f["name"] for f in d["fields"]] == [f.name for f in ours.fields], no
        assert sum(1 for f in d["fields"] if f.get("required")) == sum(f.required for f in ours.fields), no


def test_every_dataset_sent_is_defined():
    assert set(SENT) == set(datasets())


def _problems(no: str, **fields: str) -> dict[str, str]:
    return {p.field: p.code for p in check(dataset(no), fields)}


def test_required_fields_lengths_dates_numbers_and_codes_are_checked():
    p = _problems(
        "502",
        TENDER_PROJECT_CODE="E2202002026000001001",
        BID_SECTION_CODE="E22020020260000010010011",  # 24, not 23
        CONTRACT_RECKON_PRICE="123456789012345.1",  # 15 integer digits
        PRICE_UNIT="2",
        REGION_CODE="920200",
        CREATE_TIME="2026-11-30 10:00:00",
        BEGIN_DATE="20261301000000",
    )
    assert p["BID_SECTION_CODE"] == "length" and p["CONTRACT_RECKON_PRICE"] == "number"
    assert p["PRICE_UNIT"] == "enum" and p["REGION_CODE"] == "area"
    assert p["CREATE_TIME"] == "date" and p["BEGIN_DATE"] == "date"
    assert p["BID_SECTION_NAME"] == "required" and "TENDER_PROJECT_CODE" not in p


def test_a_field_outside_the_dataset_and_an_unknown_tender_are_refused():
    got = {
        p.field: p.code
        for p in check(
            dataset("510"),
            {"TENDER_PROJECT_CODE": "E2202002026000001001", "SURPRISE": "x"},
            known_tenders=frozenset({"E2202002026000001002"}),
        )
    }
    assert got["SURPRISE"] == "unknown_field" and got["TENDER_PROJECT_CODE"] == "tender_unknown"


def test_messages_name_the_field_in_chinese():
    msgs = [p.message for p in check(dataset("500"), {})]
    assert "项目编号（PROJECT_CODE）：必填，缺少数据" in msgs
