"""Operators keep the statutory rule table current by adding rows, never by editing them: a row
that takes effect later supersedes the older one for procedures published from that day, and
procedures already published keep the rules they started under."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.audit import Actor
from ggzy.common.clock import local_date
from ggzy.common.errors import Conflict, InvalidInput
from ggzy.tendering.enums import PeriodUnit, RuleKey
from ggzy.tendering.models import TenderRule
from ggzy.tendering.schemas import RuleRowIn


def rule_row_add(*, session: Session, now: datetime, actor: Actor, data: RuleRowIn) -> TenderRule:
    if data.effective_from <= local_date(now):
        raise InvalidInput("新规则须从明天或以后生效；已发布的项目继续适用发布时的规则", code="effective_not_future")
    if (data.key is RuleKey.MIN_BIDDERS) != (data.unit is PeriodUnit.COUNT):
        raise InvalidInput("“最少投标人数”以家计，其余规则以日或工作日计", code="rule_unit")
    exists = session.scalar(
        select(TenderRule.id).where(
            TenderRule.method == data.method.value,
            TenderRule.key == data.key.value,
            TenderRule.effective_from == data.effective_from,
        )
    )
    if exists is not None:
        raise Conflict("同一方式、同一规则在该日期已有一行", code="rule_exists")
    row = TenderRule(
        method=data.method.value,
        key=data.key.value,
        amount=data.amount,
        unit=data.unit.value,
        basis=data.basis,
        effective_from=data.effective_from,
        verified=data.verified,
        note=data.note,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action="tender_rule.add",
        object_type="tender_rule",
        object_id=row.id,
        after=data.model_dump(mode="json"),
    )
    return row


def rule_rows_all(session: Session) -> list[TenderRule]:
    return list(
        session.scalars(select(TenderRule).order_by(TenderRule.method, TenderRule.key, TenderRule.effective_from))
    )
