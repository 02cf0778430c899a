"""After the report: its candidates go to the tender's publicity unchanged, the tenderer and the
centre rate each expert, fees are stated per expert, and the committee and the draw become public
with the result notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.clock import local_date
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ggzy.evaluation import rules
from ggzy.evaluation.enums import EvalStatus
from ggzy.evaluation.models import Evaluation, Fee, Member, Rating
from ggzy.experts.enums import ExpertStatus
from ggzy.experts.extraction import publication
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.enums import Role
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.services import actor_of
from ggzy.tendering import award
from ggzy.tendering.enums import NoticeKind
from ggzy.tendering.models import Notice, Tender
from ggzy.tendering.schemas import CandidateIn, CandidatesIn


def evaluations_of(session: Session, tender_id: int) -> dict[int, Evaluation]:
    return {e.section_id: e for e in session.scalars(select(Evaluation).where(Evaluation.tender_id == tender_id))}


def report_candidates(t: Tender, evs: dict[int, Evaluation]) -> CandidatesIn:
    rows = []
    for s in t.sections:
        ev = evs.get(s.id)
        if ev is None or ev.status != EvalStatus.SIGNED.value or ev.report is None:
            raise Conflict(f"第 {s.seq} 标段（包）的评标报告尚未签署完毕", code="report_not_signed")
        for c in ev.report["candidates"]:
            rows.append(
                CandidateIn(section_seq=s.seq, rank=c["rank"], credit_code=c["credit_code"], price=Decimal(c["price"]))
            )
    if not rows:
        raise Conflict("评标报告没有推荐中标候选人（全部投标被否决），请依法重新招标", code="no_candidates")
    received = max(ev.finished_at for ev in evs.values() if ev.finished_at is not None)
    return CandidatesIn(report_received_at=received, candidates=rows)


def _matches_report(session: Session, t: Tender, data: CandidatesIn) -> None:
    """Registered in the tender's candidate checks: where a section was evaluated online, the
    candidates are exactly the signed report's (实施条例第五十四条: the candidates the committee
    recommended), in its order and at its prices."""
    evs = evaluations_of(session, t.id)
    for s in t.sections:
        ev = evs.get(s.id)
        if ev is None:
            continue
        if ev.status != EvalStatus.SIGNED.value or ev.report is None:
            raise Conflict(f"第 {s.seq} 标段（包）的评标报告尚未签署完毕", code="report_not_signed")
        want = [(c["rank"], c["credit_code"], Decimal(c["price"])) for c in ev.report["candidates"]]
        got = sorted(
            (c.rank, c.credit_code.strip().upper(), c.price) for c in data.candidates if c.section_seq == s.seq
        )
        if got != want:
            raise Conflict(f"第 {s.seq} 标段（包）的候选人须与签署的评标报告一致", code="candidates_differ_from_report")


award.CANDIDATE_CHECKS.append(_matches_report)


def candidates_from_reports(*, session: Session, now: datetime, principal: Principal, tender_id: int) -> Tender:
    t = session.get(Tender, tender_id)
    if t is None:
        raise NotFound(f"招标项目 {tender_id} 不存在", code="tender_not_found")
    data = report_candidates(t, evaluations_of(session, tender_id))
    return award.candidates_publish(session=session, now=now, principal=principal, tender_id=tender_id, data=data)


def result_public(session: Session, tender_id: int) -> bool:
    """Names of the committee are public once the result notice is (issue 5: sealed from the
    public until the result notice)."""
    return (
        session.scalar(
            select(func.count()).where(Notice.tender_id == tender_id, Notice.kind == NoticeKind.RESULT.value)
        )
        or 0
    ) > 0


def public_committee(session: Session, ev: Evaluation) -> dict[str, Any] | None:
    if not result_public(session, ev.tender_id) or ev.report is None:
        return None
    x = session.get(Extraction, ev.extraction_id)
    assert x is not None
    return {
        "committee": [{"name": c["name"], "kind": c["kind"], "chair": c["chair"]} for c in ev.report["committee"]],
        "draw": publication(x),
    }


# --- ratings -------------------------------------------------------------------------------------


def rate(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    evaluation_id: int,
    expert_id: int,
    score: int,
    comment: str = "",
    misconduct: bool = False,
) -> Rating:
    """The tenderer (or its agency) and the centre each rate each expert once. Repeated poor
    ratings within twelve months suspend the expert (评标专家和评标专家库管理办法: dynamic
    assessment; the thresholds are local practice in ``rules``)."""
    ev = session.get(Evaluation, evaluation_id)
    t = session.get(Tender, ev.tender_id) if ev is not None else None
    if ev is None or t is None:
        raise NotFound("评标不存在", code="evaluation_not_found")
    if not allows_object(principal, Action.EVALUATION_RATE, t):
        raise PermissionDenied("该评标不在您的办理范围内", code="out_of_scope")
    if ev.status != EvalStatus.SIGNED.value:
        raise Conflict("评标结束后才能评价专家", code="evaluation_not_finished")
    if not session.scalar(select(Member.id).where(Member.evaluation_id == ev.id, Member.expert_id == expert_id)):
        raise NotFound("该专家不是本评标委员会成员", code="expert_not_member")
    if not 1 <= score <= 5:
        raise InvalidInput("评分为 1（差）至 5（优）", code="rating_invalid")
    if misconduct and not comment.strip():
        raise InvalidInput("记录违规行为须写明事实", code="reason_required")
    kind = "centre" if principal.role is Role.OPERATOR else "tenderer"
    if session.scalar(
        select(Rating.id).where(Rating.evaluation_id == ev.id, Rating.expert_id == expert_id, Rating.rater_kind == kind)
    ):
        raise Conflict("已评价过该专家", code="already_rated")
    r = Rating(
        evaluation_id=ev.id,
        expert_id=expert_id,
        rater_kind=kind,
        rater_user_id=principal.user_id or 0,
        score=score,
        comment=comment.strip()[:1000],
        misconduct=misconduct,
        made_at=now,
    )
    session.add(r)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="evaluation.rate",
        object_type="expert",
        object_id=expert_id,
        after={"evaluation": ev.id, "score": score, "misconduct": misconduct},
    )
    _assess(session, now, principal, expert_id, misconduct)
    return r


def _assess(session: Session, now: datetime, principal: Principal, expert_id: int, misconduct: bool) -> None:
    poor = (
        session.scalar(
            # One poor evaluation counts once, however many raters judged it poor.
            select(func.count(func.distinct(Rating.evaluation_id))).where(
                Rating.expert_id == expert_id,
                Rating.score <= rules.POOR_RATING,
                Rating.made_at >= now - timedelta(days=365),
            )
        )
        or 0
    )
    if not misconduct and poor < rules.POOR_RATINGS_TO_SUSPEND:
        return
    e = session.get(Expert, expert_id, with_for_update=True)
    assert e is not None
    if e.status != ExpertStatus.ACTIVE.value:
        return
    # Misconduct or repeated poor work suspends at once; the blacklist stays the regulator's decision.
    reason = "评标中有违规行为，待行政监督部门处理" if misconduct else f"12 个月内 {poor} 次评价为差（按评标计）"
    e.status, e.status_reason = ExpertStatus.SUSPENDED.value, reason
    e.status_until = local_date(now) + timedelta(days=rules.SUSPEND_DAYS)
    audit.record(
        session,
        now=now,
        actor=audit.SYSTEM,
        action="expert.suspended",
        object_type="expert",
        object_id=e.id,
        after={"status": e.status, "reason": reason, "until": e.status_until.isoformat()},
    )


def fee_statement(session: Session, expert_id: int) -> dict[str, Any]:
    fees = list(session.scalars(select(Fee).where(Fee.expert_id == expert_id).order_by(Fee.computed_at)))
    return {
        "items": [
            {
                "evaluation": f.evaluation_id,
                "hours": str(f.hours),
                "amount": str(f.amount),
                "basis": f.basis,
                "date": f.computed_at.isoformat(),
            }
            for f in fees
        ],
        "total": str(sum((f.amount for f in fees), Decimal(0))),
    }
