"""Routes for what follows evaluation (candidates, objections, awards, contracts, verification) and the
statutory rule table."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common.crypto import canonical_json, sm3_hex
from ggzy.common.errors import NotFound
from ggzy.common.signing import load_or_create, verify
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.services import actor_of
from ggzy.tendering import award, award_pdf, core, rule_services
from ggzy.tendering.enums import Method, PeriodUnit, RuleKey
from ggzy.tendering.models import Section
from ggzy.tendering.models_award import AwardNotice, Objection
from ggzy.tendering.schemas import (
    AnswerIn,
    AwardOut,
    CandidatesIn,
    ContractIn,
    ContractOut,
    ObjectionIn,
    ObjectionOut,
    RuleRowIn,
    TenderOut,
    VerifyOut,
)

router = APIRouter(tags=["定标与合同"])


def _tender_out(t: object, p: Principal) -> TenderOut:
    from ggzy.tendering.api import tender_out

    return tender_out(t, p)  # type: ignore[arg-type]


def objection_out(o: Objection) -> ObjectionOut:
    return ObjectionOut(
        id=o.id, body=o.body, raised_at=o.raised_at, answer_due=o.answer_due, answer=o.answer, answered_at=o.answered_at
    )


def award_out(a: AwardNotice) -> AwardOut:
    return AwardOut(
        section_code=str(a.facts["section_code"]),
        winner_name=a.winner.name,
        price=a.price,
        verify_code=a.verify_code,
        issued_at=a.issued_at,
        facts_digest=a.facts_digest,
        signature=a.signature,
    )


def verify_url(request: Request, code: str) -> str:
    return str(request.base_url).rstrip("/") + f"/verify/{code}"


@router.post("/tenders/{tender_id}/candidates", response_model=TenderOut, summary="公示中标候选人（依评标报告）")
def publish_candidates(
    tender_id: IdPath, data: CandidatesIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> TenderOut:
    with db.transaction() as s:
        return _tender_out(
            award.candidates_publish(session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data), p
        )


@router.post(
    "/tenders/{tender_id}/objections",
    response_model=ObjectionOut,
    status_code=201,
    summary="对评标结果提出异议（公示期内）",
)
def raise_objection(
    tender_id: IdPath, data: ObjectionIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_PARTICIPATE)
) -> ObjectionOut:
    with db.transaction() as s:
        return objection_out(
            award.objection_raise(session=s, now=clock.now(), principal=p, tender_id=tender_id, body=data.body)
        )


@router.get(
    "/tenders/{tender_id}/objections", response_model=list[ObjectionOut], summary="异议及答复（招标人、交易中心）"
)
def objections(tender_id: IdPath, db: DbDep, p: Principal = permit(Action.TENDER_READ)) -> list[ObjectionOut]:
    with db.session(write=False) as s:
        t = core.tender_for(s, p, tender_id)
        if not allows_object(p, Action.TENDER_READ, t):
            raise NotFound(f"招标项目 {tender_id} 不存在", code="tender_not_found")
        rows = s.scalars(select(Objection).where(Objection.tender_id == t.id).order_by(Objection.id))
        return [objection_out(o) for o in rows]


@router.post("/tenders/{tender_id}/objections/{objection_id}/answer", response_model=ObjectionOut, summary="答复异议")
def answer_objection(
    tender_id: IdPath,
    objection_id: IdPath,
    data: AnswerIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.TENDER_MANAGE),
) -> ObjectionOut:
    with db.transaction() as s:
        return objection_out(
            award.objection_answer(
                session=s,
                now=clock.now(),
                principal=p,
                tender_id=tender_id,
                objection_id=objection_id,
                answer=data.answer,
            )
        )


@router.post(
    "/tenders/{tender_id}/award", response_model=list[AwardOut], summary="发出中标（成交）通知书（平台 SM2 签名）"
)
def issue_award(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> list[AwardOut]:
    key = load_or_create(request.app.state.settings.data_dir / "keys")
    with db.transaction() as s:
        return [
            award_out(a)
            for a in award.award_issue(session=s, now=clock.now(), principal=p, tender_id=tender_id, key=key)
        ]


@router.post(
    "/tenders/{tender_id}/contracts", response_model=ContractOut, status_code=201, summary="登记合同（逾期提示）"
)
def record_contract(
    tender_id: IdPath, data: ContractIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> ContractOut:
    with db.transaction() as s:
        c, warning = award.contract_record(session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data)
        section = s.get(Section, c.section_id)
        assert section is not None
        return ContractOut(
            section_code=section.code, signed_on=c.signed_on, amount=c.amount, late=c.late, warning=warning
        )


def check_award(a: AwardNotice) -> VerifyOut:
    """Recompute the digest of the stored facts and check the platform's signature over them."""
    payload = canonical_json(a.facts)
    digest_ok = sm3_hex(payload) == a.facts_digest
    signature_ok = verify(a.public_key, payload, a.signature)
    reason = "" if digest_ok and signature_ok else ("内容摘要不符" if not digest_ok else "平台签名验证失败")
    return VerifyOut(
        genuine=digest_ok and signature_ok,
        verify_code=a.verify_code,
        facts=a.facts,
        facts_digest=a.facts_digest,
        signature=a.signature,
        public_key=a.public_key,
        reason=reason,
    )


def award_by_code(s: Session, code: str) -> AwardNotice:
    row = s.scalar(select(AwardNotice).where(AwardNotice.verify_code == code.strip().upper()[:24]))
    if row is None:
        raise NotFound(
            "未找到该验证码对应的中标（成交）通知书：请核对验证码，或该文件并非本平台出具", code="award_not_found"
        )
    return row


@router.get("/awards/{code}/verify", response_model=VerifyOut, summary="核验中标（成交）通知书（公开）")
def verify_award(code: str, db: DbDep, _: Principal = permit(Action.NOTICE_READ)) -> VerifyOut:
    with db.session(write=False) as s:
        return check_award(award_by_code(s, code))


@router.get("/awards/{code}/pdf", summary="中标（成交）通知书 PDF（公开，含验证码）", response_class=Response)
def award_pdf_download(code: str, request: Request, db: DbDep, _: Principal = permit(Action.NOTICE_READ)) -> Response:
    with db.session(write=False) as s:
        a = award_by_code(s, code)
        pdf = award_pdf.render(
            a.facts,
            digest=a.facts_digest,
            signature=a.signature,
            public_key=a.public_key,
            verify_url=verify_url(request, a.verify_code),
        )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'inline; filename="award-{a.verify_code}.pdf"'},
    )


@router.get("/tender-rules", response_model=list[RuleRowIn], summary="法定期限规则表（含历史版本与依据）")
def tender_rules(db: DbDep, _: Principal = permit(Action.RULES_READ)) -> list[RuleRowIn]:
    with db.session(write=False) as s:
        return [
            RuleRowIn(
                method=Method(r.method),
                key=RuleKey(r.key),
                amount=r.amount,
                unit=PeriodUnit(r.unit),
                basis=r.basis,
                effective_from=r.effective_from,
                verified=r.verified,
                note=r.note,
            )
            for r in rule_services.rule_rows_all(s)
        ]


@router.post("/tender-rules", response_model=RuleRowIn, status_code=201, summary="新增规则行（自将来某日起生效）")
def tender_rule_add(
    data: RuleRowIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.RULES_MANAGE)
) -> RuleRowIn:
    with db.transaction() as s:
        rule_services.rule_row_add(session=s, now=clock.now(), actor=actor_of(p), data=data)
    return data
