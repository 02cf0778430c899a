"""An evaluation ready to run: a one-section construction tender opened with three bids and its
record published, a library whose experts have accounts, a committee drawn and accepted, and two
sites (the city centre's and 永吉's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from ggzy import bidder_tool as tool
from ggzy.evaluation.committee import site_code
from ggzy.evaluation.models import Site
from ggzy.experts.extraction import committee
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.enums import Role
from ggzy.identity.models import User
from ggzy.identity.security import hash_password
from tests.bidding.helpers import bidder, obtain_and_bid, published_tender
from tests.experts.helpers import add_expert, seed_specialities

PASSWORD = "Ggzy-Expert-2026!"
PIN = "246810"
ONE_SECTION = [
    {
        "name": "第一标段（K0+000～K3+200）",
        "estimate": "20000000.00",
        "evaluation_method": "comprehensive",
        "qualification": "水利水电工程施工总承包二级及以上",
    }
]
PRICES = ("19700000.00", "19500000.00", "19900000.00")


@dataclass
class Ready:
    tender: dict[str, Any]
    section_id: int
    day: date
    extraction_id: int
    experts: list[str]  # usernames of the drawn experts, in committee order
    bidders: list[Any]


def login(app: Any, username: str) -> Any:
    from fastapi.testclient import TestClient

    c = TestClient(app, base_url="https://testserver")
    r = c.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["x-csrf-token"] = r.json()["csrf_token"]
    return c


def opened_and_published(
    client_for: Any, clock: Any, tmp_path: Any, method: str = "comprehensive"
) -> tuple[Any, int, list[Any]]:
    sections = [{**ONE_SECTION[0], "evaluation_method": method}]
    world = published_tender(client_for, clock, sections=sections)
    sid = world.sections[0]
    bs = []
    for u, price in zip(("bidder", "bidder2", "bidder3"), PRICES, strict=True):
        b = bidder(client_for, u, tmp_path)
        obtain_and_bid(b, world, tmp_path, price=price)
        bs.append(b)
    clock.set(world.deadline)
    operator = client_for("operator")
    assert operator.get(f"/api/v1/sections/{sid}/opening").status_code == 200
    for b in bs:
        key = tool.content_key(b.key, b.sealed[sid].path)
        r = b.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": key})
        assert r.status_code == 200, r.text
    assert operator.post(f"/api/v1/sections/{sid}/opening/close").status_code == 200
    r = operator.post(f"/api/v1/sections/{sid}/opening/publish")
    assert r.status_code == 200, r.text
    return world, sid, bs


def ready(
    client_for: Any, clock: Any, db: Any, tmp_path: Any, *, experts: int = 5, method: str = "comprehensive"
) -> Ready:
    world, sid, bs = opened_and_published(client_for, clock, tmp_path, method)
    day = (world.deadline + timedelta(days=1)).date()
    with db.transaction() as s:
        seed_specialities(s)
        for n in range(1, experts + 3):
            # Half the library lives in 永吉 (220221), so those experts sit at the county's site.
            e = add_expert(s, n, region="220221" if n % 2 else "220202")
            u = User(
                username=f"ex{n}",
                display_name=e.name,
                role=Role.EXPERT.value,
                password_hash=hash_password(PASSWORD),
                password_changed_at=clock.now(),
                created_at=clock.now(),
            )
            s.add(u)
            s.flush()
            e.user_id = u.id
    operator = client_for("operator")
    body = {
        "needs": [{"speciality": "A01", "count": experts}],
        "regions": ["2202"],
        "evaluation_day": day.isoformat(),
        "site": "市中心评标区",
    }
    xid = operator.post(f"/api/v1/sections/{sid}/extractions", json=body).json()["id"]
    assert operator.post(f"/api/v1/extractions/{xid}/draw").status_code == 200
    with db.session(write=False) as s:
        ids = committee(s.get(Extraction, xid))[0]
        names = [
            s.scalar(select(User.username).join(Expert, Expert.user_id == User.id).where(Expert.id == i)) for i in ids
        ]
    return Ready(world.tender, sid, day, xid, [str(n) for n in names], bs)


def add_sites(client_for: Any) -> None:
    op = client_for("operator")
    for body in (
        {"branch_code": "220200", "code": "CITY-1", "name": "市中心第一评标室", "seats": 9},
        {"branch_code": "220221", "code": "YJ-1", "name": "永吉分中心评标室", "seats": 5},
    ):
        r = op.post("/api/v1/sites", json=body)
        assert r.status_code == 201, r.text


def code_for(db: Any, site: str, now: datetime) -> str:
    with db.session(write=False) as s:
        return site_code(s.scalar(select(Site).where(Site.code == site)), now)
