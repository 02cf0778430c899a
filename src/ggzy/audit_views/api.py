from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ggzy.audit_views import selectors
from ggzy.audit_views.schemas import DayHeadOut, EventOut, VerifyOut
from ggzy.common import audit
from ggzy.http.deps import DbDep, SeqQuery, permit
from ggzy.identity.permissions import Action, Principal

router = APIRouter(tags=["审计日志"])


@router.get("/audit/heads", response_model=list[DayHeadOut], summary="每日链头（公开）")
def heads(
    db: DbDep, days: Annotated[int, Query(ge=1, le=90)] = 14, _: Principal = permit(Action.AUDIT_HEADS)
) -> list[DayHeadOut]:
    with db.session(write=False) as s:
        return [DayHeadOut(day=h.day, seq=h.seq, hash=h.hash, events=h.events) for h in audit.day_heads(s, days=days)]


@router.get("/audit/events", response_model=list[EventOut], summary="审计事件（按权限范围）")
def events(
    db: DbDep,
    before_seq: SeqQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    object_type: Annotated[str | None, Query(max_length=60)] = None,
    object_id: Annotated[str | None, Query(max_length=80)] = None,
    p: Principal = permit(Action.AUDIT_READ),
) -> list[EventOut]:
    with db.session(write=False) as s:
        rows = selectors.events(s, p, before_seq=before_seq, limit=limit, object_type=object_type, object_id=object_id)
        return [EventOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/audit/verify", response_model=VerifyOut, summary="校验整条哈希链")
def verify(db: DbDep, _: Principal = permit(Action.AUDIT_VERIFY)) -> VerifyOut:
    with db.session(write=False) as s:
        r = audit.verify_chain(s)
    return VerifyOut(ok=r.ok, checked=r.checked, first_bad_seq=r.first_bad_seq, reason=r.reason)
