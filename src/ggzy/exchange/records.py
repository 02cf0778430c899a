"""What the dataset builders share: the record, common values, and the opening's datasets (the
same shape for construction and procurement)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from ggzy.bidding.enums import BidStatus, OpeningStatus
from ggzy.bidding.models import Bid, Opening
from ggzy.exchange.sources import Procedure, ts, yuan
from ggzy.identity.models import Organization
from ggzy.registration.enums import FundingSource
from ggzy.tendering.models import Notice
from ggzy.tendering.models_award import AwardNotice

CURRENCY = "CNY"
YUAN = "0"
AMOUNT = "1"  # PRICE_FORM_CODE 金额
ONLINE_OPENING = "本平台网上开标（不见面开标）"
OBTAIN = "登录本平台在线获取电子招标文件"
SUBMIT = "通过本平台递交加密电子投标文件"
OBJECTION = "公示期内向招标人或其代理机构提出异议（招标投标法实施条例第五十四条）"


@dataclass
class Record:
    dataset: str
    key: str
    fields: dict[str, Any]
    parent: tuple[str, str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def funding(value: str) -> str:
    try:
        return FundingSource(value).label
    except ValueError:
        return value


def clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v not in (None, "")}


def notice_fields(x: Procedure, n: Notice) -> dict[str, Any]:
    """A notice as the construction datasets name it (503, 513)."""
    return {
        "NOTICE_NAME": n.title,
        "NOTICE_CONTENT": n.body,
        "NOTICE_SEND_TIME": ts(n.published_at),
        "NOTICE_MEDIA": f"{x.centre}网站",
        "URL": x.url(n),
        "NOTICE_NATURE": "1",
    }


def tender_parent(x: Procedure) -> tuple[str, str]:
    return ("501", x.t.code)


def awards_of(x: Procedure, n: Notice) -> list[AwardNotice]:
    rows = x.session.scalars(select(AwardNotice).where(AwardNotice.tender_id == x.t.id).order_by(AwardNotice.id))
    return [a for a in rows if a.issued_at <= n.published_at]


def opening_of(x: Procedure, n: Notice) -> Opening | None:
    return x.session.scalar(select(Opening).where(Opening.notice_id == n.id))


def opening_record(x: Procedure, n: Notice, dataset: str) -> Record:
    o = opening_of(x, n)
    s = next((s for s in x.sections if o is not None and s.id == o.section_id), None)
    rows = (o.record or {}).get("rows", []) if o and o.status == OpeningStatus.PUBLISHED.value else []
    actors = "、".join(sorted({str(r["bidder"]) for r in rows})) or "无投标人"
    common = {
        "UNIFIED_DEAL_CODE" if x.gp else "UNIFIED_DEAL_CODES": x.deal_code(s) if s else None,
        "NOTICE_NAME": n.title,
        "BID_OPENING_ACTOR": f"{x.centre}（主持）；{x.organiser.name}；投标人：{actors}"[:500],
        "BID_OPENING_CONTENT": n.body or "无有效投标",
        "BID_OPENING_ADDRESS": ONLINE_OPENING,
        "BID_OPENING_TIME": ts(o.started_at if o else n.published_at),
        "URL": x.url(n),
    }
    if x.gp:
        head = {"PURCHASE_PROJECT_CODE": x.t.code, "PURCHASE_SECTION_CODE": s.code if s else None}
        return Record(dataset, s.code if s else str(n.id), clean(head | common), parent=("550", s.code if s else ""))
    head = {"TENDER_PROJECT_CODE": x.t.code, "BID_SECTION_CODES": s.code if s else None}
    return Record(dataset, s.code if s else str(n.id), clean(head | common), parent=tender_parent(x))


DEPOSIT_FORM_CODES = {"cash": "1", "bank_transfer": "2", "bank_guarantee": "3", "insurance_guarantee": "7"}


def opening_details(x: Procedure, n: Notice, dataset: str) -> list[Record]:
    """One row per bid opened (decrypted) at the published opening, in the order received. IS_LOST
    says whether the bidder is on a 失信 list: the platform holds no such list yet, so it is "0"
    for every bidder (docs/exchange.md)."""
    o = opening_of(x, n)
    if o is None or o.status != OpeningStatus.PUBLISHED.value:
        return []
    s = next(s for s in x.sections if s.id == o.section_id)
    out = []
    for bid in x.session.scalars(
        select(Bid).where(Bid.section_id == s.id, Bid.status == BidStatus.ACCEPTED.value).order_by(Bid.seq)
    ):
        if bid.sheet is None:
            continue  # not decrypted: in the opening record (506/556) with its outcome, no details
        sheet, org = bid.sheet, x.session.get(Organization, bid.bidder_org_id)
        assert org is not None
        paid = sheet.get("deposit_paid_at")
        common: dict[str, Any] = {
            "UNIFIED_DEAL_CODE": x.deal_code(s),
            "BIDDER_NAME": org.name,
            "IS_LOST": "0",
            "BIDDER_CODE_TYPE": "1",
            "BIDDER_ORG_CODE": org.credit_code,
            "BIDDER_ROLE": "06" if x.gp else "03",
            "IS_COMMIT_MARGIN": "1" if sheet.get("deposit_form") else "0",
            "MARGIN_PAY_FORM": DEPOSIT_FORM_CODES.get(str(sheet.get("deposit_form"))),
            "PRICE_FORM_CODE": AMOUNT,
            "MARGIN_RECEIVE_TIME": ts(datetime.fromisoformat(paid)) if paid else None,
            "BID_PRICE": yuan(sheet.get("price")),
            "PRICE_CURRENCY": CURRENCY,
            "PRICE_UNIT": YUAN,
        }
        head: dict[str, Any]
        if x.gp:
            head = {"PURCHASE_PROJECT_CODE": x.t.code, "PURCHASE_SECTION_CODE": s.code}
            out.append(Record(dataset, f"{s.code}-{bid.seq}", clean(head | common), parent=("550", s.code)))
            continue
        head = {
            "TENDER_PROJECT_CODE": x.t.code,
            "BID_SECTION_CODE": s.code,
            "BID_MANAGER": sheet.get("project_manager"),
            "PM_CODE": sheet.get("project_manager_id"),
            "PM_CERTIFICATES": sheet.get("project_manager_certificates"),
            "TIME_LIMIT": str(sheet["duration_days"]) if sheet.get("duration_days") else None,
            "CHECKIN_TIME": ts(bid.received_at),
        }
        out.append(Record(dataset, f"{s.code}-{bid.seq}", clean(head | common), parent=tender_parent(x)))
    return out
