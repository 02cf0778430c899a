"""From sealed bids to a published opening record, through the API, with the clock moved."""

from __future__ import annotations

from datetime import timedelta

from ggzy import bidder_tool as tool
from ggzy.common.chronograph import run_due
from ggzy.dated_events import HANDLERS
from tests.bidding.helpers import bidder, obtain_and_bid, published_tender


def test_three_bidders_open_and_publish(client_for, clock, db, tmp_path):
    world = published_tender(client_for, clock)
    sid = world.sections[0]
    bidders = [bidder(client_for, u, tmp_path) for u in ("bidder", "bidder2", "bidder3")]
    receipts = [
        obtain_and_bid(b, world, tmp_path, price=p)
        for b, p in zip(bidders, ("19800000.00", "19650000.50", "20010000.00"), strict=True)
    ]
    assert [r["status"] for r in receipts] == ["accepted"] * 3
    seqs = [r["receipt"]["seq"] for r in receipts]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    key = client_for("bidder").get("/api/v1/platform-key").json()
    assert all(tool.verify_receipt(r["receipt"], r["signature"], key["public_key"]) for r in receipts)

    operator, agency = client_for("operator"), client_for("tenderer")
    # Before the deadline nobody watches the opening, and nobody but the bidder sees its bid.
    assert operator.get(f"/api/v1/sections/{sid}/opening").status_code == 409
    assert len(bidders[0].client.get(f"/api/v1/sections/{sid}/bids/mine").json()) == 1
    assert agency.get(f"/api/v1/sections/{sid}/bids/mine").status_code == 403

    clock.set(world.deadline)
    run_due(db, now=clock.now(), handlers=HANDLERS)
    room = operator.get(f"/api/v1/sections/{sid}/opening").json()
    assert room["status"] == "decrypting" and room["bid_count"] == 3
    assert [r["price"] for r in room["record"]["rows"]] == [None, None, None]
    # Section two had no bids: it fails on its own; the tender goes on.
    assert operator.get(f"/api/v1/sections/{world.sections[1]}/opening").json()["status"] == "failed"

    for b in bidders[:2]:
        k = tool.content_key(b.key, b.sealed[sid].path)
        r = b.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": k})
        assert r.status_code == 200, r.text
    # The third bidder hands in a wrong key, then lets the window run out.
    r = bidders[2].client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": "00" * 16})
    assert r.status_code == 422 and r.json()["code"] == "decrypt_wrong_key"
    clock.set(world.deadline + timedelta(minutes=31))
    room = operator.get(f"/api/v1/sections/{sid}/opening").json()
    assert room["status"] == "review"
    rows = room["record"]["rows"]
    assert [r["price"] for r in rows] == ["19800000.00", "19650000.50", None]
    assert [r["outcome"] for r in rows] == ["opened", "opened", "revoked"]
    assert "publish" in room["actions"]

    r = bidders[1].client.post(
        f"/api/v1/sections/{sid}/opening/responses", json={"kind": "objection", "body": "第三家未解密是否因平台故障？"}
    )
    assert r.status_code == 201, r.text
    assert operator.post(f"/api/v1/sections/{sid}/opening/publish").json()["code"] == "objections_pending"
    oid = r.json()["responses"][0]["id"]
    r = agency.post(
        f"/api/v1/sections/{sid}/opening/responses/{oid}/answer", json={"answer": "平台运行正常，系投标人未按时解密。"}
    )
    assert r.status_code == 200, r.text
    assert (
        bidders[0].client.post(f"/api/v1/sections/{sid}/opening/responses", json={"kind": "confirm"}).status_code == 201
    )
    r = operator.post(f"/api/v1/sections/{sid}/opening/publish")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and len(r.json()["record_digest"]) == 64
    # Every section's opening is over (one published, one failed): the tender moves on to evaluation.
    assert agency.get(f"/api/v1/tenders/{world.tender['id']}").json()["status"] == "opened"
    notices = client_for("bidder4").get(f"/api/v1/tenders/{world.tender['id']}/notices").json()
    opening = [n for n in notices if n["kind"] == "opening"]
    assert len(opening) == 1
    assert {d["digest"] for d in opening[0]["facts"]["digests"]} == {x["receipt"]["digest"] for x in receipts}
