"""The opening's state machine, as data. Pure: no session, no HTTP.

``opening_start`` happens at the bid deadline (the chronograph's ``tender.deadline`` event, or the
first action after it); ``window_close`` when the decryption window ends (its own dated event, or
the operator once every bid is decrypted). Every action checks the clock itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from ggzy.bidding.enums import OpeningStatus as S
from ggzy.common.errors import Conflict


@dataclass(frozen=True)
class Transition:
    sources: frozenset[S]
    target: S | None
    label: str


TRANSITIONS: dict[str, Transition] = {
    "key_submit": Transition(frozenset({S.DECRYPTING}), None, "提交解密密钥"),
    "share_handin": Transition(frozenset({S.DECRYPTING, S.REVIEW}), None, "提交备用解密份额"),
    "window_close": Transition(frozenset({S.DECRYPTING}), S.REVIEW, "结束解密"),
    "backup_apply": Transition(frozenset({S.REVIEW}), None, "执行备用解密"),
    "entry_classify": Transition(frozenset({S.REVIEW}), None, "认定解密失败原因"),
    "record_confirm": Transition(frozenset({S.REVIEW}), None, "确认开标记录"),
    "record_object": Transition(frozenset({S.REVIEW}), None, "对开标提出异议"),
    "objection_answer": Transition(frozenset({S.REVIEW}), None, "答复开标异议"),
    "record_publish": Transition(frozenset({S.REVIEW}), S.PUBLISHED, "公布开标记录"),
}

WINDOW_EVENT = "opening.window_end"


def transition(action: str, status: S) -> S:
    t = TRANSITIONS[action]
    if status not in t.sources:
        allowed = "、".join(s.label for s in sorted(t.sources))
        raise Conflict(
            f"开标当前状态为“{status.label}”，不能{t.label}（仅限：{allowed}）",
            code="invalid_transition",
            detail={"action": action, "status": status.value},
        )
    return t.target if t.target is not None else status


def available(status: S) -> list[str]:
    return [name for name, t in TRANSITIONS.items() if status in t.sources]
