"""The tender's state machine, as data. Pure: no session, no HTTP.

Dated events (``DATED_EVENTS``) are what the chronograph applies when a deadline passes; every
action also checks the clock itself, so a late action is refused even if the runner is behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from ggzy.common.errors import Conflict
from ggzy.tendering.enums import TenderStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[S]
    target: S | None  # None: the status stays (a notice or a record is added)
    label: str


OPEN_FOR_CHANGE = frozenset({S.DRAFT, S.RETURNED})
LIVE = frozenset({S.DRAFT, S.RETURNED, S.PENDING_REVIEW, S.BIDDING, S.CLOSED, S.OPENED, S.PUBLICITY, S.PUBLICITY_ENDED})

TRANSITIONS: dict[str, Transition] = {
    "tender_edit": Transition(OPEN_FOR_CHANGE, None, "修改"),
    "tender_submit": Transition(OPEN_FOR_CHANGE, S.PENDING_REVIEW, "提交审核"),
    "tender_return": Transition(frozenset({S.PENDING_REVIEW}), S.RETURNED, "退回"),
    "tender_publish": Transition(frozenset({S.PENDING_REVIEW}), S.BIDDING, "审核通过并发布"),
    "tender_clarify": Transition(frozenset({S.BIDDING}), None, "澄清或变更"),
    "tender_close": Transition(frozenset({S.BIDDING}), S.CLOSED, "截标"),
    # Set by the opening once every section's opening is over (ggzy.bidding.opening).
    "tender_opened": Transition(frozenset({S.CLOSED}), S.OPENED, "开标结束"),
    "tender_fail": Transition(frozenset({S.CLOSED, S.OPENED}), S.FAILED, "流标"),
    "tender_terminate": Transition(LIVE, S.TERMINATED, "终止"),
    "tender_retender": Transition(frozenset({S.FAILED}), S.RETENDERED, "重新招标"),
    "document_obtain": Transition(frozenset({S.BIDDING}), None, "获取招标文件"),
    "question_ask": Transition(frozenset({S.BIDDING}), None, "提问"),
    "question_answer": Transition(frozenset({S.BIDDING}), None, "答复"),
    # After evaluation: the candidates come from the signed evaluation reports (ggzy.evaluation.after
    # checks a hand-entered list against them).
    "candidates_publish": Transition(frozenset({S.OPENED}), S.PUBLICITY, "公示中标候选人"),
    "objection_raise": Transition(frozenset({S.PUBLICITY}), None, "提出异议"),
    "objection_answer": Transition(frozenset({S.PUBLICITY, S.PUBLICITY_ENDED}), None, "答复异议"),
    "publicity_end": Transition(frozenset({S.PUBLICITY}), S.PUBLICITY_ENDED, "公示期满"),
    "award_issue": Transition(frozenset({S.PUBLICITY_ENDED}), S.AWARDED, "发出中标（成交）通知书"),
    "contract_record": Transition(frozenset({S.AWARDED}), None, "登记合同"),
    "contracts_complete": Transition(frozenset({S.AWARDED}), S.CONTRACTED, "全部合同已登记"),
}

# The deadline that triggers each dated event, by the tender field that holds it.
DATED_EVENTS: dict[str, tuple[str, str]] = {
    "tender.deadline": ("bid_deadline", "tender_close"),
    # On the section (tender_section.bid_deadline): its opening starts; the tender keeps bidding.
    "section.deadline": ("bid_deadline", "section_opening_start"),
    "tender.publicity_end": ("publicity_ends_at", "publicity_end"),
}


def transition(action: str, status: S) -> S:
    t = TRANSITIONS[action]
    if status not in t.sources:
        allowed = "、".join(s.label for s in sorted(t.sources))
        raise Conflict(
            f"招标项目当前状态为“{status.label}”，不能{t.label}（仅限：{allowed}）",
            code="invalid_transition",
            detail={"action": action, "status": status.value},
        )
    return t.target if t.target is not None else status


def available(status: S) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]
