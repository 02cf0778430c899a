"""More building blocks for tendering tests: per-method set-ups, bidder credit codes, row counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from ggzy import demo
from ggzy.db import Database
from tests.tendering.helpers import accepted_project_id, tender_body

# Method -> (project kind, who manages it, who reviews it at the centre)
CONSTRUCTION = ("construction", "tenderer", "operator")
PROCUREMENT = ("procurement", "yongji_school", "yongji_op")
METHOD_SETUP = {
    "construction_open": CONSTRUCTION,
    "construction_invited": CONSTRUCTION,
    "gp_open": PROCUREMENT,
    "gp_invited": PROCUREMENT,
    "gp_negotiation": PROCUREMENT,
    "gp_consultation": PROCUREMENT,
    "gp_rfq": PROCUREMENT,
    "gp_single_source": PROCUREMENT,
    "gp_framework": PROCUREMENT,
}

SONGYUAN = "吉林市松原建筑工程有限公司"  # the demo user "bidder"
BEISHAN = "吉林市北山路桥工程有限公司"  # the demo user "bidder2"
LAFA = "蛟河市拉法水利建设有限公司"
JIANGNAN = "吉林市江南办公设备有限公司"


def credit_code(org_name: str) -> str:
    """The demo organisation's unified social credit code."""
    for name, body, *_ in demo.ORGS:
        if name == org_name:
            return demo.code(body)
    raise AssertionError(f"no demo organisation {org_name}")


def invitees_for(method: str) -> list[str]:
    """Invitation lists that leave bidder2 (北山路桥) out, so it can be refused."""
    if method == "gp_single_source":
        return [credit_code(SONGYUAN)]
    if method in ("construction_invited", "gp_invited"):
        return [credit_code(n) for n in (SONGYUAN, LAFA, JIANGNAN)]
    return []


GP_SECTIONS = [
    {"name": "第一包 理化生实验室仪器设备", "estimate": "800000.00", "evaluation_method": "gp_comprehensive"},
    {"name": "第二包 实验室家具", "estimate": "400000.00", "evaluation_method": "gp_lowest_price"},
]


def method_body(project_id: int, start: datetime, method: str, *, days: int = 25, **extra: Any) -> dict[str, Any]:
    """A lawful set-up for any method: documents out for 10 days, questions until day 15."""
    body = tender_body(project_id, start, method=method, days=days)
    if METHOD_SETUP[method][0] == "procurement":
        body["name"] = "永吉县第一中学理化生实验室设备采购"
        body["content"] = "理化生实验室仪器设备及家具采购。"
        body["sections"] = GP_SECTIONS
    body["docs_end"] = (start + timedelta(days=10)).isoformat()
    body["question_deadline"] = (start + timedelta(days=15)).isoformat()
    if invitees := invitees_for(method):
        body["invitee_credit_codes"] = invitees
    body.update(extra)
    return body


def project_for(client: TestClient, method: str) -> int:
    return accepted_project_id(client, METHOD_SETUP[method][0])


def sign_in(app: Any, username: str) -> TestClient:
    """A signed-in API client on any app (the fixture ``client_for`` only serves the default app)."""
    c = TestClient(app, base_url="https://testserver")
    r = c.post("/api/v1/auth/login", json={"username": username, "password": demo.DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["x-csrf-token"] = r.json()["csrf_token"]
    return c


TABLES = ("tender", "tender_section", "notice", "audit_event", "dated_event", "tender_document")


def counts(db: Database, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    with db.session(write=False) as s:
        return {t: int(s.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in tables}
