"""The public change feed: what changed after a cursor, in the order the changes committed
(``common/outbox.py``), so a crawler that follows ``next`` never skips or repeats a change.
Pages carry an ETag; a crawler asking again with ``If-None-Match`` gets 304 until something new
is committed after its cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from ggzy.common import outbox
from ggzy.common.crypto import sm3_hex
from ggzy.http.deps import DbDep, permit
from ggzy.identity.permissions import Action, Principal

router = APIRouter(tags=["公开数据"])

KINDS = ("notice.published", "contract.recorded")


class ChangeOut(BaseModel):
    seq: int
    kind: str
    object_type: str
    object_id: str
    occurred_at: datetime
    data: dict[str, Any]


class FeedOut(BaseModel):
    items: list[ChangeOut]
    next: int = Field(description="下次请求的 after 参数（本页最后一条的序号；无新变更时等于请求的 after）")
    more: bool = Field(description="after 之后是否还有更多变更（立即再取下一页）")


@router.get("/changes", response_model=FeedOut, summary="变更流：按提交顺序列出 after 之后的公开变更")
def changes(
    request: Request,
    response: Response,
    db: DbDep,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    kind: Annotated[list[str] | None, Query(max_length=10)] = None,
    _: Principal = permit(Action.NOTICE_READ),
) -> Any:
    wanted = tuple(k for k in (kind or ()) if k in KINDS)
    with db.session(write=False) as s:
        rows = outbox.since(s, after=after, limit=limit + 1, kinds=wanted)
    more, rows = len(rows) > limit, rows[:limit]
    nxt = rows[-1].seq if rows else after
    tag = '"' + sm3_hex(f"{after}|{limit}|{','.join(wanted)}|{nxt}|{more}")[:32] + '"'
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    response.headers["Cache-Control"] = "no-cache"
    return FeedOut(
        items=[
            ChangeOut(
                seq=c.seq,
                kind=c.kind,
                object_type=c.object_type,
                object_id=c.object_id,
                occurred_at=c.occurred_at,
                data=c.data,
            )
            for c in rows
        ],
        next=nxt,
        more=more,
    )
