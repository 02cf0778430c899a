"""The one hook for market bans: a check registered in ``eligibility.BAN_CHECKS`` refuses a bid."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from ggzy.bidding import eligibility
from ggzy.bidding.models import Bid
from tests.bidding.helpers import bidder, published_tender, seal, submit


@pytest.fixture
def ban_songyuan():
    def banned(session, org, tender, now):  # what the credit domain will register
        return (
            "该单位被列入市场禁入名单（至 2027-06-30），不得参与投标"
            if org.credit_code.startswith("91220204")
            else None
        )

    eligibility.BAN_CHECKS.append(banned)
    yield
    eligibility.BAN_CHECKS.remove(banned)


def test_a_registered_ban_refuses_the_bid_and_nothing_is_stored(client_for, clock, db, tmp_path, ban_songyuan):
    world = published_tender(client_for, clock)
    sid = world.sections[0]
    banned, other = bidder(client_for, "bidder", tmp_path), bidder(client_for, "bidder2", tmp_path)
    for b in (banned, other):
        b.client.post(f"/api/v1/tenders/{world.tender['id']}/obtain")
    r = submit(banned, sid, seal(banned, banned.client, sid, tmp_path))
    assert r.status_code == 403 and r.json()["code"] == "bidder_banned"
    assert "禁入" in r.json()["message"]
    assert submit(other, sid, seal(other, other.client, sid, tmp_path)).status_code == 201
    with db.session() as s:
        assert s.scalar(select(func.count(Bid.id))) == 1
    assert [p.name for p in (tmp_path / "bids").rglob("*") if p.is_file()] == [other.sealed[sid].digest]
