"""The library page for regulators and the centre, and an expert's invitations on the workbench."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from ggzy.experts.extraction import committee
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.models import User
from tests.bidding.helpers import bidder, obtain_and_bid, published_tender
from tests.experts.helpers import add_expert, seed_specialities


def test_regulator_admits_from_the_page(client_for, db):
    with db.transaction() as s:
        seed_specialities(s)
        e = add_expert(s, 1, status="pending")
        eid = e.id
    reg = client_for("regulator")
    page = reg.get("/experts?status=pending")
    assert page.status_code == 200 and "专家00001" in page.text and "审核入库" in page.text
    assert client_for("operator").get("/experts").status_code == 200
    # The centre keeps the library; only regulators get the review form.
    assert 'action="/experts/' not in client_for("operator").get("/experts").text
    assert f'action="/experts/{eid}/status"' in page.text
    assert client_for("bidder").get("/experts").status_code == 403
    r = reg.post(f"/experts/{eid}/status", data={"status": "active", "reason": ""}, follow_redirects=False)
    assert r.status_code == 303
    with db.session(write=False) as s:
        assert s.get(Expert, eid).status == "active"


def test_an_invitation_is_answered_from_the_workbench(client_for, clock, db, tmp_path):
    world = published_tender(client_for, clock)
    for u in ("bidder", "bidder2", "bidder3"):
        obtain_and_bid(bidder(client_for, u, tmp_path), world, tmp_path)
    sid, day = world.sections[0], (world.deadline + timedelta(days=2)).date()
    clock.set(world.deadline)
    operator = client_for("operator")
    assert operator.get(f"/api/v1/sections/{sid}/opening").status_code == 200
    with db.transaction() as s:
        seed_specialities(s)
        for n in range(1, 6):
            add_expert(s, n)
    body = {
        "needs": [{"speciality": "A01", "count": 5}],
        "regions": ["2202"],
        "evaluation_day": day.isoformat(),
        "site": "第 3 评标室",
    }
    xid = operator.post(f"/api/v1/sections/{sid}/extractions", json=body).json()["id"]
    operator.post(f"/api/v1/extractions/{xid}/draw")
    with db.transaction() as s:
        first = committee(s.get(Extraction, xid))[0][0]
        uid = s.scalar(select(User.id).where(User.username == "expert"))
        s.execute(update(Expert).where(Expert.id == first).values(user_id=uid))
    expert = client_for("expert")
    page = expert.get("/workbench")
    assert "评标邀请" in page.text and "第 3 评标室" in page.text and world.tender["name"] not in page.text
    r = expert.post(f"/extractions/{xid}/respond", data={"accept": "1"}, follow_redirects=False)
    assert r.status_code == 303
    assert "第 3 评标室" not in expert.get("/workbench").text  # answered: no longer pending
