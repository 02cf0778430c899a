"""After evaluation: candidate publicity, objections that pause the procedure, the signed award
notice and the contract record.

Legal basis: 招标投标法实施条例 Art. 54 (publish candidates within 3 days of the report, for at
least 3 days; objections during publicity, answered within 3 days, the procedure paused until
then); 招标投标法 Arts. 45-46 and 政府采购法 Art. 46 (award notice; contract within 30 days);
政府采购法 Arts. 52-53 (质疑 within 7 working days, answered within 7 working days). The periods
are dated rule rows (``tender_rule``), like the rest of the schedule.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.common import audit, chronograph, outbox
from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import format_local, local_date
from ggzy.common.crypto import canonical_json, sm3_hex
from ggzy.common.errors import Conflict, InvalidInput
from ggzy.common.money import format_yuan
from ggzy.common.signing import PlatformKey
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import OrgRole
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.rules import validate_uscc
from ggzy.identity.services import actor_of
from ggzy.tendering import rules, state
from ggzy.tendering.core import (
    answer_once,
    locked,
    publish_notice,
    rules_for,
    snapshot,
    tender_now,
    wall_time,
)
from ggzy.tendering.enums import NoticeKind, RuleKey, TenderStatus
from ggzy.tendering.models import Tender
from ggzy.tendering.models_award import AwardNotice, Candidate, Contract, Objection
from ggzy.tendering.participation import participating
from ggzy.tendering.schemas import CandidatesIn, ContractIn

PUBLICITY_EVENT = "tender.publicity_end"

# Checks a domain above this one registers (the evaluation registers that candidates match its
# signed report): each raises a DomainError to refuse the candidates.
CandidateCheck = Callable[[Session, Tender, CandidatesIn], None]
CANDIDATE_CHECKS: list[CandidateCheck] = []
VERIFY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from paper


def _rule(session: Session, t: Tender, now: datetime, key: RuleKey) -> rules.RuleRow:
    row = rules_for(session, t, now).get(key)
    if row is None:
        raise Conflict(f"规则表中没有“{key.label}”的规定，请交易中心补充", code="rule_missing")
    return row


def _record(
    session: Session,
    now: datetime,
    principal: Principal | None,
    t: Tender,
    action: str,
    before: dict[str, Any],
    detail: dict[str, Any] | None = None,
) -> None:
    actor = actor_of(principal) if principal is not None else audit.SYSTEM
    audit.record(
        session,
        now=now,
        actor=actor,
        action=action,
        object_type="tender",
        object_id=t.id,
        before=before,
        after=snapshot(t),
        detail=detail,
    )


def pending_objections(session: Session, tender_id: int) -> int:
    return session.scalar(select(func.count()).where(Objection.tender_id == tender_id, Objection.answer.is_(None))) or 0


def candidates_publish(
    *, session: Session, now: datetime, principal: Principal, tender_id: int, data: CandidatesIn
) -> Tender:
    t = locked(session, principal, tender_id, Action.TENDER_MANAGE)
    before = snapshot(t)
    target = state.transition("candidates_publish", TenderStatus(t.status))
    sections = {s.seq: s for s in t.sections}
    by_section: dict[int, list[int]] = {}
    rows = []
    for c in data.candidates:
        section = sections.get(c.section_seq)
        if section is None:
            raise InvalidInput(f"第 {c.section_seq} 标段（包）不存在", code="section_not_found")
        org = identity_selectors.org_by_credit_code(session, validate_uscc(c.credit_code))
        if org is None or OrgRole.BIDDER not in org.role_set:
            raise InvalidInput(f"候选人 {c.credit_code} 未登记为投标人/供应商", code="candidate_not_bidder")
        by_section.setdefault(c.section_seq, []).append(c.rank)
        rows.append(
            Candidate(tender_id=t.id, section_id=section.id, rank=c.rank, org_id=org.id, price=c.price, recorded_at=now)
        )
    for seq in sections:
        ranks = sorted(by_section.get(seq, []))
        if not ranks or ranks != list(range(1, len(ranks) + 1)):
            raise InvalidInput(f"第 {seq} 标段（包）的候选人排序须为 1 起连续且至少一名", code="candidate_ranks")
    for check in CANDIDATE_CHECKS:
        check(session, t, data)
    nominal = tender_now(t, now)
    # 实施条例 Art. 54: publish within 3 days of receiving the report; later is recorded, not refused.
    late = nominal > data.report_received_at + timedelta(days=3)
    row = _rule(session, t, now, RuleKey.PUBLICITY)
    t.publicity_ends_at = rules.period_end(nominal, row, WorkCalendar.load(session))
    session.add_all(rows)
    session.flush()
    codes = {s.id: f"{s.code} {s.name}" for s in t.sections}
    body = "\n".join(
        f"{codes[c.section_id]}：第{c.rank}名 {c.org.name}，投标报价 {format_yuan(c.price)}"
        for c in sorted(rows, key=lambda r: (r.section_id, r.rank))
    )
    publish_notice(
        session,
        now=now,
        t=t,
        kind=NoticeKind.CANDIDATES,
        title=f"{t.name}（中标候选人公示）",
        body=body + f"\n公示期至 {format_local(t.publicity_ends_at)}。对评标结果有异议的，应当在公示期间提出。",
        facts={"publicity_ends_at": t.publicity_ends_at.isoformat(), "basis": row.basis},
    )
    chronograph.schedule(session, kind=PUBLICITY_EVENT, object_id=t.id, due_at=wall_time(t, t.publicity_ends_at))
    t.status, t.updated_at = target.value, now
    _record(session, now, principal, t, "tender.candidates_publish", before, {"late_after_report": late})
    return t


def objection_raise(*, session: Session, now: datetime, principal: Principal, tender_id: int, body: str) -> Objection:
    t = participating(session, principal, tender_id, "objection_raise")
    assert t.publicity_ends_at is not None
    nominal = tender_now(t, now)
    if nominal >= t.publicity_ends_at:
        raise Conflict("公示期已满，不能再提出异议", code="publicity_over")
    due = rules.period_end(nominal, _rule(session, t, now, RuleKey.OBJECTION_ANSWER), WorkCalendar.load(session))
    o = Objection(tender_id=t.id, org_id=principal.org_id, body=body, raised_at=now, answer_due=due)
    session.add(o)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.objection_raise",
        object_type="tender",
        object_id=t.id,
        detail={"objection": o.id},
    )
    return o


def objection_answer(
    *, session: Session, now: datetime, principal: Principal, tender_id: int, objection_id: int, answer: str
) -> Objection:
    t, o = answer_once(
        session,
        now=now,
        principal=principal,
        tender_id=tender_id,
        model=Objection,
        row_id=objection_id,
        text=answer,
        action="objection_answer",
        what="异议",
        already="该异议已答复",
    )
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.objection_answer",
        object_type="tender",
        object_id=t.id,
        detail={"objection": o.id, "late": tender_now(t, now) > o.answer_due},
    )
    return o


def publicity_end(session: Session, now: datetime, tender_id: str) -> None:
    """The chronograph's handler when the publicity period is over."""
    t = locked(session, None, int(tender_id), None)
    before = snapshot(t)
    target = state.transition("publicity_end", TenderStatus(t.status))
    assert t.publicity_ends_at is not None
    if tender_now(t, now) < t.publicity_ends_at:
        raise Conflict("公示期未满", code="publicity_not_over")
    t.status, t.updated_at = target.value, now
    _record(session, now, None, t, "tender.publicity_end", before)


def new_verify_code() -> str:
    return "".join(secrets.choice(VERIFY_ALPHABET) for _ in range(16))


def award_facts(
    t: Tender, section_code: str, section_name: str, winner: Any, price: Any, issued_at: datetime, verify_code: str
) -> dict[str, Any]:
    return {
        "document": "中标（成交）通知书",
        "tender_code": t.code,
        "tender_name": t.name,
        "section_code": section_code,
        "section_name": section_name,
        "tenderer": t.tenderer.name,
        "tenderer_code": t.tenderer.credit_code,
        "winner": winner.name,
        "winner_code": winner.credit_code,
        "price": str(price),
        "issued_at": issued_at.isoformat(),
        "verify_code": verify_code,
    }


def award_issue(
    *, session: Session, now: datetime, principal: Principal, tender_id: int, key: PlatformKey
) -> list[AwardNotice]:
    t = locked(session, principal, tender_id, Action.TENDER_MANAGE)
    before = snapshot(t)
    target = state.transition("award_issue", TenderStatus(t.status))
    if pending_objections(session, t.id):
        raise Conflict("尚有未答复的异议，招标投标活动暂停（招标投标法实施条例第五十四条）", code="objection_pending")
    awards = []
    for s in t.sections:
        first = session.scalar(select(Candidate).where(Candidate.section_id == s.id, Candidate.rank == 1))
        if first is None:
            raise Conflict(f"{s.code} 没有第一中标候选人", code="no_candidate")
        code = new_verify_code()
        facts = award_facts(t, s.code, s.name, first.org, first.price, now, code)
        payload = canonical_json(facts)
        awards.append(
            AwardNotice(
                tender_id=t.id,
                section_id=s.id,
                winner_org_id=first.org_id,
                price=first.price,
                verify_code=code,
                issued_at=now,
                facts=facts,
                facts_digest=sm3_hex(payload),
                signature=key.sign(payload),
                public_key=key.public_hex,
            )
        )
    session.add_all(awards)
    body = "\n".join(
        f"{a.facts['section_code']} {a.facts['section_name']}：中标（成交）人 {a.facts['winner']}，"
        f"中标（成交）价 {format_yuan(a.price)}"
        for a in awards
    )
    publish_notice(
        session,
        now=now,
        t=t,
        kind=NoticeKind.RESULT,
        title=f"{t.name}（中标（成交）结果公告）",
        body=body,
        facts={"awards": [a.verify_code for a in awards]},
    )
    t.status, t.updated_at = target.value, now
    _record(session, now, principal, t, "tender.award_issue", before, {"awards": [a.verify_code for a in awards]})
    return awards


def contract_record(
    *, session: Session, now: datetime, principal: Principal, tender_id: int, data: ContractIn
) -> tuple[Contract, str]:
    """Record a signed contract; returns it with a warning when signed later than the law allows."""
    t = locked(session, principal, tender_id, Action.TENDER_MANAGE)
    before = snapshot(t)
    state.transition("contract_record", TenderStatus(t.status))
    section = next((s for s in t.sections if s.seq == data.section_seq), None)
    if section is None:
        raise InvalidInput(f"第 {data.section_seq} 标段（包）不存在", code="section_not_found")
    award = session.scalar(select(AwardNotice).where(AwardNotice.section_id == section.id))
    if award is None:
        raise Conflict("该标段（包）尚未发出中标（成交）通知书", code="no_award")
    if session.scalar(select(Contract.id).where(Contract.section_id == section.id)) is not None:
        raise Conflict("该标段（包）的合同已登记", code="contract_exists")
    issued = local_date(award.issued_at)
    if data.signed_on < issued:
        raise InvalidInput("合同签订日期不能早于中标（成交）通知书发出日期", code="contract_before_award")
    if data.signed_on > local_date(now):
        raise InvalidInput("合同签订日期不能晚于今天", code="contract_in_future")
    row = _rule(session, t, now, RuleKey.CONTRACT_WITHIN)
    limit: date = issued + timedelta(days=row.amount)
    late = data.signed_on > limit
    warning = f"合同签订日期晚于法定期限（{row.describe()}，应不晚于 {limit:%Y-%m-%d}）" if late else ""
    c = Contract(
        tender_id=t.id,
        section_id=section.id,
        award_id=award.id,
        signed_on=data.signed_on,
        amount=data.amount,
        term=data.term,
        recorded_at=now,
        late=late,
    )
    session.add(c)
    session.flush()
    # The contract's facts are public (政府采购法实施条例第五十条: contracts published; the same for
    # construction on this platform).
    outbox.emit(
        session, now=now, kind="contract.recorded", object_type="contract", object_id=c.id,
        data={
            "tender": t.code, "tender_id": t.id, "section": section.code, "signed_on": data.signed_on.isoformat(),
            "amount": str(data.amount), "supplier": award.winner.name,
        },
    )  # fmt: skip
    done = session.scalar(select(func.count()).where(Contract.tender_id == t.id)) or 0
    if done == len(t.sections):
        t.status = state.transition("contracts_complete", TenderStatus(t.status)).value
    t.updated_at = now
    _record(
        session,
        now,
        principal,
        t,
        "tender.contract_record",
        before,
        {"section": section.code, "late": late, "signed_on": data.signed_on.isoformat()},
    )
    return c, warning
