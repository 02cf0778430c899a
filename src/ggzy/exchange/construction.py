"""Construction datasets (500–513) from the notices and contracts of a procedure under
招标投标法."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ggzy.evaluation.enums import EvalStatus
from ggzy.evaluation.models import Evaluation, Member
from ggzy.exchange.codes import TENDER_MODE
from ggzy.exchange.records import (
    AMOUNT,
    CURRENCY,
    OBJECTION,
    OBTAIN,
    ONLINE_OPENING,
    SUBMIT,
    YUAN,
    Record,
    awards_of,
    clean,
    funding,
    notice_fields,
    opening_details,
    opening_record,
    tender_parent,
)  # fmt: skip
from ggzy.exchange.sources import Procedure, day_ts, ts, yuan
from ggzy.experts.models import Expert
from ggzy.identity.models import User
from ggzy.registration.enums import TradingType
from ggzy.tendering.enums import NoticeKind
from ggzy.tendering.models import Notice
from ggzy.tendering.models_award import AwardNotice, Candidate, Contract


def construction_notice(x: Procedure, n: Notice) -> list[Record]:
    kind = NoticeKind(n.kind)
    if kind in (NoticeKind.TENDER, NoticeKind.INVITATION):
        out = [project(x), tender_project(x), *(section(x, s) for s in x.sections)]
        return out + ([tender_notice(x, n)] if kind is NoticeKind.TENDER else [])
    if kind is NoticeKind.OPENING:
        return [opening_record(x, n, "506"), *opening_details(x, n, "507")]
    if kind is NoticeKind.CANDIDATES:
        return [*candidates(x, n), candidate_announce(x, n)]
    if kind is NoticeKind.RESULT:
        return [*results(x, n), *committee(x, n), *reports(x, n)]
    return []


def project(x: Procedure) -> Record:
    p = x.p
    return Record(
        "500",
        p.code or "",
        clean(
            {
                "PROJECT_CODE": p.code,
                "PROJECT_NAME": p.name,
                "REGION_CODE": p.region_code,
                "RELATE_CODE": "1" if p.trading_type == TradingType.CONSTRUCTION.value else "0",
                "ADDRESS": p.address,
                "LEGAL_PERSON": x.tenderer.name,
                "CLASS_VER_CODE": "1",
                "INDUSTRIES_TYPE": "E48" if p.trading_type == TradingType.CONSTRUCTION.value else None,
                "FUND_SOURCE": funding(p.funding_source),
                "PROJECT_SCALE": p.scale,
                "CONTACTOR": p.contact_name,
                "CONTACT_INFORMATION": p.contact_phone,
                "APPROVAL_NAME": p.approval_document,
                "CREATE_TIME": ts(p.created_at),
            }
        ),
    )


def tender_project(x: Procedure) -> Record:
    t, p, org = x.t, x.p, x.organiser
    return Record(
        "501",
        t.code,
        clean(
            {
                "PROJECT_CODE": p.code,
                "TENDER_PROJECT_CODE": t.code,
                "TENDER_SELF_CODE": t.code,
                "IS_TO_LAW": "1" if p.must_tender else "0",
                "TENDER_PROJECT_NAME": t.name,
                "TENDER_PROJECT_TYPE": "A01",
                "REGION_CODE": p.region_code,
                "TENDER_CONTENT": t.content or t.name,
                "OWNER_NAME": x.tenderer.name,
                "TENDERER_NAME": x.tenderer.name,
                "TENDERER_CODE_TYPE": "1",
                "TENDERER_CODE": x.tenderer.credit_code,
                "ISUNION": "0",
                "TENDERER_ROLE": "01",
                "TENDER_AGENCY_NAME": org.name,
                "TENDER_AGENCY_CODE_TYPE": "1",
                "TENDER_AGENCY_CODE": org.credit_code,
                "TENDER_AGENCY_ROLE": "02" if x.agency else "01",
                "TENDER_MODE": TENDER_MODE.get(t.method, "9"),
                "TENDER_ORGANIZE_FORM": "2" if x.agency else "1",
                "CREATE_TIME": ts(t.created_at),
                "SUPERVISE_DEPT_NAME": x.regulator.name,
                "SUPERVISE_DEPT_CODE": x.regulator.credit_code,
                "APPROVE_DEPT_NAME": x.regulator.name,
                "APPROVE_DEPT_CODE": x.regulator.credit_code,
                "REPORT_DUTY": x.user_name(t.created_by),
            }
        ),
        parent=("500", p.code or ""),
    )


def section(x: Procedure, s: Any) -> Record:
    t, p = x.t, x.p
    return Record(
        "502",
        s.code,
        clean(
            {
                "TENDER_PROJECT_CODE": t.code,
                "BID_SECTION_CODE": s.code,
                "BID_SECTION_NAME": s.name,
                "BID_ECTION_NUM": str(max(t.round_no, 1)),
                "UNIFIED_DEAL_CODE": x.deal_code(s),
                "BID_TENDER_MODE": TENDER_MODE.get(t.method, "9"),
                "REGION_CODE": p.region_code,
                "TRA_PLACE_CODE": x.place,
                "BID_SECTION_CONTENT": f"{s.name}：{t.content}" if t.content else s.name,
                "TENDER_PROJECT_CLASSIFY_CODE": "A01",
                "CONTRACT_RECKON_PRICE": yuan(s.estimate),
                "CURRENCY_CODE": CURRENCY,
                "PRICE_UNIT": YUAN,
                "BID_QUALIFICATION": s.qualification,
                "CREATE_TIME": ts(t.created_at),
            }
        ),
        parent=tender_parent(x),
    )


def tender_notice(x: Procedure, n: Notice) -> Record:
    t, tr, ag = x.t, x.tenderer, x.agency
    return Record(
        "503",
        f"{t.code}-{n.version}",
        clean(
            {
                "TENDER_PROJECT_CODE": t.code,
                "NOTICE_BID_NUM": str(len(x.sections)),
                "BID_SECTION_CODES": ";".join(s.code for s in x.sections),
                "TRAD_CENTER_NAME": x.centre,
                "UNIFIED_DEAL_CODES": x.deal_codes(),
                "TENDER_SELF_CODE": t.code,
                **notice_fields(x, n),
                "BULLETIN_TYPE": "1",
                "DOC_GET_START_TIME": ts(t.docs_start),
                "DOC_GET_END_TIME": ts(t.docs_end),
                "TENDER_DOC_GET_METHOD": OBTAIN,
                "BID_DOC_REFER_END_TIME": ts(t.bid_deadline),
                "BID_OPEN_TIME": ts(t.bid_deadline),
                "BID_OPEN_METHOD": ONLINE_OPENING,
                "BID_DOC_REFER_METHOD": SUBMIT,
                "SYNDICATED_FLAG": "0",
                "TENDERER_CODE": tr.credit_code,
                "TENDERER_NAME": tr.name,
                "TENDERER_ADDRESS": tr.address,
                "TENDERER_CONTACTOR": tr.contact_name or x.p.contact_name,
                "TENDERER_PHONE_NUMBER": tr.contact_phone or x.p.contact_phone,
                "TENDERER_EMAIL": tr.email,
                "TENDER_AGENCY_CODE": ag.credit_code if ag else None,
                "TENDER_AGENCY_NAME": ag.name if ag else None,
                "TENDER_AGENCY_ADDRESS": ag.address if ag else None,
                "TENDER_AGENCY_CONTACTOR": ag.contact_name if ag else None,
                "TENDER_AGENCY_PHONE_NUMBER": ag.contact_phone if ag else None,
                "TENDER_AGENCY_EMAIL": ag.email if ag else None,
                "BULLETIN_DUTY": x.user_name(t.created_by),
                "BULLETIN_DUTY_CODE_TYPE": x.user_name(x.p.reviewed_by),
            }
        ),
        parent=tender_parent(x),
    )


def candidates(x: Procedure, n: Notice) -> list[Record]:
    out = []
    for c in x.session.scalars(select(Candidate).where(Candidate.tender_id == x.t.id).order_by(Candidate.id)):
        if c.recorded_at > n.published_at:
            continue
        s = next(s for s in x.sections if s.id == c.section_id)
        sheet = x.bid_sheet(s.id, c.org_id)
        out.append(
            Record(
                "510",
                f"{s.code}-{c.rank}",
                clean(
                    {
                        "TENDER_PROJECT_CODE": x.t.code,
                        "BID_SECTION_CODE": s.code,
                        "UNIFIED_DEAL_CODE": x.deal_code(s),
                        "WIN_CANDIDATE_NAME": c.org.name,
                        "BIDDER_CODE_TYPE": "1",
                        "WIN_CANDIDATE_CODE": c.org.credit_code,
                        "BIDDER_ROLE": "03",
                        "WIN_CANDIDATE_ORDER": str(c.rank),
                        "IS_FLOAT_RATE": "0",
                        "EVALUATION_RESULT": f"第{c.rank}名",
                        "PRICE_FORM_CODE": AMOUNT,
                        "BID_PRICE": yuan(c.price),
                        "PRICE_CURRENCY": CURRENCY,
                        "PRICE_UINT": YUAN,
                        "QUALITY": sheet.get("quality"),
                        "EVALUATION_STATUS": "经评标委员会评审推荐",
                        "WIN_CANDIDATE_QUALIFICATION": s.qualification,
                    }
                ),
                parent=tender_parent(x),
            )
        )
    return out


def candidate_announce(x: Procedure, n: Notice) -> Record:
    return Record(
        "511",
        f"{x.t.code}-{n.version}",
        clean(
            {
                "TENDER_PROJECT_CODE": x.t.code,
                "BID_SECTION_CODES": ";".join(s.code for s in x.sections),
                "UNIFIED_DEAL_CODE": x.deal_codes(),
                "PUBLICITY_NAME": n.title,
                "PUBLICITY_CONTENT": n.body,
                "PUBLICITY_REFER_TIME": ts(n.published_at),
                "NOTICE_MEDIA": f"{x.centre}网站",
                "URL": x.url(n),
                "PUBLICITY_TYPE": "1",
                "PUBLICITY_START_TIME": ts(n.published_at),
                "PUBLICITY_END_TIME": ts(x.t.publicity_ends_at),
                "OBJECTION_METHOD": OBJECTION,
                "BULLETIN_DUTY": x.user_name(x.t.created_by),
                "EXAMINER_NAME": x.user_name(x.p.reviewed_by),
            }
        ),
        parent=tender_parent(x),
    )


def results(x: Procedure, n: Notice) -> list[Record]:
    out = []
    for a in awards_of(x, n):
        s = next(s for s in x.sections if s.id == a.section_id)
        out.append(
            Record(
                "513",
                s.code,
                clean(
                    {
                        "TENDER_PROJECT_CODE": x.t.code,
                        "BID_SECTION_CODE": s.code,
                        "UNIFIED_DEAL_CODE": x.deal_code(s),
                        "REGION_CODE": x.p.region_code,
                        "TRA_PLACE_CODE": x.place,
                        "TENDER_AGENCY_NAME": x.organiser.name,
                        "TENDER_AGENCY_CODE": x.organiser.credit_code,
                        **notice_fields(x, n),
                        "BULLETIN_TYPE": "3",
                        "WIN_BIDDER_NAME": a.winner.name,
                        "BIDDER_CODE_TYPE": "1",
                        "WIN_BIDDER_CODE": a.winner.credit_code,
                        "BIDDER_ROLE": "03",
                        "PRICE_FORM_CODE": AMOUNT,
                        "BID_AMOUNT": yuan(a.price),
                        "BID_CURRENCY": CURRENCY,
                        "PRICE_UNIT": YUAN,
                        "BULLETIN_DUTY": x.user_name(x.t.created_by),
                        "EXAMINER_NAME": x.user_name(x.p.reviewed_by),
                    }
                ),
                parent=tender_parent(x),
            )
        )
    return out


def _evaluations(x: Procedure, n: Notice) -> list[Evaluation]:
    awarded = {a.section_id for a in awards_of(x, n)}
    rows = x.session.scalars(select(Evaluation).where(Evaluation.tender_id == x.t.id).order_by(Evaluation.id))
    return [e for e in rows if e.section_id in awarded and e.status == EvalStatus.SIGNED.value]


def committee(x: Procedure, n: Notice) -> list[Record]:
    out = []
    for ev in _evaluations(x, n):
        s = next(s for s in x.sections if s.id == ev.section_id)
        for m in x.session.scalars(select(Member).where(Member.evaluation_id == ev.id).order_by(Member.seat)):
            expert = x.session.get(Expert, m.expert_id) if m.expert_id else None
            user = x.session.get(User, m.user_id)
            out.append(
                Record(
                    "508",
                    f"{s.code}-{m.seat}",
                    clean(
                        {
                            "TENDER_PROJECT_CODE": x.t.code,
                            "BID_SECTION_CODE": s.code,
                            "UNIFIED_DEAL_CODE": x.deal_code(s),
                            "EXPERT_TYPE": "1" if expert else "2",
                            "EXPERT_NAME": expert.name if expert else (user.display_name if user else None),
                            "ID_CARD": expert.id_number if expert else (user.id_number if user else None),
                            "ID_CARD_TYPE": "01",
                            "EXPERT_CHECK_IN_TIME": ts(m.signed_in_at),
                            "IS_CHAIR_MAN": "1" if m.is_chair else "0",
                        }
                    ),
                    parent=tender_parent(x),
                )
            )
    return out


def reports(x: Procedure, n: Notice) -> list[Record]:
    out = []
    for ev in _evaluations(x, n):
        s = next(s for s in x.sections if s.id == ev.section_id)
        cands = (ev.report or {}).get("candidates", [])
        summary = "；".join(f"第{c['rank']}名 {c['name']}（报价 {c['price']} 元）" for c in cands)
        out.append(
            Record(
                "509",
                s.code,
                clean(
                    {
                        "TENDER_PROJECT_CODE": x.t.code,
                        "BID_SECTION_CODE": s.code,
                        "UNIFIED_DEAL_CODE": x.deal_code(s),
                        "NOTICE_NAME": f"{x.t.name} {s.name} 评标报告",
                        "EVALUATION_CONTENT": f"推荐中标候选人：{summary or '无'}。报告摘要（SM3）：{ev.report_digest}",
                        "SUBMIT_TIME": ts(ev.finished_at),
                        "END_TIME": ts(ev.finished_at),
                        "EVALUATION_RESULT": "1" if cands else "2",
                        "URL": f"{x.base_url.rstrip('/')}/api/v1/evaluations/{ev.id}/public",
                    }
                ),
                parent=tender_parent(x),
            )
        )
    return out


def contract(x: Procedure, c: Contract) -> Record:
    s = next(s for s in x.sections if s.id == c.section_id)
    a = x.session.get(AwardNotice, c.award_id)
    assert a is not None
    return Record(
        "512",
        f"{s.code}-{c.id}",
        clean(
            {
                "TENDER_PROJECT_CODE": x.t.code,
                "BID_SECTION_CODE": s.code,
                "UNIFIED_DEAL_CODE": x.deal_code(s),
                "CONTRACT_NAME": f"{x.t.name} {s.name} 合同",
                "TENDERER_NAME": x.tenderer.name,
                "TENDER_CODE": x.tenderer.credit_code,
                "BIDDER_NAME": a.winner.name,
                "BIDDER_CODE": a.winner.credit_code,
                "CONTRACT_PRICE": yuan(c.amount),
                "PRICE_CURRENCY": CURRENCY,
                "PRICE_UNIT": YUAN,
                "PRICE_FORM_CODE": AMOUNT,
                "CONTRACT_CONTENT": f"{s.name}；履行期限：{c.term}" if c.term else s.name,
                "SUBMIT_TIME": ts(c.recorded_at),
                "CONTRACT_SIGN_TIME": day_ts(c.signed_on),
            }
        ),
        parent=tender_parent(x),
    )
