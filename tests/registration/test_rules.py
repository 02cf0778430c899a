"""Where a registration goes: the entry catalogue, the statutory amounts and the city threshold."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from ggzy.common.errors import RuleViolation
from ggzy.registration.rules import BranchArea, CatalogueEntry, Routing, Threshold, route

CITY_FROM = Decimal("10000000.00")
MANDATORY = Decimal("4000000.00")
CATALOGUE = [
    CatalogueEntry("GC-01", "construction", "房屋建筑和市政基础设施工程施工", MANDATORY, "发改委令第16号第五条"),
    CatalogueEntry("ZC-01", "government_procurement", "集中采购目录以内的货物和服务", None, "政府采购法第七条"),
    CatalogueEntry("QT-01", "other", "其他公共资源", Decimal("100.00"), "国办发〔2015〕63号"),
]
THRESHOLDS = [
    Threshold("construction", CITY_FROM, "2026年度限额标准"),
    Threshold("government_procurement", Decimal("2000000.00"), "2026年度限额标准"),
]
CITY = BranchArea("220200", "市本级", True, frozenset({"220202", "220203", "220204", "220211"}))
PANSHI = BranchArea("220284", "磐石市分中心", False, frozenset({"220284"}))
YONGJI = BranchArea("220221", "永吉县分中心", False, frozenset({"220221"}))
BRANCHES = [PANSHI, CITY, YONGJI]  # the city is not first: route must find it by its flag
CENT = Decimal("0.01")


def _route(
    amount: Decimal | str, region: str = "220284", *, tt: str = "construction", cat: str = "GC-01", **kw
) -> Routing:  # type: ignore[no-untyped-def]
    args = dict(catalogue=CATALOGUE, thresholds=THRESHOLDS, branches=BRANCHES)
    args.update(kw)
    return route(trading_type=tt, catalogue_code=cat, amount=Decimal(amount), region_code=region, **args)  # type: ignore[arg-type]


def _refusal(**kw) -> RuleViolation:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleViolation) as info:
        _route(**kw)
    return info.value


def test_amount_equal_to_city_threshold_goes_to_city() -> None:
    r = _route(CITY_FROM)
    assert (r.branch_code, r.branch_name) == ("220200", "市本级")
    assert any("达到市本级限额标准 1,000.0000 万元" in x and "2026年度限额标准" in x for x in r.reasons)


def test_one_cent_below_city_threshold_stays_in_county() -> None:
    r = _route(CITY_FROM - CENT)
    assert (r.branch_code, r.branch_name) == ("220284", "磐石市分中心")
    assert any("低于市本级限额标准 1,000.0000 万元" in x and "磐石市分中心" in x for x in r.reasons)


@pytest.mark.parametrize("amount", ["0.00", "1.00", "9999999.99", "500000000.00"])
@pytest.mark.parametrize("region", sorted(CITY.region_codes))
def test_city_districts_go_to_city_regardless_of_amount(amount: str, region: str) -> None:
    r = _route(amount, region)
    assert r.branch_code == "220200"
    assert any(f"市区（{region}）" in x for x in r.reasons)


@given(amount=st.decimals(min_value=0, max_value=10**9, places=2), region=st.sampled_from(["220284", "220221"]))
def test_county_routing_is_monotone_in_amount(amount: Decimal, region: str) -> None:
    r = _route(amount, region)
    assert r.branch_code == ("220200" if amount >= CITY_FROM else region)
    assert r.must_tender is (amount >= MANDATORY)


def test_type_without_threshold_stays_local() -> None:
    r = _route("999999999.00", tt="other", cat="QT-01")
    assert r.branch_code == "220284"
    assert any("未对该交易类型设市本级门槛" in x for x in r.reasons)


def test_threshold_is_per_trading_type() -> None:
    # 2,000,000 is above procurement's threshold but far below construction's
    assert _route("2000000.00", tt="government_procurement", cat="ZC-01").branch_code == "220200"
    assert _route("2000000.00").branch_code == "220284"


def test_not_in_catalogue_refused_with_legal_basis() -> None:
    e = _refusal(amount="100.00", cat="GC-99")
    assert e.code == "not_in_catalogue"
    assert e.detail["basis"] == "国办发〔2015〕63号"
    assert "GC-99" in e.message and "进场交易目录" in e.message
    assert e.status == 422


def test_catalogue_title_appears_in_refusal_and_reasons() -> None:
    e = _refusal(amount="100.00", cat="GC-99", catalogue_title="2026年度吉林市进场交易目录")
    assert "《2026年度吉林市进场交易目录》" in e.message
    r = _route("100.00", catalogue_title="2026年度吉林市进场交易目录")
    assert r.reasons[0].startswith("属于《2026年度吉林市进场交易目录》第 GC-01 项")
    assert "发改委令第16号第五条" in r.reasons[0]


def test_empty_catalogue_refuses_everything() -> None:
    assert _refusal(amount="100.00", catalogue=[]).code == "not_in_catalogue"


def test_trading_type_mismatch_refused() -> None:
    e = _refusal(amount="100.00", tt="government_procurement", cat="GC-01")
    assert e.code == "catalogue_type_mismatch"
    assert "房屋建筑和市政基础设施工程施工" in e.message


@pytest.mark.parametrize("region", ["220100", "000000", "220283"])
def test_region_outside_all_branches_refused(region: str) -> None:
    e = _refusal(amount="100.00", region=region)
    assert e.code == "region_outside"
    assert region in e.message


def test_no_city_branch_refused_as_region_outside() -> None:
    e = _refusal(amount="100.00", branches=[PANSHI, YONGJI])
    assert e.code == "region_outside"


def test_mandatory_from_boundary_is_inclusive() -> None:
    at = _route(MANDATORY)
    below = _route(MANDATORY - CENT)
    assert at.must_tender is True
    assert below.must_tender is False
    assert any("达到依法必须招标/进场的标准 400.0000 万元" in x for x in at.reasons)
    assert any("低于依法必须招标的标准 400.0000 万元" in x and "自愿进场" in x for x in below.reasons)


def test_catalogue_item_without_mandatory_amount_must_always_enter() -> None:
    r = _route("0.00", "220202", tt="government_procurement", cat="ZC-01")
    assert r.must_tender is True
    assert not any("必须招标" in x for x in r.reasons)


# --- through the API with the demo rule tables -------------------------------------------------


def _preview(client: TestClient, amount: str, region: str = "220284", **kw: str) -> httpx.Response:
    body = {
        "trading_type": "construction",
        "catalogue_item_code": "GC-01",
        "estimated_amount": amount,
        "region_code": region,
    }
    body.update(kw)
    return client.post("/api/v1/projects/route-preview", json=body)


def test_api_route_preview_at_demo_city_threshold(client_for: Callable[[str], TestClient]) -> None:
    c = client_for("tenderer")
    at = _preview(c, "10000000.00")
    assert at.status_code == 200, at.text
    assert at.json()["branch_code"] == "220200"
    assert at.json()["must_tender"] is True
    below = _preview(c, "9999999.99")
    assert below.status_code == 200, below.text
    data = below.json()
    assert data["branch_code"] == "220284"
    assert data["branch_name"] == "磐石市分中心"
    assert any("1,000.0000 万元" in x for x in data["reasons"])


def test_api_route_preview_demo_mandatory_amount(client_for: Callable[[str], TestClient]) -> None:
    c = client_for("tenderer")
    assert _preview(c, "4000000.00").json()["must_tender"] is True
    assert _preview(c, "3999999.99").json()["must_tender"] is False


def test_api_route_preview_refusals(client_for: Callable[[str], TestClient]) -> None:
    c = client_for("tenderer")
    r = _preview(c, "100.00", catalogue_item_code="GC-99")
    assert r.status_code == 422
    assert "not_in_catalogue" in r.text
    r = _preview(c, "100.00", region="110105")
    assert r.status_code == 422
    assert "region_outside" in r.text
