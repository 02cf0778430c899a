"""Government procurement datasets (550–557) under 政府采购法."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ggzy.exchange.codes import PURCHASE_MODE
from ggzy.exchange.records import (
    AMOUNT,
    CURRENCY,
    YUAN,
    Record,
    awards_of,
    clean,
    opening_details,
    opening_record,
)  # fmt: skip
from ggzy.exchange.sources import Procedure, day_ts, ts, yuan
from ggzy.tendering.enums import NoticeKind
from ggzy.tendering.models import Notice
from ggzy.tendering.models_award import AwardNotice, Contract


def gp_notice(x: Procedure, n: Notice) -> list[Record]:
    kind = NoticeKind(n.kind)
    if kind in (NoticeKind.TENDER, NoticeKind.INVITATION):
        return [*(purchase_project(x, s) for s in x.sections), purchase_notice(x, n)]
    if kind is NoticeKind.CLARIFICATION:
        return [correction(x, n, s) for s in x.sections]
    if kind is NoticeKind.OPENING:
        return [opening_record(x, n, "556"), *opening_details(x, n, "557")]
    if kind is NoticeKind.RESULT:
        return deal_announce(x, n)
    return []


def purchase_project(x: Procedure, s: Any) -> Record:
    t, ag = x.t, x.organiser
    return Record(
        "550",
        s.code,
        clean(
            {
                "PURCHASE_PROJECT_CODE": t.code,
                "PURCHASE_PROJECT_NAME": t.name,
                "RELATE_CODE": "0",
                "TENDER_PROJECT_TYPE": "B01",
                "PURCHASER_NAME": x.tenderer.name,
                "PURCHASER_CODE": x.tenderer.credit_code,
                "PURCHASER_ROLE": "04",
                "PRICE_FORM_CODE": AMOUNT,
                "PROGRAM_BUDGET": yuan(s.estimate),
                "BUDGET_CURRENCY": CURRENCY,
                "UNIT_BUDGET": YUAN,
                "IS_PROJECT": "1" if t.is_ppp else "0",
                "PURCHASER_MODE": PURCHASE_MODE.get(t.method, "9"),
                "PURCHASER_CONTENT": t.content,
                "PURCHASER_ORGANIZE_FORM": "1" if x.agency else "2",
                "PURCHASER_AGENCY_NAME": ag.name,
                "PURCHASER_AGENCY_CODE": ag.credit_code,
                "PURCHASER_AGENCY_ROLE": "05" if x.agency else "04",
                "PURCHASER_AGENCY_CONNECTOR": ag.contact_name,
                "PURCHASER_AGENCY_INFORMATION": ag.contact_phone,
                "PURCHASE_SECTION_CODE": s.code,
                "PURCHASE_SECTION_NAME": s.name,
                "REGION_CODE": x.p.region_code,
                "TRA_PLACE_CODE": x.place,
                "CREATE_TIME": ts(t.created_at),
                "UNIFIED_DEAL_CODE": x.deal_code(s),
            }
        ),
    )


def purchase_notice(x: Procedure, n: Notice) -> Record:
    return Record(
        "551",
        f"{x.t.code}-{n.version}",
        clean(
            {
                "PURCHASE_PROJECT_CODE": x.t.code,
                "PURCHASE_PROJECT_NAME": x.t.name,
                "BULLETIN_BID_NUM": str(len(x.sections)),
                "PURCHASE_SECTION_CODE": ";".join(s.code for s in x.sections),
                "UNIFIED_DEAL_CODE": x.deal_codes(),
                "BULLETIN_TITLE": n.title,
                "BULLETIN_CONTENT": n.body,
                "BULLETIN_START_TIME": ts(n.published_at),
                "BULLETIN_MEDIA": f"{x.centre}网站",
                "URL": x.url(n),
                "BID_CLOSING_TIME": ts(x.t.bid_deadline),
            }
        ),
        parent=("550", x.sections[0].code) if x.sections else None,
    )


def correction(x: Procedure, n: Notice, s: Any) -> Record:
    first = x.session.scalar(
        select(Notice).where(Notice.tender_id == x.t.id, Notice.kind.in_(("tender", "invitation"))).limit(1)
    )
    was = (first.facts or {}).get("bid_deadline") if first else None
    moved = was is not None and (n.facts or {}).get("bid_deadline") not in (None, was)
    return Record(
        "552",
        f"{s.code}-{n.version}",
        clean(
            {
                "PURCHASE_PROJECT_CODE": x.t.code,
                "PURCHASE_PROJECT_NAME": x.t.name,
                "PURCHASE_SECTION_CODE": s.code,
                "UNIFIED_DEAL_CODE": x.deal_code(s),
                "TERMINATION_BULLETIN_TITLE": n.title,
                "TERMINATION_BULLETIN_CONTENT": n.body,
                "MODIFICATION_START_TIME": ts(n.published_at),
                "IS_POSTPONE": "1" if moved else "0",
                "POST_BID_CLOSING_TIME": ts(x.t.bid_deadline) if moved else None,
                "URL": x.url(n),
            }
        ),
        parent=("550", s.code),
    )


def deal_announce(x: Procedure, n: Notice) -> list[Record]:
    out = []
    for a in awards_of(x, n):
        s = next(s for s in x.sections if s.id == a.section_id)
        out.append(
            Record(
                "553",
                s.code,
                clean(
                    {
                        "PURCHASE_PROJECT_CODE": x.t.code,
                        "PURCHASE_PROJECT_NAME": x.t.name,
                        "PURCHASE_SECTION_CODE": s.code,
                        "UNIFIED_DEAL_CODE": x.deal_code(s),
                        "REGION_CODE": x.p.region_code,
                        "TRA_PLACE_CODE": x.place,
                        "PURCHASER_AGENCY_NAME": x.organiser.name,
                        "PURCHASER_AGENCY_CODE": x.organiser.credit_code,
                        "WIN_BID_BULLETIN_TITLE": n.title,
                        "WIN_BID_BULLETIN_CONTENT": n.body,
                        "WIN_BID_BULLETIN_START_TIME": ts(n.published_at),
                        "URL": x.url(n),
                        "WINNINGBIDDER_NAME": a.winner.name,
                        "WINNINGBIDDER_TYPE": "1",
                        "WINNINGBIDDER_CODE": a.winner.credit_code,
                        "PRICE_FORM_CODE": AMOUNT,
                        "WIN_BID_PRICE": yuan(a.price),
                        "CURRENCY_CODE": CURRENCY,
                        "PRICE_UNIT": YUAN,
                        "CREATOR": x.user_name(x.t.created_by),
                    }
                ),
                parent=("550", s.code),
            )
        )
    return out


def purchase_contract(x: Procedure, c: Contract) -> Record:
    s = next(s for s in x.sections if s.id == c.section_id)
    a = x.session.get(AwardNotice, c.award_id)
    assert a is not None
    return Record(
        "554",
        f"{s.code}-{c.id}",
        clean(
            {
                "PURCHASE_PROJECT_CODE": x.t.code,
                "PURCHASE_PROJECT_NAME": x.t.name,
                "PURCHASE_SECTION_CODE": s.code,
                "UNIFIED_DEAL_CODE": x.deal_code(s),
                "CONTRACT_NAME": f"{x.t.name} {s.name} 采购合同",
                "PURCHASER_NAME": x.tenderer.name,
                "PURCHASER_CODE": x.tenderer.credit_code,
                "LEGAL_ROLE": "04",
                "SUPPLIER_NAME": a.winner.name,
                "SUPPLIER_CODE": a.winner.credit_code,
                "PRICE_FORM_CODE": AMOUNT,
                "CONTRACT_AMOUNT": yuan(c.amount),
                "CURRENCY_CODE": CURRENCY,
                "PRICE_UNIT": YUAN,
                "SIGNING_TIME": day_ts(c.signed_on),
            }
        ),
        parent=("550", s.code),
    )
