"""The registration state machine, as data. Pure: no session, no HTTP.

A status changes only through one of the named actions below, each carried out by the service
of the same name (``project_submit`` ...), which checks ``transition`` first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ggzy.common.errors import Conflict
from ggzy.registration.enums import ProjectStatus as S
from ggzy.registration.enums import Route


@dataclass(frozen=True)
class Facts:
    """What the guards look at."""

    status: S
    route: Route
    emergency_signed: bool
    fast_track: bool = False


@dataclass(frozen=True)
class Transition:
    sources: frozenset[S]
    target: S | None  # None: the status does not change (a flag is set)
    guard: Callable[[Facts], str | None] = lambda f: None  # returns why not, or None
    label: str = ""


def _normal_only(f: Facts) -> str | None:
    return "应急直接发包项目须经行政监督部门签批后以直接发包方式受理" if f.route is Route.EMERGENCY_DIRECT else None


def _fast_trackable(f: Facts) -> str | None:
    return _normal_only(f) or ("已标记为快速交易" if f.fast_track else None)


def _signed_emergency(f: Facts) -> str | None:
    if f.route is not Route.EMERGENCY_DIRECT:
        return "只有应急项目可以直接发包"
    return None if f.emergency_signed else "应急直接发包须先经行政监督部门签批（招标投标法第六十六条）"


def _unsigned_emergency(f: Facts) -> str | None:
    if f.route is not Route.EMERGENCY_DIRECT:
        return "该项目不是应急直接发包项目"
    return "已签批" if f.emergency_signed else None


TRANSITIONS: dict[str, Transition] = {
    "project_submit": Transition(frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, label="提交进场登记"),
    "project_withdraw": Transition(frozenset({S.DRAFT, S.RETURNED, S.SUBMITTED}), S.WITHDRAWN, label="撤回"),
    "project_return": Transition(frozenset({S.SUBMITTED}), S.RETURNED, label="退回"),
    "project_accept": Transition(frozenset({S.SUBMITTED}), S.ACCEPTED, _normal_only, "受理进场"),
    "project_accept_direct_award": Transition(
        frozenset({S.SUBMITTED}), S.DIRECT_AWARDED, _signed_emergency, "受理应急直接发包"
    ),
    "project_emergency_signoff": Transition(frozenset({S.SUBMITTED}), None, _unsigned_emergency, "签批应急直接发包"),
    "project_emergency_reject": Transition(frozenset({S.SUBMITTED}), S.RETURNED, _unsigned_emergency, "不予签批"),
    "project_edit": Transition(frozenset({S.DRAFT, S.RETURNED}), None, label="修改"),
    "project_fast_track": Transition(frozenset({S.SUBMITTED, S.ACCEPTED}), None, _fast_trackable, "标记快速交易"),
}


def transition(action: str, facts: Facts) -> S:
    """The status after ``action``, or ``Conflict`` naming why it is not allowed now."""
    t = TRANSITIONS[action]
    if facts.status not in t.sources:
        allowed = "、".join(s.label for s in sorted(t.sources))
        raise Conflict(
            f"项目当前状态为“{facts.status.label}”，不能{t.label}（仅限：{allowed}）",
            code="invalid_transition",
            detail={"action": action, "status": facts.status.value},
        )
    why = t.guard(facts)
    if why:
        raise Conflict(why, code="guard_failed", detail={"action": action})
    return t.target if t.target is not None else facts.status


def available_actions(facts: Facts) -> list[str]:
    out = []
    for name, t in TRANSITIONS.items():
        if facts.status in t.sources and t.guard(facts) is None:
            out.append(name)
    return out
