"""The evaluation's state machine, as data. Pure: no session, no HTTP.

Sign-in and the chair's election come first (评标委员会和评标方法暂行规定第九条: the chair is
elected by the members); the review decides which bids are scored (第二十条至第二十五条); the
members score independently; the report is signed by every member, a dissent recorded in it
(第四十三条). Each step opens when the previous one is complete, never by a status write.
"""

from __future__ import annotations

from dataclasses import dataclass

from ggzy.common.errors import Conflict
from ggzy.evaluation.enums import EvalStatus as S


@dataclass(frozen=True)
class Transition:
    sources: frozenset[S]
    target: S | None
    label: str


TRANSITIONS: dict[str, Transition] = {
    "sign_in": Transition(frozenset({S.SIGN_IN}), None, "签到"),
    "chair_vote": Transition(frozenset({S.SIGN_IN}), None, "推举负责人"),
    "review_start": Transition(frozenset({S.SIGN_IN}), S.REVIEW, "开始审查"),
    "review_vote": Transition(frozenset({S.REVIEW}), None, "审查投标"),
    "clarify_ask": Transition(frozenset({S.REVIEW, S.SCORING}), None, "要求澄清"),
    "clarify_answer": Transition(frozenset({S.REVIEW, S.SCORING}), None, "澄清"),
    "review_close": Transition(frozenset({S.REVIEW}), S.SCORING, "结束审查"),
    "adjust": Transition(frozenset({S.SCORING}), None, "调整评标价"),
    "score": Transition(frozenset({S.SCORING}), None, "评分"),
    "report_draw_up": Transition(frozenset({S.SCORING}), S.SIGNING, "生成评标报告"),
    "sign": Transition(frozenset({S.SIGNING}), None, "签署评标报告"),
    "report_complete": Transition(frozenset({S.SIGNING}), S.SIGNED, "评标报告签署完毕"),
}


def transition(action: str, status: S) -> S:
    t = TRANSITIONS[action]
    if status not in t.sources:
        allowed = "、".join(s.label for s in t.sources)
        raise Conflict(
            f"评标当前处于“{status.label}”阶段，不能{t.label}（仅限：{allowed}）",
            code="evaluation_wrong_stage",
            detail={"action": action, "status": status.value},
        )
    return t.target if t.target is not None else status
