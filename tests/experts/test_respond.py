"""A drawn expert accepts or declines: a decline hands the seat to the next name of the drawn
order; an acceptance books the day, so the next draw for that day passes the expert over."""

from __future__ import annotations

from sqlalchemy import select, update

from ggzy.experts.extraction import committee
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.models import User
from tests.experts.helpers import drawn, opened_section


def test_decline_hands_the_seat_on_and_acceptance_books_the_day(client_for, clock, db, tmp_path):
    _, sid, day = opened_section(client_for, clock, tmp_path)
    operator = client_for("operator")
    xid, body = drawn(client_for, db, sid, day, experts=7)
    with db.transaction() as s:
        x = s.get(Extraction, xid)
        first, nxt = committee(x)[0][0], x.drawn_order[5]
        user_id = s.scalar(select(User.id).where(User.username == "expert"))
        s.execute(update(Expert).where(Expert.id == first).values(user_id=user_id))  # the demo expert is drawn first
    expert = client_for("expert")
    assert client_for("bidder").post(f"/api/v1/extractions/{xid}/respond", json={"accept": True}).status_code == 403
    r = expert.post(f"/api/v1/extractions/{xid}/respond", json={"accept": False})
    assert r.status_code == 204, r.text
    with db.session(write=False) as s:
        members = committee(s.get(Extraction, xid))[0]
    assert first not in members and nxt in members and len(members) == 5
    r = expert.post(f"/api/v1/extractions/{xid}/respond", json={"accept": True})
    assert r.status_code == 404, "after declining the expert is no longer on the committee"

    # The replacement accepts: its day is booked, so the next draw for that day passes it over.
    with db.transaction() as s:
        s.execute(update(Expert).where(Expert.id == first).values(user_id=None))
        s.execute(update(Expert).where(Expert.id == nxt).values(user_id=user_id))
    assert expert.post(f"/api/v1/extractions/{xid}/respond", json={"accept": True}).status_code == 204
    assert expert.post(f"/api/v1/extractions/{xid}/respond", json={"accept": True}).status_code == 409
    r = operator.post(f"/api/v1/sections/{sid}/extractions", json=body)
    assert r.status_code == 201 and len(r.json()["commitment"]["needs"][0]["hashes"]) == 6
