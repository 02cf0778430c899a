"""Pages for the entry catalogue and threshold standards: public to read, city operators edit."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request, Response

from ggzy.common.clock import local_date
from ggzy.common.errors import DomainError, InvalidInput
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data, parse
from ggzy.http.pages import redirect, render
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.services import actor_of
from ggzy.registration import selectors, table_services
from ggzy.registration.enums import RuleTableKind, TradingType
from ggzy.registration.schemas import CatalogueItemIn, ThresholdRuleIn

router = APIRouter()


@router.get("/catalogue")
def catalogue(request: Request, db: DbDep, clock: ClockDep, _: Principal = permit(Action.CATALOGUE_READ)) -> Response:
    today = local_date(clock.now())
    with db.session(write=False) as s:
        return render(
            request,
            "registration/catalogue.html",
            {
                "catalogue": selectors.active_version(s, RuleTableKind.CATALOGUE, today),
                "threshold": selectors.active_version(s, RuleTableKind.THRESHOLD, today),
                "catalogue_versions": selectors.versions(s, RuleTableKind.CATALOGUE),
                "threshold_versions": selectors.versions(s, RuleTableKind.THRESHOLD),
                "trading_types": list(TradingType),
                "today": today,
            },
        )


@router.post("/catalogue/versions")
async def version_new(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        kind = RuleTableKind(form.get("kind", ""))
    except ValueError:
        return redirect("/catalogue", "未知的表类型")
    try:
        with db.transaction() as s:
            v = table_services.version_create(
                session=s,
                now=clock.now(),
                actor=actor_of(p),
                kind=kind,
                title=form.get("title", "")[:200] or f"{kind.label}（修订）",
                basis=form.get("basis", "")[:500] or "交易中心修订",
            )
    except DomainError as e:
        return redirect("/catalogue", e.message)
    return redirect(f"/catalogue#v{v.id}", f"已新建{kind.label}草稿第 {v.number} 版")


@router.post("/catalogue/versions/{version_id}/items")
async def item_put(
    version_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(CatalogueItemIn, form)
        with db.transaction() as s:
            table_services.catalogue_item_put(
                session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, data=data
            )
    except DomainError as e:
        return redirect(f"/catalogue#v{version_id}", e.message)
    return redirect(f"/catalogue#v{version_id}", f"已保存目录项 {data.code}")


@router.post("/catalogue/versions/{version_id}/items/{code}/remove")
def item_remove(
    version_id: IdPath, code: str, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> Response:
    try:
        with db.transaction() as s:
            table_services.catalogue_item_remove(
                session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, code=code
            )
    except DomainError as e:
        return redirect(f"/catalogue#v{version_id}", e.message)
    return redirect(f"/catalogue#v{version_id}", f"已删除目录项 {code}")


@router.post("/catalogue/versions/{version_id}/thresholds")
async def threshold_put(
    version_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(ThresholdRuleIn, form)
        with db.transaction() as s:
            table_services.threshold_put(
                session=s, now=clock.now(), actor=actor_of(p), version_id=version_id, data=data
            )
    except DomainError as e:
        return redirect(f"/catalogue#v{version_id}", e.message)
    return redirect(f"/catalogue#v{version_id}", "已保存限额")


@router.post("/catalogue/versions/{version_id}/activate")
async def activate(
    version_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.CATALOGUE_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        kind = RuleTableKind(form.get("kind", ""))
        try:
            effective = date.fromisoformat(form.get("effective_from", ""))
        except ValueError as exc:
            raise InvalidInput("生效日期格式应为 YYYY-MM-DD", code="bad_date") from exc
        with db.transaction() as s:
            table_services.version_activate(
                session=s,
                now=clock.now(),
                actor=actor_of(p),
                version_id=version_id,
                kind=kind,
                effective_from=effective,
            )
    except (DomainError, ValueError) as e:
        return redirect(f"/catalogue#v{version_id}", getattr(e, "message", "表类型不正确"))
    return redirect("/catalogue", "已发布生效")
