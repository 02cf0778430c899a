"""Evaluation over HTTP. Thin: parse, call a service, answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from ggzy.bidding import envelope
from ggzy.bidding.store import BidStore
from ggzy.common.errors import Conflict, NotFound
from ggzy.evaluation import after, committee, report, review, selectors, sites
from ggzy.evaluation.models import Site
from ggzy.experts.models import Expert
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.schemas import Strict
from ggzy.tendering.api import tender_out
from ggzy.tendering.schemas import TenderOut

router = APIRouter(tags=["评标"])


class SchemeIn(Strict):
    data: dict[str, Any] = Field(
        description="评标办法：criteria（code/name/max/kind/formula）、k_options 等，见 docs/evaluation-methods.md"
    )


class SiteIn(Strict):
    branch_code: str = Field(pattern=r"^\d{6}$")
    code: str = Field(min_length=2, max_length=20)
    name: str = Field(min_length=2, max_length=100)
    seats: int = Field(ge=1, le=200)


class SiteOut(BaseModel):
    id: int
    code: str
    name: str
    seats: int


class SiteScreenOut(SiteOut):
    sign_in_code: str = Field(description="场地屏幕显示的签到码，每 5 分钟更换")


class OpenIn(Strict):
    host_site: str = Field(min_length=2, max_length=20)
    remote_sites: list[str] = Field(default_factory=list, max_length=20)
    representatives: list[str] = Field(default_factory=list, max_length=10, description="招标人代表的用户名")


class SignInIn(Strict):
    code: str = Field(pattern=r"^\d{6}$")


class ChairIn(Strict):
    member_id: int = Field(ge=1)


class FindingIn(Strict):
    bid_id: int = Field(ge=1)
    passed: bool
    reason: str = Field(default="", max_length=500)


class ReviewIn(Strict):
    findings: list[FindingIn] = Field(min_length=1, max_length=500)


class ClarifyIn(Strict):
    bid_id: int = Field(ge=1)
    question: str = Field(min_length=2, max_length=2000)


class AnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=5000)


class AdjustIn(Strict):
    bid_id: int = Field(ge=1)
    amount: str = Field(max_length=20)
    reason: str = Field(min_length=2, max_length=500)


class ScoresIn(Strict):
    scores: dict[int, dict[str, str]] = Field(description="投标 id → 评分项 → 分值（字符串，至多两位小数）")


class SignIn(Strict):
    pin: str = Field(min_length=6, max_length=32, description="签名口令（首次签署时设定）")
    dissent: str = Field(default="", max_length=2000, description="不同意见及理由（如有）")


class RateIn(Strict):
    expert_id: int = Field(ge=1)
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    misconduct: bool = False


def site_out(s: Site) -> SiteOut:
    return SiteOut(id=s.id, code=s.code, name=s.name, seats=s.seats)


@router.get("/sections/{section_id}/scheme", summary="标段的评标办法（随招标文件公开）")
def scheme_get(section_id: IdPath, db: DbDep, _: Principal = permit(Action.NOTICE_READ)) -> dict[str, Any]:
    from ggzy.evaluation.scoring import scheme_to_dict
    from ggzy.tendering.models import Section

    with db.session(write=False) as s:
        section = s.get(Section, section_id)
        if section is None or section.tender.published_at is None:
            raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
        return scheme_to_dict(committee.scheme_of(s, section))


@router.put("/sections/{section_id}/scheme", summary="设定评标办法（发布前）")
def scheme_set(
    section_id: IdPath, data: SchemeIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_SCHEME)
) -> dict[str, Any]:
    from ggzy.evaluation.scoring import scheme_to_dict

    with db.transaction() as s:
        return scheme_to_dict(
            committee.scheme_set(session=s, now=clock.now(), principal=p, section_id=section_id, data=data.data)
        )


@router.get("/sites", response_model=list[SiteOut], summary="评标场地")
def sites_list(db: DbDep, _: Principal = permit(Action.EVALUATION_READ)) -> list[SiteOut]:
    with db.session(write=False) as s:
        return [site_out(x) for x in sites.sites(s)]


@router.post("/sites", response_model=SiteOut, status_code=201, summary="登记评标场地和席位")
def site_create(data: SiteIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SITE_MANAGE)) -> SiteOut:
    with db.transaction() as s:
        return site_out(sites.site_create(session=s, now=clock.now(), principal=p, **data.model_dump()))


@router.get("/sites/{site_id}/screen", response_model=SiteScreenOut, summary="场地屏幕：当前签到码")
def site_screen(
    site_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SITE_MANAGE)
) -> SiteScreenOut:
    with db.session(write=False) as s:
        site, code = sites.site_screen(s, p, site_id, clock.now())
        return SiteScreenOut(**site_out(site).model_dump(), sign_in_code=code)


@router.post(
    "/sections/{section_id}/evaluation", status_code=201, summary="组建评标委员会（按抽取结果，系统安排场地席位）"
)
def evaluation_open(
    section_id: IdPath, data: OpenIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MANAGE)
) -> dict[str, Any]:
    with db.transaction() as s:
        ev = committee.evaluation_open(
            session=s, now=clock.now(), principal=p, section_id=section_id, **data.model_dump()
        )
        return selectors.view(s, p, ev.id)


@router.get("/evaluations/{evaluation_id}", summary="评标进展（按身份显示）")
def evaluation_get(evaluation_id: IdPath, db: DbDep, p: Principal = permit(Action.EVALUATION_READ)) -> dict[str, Any]:
    with db.session(write=False) as s:
        return selectors.view(s, p, evaluation_id)


def _member_call(db: Any, clock: Any, p: Principal, evaluation_id: int, fn: Any, **kw: Any) -> dict[str, Any]:
    with db.transaction() as s:
        fn(session=s, now=clock.now(), principal=p, evaluation_id=evaluation_id, **kw)
    with db.session(write=False) as s:
        return selectors.view(s, p, evaluation_id)


@router.post("/evaluations/{evaluation_id}/sign-in", summary="评委在评标场地签到")
def sign_in(
    evaluation_id: IdPath, data: SignInIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(db, clock, p, evaluation_id, committee.sign_in, code=data.code)


@router.post("/evaluations/{evaluation_id}/chair", summary="推举评标委员会负责人")
def chair_vote(
    evaluation_id: IdPath, data: ChairIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(db, clock, p, evaluation_id, committee.chair_vote, member_id=data.member_id)


@router.post("/evaluations/{evaluation_id}/review", summary="提交资格和符合性审查意见")
def review_vote(
    evaluation_id: IdPath, data: ReviewIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    findings = {f.bid_id: (f.passed, f.reason) for f in data.findings}
    return _member_call(db, clock, p, evaluation_id, review.review_vote, findings=findings)


@router.post("/evaluations/{evaluation_id}/clarifications", status_code=201, summary="要求投标人澄清")
def clarify_ask(
    evaluation_id: IdPath, data: ClarifyIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(db, clock, p, evaluation_id, review.clarify_ask, bid_id=data.bid_id, question=data.question)


@router.get("/clarifications", summary="本单位收到的澄清要求")
def clarifications_mine(db: DbDep, p: Principal = permit(Action.BID_OWN)) -> list[dict[str, Any]]:
    with db.session(write=False) as s:
        return selectors.clarifications_for(s, p)


@router.post("/clarifications/{clarification_id}/answer", status_code=204, summary="投标人答复澄清")
def clarify_answer(
    clarification_id: IdPath,
    data: AnswerIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.EVALUATION_CLARIFY),
) -> None:
    with db.transaction() as s:
        review.clarify_answer(
            session=s, now=clock.now(), principal=p, clarification_id=clarification_id, answer=data.answer
        )


@router.post("/evaluations/{evaluation_id}/adjustments", summary="记录评标价调整（最低评标价类方法）")
def adjust(
    evaluation_id: IdPath, data: AdjustIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(
        db, clock, p, evaluation_id, review.adjust, bid_id=data.bid_id, amount=data.amount, reason=data.reason
    )


@router.post("/evaluations/{evaluation_id}/scores", summary="提交本人评分（独立评分，提交后不能修改）")
def scores_submit(
    evaluation_id: IdPath, data: ScoresIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(db, clock, p, evaluation_id, report.scores_submit, scores=data.scores)


@router.post("/evaluations/{evaluation_id}/report", summary="生成评标报告（负责人）")
def report_draw_up(
    evaluation_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(db, clock, p, evaluation_id, report.report_draw_up)


@router.post("/evaluations/{evaluation_id}/sign", summary="签署评标报告（SM2），可附不同意见")
def report_sign(
    evaluation_id: IdPath, data: SignIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> dict[str, Any]:
    return _member_call(db, clock, p, evaluation_id, report.report_sign, pin=data.pin, dissent=data.dissent)


@router.get("/evaluations/{evaluation_id}/bids/{bid_id}/file", summary="评委阅读投标文件（解密后的文件包）")
def bid_file(
    evaluation_id: IdPath, bid_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    with db.session(write=False) as s:
        ev, me = selectors.viewable(s, p, evaluation_id)
        if me is None or me.signed_in_at is None:
            raise Conflict("请先在评标场地签到", code="sign_in_first")
        bid = next((b for b in review.opened_bids(s, ev.section_id) if b.id == bid_id), None)
        if bid is None or bid.content_key is None:
            raise NotFound("本标段没有该投标文件", code="bid_not_found")
        store = BidStore(request.app.state.settings.data_dir / "bids")
        plaintext = envelope.decrypt(store.path(bid.digest), bid.content_key)
    return Response(
        plaintext,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="bid-{bid_id}.zip"', "Cache-Control": "no-store"},
    )


@router.post(
    "/tenders/{tender_id}/candidates/from-reports", response_model=TenderOut, summary="按签署的评标报告公示中标候选人"
)
def candidates_from_reports(
    tender_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> TenderOut:
    with db.transaction() as s:
        t = after.candidates_from_reports(session=s, now=clock.now(), principal=p, tender_id=tender_id)
        return tender_out(t, p)


@router.post("/evaluations/{evaluation_id}/ratings", status_code=201, summary="评价专家（招标人、交易中心）")
def rate(
    evaluation_id: IdPath, data: RateIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_RATE)
) -> dict[str, Any]:
    with db.transaction() as s:
        r = after.rate(session=s, now=clock.now(), principal=p, evaluation_id=evaluation_id, **data.model_dump())
        return {"id": r.id, "expert_id": r.expert_id, "score": r.score, "rater": r.rater_kind}


@router.get("/my/evaluations", summary="本人参加的评标（评标专家、招标人代表）")
def my_evaluations(db: DbDep, p: Principal = permit(Action.EVALUATION_MEMBER)) -> list[dict[str, Any]]:
    with db.session(write=False) as s:
        return selectors.my_evaluations(s, p)


@router.get("/my/fees", summary="本人的评标劳务报酬明细（评标专家）")
def my_fees(db: DbDep, p: Principal = permit(Action.EVALUATION_MEMBER)) -> dict[str, Any]:
    from sqlalchemy import select

    with db.session(write=False) as s:
        e = s.scalar(select(Expert).where(Expert.user_id == p.user_id))
        if e is None:
            raise NotFound("您不是库内专家", code="expert_not_found")
        return after.fee_statement(s, e.id)


@router.get("/evaluations/{evaluation_id}/public", summary="评标委员会名单与抽取过程（结果公告后公开）")
def evaluation_public(evaluation_id: IdPath, db: DbDep, _: Principal = permit(Action.NOTICE_READ)) -> dict[str, Any]:
    from ggzy.evaluation.models import Evaluation

    with db.session(write=False) as s:
        ev = s.get(Evaluation, evaluation_id)
        out = after.public_committee(s, ev) if ev is not None else None
        if out is None:
            raise NotFound("评标委员会名单在结果公告后公开", code="not_yet_public")
        return out
