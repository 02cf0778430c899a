"""The library and the draw over HTTP: who may do what, and what the draw reveals (counts, never
names) until the experts sign in."""

from __future__ import annotations

from datetime import timedelta

from ggzy.identity.rules import make_id_number, make_uscc
from tests.bidding.helpers import bidder, obtain_and_bid, published_tender
from tests.experts.helpers import seed_specialities


def _expert_body(n: int) -> dict:
    return {
        "name": f"王工{n}",
        "id_number": make_id_number(f"22020219750101{n:03d}"),
        "employer_credit_code": make_uscc(f"9122020{n:03d}MA12000"),
        "title": "高级工程师",
        "years": 20,
        "region_code": "220202",
        "specialities": ["A0101"],
    }


def test_register_admit_and_draw_over_the_api(client_for, clock, db, tmp_path):
    with db.transaction() as s:
        seed_specialities(s)
    operator, regulator, auditor = client_for("operator"), client_for("regulator"), client_for("auditor")
    ids = []
    for n in range(1, 8):
        r = operator.post("/api/v1/experts", json=_expert_body(n))
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "pending" and "********" in r.json()["id_number_masked"]
        ids.append(r.json()["id"])
    assert client_for("tenderer").post("/api/v1/experts", json=_expert_body(9)).status_code == 403
    assert operator.post(f"/api/v1/experts/{ids[0]}/status", json={"status": "active"}).status_code == 403
    for i in ids:
        r = regulator.post(f"/api/v1/experts/{i}/status", json={"status": "active"})
        assert r.status_code == 200 and r.json()["status"] == "active", r.text
    assert len(auditor.get("/api/v1/experts?status=active").json()) == 7
    r = operator.post("/api/v1/experts", json=_expert_body(1))
    assert r.status_code == 409 and r.json()["code"] == "expert_exists"

    world = published_tender(client_for, clock)
    for u in ("bidder", "bidder2", "bidder3"):
        obtain_and_bid(bidder(client_for, u, tmp_path), world, tmp_path)
    sid = world.sections[0]
    body = {
        "needs": [{"speciality": "A01", "count": 5}],
        "regions": ["2202"],
        "evaluation_day": (world.deadline + timedelta(days=2)).date().isoformat(),
        "site": "市公共资源交易中心评标区",
    }
    r = operator.post(f"/api/v1/sections/{sid}/extractions", json=body)
    assert r.status_code == 409 and r.json()["code"] == "opening_required"
    clock.set(world.deadline)
    assert operator.get(f"/api/v1/sections/{sid}/opening").status_code == 200
    assert client_for("yongji_op").post(f"/api/v1/sections/{sid}/extractions", json=body).status_code == 403
    r = operator.post(f"/api/v1/sections/{sid}/extractions", json=body)
    assert r.status_code == 201, r.text
    x = r.json()
    assert len(x["commitment"]["needs"][0]["hashes"]) == 7 and x["drawn"] == []
    r = operator.post(f"/api/v1/extractions/{x['id']}/draw")
    assert r.status_code == 200, r.text
    assert r.json()["drawn"] == [5] and r.json()["public_value"]
    # Counts, never who: neither the candidate list, the secret nor the members leave the system.
    assert not {"candidates", "sealed", "members", "drawn_order"} & set(r.json())
    r = operator.post(f"/api/v1/extractions/{x['id']}/draw")
    assert r.status_code == 409

    # Asking for more than the library can give says why.
    body["needs"] = [{"speciality": "A01", "count": 9}]
    r = operator.post(f"/api/v1/sections/{sid}/extractions", json=body)
    assert r.status_code == 422 and r.json()["code"] == "experts_insufficient"
    assert "只有 7 人，不足 9 人" in r.json()["message"]
