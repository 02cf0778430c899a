"""Where a registration goes, and why. Pure functions over the active rule tables.

Legal basis:
- The entry catalogue: 国务院办公厅《整合建立统一的公共资源交易平台工作方案》(国办发〔2015〕63号)
  Part III(2) requires a catalogue (公共资源交易目录) of what must be traded on the platform;
  《公共资源交易平台管理暂行办法》(发改委等14部委令第39号, 2016) Art. 20 has deals in the catalogue
  registered with the platform. The demo's items and amounts are illustrative and configurable.
- Amounts that must be tendered by law: 《必须招标的工程项目规定》(发改委令第16号, 2018) Art. 5:
  works >= 4,000,000 yuan, goods >= 2,000,000, services >= 1,000,000 per contract.
- City versus county: the local 限额标准 (the city government's threshold table), an operator-edited,
  versioned table; projects located in the city's districts always go to the city centre.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from ggzy.common.errors import RuleViolation
from ggzy.common.money import format_wan


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    trading_type: str
    name: str
    mandatory_from: Decimal | None
    basis: str


@dataclass(frozen=True)
class Threshold:
    trading_type: str
    city_from: Decimal
    basis: str


@dataclass(frozen=True)
class BranchArea:
    code: str
    name: str
    is_city: bool
    region_codes: frozenset[str]


@dataclass(frozen=True)
class Routing:
    branch_code: str
    branch_name: str
    must_tender: bool
    reasons: list[str] = field(default_factory=list)


def route(
    *,
    trading_type: str,
    catalogue_code: str,
    amount: Decimal,
    region_code: str,
    catalogue: list[CatalogueEntry],
    thresholds: list[Threshold],
    branches: list[BranchArea],
    catalogue_title: str = "进场交易目录",
) -> Routing:
    entry = next((e for e in catalogue if e.code == catalogue_code), None)
    if entry is None:
        raise RuleViolation(
            f"目录项 {catalogue_code} 不在现行《{catalogue_title}》中，不能进场登记",
            code="not_in_catalogue",
            detail={"rule": "进场交易目录", "basis": "国办发〔2015〕63号"},
        )
    if entry.trading_type != trading_type:
        raise RuleViolation(
            f"目录项“{entry.name}”不属于所选交易类型",
            code="catalogue_type_mismatch",
            detail={"rule": "进场交易目录"},
        )
    reasons = [f"属于《{catalogue_title}》第 {entry.code} 项“{entry.name}”（{entry.basis}）"]
    must = entry.mandatory_from is None or amount >= entry.mandatory_from
    if entry.mandatory_from is not None:
        if must:
            reasons.append(f"估算金额达到依法必须招标/进场的标准 {format_wan(entry.mandatory_from)}")
        else:
            reasons.append(f"估算金额低于依法必须招标的标准 {format_wan(entry.mandatory_from)}，属自愿进场")

    city = next((b for b in branches if b.is_city), None)
    home = next((b for b in branches if region_code in b.region_codes), None)
    if city is None or home is None:
        raise RuleViolation(
            f"项目所在地 {region_code} 不在本市各交易中心的服务区域内",
            code="region_outside",
            detail={"rule": "属地管理"},
        )
    if home.is_city:
        reasons.append(f"项目位于市区（{region_code}），由{city.name}受理")
        return Routing(city.code, city.name, must, reasons)
    threshold = next((t for t in thresholds if t.trading_type == trading_type), None)
    if threshold is not None and amount >= threshold.city_from:
        reasons.append(
            f"估算金额达到市本级限额标准 {format_wan(threshold.city_from)}（{threshold.basis}），由{city.name}受理"
        )
        return Routing(city.code, city.name, must, reasons)
    if threshold is None:
        reasons.append(f"限额标准未对该交易类型设市本级门槛，按属地由{home.name}受理")
    else:
        reasons.append(f"估算金额低于市本级限额标准 {format_wan(threshold.city_from)}，按属地由{home.name}受理")
    return Routing(home.code, home.name, must, reasons)
