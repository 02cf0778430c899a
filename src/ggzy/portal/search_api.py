"""Search over HTTP: the public API and the portal's search page. Thin: parse, search, render."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from ggzy.common.clock import SHANGHAI
from ggzy.http.deps import DbDep, permit
from ggzy.http.pages import render
from ggzy.identity.models import Branch
from ggzy.identity.permissions import Action, Principal
from ggzy.portal import search
from ggzy.registration.enums import TRADING_TYPE_LABELS
from ggzy.tendering.enums import NoticeKind

router = APIRouter(tags=["公开数据"])
pages = APIRouter()

Text = Annotated[str, Query(min_length=1, max_length=100)]
Opt = Annotated[str | None, Query(max_length=30)]


class HitOut(BaseModel):
    notice_id: int
    tender_id: int
    title_html: str
    snippet_html: str
    stage: str
    region: str
    trading_type: str
    published_at: datetime


class SearchOut(BaseModel):
    total: int = Field(description=f"命中的公告数，精确计数至 {search.CAP:,} 条（超过时即为 {search.CAP:,}）")
    total_capped: bool = Field(description=f"命中超过 {search.CAP:,} 条（页面显示“{search.CAP:,}+”）")
    items: list[HitOut]


def _filters(
    type_: str | None, region: str | None, stage: str | None, since: date | None, until: date | None
) -> search.Filters:
    def day(d: date | None) -> datetime | None:
        return None if d is None else datetime.combine(d, time(0), tzinfo=SHANGHAI)

    return search.Filters(
        trading_type=type_ or None,
        region=region or None,
        stage=stage or None,
        since=day(since),
        until=day(until + timedelta(days=1)) if until else None,
    )


def _run(db: Any, q: str, f: search.Filters, offset: int, limit: int) -> search.Found:
    search.catch_up_all(db)  # what was published a moment ago is found now, not at the next tick
    with db.session(write=False) as s:
        return search.search(s, q, f, offset=offset, limit=limit)


@router.get("/search", response_model=SearchOut, summary="全文检索交易公告（中文分词，可按类型、地区、阶段、日期筛选）")
def search_api(
    db: DbDep,
    q: Text,
    type: Opt = None,
    region: Opt = None,
    stage: Opt = None,
    since: date | None = None,
    until: date | None = None,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    _: Principal = permit(Action.NOTICE_READ),
) -> SearchOut:
    found = _run(db, q, _filters(type, region, stage, since, until), offset, limit)
    return SearchOut(
        total=found.total,
        total_capped=found.capped,
        items=[HitOut(**{k: getattr(h, k) for k in HitOut.model_fields}) for h in found.hits],
    )


@pages.get("/search")
def search_page(
    request: Request,
    db: DbDep,
    q: Annotated[str, Query(max_length=100)] = "",
    type: Opt = None,
    region: Opt = None,
    stage: Opt = None,
    page: Annotated[int, Query(ge=1, le=500)] = 1,
    _: Principal = permit(Action.NOTICE_READ),
) -> Response:
    from ggzy.common.errors import DomainError

    found, error = search.Found(0, False, []), ""
    if q.strip():
        try:
            found = _run(db, q, _filters(type, region, stage, None, None), (page - 1) * 20, 20)
        except DomainError as e:
            error = e.message
    with db.session(write=False) as s:
        from sqlalchemy import select

        branches = list(s.scalars(select(Branch).order_by(Branch.sort)))
    return render(
        request,
        "portal/search.html",
        {
            "q": q,
            "type": type or "",
            "region": region or "",
            "stage": stage or "",
            "page": page,
            "total": found.total,
            "capped": found.capped,
            # Only the most recent matches are ranked, so the pages end there even when more match.
            "more": found.total > page * 20 and page * 20 < search.CANDIDATES,
            "ranked": search.CANDIDATES,
            "hits": found.hits,
            "error": error,
            "branches": branches,
            "types": TRADING_TYPE_LABELS,
            "stages": {k.value: k.label for k in NoticeKind},
        },
    )
