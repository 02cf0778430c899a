"""The exchange's test world: a stand-in provincial platform in process, and procedures driven
through every stage the datasets follow."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
from sqlalchemy import select

from ggzy.common.clock import local_date
from ggzy.exchange import services
from ggzy.exchange.models import Delivery
from ggzy.exchange.receiver import Receiver
from ggzy.exchange.sender import HttpSender
from ggzy.tendering.models import Tender

OPTS = services.Options(
    platform_no=1, base_url="https://ggzy.example.cn", centre="吉林市公共资源交易中心", max_attempts=4
)


def in_process(receiver: Receiver) -> HttpSender:
    """The real sender, its requests answered by the receiver without a socket."""

    def handle(request: httpx.Request) -> httpx.Response:
        try:
            body = json.loads(request.content)
        except ValueError:
            body = None
        status, out = receiver.handle(
            body, request.headers.get("idempotency-key"), request.headers.get("authorization")
        )
        return httpx.Response(status, json=out)

    return HttpSender("https://upstream.example/records", token=receiver.token, transport=httpx.MockTransport(handle))


def rows(db, **where) -> list[Delivery]:
    with db.session(write=False) as s:
        q = select(Delivery).order_by(Delivery.id)
        for k, v in where.items():
            q = q.where(getattr(Delivery, k) == v)
        out = list(s.scalars(q))
        for d in out:
            s.expunge(d)
        return out


def construction_to_contracts(client_for, clock, db, tmp_path) -> int:
    """A construction tender: notice, opening records, candidates, award, contracts."""
    from tests.tendering.test_award import candidates, closed_tender

    tid = closed_tender(client_for, clock, db, tmp_path)
    tenderer = client_for("tenderer")
    assert tenderer.post(f"/api/v1/tenders/{tid}/candidates", json=candidates(clock)).status_code == 200
    clock.advance(timedelta(days=3))
    from ggzy.common.chronograph import run_due
    from ggzy.dated_events import HANDLERS

    run_due(db, now=clock.now(), handlers=HANDLERS)
    assert tenderer.post(f"/api/v1/tenders/{tid}/award").status_code == 200
    for seq in (1, 2):
        body = {"section_seq": seq, "signed_on": local_date(clock.now()).isoformat(), "amount": "19500000.00"}
        assert tenderer.post(f"/api/v1/tenders/{tid}/contracts", json=body).status_code == 201
    return tid


def gp_to_contracts(client_for, clock, db, tmp_path) -> int:
    from tests.tendering.test_gp_award import test_gp_open_tender_from_bids_to_contract as drive

    drive(client_for, clock, db, tmp_path)
    with db.session(write=False) as s:
        t = s.scalar(select(Tender).where(Tender.method == "gp_open").order_by(Tender.id.desc()))
        return t.id


def gp_contracts(client_for, clock, tid: int) -> None:
    owner = client_for("yongji_school")
    for seq in (1, 2):
        body = {"section_seq": seq, "signed_on": local_date(clock.now()).isoformat(), "amount": "760000.00"}
        assert owner.post(f"/api/v1/tenders/{tid}/contracts", json=body).status_code == 201
