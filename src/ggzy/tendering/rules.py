"""Statutory minimums as dated data, and the pure checks over a tender's schedule.

Each row (table ``tender_rule``; the initial rows, with their legal basis, are in migration
0002) names its legal basis and the day it took effect; a procedure runs under the rows in force
on the day it is published. Rows marked unverified were not confirmed against the text of the
regulation (../shared/reference/regulations.md lists which are confirmed); they are ordinary rows
an operator may supersede with a newer one.

Period arithmetic, chosen so that "one second short is refused, exactly on time is accepted":
- calendar days: the end is the start plus N x 24 hours;
- working days: the same Asia/Shanghai time of day on the N-th working day after the start's
  local date (holidays and make-up working days from ``common.calendar``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import SHANGHAI, ensure_aware, format_local, to_local
from ggzy.common.errors import RuleViolation
from ggzy.tendering.enums import Method, PeriodUnit, RuleKey


@dataclass(frozen=True)
class RuleRow:
    method: Method
    key: RuleKey
    amount: int
    unit: PeriodUnit
    basis: str
    effective_from: date
    verified: bool = True

    def describe(self) -> str:
        flag = "" if self.verified else "（未经核实，可配置）"
        return f"{self.key.label}不少于 {self.amount} {self.unit.label}（{self.basis}{flag}）"


def in_force(rows: list[RuleRow], method: Method, on: date) -> dict[RuleKey, RuleRow]:
    """For each key, the newest row of this method that had taken effect on ``on``."""
    out: dict[RuleKey, RuleRow] = {}
    for row in rows:
        if row.method is method and row.effective_from <= on:
            best = out.get(row.key)
            if best is None or row.effective_from > best.effective_from:
                out[row.key] = row
    return out


def period_end(start: datetime, row: RuleRow, cal: WorkCalendar) -> datetime:
    """The earliest instant that satisfies ``row`` for a period starting at ``start``."""
    start = ensure_aware(start)
    if row.unit is PeriodUnit.DAYS:
        return start + timedelta(days=row.amount)
    if row.unit is PeriodUnit.WORKING_DAYS:
        local = to_local(start)
        day = cal.add_workdays(local.date(), row.amount)
        return datetime.combine(day, time(local.hour, local.minute, local.second, local.microsecond), tzinfo=SHANGHAI)
    raise ValueError(f"{row.key} is not a period")


@dataclass(frozen=True)
class Schedule:
    docs_start: datetime
    docs_end: datetime
    question_deadline: datetime
    bid_deadline: datetime


def _violation(row: RuleRow, earliest: datetime, what: str) -> RuleViolation:
    return RuleViolation(
        f"{what}不符合规定：{row.describe()}；最早可定为 {format_local(earliest, '%Y-%m-%d %H:%M:%S')}",
        code="schedule_too_short",
        detail={
            "rule": row.key.value,
            "basis": row.basis,
            "minimum": row.amount,
            "unit": row.unit.value,
            "verified": row.verified,
            "earliest": earliest.isoformat(),
        },
    )


def check_schedule(schedule: Schedule, rules: dict[RuleKey, RuleRow], cal: WorkCalendar) -> None:
    """Refuse a schedule that breaks an order of events or a statutory minimum, naming the rule."""
    s = schedule
    if not (s.docs_start < s.docs_end <= s.bid_deadline):
        raise RuleViolation("时间顺序不正确：应为 文件发出开始 < 文件发出截止 ≤ 投标截止", code="schedule_order")
    if not (s.docs_start < s.question_deadline <= s.bid_deadline):
        raise RuleViolation("时间顺序不正确：提问截止应在文件发出之后、投标截止之前", code="schedule_order")
    for key, what, end in (
        (RuleKey.DOCS_TO_DEADLINE, "投标截止时间", s.bid_deadline),
        (RuleKey.DOC_SALE, "文件发出截止时间", s.docs_end),
    ):
        row = rules.get(key)
        if row is not None:
            earliest = period_end(s.docs_start, row, cal)
            if end < earliest:
                raise _violation(row, earliest, what)


def earliest_schedule(docs_start: datetime, rules: dict[RuleKey, RuleRow], cal: WorkCalendar) -> dict[str, datetime]:
    """What the form shows: the earliest lawful docs_end and bid_deadline. The deadline can be no
    earlier than the end of the sale period either (documents are issued until the deadline)."""
    out = {}
    for key, name in ((RuleKey.DOCS_TO_DEADLINE, "bid_deadline"), (RuleKey.DOC_SALE, "docs_end")):
        row = rules.get(key)
        if row is not None:
            out[name] = period_end(docs_start, row, cal)
    if "docs_end" in out:
        out["bid_deadline"] = max(out.get("bid_deadline", out["docs_end"]), out["docs_end"])
    return out


def clarification_deadline(
    now: datetime, deadline: datetime, rules: dict[RuleKey, RuleRow], cal: WorkCalendar
) -> datetime | None:
    """A clarification that changes bid content must come at least the lead time before the
    deadline (招标投标法 Art. 23). Returns the earliest lawful new deadline when the current
    one is too close, or None when it may stay."""
    row = rules.get(RuleKey.CLARIFICATION_LEAD)
    if row is None:
        return None
    earliest = period_end(now, row, cal)
    return earliest if deadline < earliest else None
