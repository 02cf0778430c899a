"""Drawing a committee for an opened section: avoidance of the section's own parties, a draw that
anyone replays from what is published, and a refusal that says which rule removed how many."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ggzy.common.errors import Conflict, RuleViolation
from ggzy.experts import draw
from ggzy.experts.extraction import Need, committee, extraction_draw, extraction_request, publication
from ggzy.experts.rules import Limits
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from tests.bidding.helpers import bidder, obtain_and_bid, published_tender
from tests.experts.helpers import add_expert, seed_specialities

TENDERER, BIDDER = "91220200MA1000010", "91220204MA1000019"  # bodies; the check digit is added by demo.code


def _principal(db, username):
    with db.session(write=False) as s:
        return identity_selectors.principal_of(s.scalar(select(User).where(User.username == username)))


def _request(s, clock, principal, sid, day):
    return extraction_request(
        session=s, now=clock.now(), principal=principal, section_id=sid,
        needs=[Need("A01", 5)], regions=["2202"], day=day, site="市中心", limits=Limits(),
    )  # fmt: skip


def _opened_section(client_for, clock, tmp_path):
    world = published_tender(client_for, clock)
    for u in ("bidder", "bidder2", "bidder3"):
        obtain_and_bid(bidder(client_for, u, tmp_path), world, tmp_path)
    return world


def test_draw_avoids_the_sections_parties_and_replays(client_for, clock, db, tmp_path):
    from ggzy import demo

    world = _opened_section(client_for, clock, tmp_path)
    sid, day = world.sections[0], (world.deadline + timedelta(days=2)).date()
    operator = _principal(db, "operator")
    # Before the opening the bidders are unknown: no draw.
    with db.transaction() as s, pytest.raises(Conflict):
        _request(s, clock, operator, sid, day)
    clock.set(world.deadline)
    assert client_for("operator").get(f"/api/v1/sections/{sid}/opening").status_code == 200  # the opening starts

    with db.transaction() as s:
        seed_specialities(s)
        good = [add_expert(s, n).id for n in range(1, 9)]
        avoided = {
            add_expert(s, 101, employer=demo.code(TENDERER)).id,  # the tenderer's staff
            add_expert(s, 102, employer=demo.code(BIDDER)).id,  # a bidder's staff
            add_expert(s, 103, conflicts=(demo.code(BIDDER),)).id,  # declared a conflict with a bidder
            add_expert(s, 104, busy=(day,)).id,  # busy that day
            add_expert(s, 105, status="suspended").id,
        }
        x = _request(s, clock, operator, sid, day)
        assert sorted(x.candidates) == sorted(good) and not avoided & set(x.candidates)
        xid = x.id
    clock.advance(timedelta(minutes=5))
    with db.transaction() as s:
        x = extraction_draw(session=s, now=clock.now(), principal=operator, extraction_id=xid)
        members = committee(x)[0]
        published = publication(x)
    assert len(members) == 5 and set(members) <= set(good)
    # Anyone with the published material replays the same order.
    c = published["commitment"]["needs"][0]
    revealed = published["revealed"][0]
    again = draw.replay(
        candidates=[str(i) for i in published["candidates"]],
        revealed=draw.Secrets(revealed["secret"], tuple(revealed["salts"])),
        commitment=draw.Commitment(tuple(c["hashes"]), c["list_commitment"], c["secret"]),
        public_value=published["public_value"],
        contributions=["need:0"],
    )
    assert [int(i) for i in again][:5] == members
    # A decline is replaced by the next name in the drawn order.
    assert committee(x, declined={members[0]})[0] == [*members[1:], next(i for i in x.drawn_order if i not in members)]


def test_too_few_experts_says_which_rule_removed_how_many(client_for, clock, db, tmp_path):
    from ggzy import demo

    world = _opened_section(client_for, clock, tmp_path)
    sid, day = world.sections[0], (world.deadline + timedelta(days=2)).date()
    clock.set(world.deadline)
    assert client_for("operator").get(f"/api/v1/sections/{sid}/opening").status_code == 200
    with db.transaction() as s:
        seed_specialities(s)
        for n in range(1, 4):
            add_expert(s, n)
        add_expert(s, 10, employer=demo.code(BIDDER))
        add_expert(s, 11, employer=demo.code(BIDDER))
        add_expert(s, 12, busy=(day,))
        with pytest.raises(RuleViolation) as e:
            _request(s, clock, _principal(db, "operator"), sid, day)
    assert e.value.code == "experts_insufficient"
    assert "只有 3 人，不足 5 人" in e.value.message
    assert (
        "投标人的工作人员 2 人" in e.value.message and "评标当日不能到场（已有安排或申报不便） 1 人" in e.value.message
    )
    assert e.value.detail["removed"]["bidder_staff"] == 2 and e.value.detail["removed"]["busy"] == 1


def test_overlapping_needs_draw_distinct_experts(client_for, clock, db, tmp_path):
    from tests.experts.helpers import opened_section

    _, sid, day = opened_section(client_for, clock, tmp_path)
    operator = client_for("operator")
    with db.transaction() as s:
        seed_specialities(s)
        for n in range(1, 8):
            add_expert(s, n)  # all 堤防 (A0101), hence also 水利 (A01)
    body = {
        "needs": [{"speciality": "A01", "count": 5}, {"speciality": "A0101", "count": 2}],
        "regions": ["2202"],
        "evaluation_day": day.isoformat(),
        "site": "评标区",
    }
    r = operator.post(f"/api/v1/sections/{sid}/extractions", json=body)
    assert r.status_code == 201, r.text
    xid = r.json()["id"]
    assert operator.post(f"/api/v1/extractions/{xid}/draw").json()["drawn"] == [5, 2]
    with db.session(write=False) as s:
        from ggzy.experts.models import Extraction

        first, second = committee(s.get(Extraction, xid))
    assert len(set(first) | set(second)) == 7  # seven different experts for seven seats
