"""Open data over HTTP: a procedure's OCDS release package and record package."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from ggzy.common.errors import NotFound
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.identity.permissions import Action, Principal
from ggzy.portal import ocds
from ggzy.tendering.models import Tender

router = APIRouter(tags=["公开数据"])


def _releases(request: Request, db: Any, tender_id: int) -> list[dict[str, Any]]:
    s = request.app.state.settings
    with db.session(write=False) as session:
        t = session.get(Tender, tender_id)
        rels = ocds.releases(session, t, prefix=s.ocid_prefix, base_url=s.public_base_url) if t else []
    if not rels:
        raise NotFound(f"招标项目 {tender_id} 没有公开的数据", code="tender_not_found")
    return rels


@router.get("/ocds/releases/{tender_id}", summary="OCDS 发布包：一个交易项目的全部发布（每个公开事件一条）")
def release_package(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, _: Principal = permit(Action.NOTICE_READ)
) -> dict[str, Any]:
    s = request.app.state.settings
    rels = _releases(request, db, tender_id)
    uri = f"{s.public_base_url.rstrip('/')}/api/v1/ocds/releases/{tender_id}"
    return ocds.release_package(rels, uri=uri, name=s.centre_name, now=clock.now())


@router.get("/ocds/records/{tender_id}", summary="OCDS 记录包：全部发布与当前状态（compiledRelease）")
def record_package(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, _: Principal = permit(Action.NOTICE_READ)
) -> dict[str, Any]:
    s = request.app.state.settings
    rels = _releases(request, db, tender_id)
    uri = f"{s.public_base_url.rstrip('/')}/api/v1/ocds/records/{tender_id}"
    return ocds.record_package(rels, uri=uri, name=s.centre_name, now=clock.now())
