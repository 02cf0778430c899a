"""The library page for regulators and the centre, and an expert's invitations on the workbench."""

from __future__ import annotations

from sqlalchemy import select, update

from ggzy.experts.extraction import committee
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.models import User
from tests.experts.helpers import add_expert, drawn, opened_section, seed_specialities


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
    world, sid, day = opened_section(client_for, clock, tmp_path)
    xid, _ = drawn(client_for, db, sid, day, experts=5, site="第 3 评标室")
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
