"""Pages for what follows evaluation: recording the committee's candidates, their publicity,
objections (which pause the procedure while unanswered), the signed award notice and the
contract record. Every rule lives in ``tendering.award``; these routes only parse and redirect.

The detail page shows all of it through ``award_context`` (merged into the tender detail route's
context) and ``tendering/_award.html``. An objector's identity is never shown: a bidder sees its
own objections only, the parties and supervisors see the objections without their authors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common.clock import format_local
from ggzy.common.errors import DomainError, InvalidInput
from ggzy.common.signing import load_or_create
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.errors import _zh
from ggzy.http.forms import form_data
from ggzy.http.pages import redirect
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.tendering import award, state
from ggzy.tendering.core import tender_for
from ggzy.tendering.enums import TenderStatus
from ggzy.tendering.models import Section, Tender
from ggzy.tendering.models_award import AwardNotice, Candidate, Contract, Objection
from ggzy.tendering.schemas import AnswerIn, CandidateIn, CandidatesIn, ContractIn, ObjectionIn

router = APIRouter()

M = TypeVar("M", bound=BaseModel)
MAX_CANDIDATES = 3  # 实施条例第五十三条：中标候选人应当不超过 3 个
AFTER_EVALUATION = frozenset(
    {TenderStatus.OPENED, TenderStatus.PUBLICITY, TenderStatus.PUBLICITY_ENDED, TenderStatus.AWARDED}
    | {TenderStatus.CONTRACTED}
)
PUBLISHED_CANDIDATES = frozenset(
    {TenderStatus.PUBLICITY, TenderStatus.PUBLICITY_ENDED, TenderStatus.AWARDED, TenderStatus.CONTRACTED}
)
AWARDED = frozenset({TenderStatus.AWARDED, TenderStatus.CONTRACTED})
FIELD_LABELS = {
    "report_received_at": "评标报告收到时间",
    "candidates": "中标候选人",
    "section_seq": "标段（包）",
    "rank": "排名",
    "credit_code": "统一社会信用代码",
    "price": "投标报价",
    "body": "异议内容",
    "answer": "答复内容",
    "signed_on": "合同签订日期",
    "amount": "合同金额",
    "term": "合同履行期限",
}


def _parse(model: type[M], values: dict[str, Any], where: str = "") -> M:
    """Like ``http.forms.parse``, with the Chinese names of this page's fields."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        msgs = []
        for err in exc.errors():
            loc = [str(x) for x in err.get("loc", ())]
            label = FIELD_LABELS.get(loc[-1], loc[-1]) if loc else "表单"
            msgs.append(f"{where}{label}：{_zh(dict(err))}")
        raise InvalidInput("；".join(msgs), code="validation_error") from exc


# --- what the detail page shows -------------------------------------------------------------------


@dataclass
class SectionAward:
    section: Section
    candidates: list[Candidate] = field(default_factory=list)
    award: AwardNotice | None = None
    contract: Contract | None = None
    # The verification code and PDF: for the parties, the supervisors and the winner itself.
    shows_code: bool = False


@dataclass
class AwardPanel:
    status: str
    parties: bool  # the tenderer, its agency and the supervisors: objections (unnamed) and contracts
    sections: list[SectionAward]
    publicity_ends_at: Any
    pending: int
    paused: bool
    objections: list[Objection]
    objections_scope: str  # "all" (no authors), "own" (a bidder's own), "" (none shown)
    record_candidates: bool
    rank_rows: range
    raise_objection: bool
    answer_objections: bool
    issue_award: bool
    record_contract: bool
    contract_sections: list[Section]


def award_context(session: Session, principal: Principal, tender: Tender) -> dict[str, Any]:
    """What ``tendering/_award.html`` needs; merged into the tender detail page's context."""
    status = TenderStatus(tender.status)
    if status not in AFTER_EVALUATION:
        return {"award_panel": None}
    manages = allows_object(principal, Action.TENDER_MANAGE, tender)
    reads = allows_object(principal, Action.TENDER_READ, tender)
    participates = allows_object(principal, Action.TENDER_PARTICIPATE, tender) and principal.org_id is not None
    available = state.available(status)

    rows = {s.id: SectionAward(section=s) for s in tender.sections}
    for c in session.scalars(
        select(Candidate).where(Candidate.tender_id == tender.id).order_by(Candidate.section_id, Candidate.rank)
    ):
        if c.section_id in rows:
            rows[c.section_id].candidates.append(c)
    for a in session.scalars(select(AwardNotice).where(AwardNotice.tender_id == tender.id)):
        if a.section_id in rows:
            rows[a.section_id].award = a
            rows[a.section_id].shows_code = reads or manages or principal.org_id == a.winner_org_id
    for k in session.scalars(select(Contract).where(Contract.tender_id == tender.id)):
        if k.section_id in rows:
            rows[k.section_id].contract = k

    stmt = select(Objection).where(Objection.tender_id == tender.id).order_by(Objection.id)
    scope = ""
    objections: list[Objection] = []
    if manages or reads:
        scope, objections = "all", list(session.scalars(stmt))
    elif participates:
        scope, objections = "own", list(session.scalars(stmt.where(Objection.org_id == principal.org_id)))
    pending = award.pending_objections(session, tender.id)
    sections = list(rows.values())
    return {
        "award_panel": AwardPanel(
            status=status.value,
            parties=manages or reads,
            sections=sections,
            publicity_ends_at=tender.publicity_ends_at,
            pending=pending,
            paused=pending > 0 and status in (TenderStatus.PUBLICITY, TenderStatus.PUBLICITY_ENDED),
            objections=objections,
            objections_scope=scope,
            record_candidates=manages and "candidates_publish" in available,
            rank_rows=range(1, MAX_CANDIDATES + 1),
            raise_objection=participates and "objection_raise" in available,
            answer_objections=manages and "objection_answer" in available,
            issue_award=manages and "award_issue" in available,
            record_contract=manages and "contract_record" in available,
            contract_sections=[r.section for r in sections if r.award is not None and r.contract is None],
        )
    }


# --- the forms ----------------------------------------------------------------------------------


def candidates_in(form: dict[str, str], sections: list[int]) -> CandidatesIn:
    """Form fields ``c_{section}_{row}_{rank|code|price}``; a row with neither code nor price is unused."""
    from ggzy.tendering.web import aware

    received = aware(form.get("report_received_at"), FIELD_LABELS["report_received_at"])
    if received is None:
        raise InvalidInput("请填写评标报告收到时间（北京时间）", code="validation_error")
    rows: list[CandidateIn] = []
    for seq in sections:
        for i in range(1, MAX_CANDIDATES + 1):
            key = f"c_{seq}_{i}_"
            code, price = form.get(key + "code", "").strip(), form.get(key + "price", "").strip().replace(",", "")
            if not code and not price:
                continue
            values = {"section_seq": seq, "rank": form.get(key + "rank", str(i)), "credit_code": code, "price": price}
            rows.append(_parse(CandidateIn, values, f"第 {seq} 标段（包）第 {i} 行 "))
    if not rows:
        raise InvalidInput("请按评标报告填写中标候选人", code="validation_error")
    return CandidatesIn(report_received_at=received, candidates=rows)


def _back(tender_id: int, e: DomainError) -> Response:
    if e.status == 404:
        raise e
    return redirect(f"/tenders/{tender_id}#award", e.message)


@router.post("/tenders/{tender_id}/candidates")
async def candidates_publish_page(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        with db.session(write=False) as s:
            seqs = [sec.seq for sec in tender_for(s, p, tender_id).sections]
        data = candidates_in(form, seqs)
        with db.transaction() as s:
            t = award.candidates_publish(session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data)
            ends = t.publicity_ends_at
    except DomainError as e:
        return _back(tender_id, e)
    return redirect(f"/tenders/{tender_id}#award", f"中标候选人已公示，公示期至 {format_local(ends)}")


@router.post("/tenders/{tender_id}/objections")
async def objection_raise_page(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_PARTICIPATE)
) -> Response:
    form = await form_data(request)
    try:
        body = _parse(ObjectionIn, {"body": form.get("body", "").strip()}).body
        with db.transaction() as s:
            award.objection_raise(session=s, now=clock.now(), principal=p, tender_id=tender_id, body=body)
    except DomainError as e:
        return _back(tender_id, e)
    return redirect(f"/tenders/{tender_id}#award", "异议已提交；招标人答复前招标投标活动暂停，异议人身份不公开")


@router.post("/tenders/{tender_id}/objections/{objection_id}/answer")
async def objection_answer_page(
    tender_id: IdPath,
    objection_id: IdPath,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.TENDER_MANAGE),
) -> Response:
    form = await form_data(request)
    try:
        answer = _parse(AnswerIn, {"answer": form.get("answer", "").strip()}).answer
        with db.transaction() as s:
            award.objection_answer(
                session=s, now=clock.now(), principal=p, tender_id=tender_id, objection_id=objection_id, answer=answer
            )
    except DomainError as e:
        return _back(tender_id, e)
    return redirect(f"/tenders/{tender_id}#award", "已答复异议")


@router.post("/tenders/{tender_id}/award")
async def award_issue_page(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    key = load_or_create(request.app.state.settings.data_dir / "keys")
    try:
        with db.transaction() as s:
            notices = award.award_issue(session=s, now=clock.now(), principal=p, tender_id=tender_id, key=key)
            codes = "、".join(n.verify_code for n in notices)
    except DomainError as e:
        return _back(tender_id, e)
    return redirect(f"/tenders/{tender_id}#award", f"已发出中标（成交）通知书，验证码：{codes}")


@router.post("/tenders/{tender_id}/contracts")
async def contract_record_page(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        values = {
            "section_seq": form.get("section_seq", ""),
            "signed_on": form.get("signed_on", "").strip(),
            "amount": form.get("amount", "").strip().replace(",", ""),
            "term": form.get("term", "").strip(),
        }
        data = _parse(ContractIn, values)
        with db.transaction() as s:
            _, warning = award.contract_record(session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data)
    except DomainError as e:
        return _back(tender_id, e)
    return redirect(f"/tenders/{tender_id}#award", f"合同已登记；{warning}" if warning else "合同已登记")
