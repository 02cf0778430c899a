"""The operators' page of the upward exchange (数据上报)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ggzy.exchange import runtime, selectors, services
from ggzy.exchange.enums import DeliveryStatus
from ggzy.exchange.spec import datasets
from ggzy.http.deps import ClockDep, DbDep, IdPath, SettingsDep, permit
from ggzy.http.pages import act_or_flash, render
from ggzy.identity.permissions import Action, Principal

router = APIRouter()


@router.get("/exchange")
def exchange_page(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    status: str = "",
    dataset_no: str = "",
    _: Principal = permit(Action.EXCHANGE_READ),
) -> Response:
    status = status if status in {s.value for s in DeliveryStatus} else ""
    dataset_no = dataset_no if dataset_no in datasets() else ""
    with db.session(write=False) as s:
        return render(
            request,
            "exchange/list.html",
            {
                "rows": selectors.deliveries(s, status=status or None, dataset_no=dataset_no or None, limit=200),
                "counts": selectors.counts(s),
                "statuses": list(DeliveryStatus),
                "labels": {x.value: x.label for x in DeliveryStatus},
                "datasets": datasets(),
                "status": status,
                "dataset_no": dataset_no,
                "configured": bool(settings.exchange_upstream_url),
            },
        )


@router.post("/exchange/deliveries/{delivery_id}/resend")
def resend_page(
    delivery_id: IdPath,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    p: Principal = permit(Action.EXCHANGE_MANAGE),
) -> Response:
    def run() -> str:
        with db.transaction() as s:
            d = services.resend(
                session=s, now=clock.now(), principal=p, delivery_id=delivery_id, opts=runtime.options(settings)
            )
            return f"记录 {d.id} {DeliveryStatus(d.status).label}" + (
                f"：{d.problems[0]['message']}" if d.problems else ""
            )

    return act_or_flash("/exchange", run)


@router.post("/exchange/recheck-held")
def recheck_page(
    db: DbDep, clock: ClockDep, settings: SettingsDep, p: Principal = permit(Action.EXCHANGE_MANAGE)
) -> Response:
    def run() -> str:
        with db.transaction() as s:
            queued, held = services.recheck_held(
                session=s, now=clock.now(), principal=p, opts=runtime.options(settings)
            )
            return f"已重新校验：{queued} 条转入待报送，{held} 条仍暂缓"

    return act_or_flash("/exchange", run)
