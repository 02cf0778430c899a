"""Confirmations of, and objections to, the opening record, made on the spot.

招标投标法实施条例第四十四条: a bidder's objection to the opening is raised at the opening and the
tenderer answers it there, and it is recorded. Here that is online: the bidders whose bids were
opened confirm the record or object; the tenderer or its agency answers; the record is
published only when every objection has its answer.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding import state
from ggzy.bidding.enums import OpeningStatus, ResponseKind
from ggzy.bidding.models import OpeningResponse
from ggzy.bidding.opening import locked, own_bid
from ggzy.common import audit
from ggzy.common.errors import Conflict, InvalidInput, NotFound
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of

BASIS = "招标投标法实施条例第四十四条"


def unanswered(session: Session, opening_id: int) -> list[OpeningResponse]:
    return list(
        session.scalars(
            select(OpeningResponse).where(
                OpeningResponse.opening_id == opening_id,
                OpeningResponse.kind == ResponseKind.OBJECTION.value,
                OpeningResponse.answer.is_(None),
            )
        )
    )


def responses(session: Session, opening_id: int) -> list[OpeningResponse]:
    return list(
        session.scalars(
            select(OpeningResponse).where(OpeningResponse.opening_id == opening_id).order_by(OpeningResponse.id)
        )
    )


def record_respond(
    *, session: Session, now: datetime, principal: Principal, section_id: int, kind: ResponseKind, body: str
) -> OpeningResponse:
    _, s, o = locked(session, now=now, section_id=section_id)
    state.transition("record_confirm" if kind is ResponseKind.CONFIRM else "record_object", OpeningStatus(o.status))
    own_bid(session, principal, s.id)  # only the bidders of this section take part
    if kind is ResponseKind.OBJECTION and not body.strip():
        raise InvalidInput("请写明异议内容", code="objection_empty")
    if kind is ResponseKind.CONFIRM:
        done = session.scalar(
            select(OpeningResponse.id).where(
                OpeningResponse.opening_id == o.id,
                OpeningResponse.org_id == principal.org_id,
                OpeningResponse.kind == ResponseKind.CONFIRM.value,
            )
        )
        if done is not None:
            raise Conflict("贵单位已确认开标记录", code="already_confirmed")
    assert principal.org_id is not None and principal.user_id is not None
    r = OpeningResponse(
        opening_id=o.id,
        org_id=principal.org_id,
        user_id=principal.user_id,
        kind=kind.value,
        body=body.strip()[:2000],
        made_at=now,
    )
    session.add(r)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action=f"opening.{kind.value}",
        object_type="tender_section",
        object_id=s.id,
        after={"response": r.id, "body": r.body},
    )
    return r


def objection_answer(
    *, session: Session, now: datetime, principal: Principal, section_id: int, response_id: int, answer: str
) -> OpeningResponse:
    _, s, o = locked(session, now=now, section_id=section_id, principal=principal, perm=Action.OPENING_ANSWER)
    state.transition("objection_answer", OpeningStatus(o.status))
    r = session.get(OpeningResponse, response_id, with_for_update=True)
    if r is None or r.opening_id != o.id or r.kind != ResponseKind.OBJECTION.value:
        raise NotFound("异议不存在", code="objection_not_found")
    if r.answer is not None:
        raise Conflict("该异议已答复", code="objection_answered")
    if not answer.strip():
        raise InvalidInput("请填写答复", code="answer_empty")
    r.answer, r.answered_at, r.answered_by = answer.strip()[:2000], now, principal.user_id
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="opening.objection_answer",
        object_type="tender_section",
        object_id=s.id,
        after={"response": r.id, "answer": r.answer},
    )
    return r
