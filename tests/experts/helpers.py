"""Building a small expert library directly (the library's own services come with its pages)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from ggzy.experts.models import Expert, ExpertBusy, ExpertConflict, ExpertService, ExpertSpeciality, Speciality
from ggzy.identity.rules import make_id_number

SPECIALITIES = [
    ("A", "工程", None),
    ("A01", "水利工程", "A"),
    ("A0101", "堤防工程", "A01"),
    ("A02", "房屋建筑工程", "A"),
    ("B", "货物", None),
    ("B01", "教学仪器设备", "B"),
    ("C", "服务", None),
]


def seed_specialities(s: Session) -> None:
    for code, name, parent in SPECIALITIES:
        if s.get(Speciality, code) is None:
            s.add(Speciality(code=code, name=name, parent_code=parent))
    s.flush()


def add_expert(
    s: Session,
    n: int,
    *,
    speciality: str = "A0101",
    employer: str = "91220201MA1200001",
    region: str = "220202",
    status: str = "active",
    born: date = date(1970, 1, 1),
    conflicts: tuple[str, ...] = (),
    busy: tuple[date, ...] = (),
    services: tuple[tuple[str, date], ...] = (),
    **extra: Any,
) -> Expert:
    body = f"220202{born:%Y%m%d}{n % 1000:03d}"
    e = Expert(
        name=f"专家{n:05d}",
        id_number=make_id_number(body),
        birth_date=born,
        employer_credit_code=employer,
        title="高级工程师",
        years=15,
        region_code=region,
        status=status,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        **extra,
    )
    s.add(e)
    s.flush()
    s.add(ExpertSpeciality(expert_id=e.id, speciality_code=speciality))
    s.add_all(ExpertConflict(expert_id=e.id, credit_code=c, kind="relative") for c in conflicts)
    s.add_all(ExpertBusy(expert_id=e.id, day=d) for d in busy)
    s.add_all(ExpertService(expert_id=e.id, tenderer_credit_code=t, served_on=d) for t, d in services)
    s.flush()
    return e


def opened_section(client_for: Any, clock: Any, tmp_path: Any) -> tuple[Any, int, date]:
    """A published tender with three bids on its first section, at its deadline (the opening has
    started, so the bidders are known); returns the world, the section and an evaluation day."""
    from datetime import timedelta

    from tests.bidding.helpers import bidder, obtain_and_bid, published_tender

    world = published_tender(client_for, clock)
    for u in ("bidder", "bidder2", "bidder3"):
        obtain_and_bid(bidder(client_for, u, tmp_path), world, tmp_path)
    sid = world.sections[0]
    clock.set(world.deadline)
    assert client_for("operator").get(f"/api/v1/sections/{sid}/opening").status_code == 200
    return world, sid, (world.deadline + timedelta(days=2)).date()


def drawn(client_for: Any, db: Any, sid: int, day: date, *, experts: int, site: str = "评标区") -> tuple[int, dict]:
    """A library of ``experts`` eligible experts and a committee of five drawn for ``sid``."""
    with db.transaction() as s:
        seed_specialities(s)
        for n in range(1, experts + 1):
            add_expert(s, n)
    body = {
        "needs": [{"speciality": "A01", "count": 5}],
        "regions": ["2202"],
        "evaluation_day": day.isoformat(),
        "site": site,
    }
    operator = client_for("operator")
    xid = operator.post(f"/api/v1/sections/{sid}/extractions", json=body).json()["id"]
    assert operator.post(f"/api/v1/extractions/{xid}/draw").status_code == 200
    return xid, body
