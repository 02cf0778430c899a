"""Pages: the committee's workbench (sign in, elect, review, score, sign), the centre's sites and
committees, a bidder's clarifications. Thin: parse the form, call a service, go back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from ggzy.evaluation import after, committee, report, review, selectors, sites
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data
from ggzy.http.pages import act_or_flash, render
from ggzy.identity.permissions import Action, Principal

router = APIRouter()


@router.get("/evaluations")
def evaluations_page(request: Request, db: DbDep, p: Principal = permit(Action.EVALUATION_READ)) -> Response:
    with db.session(write=False) as s:
        return render(
            request,
            "evaluation/list.html",
            {
                "evaluations": selectors.evaluations_for(s, p) if p.role.value != "expert" else [],
                "mine": selectors.my_evaluations(s, p),
                "ready": selectors.ready_sections(s, p),
                "sites": sites.sites(s),
            },
        )


@router.post("/sections/{section_id}/evaluation")
async def evaluation_open_page(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MANAGE)
) -> Response:
    form = await form_data(request)
    remote = [c for c in form.get("remote_sites", "").replace("，", ",").split(",") if c.strip()]
    reps = [u for u in form.get("representatives", "").replace("，", ",").split(",") if u.strip()]

    def run() -> str:
        with db.transaction() as s:
            ev = committee.evaluation_open(
                session=s, now=clock.now(), principal=p, section_id=section_id,
                host_site=form.get("host_site", ""), remote_sites=[c.strip() for c in remote],
                representatives=[u.strip() for u in reps],
            )  # fmt: skip
            return f"评标委员会已组建（评标编号 {ev.id}），系统已按专家所在地区安排场地和席位"

    return act_or_flash("/evaluations", run)


@router.get("/evaluations/{evaluation_id}")
def evaluation_page(
    evaluation_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.EVALUATION_READ)
) -> Response:
    with db.session(write=False) as s:
        v = selectors.view(s, p, evaluation_id)
    me = next((m for m in v["members"] if m["id"] == v["me"]), None)
    return render(request, "evaluation/detail.html", {"v": v, "mine": me})


def _member_form(db: Any, clock: Any, p: Principal, evaluation_id: int, fn: Any, msg: str, **kw: Any) -> Response:
    def run() -> str:
        with db.transaction() as s:
            fn(session=s, now=clock.now(), principal=p, evaluation_id=evaluation_id, **kw)
        return msg

    return act_or_flash(f"/evaluations/{evaluation_id}", run)


@router.post("/evaluations/{evaluation_id}/sign-in")
async def sign_in_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    code = (await form_data(request)).get("code", "")
    return _member_form(db, clock, p, evaluation_id, committee.sign_in, "签到成功", code=code)


@router.post("/evaluations/{evaluation_id}/chair")
async def chair_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    form = await form_data(request)
    member = int(form["member_id"]) if form.get("member_id", "").isdigit() else 0
    return _member_form(db, clock, p, evaluation_id, committee.chair_vote, "已推举", member_id=member)


@router.post("/evaluations/{evaluation_id}/review")
async def review_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    form = await form_data(request)
    findings = {
        int(k[5:]): (v == "1", form.get(f"reason_{k[5:]}", ""))
        for k, v in form.items()
        if k.startswith("pass_") and k[5:].isdigit()
    }
    return _member_form(db, clock, p, evaluation_id, review.review_vote, "审查意见已提交", findings=findings)


@router.post("/evaluations/{evaluation_id}/scores")
async def scores_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    form = await form_data(request)
    scores: dict[int, dict[str, str]] = {}
    for k, v in form.items():
        parts = k.split("_", 2)
        if len(parts) == 3 and parts[0] == "score" and parts[1].isdigit():
            scores.setdefault(int(parts[1]), {})[parts[2]] = v.strip()
    return _member_form(db, clock, p, evaluation_id, report.scores_submit, "评分已提交", scores=scores)


@router.post("/evaluations/{evaluation_id}/adjustments")
async def adjust_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    form = await form_data(request)
    bid = int(form["bid_id"]) if form.get("bid_id", "").isdigit() else 0
    return _member_form(
        db, clock, p, evaluation_id, review.adjust, "已记录评标价调整",
        bid_id=bid, amount=form.get("amount", ""), reason=form.get("reason", ""),
    )  # fmt: skip


@router.post("/evaluations/{evaluation_id}/clarifications")
async def clarify_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    form = await form_data(request)
    bid = int(form["bid_id"]) if form.get("bid_id", "").isdigit() else 0
    return _member_form(
        db,
        clock,
        p,
        evaluation_id,
        review.clarify_ask,
        "澄清要求已发给投标人",
        bid_id=bid,
        question=form.get("question", ""),
    )


@router.post("/evaluations/{evaluation_id}/report")
async def report_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    return _member_form(db, clock, p, evaluation_id, report.report_draw_up, "评标报告已生成，请各成员签署")


@router.post("/evaluations/{evaluation_id}/sign")
async def sign_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_MEMBER)
) -> Response:
    form = await form_data(request)
    return _member_form(
        db, clock, p, evaluation_id, report.report_sign, "已签署评标报告",
        pin=form.get("pin", ""), dissent=form.get("dissent", ""),
    )  # fmt: skip


@router.post("/evaluations/{evaluation_id}/ratings")
async def rate_page(
    evaluation_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.EVALUATION_RATE)
) -> Response:
    form = await form_data(request)
    expert = int(form["expert_id"]) if form.get("expert_id", "").isdigit() else 0
    score = int(form["score"]) if form.get("score", "").isdigit() else 0

    def run() -> str:
        with db.transaction() as s:
            after.rate(
                session=s, now=clock.now(), principal=p, evaluation_id=evaluation_id, expert_id=expert, score=score,
                comment=form.get("comment", ""), misconduct=form.get("misconduct") == "1",
            )  # fmt: skip
        return "已评价"

    return act_or_flash(f"/evaluations/{evaluation_id}", run)


@router.post("/tenders/{tender_id}/candidates/from-reports")
async def candidates_page(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    def run() -> str:
        with db.transaction() as s:
            after.candidates_from_reports(session=s, now=clock.now(), principal=p, tender_id=tender_id)
        return "已按评标报告公示中标候选人"

    return act_or_flash(f"/tenders/{tender_id}", run)


@router.get("/sites")
def sites_page(request: Request, db: DbDep, p: Principal = permit(Action.SITE_MANAGE)) -> Response:
    with db.session(write=False) as s:
        return render(request, "evaluation/sites.html", {"sites": sites.sites(s)})


@router.post("/sites")
async def site_create_page(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SITE_MANAGE)
) -> Response:
    form = await form_data(request)
    seats = int(form["seats"]) if form.get("seats", "").isdigit() else 0

    def run() -> str:
        with db.transaction() as s:
            x = sites.site_create(
                session=s, now=clock.now(), principal=p, branch_code=form.get("branch_code", ""),
                code=form.get("code", ""), name=form.get("name", ""), seats=seats,
            )  # fmt: skip
            return f"已登记评标场地 {x.name}"

    return act_or_flash("/sites", run)


@router.get("/sites/{site_id}/screen")
def site_screen_page(
    site_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SITE_MANAGE)
) -> Response:
    with db.session(write=False) as s:
        site, code = sites.site_screen(s, p, site_id, clock.now())
        return render(request, "evaluation/screen.html", {"site": site, "code": code})


@router.get("/clarifications")
def clarifications_page(request: Request, db: DbDep, p: Principal = permit(Action.BID_OWN)) -> Response:
    with db.session(write=False) as s:
        return render(request, "evaluation/clarifications.html", {"rows": selectors.clarifications_for(s, p)})


@router.post("/clarifications/{clarification_id}/answer")
async def clarify_answer_page(
    clarification_id: IdPath,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.EVALUATION_CLARIFY),
) -> Response:
    form = await form_data(request)

    def run() -> str:
        with db.transaction() as s:
            review.clarify_answer(
                session=s,
                now=clock.now(),
                principal=p,
                clarification_id=clarification_id,
                answer=form.get("answer", ""),
            )
        return "澄清已提交评标委员会"

    return act_or_flash("/clarifications", run)
