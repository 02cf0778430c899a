"""The upward exchange for operators: what was sent, what is held and why, and resending."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ggzy.common.errors import NotFound
from ggzy.exchange import runtime, selectors, services
from ggzy.exchange.enums import DeliveryStatus
from ggzy.exchange.models import Delivery
from ggzy.exchange.schemas import DeliveryOut, ExchangeSummaryOut, RecheckOut, delivery_out
from ggzy.http.deps import ClockDep, DbDep, IdPath, SettingsDep, permit
from ggzy.identity.permissions import Action, Principal

router = APIRouter(tags=["数据交换"])


@router.get("/exchange", response_model=ExchangeSummaryOut, summary="上报概况")
def summary(db: DbDep, settings: SettingsDep, _: Principal = permit(Action.EXCHANGE_READ)) -> ExchangeSummaryOut:
    with db.session(write=False) as s:
        return ExchangeSummaryOut(upstream_configured=bool(settings.exchange_upstream_url), counts=selectors.counts(s))


@router.get("/exchange/deliveries", response_model=list[DeliveryOut], summary="上报记录")
def deliveries(
    db: DbDep,
    status: DeliveryStatus | None = None,
    dataset_no: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    _: Principal = permit(Action.EXCHANGE_READ),
) -> list[DeliveryOut]:
    with db.session(write=False) as s:
        rows = selectors.deliveries(
            s, status=status.value if status else None, dataset_no=dataset_no, limit=limit, before=before
        )
        return [delivery_out(d) for d in rows]


@router.get("/exchange/deliveries/{delivery_id}", response_model=DeliveryOut, summary="上报记录详情")
def delivery(delivery_id: IdPath, db: DbDep, _: Principal = permit(Action.EXCHANGE_READ)) -> DeliveryOut:
    with db.session(write=False) as s:
        d = s.get(Delivery, delivery_id)
        if d is None:
            raise NotFound(f"报送记录 {delivery_id} 不存在", code="delivery_not_found")
        return delivery_out(d)


@router.post("/exchange/deliveries/{delivery_id}/resend", response_model=DeliveryOut, summary="重新生成并报送")
def resend(
    delivery_id: IdPath,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    p: Principal = permit(Action.EXCHANGE_MANAGE),
) -> DeliveryOut:
    with db.transaction() as s:
        d = services.resend(
            session=s, now=clock.now(), principal=p, delivery_id=delivery_id, opts=runtime.options(settings)
        )
        return delivery_out(d)


@router.post("/exchange/recheck-held", response_model=RecheckOut, summary="重新校验全部暂缓记录")
def recheck(
    db: DbDep, clock: ClockDep, settings: SettingsDep, p: Principal = permit(Action.EXCHANGE_MANAGE)
) -> RecheckOut:
    with db.transaction() as s:
        queued, held = services.recheck_held(session=s, now=clock.now(), principal=p, opts=runtime.options(settings))
        return RecheckOut(queued=queued, held=held)
