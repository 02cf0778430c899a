"""The opening's rules, each with its legal basis."""

from __future__ import annotations

from dataclasses import dataclass

from ggzy.tendering.enums import Method


@dataclass(frozen=True)
class MinBids:
    count: int
    basis: str


# Fewer bids than this at the deadline: no opening, the section fails.
MIN_BIDS: dict[Method, MinBids] = {
    Method.CONSTRUCTION_OPEN: MinBids(3, "招标投标法实施条例第四十四条：投标人少于3个的，不得开标，招标人应当重新招标"),
    Method.CONSTRUCTION_INVITED: MinBids(
        3, "招标投标法实施条例第四十四条：投标人少于3个的，不得开标，招标人应当重新招标"
    ),
    Method.GP_OPEN: MinBids(
        3,
        "政府采购货物和服务招标投标管理办法（财政部令第87号）第四十三条：投标截止后投标人不足3家的，不得开标（条号未核实）",
    ),
    Method.GP_INVITED: MinBids(
        3,
        "政府采购货物和服务招标投标管理办法（财政部令第87号）第四十三条：投标截止后投标人不足3家的，不得开标（条号未核实）",
    ),
    Method.GP_NEGOTIATION: MinBids(3, "政府采购非招标采购方式管理办法（财政部令第74号）：供应商不少于3家（未核实）"),
    Method.GP_CONSULTATION: MinBids(
        3, "政府采购竞争性磋商采购方式管理暂行办法（财库〔2014〕214号）：供应商不少于3家（未核实）"
    ),
    Method.GP_RFQ: MinBids(3, "政府采购非招标采购方式管理办法（财政部令第74号）：供应商不少于3家（未核实）"),
    Method.GP_SINGLE_SOURCE: MinBids(1, "政府采购法第三十九条：与唯一供应商协商"),
    Method.GP_FRAMEWORK: MinBids(1, "政府采购框架协议采购方式管理暂行办法（财政部令第110号）（未核实）"),
}

DECRYPTION_BASIS = "电子招标投标办法第三十一条"
# How long bidders have to decrypt is set per tender (Tender.decryption_minutes, default 30), as
# the tender documents state it.
