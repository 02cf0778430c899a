"""The review (资格审查 / 符合性审查) and clarifications.

Each member finds each opened bid compliant or not, giving a reason for a rejection
(评标委员会和评标方法暂行规定第二十条至第二十五条; 财政部令87号第五十条). When every member has
reviewed every bid the committee's finding is the majority's (少数服从多数: the practice trading
centres apply to joint findings; the national texts are not explicit, so this is local practice),
and a bid is rejected with the reasons of the members who rejected it. A tie keeps the bid:
rejection needs a majority.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding.enums import BidStatus, Outcome
from ggzy.bidding.models import Bid
from ggzy.common import audit
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ggzy.evaluation import state
from ggzy.evaluation.committee import chair_of, member_of, members_of, record
from ggzy.evaluation.enums import EvalStatus
from ggzy.evaluation.models import Clarification, Evaluation, Member, ReviewVote
from ggzy.identity.permissions import Principal
from ggzy.identity.services import actor_of

REASON_MAX = 500


def opened_bids(session: Session, section_id: int) -> list[Bid]:
    """The bids the committee evaluates: accepted at the deadline and opened (decrypted)."""
    return list(
        session.scalars(
            select(Bid)
            .where(
                Bid.section_id == section_id,
                Bid.status == BidStatus.ACCEPTED.value,
                Bid.outcome == Outcome.OPENED.value,
            )
            .order_by(Bid.seq)
        )
    )


def _signed_in(m: Member) -> None:
    if m.signed_in_at is None:
        raise Conflict("请先在评标场地签到", code="sign_in_first")


def review_vote(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    evaluation_id: int,
    findings: Mapping[int, tuple[bool, str]],
) -> Evaluation:
    """A member's findings on every bid at once (bid id -> (passed, reason)); final once given."""
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("review_vote", EvalStatus(ev.status))
    _signed_in(m)
    if m.review_done_at is not None:
        raise Conflict("您已提交审查意见", code="review_already_submitted")
    bids = {b.id for b in opened_bids(session, ev.section_id)}
    if set(findings) != bids:
        raise InvalidInput(
            f"请对全部 {len(bids)} 份投标文件给出审查意见", code="review_incomplete", detail={"bids": sorted(bids)}
        )
    for bid_id, (passed, reason) in findings.items():
        reason = reason.strip()
        if not passed and not reason:
            raise InvalidInput("不通过审查的投标须写明理由", code="reason_required", detail={"bid": bid_id})
        if len(reason) > REASON_MAX:
            raise InvalidInput(f"理由不超过 {REASON_MAX} 字", code="reason_too_long")
        session.add(
            ReviewVote(evaluation_id=ev.id, member_id=m.id, bid_id=bid_id, passed=passed, reason=reason, made_at=now)
        )
    m.review_done_at = now
    session.flush()
    record(session, now, principal, ev, "review", member=m.id)
    if all(x.review_done_at for x in members_of(session, ev.id)):
        _review_close(session, now, ev)
    return ev


def _review_close(session: Session, now: datetime, ev: Evaluation) -> None:
    votes = list(session.scalars(select(ReviewVote).where(ReviewVote.evaluation_id == ev.id)))
    decided: dict[str, dict[str, object]] = {}
    for bid in opened_bids(session, ev.section_id):
        mine = [v for v in votes if v.bid_id == bid.id]
        fails = [v for v in mine if not v.passed]
        valid = len(fails) * 2 <= len(mine)
        decided[str(bid.id)] = {
            "valid": valid,
            "passes": len(mine) - len(fails),
            "fails": len(fails),
            "reasons": [] if valid else sorted({v.reason for v in fails}),
        }
    ev.review = decided
    ev.status = state.transition("review_close", EvalStatus(ev.status)).value
    record(session, now, None, ev, "review_close", rejected=[k for k, v in decided.items() if not v["valid"]])


def clarify_ask(
    *, session: Session, now: datetime, principal: Principal, evaluation_id: int, bid_id: int, question: str
) -> Clarification:
    """招标投标法第三十九条: the committee may ask a bidder to clarify an obscure point in writing; the
    answer may not go beyond the bid or change its substance. The chair asks for the committee."""
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("clarify_ask", EvalStatus(ev.status))
    _signed_in(m)
    if not m.is_chair:
        raise PermissionDenied("由评标委员会负责人代表委员会提出澄清要求", code="chair_only")
    if bid_id not in {b.id for b in opened_bids(session, ev.section_id)}:
        raise NotFound("本标段没有该投标文件", code="bid_not_found")
    question = question.strip()
    if not question or len(question) > 2000:
        raise InvalidInput("请写明需要澄清的问题（不超过 2000 字）", code="question_invalid")
    c = Clarification(evaluation_id=ev.id, bid_id=bid_id, question=question, asked_by=m.id, asked_at=now)
    session.add(c)
    session.flush()
    record(session, now, principal, ev, "clarify_ask", clarification=c.id)
    return c


def clarify_answer(
    *, session: Session, now: datetime, principal: Principal, clarification_id: int, answer: str
) -> Clarification:
    c = session.get(Clarification, clarification_id, with_for_update=True)
    bid = session.get(Bid, c.bid_id) if c is not None else None
    if c is None or bid is None or bid.bidder_org_id != principal.org_id:
        raise NotFound("没有给贵单位的澄清要求", code="clarification_not_found")
    ev = session.get(Evaluation, c.evaluation_id)
    assert ev is not None
    state.transition("clarify_answer", EvalStatus(ev.status))
    if c.answer is not None:
        raise Conflict("已答复过该澄清要求", code="already_answered")
    answer = answer.strip()
    if not answer or len(answer) > 5000:
        raise InvalidInput("请填写澄清内容（不超过 5000 字）", code="answer_invalid")
    c.answer, c.answered_at = answer, now
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="evaluation.clarify_answer",
        object_type="evaluation",
        object_id=ev.id,
        after={"clarification": c.id},
    )
    return c


def adjust(
    *, session: Session, now: datetime, principal: Principal, evaluation_id: int, bid_id: int, amount: str, reason: str
) -> Evaluation:
    """Lowest-price methods: the committee quantifies deviations as a price adjustment per the
    documents (评标委员会和评标方法暂行规定第三十条至第三十一条); the chair records it with a reason."""
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("adjust", EvalStatus(ev.status))
    if not m.is_chair:
        raise PermissionDenied("由评标委员会负责人记录委员会的价格调整", code="chair_only")
    if ev.method not in ("lowest_evaluated_price", "gp_lowest_price"):
        raise Conflict("只有最低评标价类方法才调整评标价", code="adjust_not_applicable")
    if not (ev.review.get(str(bid_id)) or {}).get("valid"):
        raise NotFound("该投标未通过审查或不存在", code="bid_not_found")
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise InvalidInput("调整金额应为数字（元）", code="amount_invalid") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) > Decimal("1e13"):
        raise InvalidInput("调整金额应为至多两位小数的金额（元）", code="amount_invalid")
    # Construction adds quantified deviations (never lowers a price); government procurement only
    # deducts (the policy price deduction, 财政部令87号第五十四条).
    if ev.method == "lowest_evaluated_price" and value < 0:
        raise InvalidInput("经评审的最低投标价法只能调增评标价（偏差折价）", code="amount_invalid")
    if ev.method == "gp_lowest_price" and value > 0:
        raise InvalidInput("最低评标价法只能按规定扣除价格（调整金额应为负数或 0）", code="amount_invalid")
    if not reason.strip():
        raise InvalidInput("请写明调整的理由和依据", code="reason_required")
    ev.adjustments = {**ev.adjustments, str(bid_id): {"amount": str(value), "reason": reason.strip()[:REASON_MAX]}}
    record(session, now, principal, ev, "adjust", bid=bid_id, amount=str(value))
    return ev


def chair(session: Session, ev: Evaluation) -> Member | None:
    return chair_of(members_of(session, ev.id))
