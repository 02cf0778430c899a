"""A construction tender from set-up to the deadline, with the clock moved through every stage."""

from __future__ import annotations

from datetime import timedelta

from ggzy.common.chronograph import run_due
from ggzy.dated_events import HANDLERS
from tests.tendering.helpers import accepted_project_id, tender_body


def test_construction_open_tender_lifecycle(client_for, clock, db):
    agency, operator, bidder, other = (client_for(u) for u in ("tenderer", "operator", "bidder", "bidder2"))
    start = clock.now() + timedelta(days=1)
    r = agency.post("/api/v1/tenders", json=tender_body(accepted_project_id(agency), start))
    assert r.status_code == 201, r.text
    t = r.json()
    assert len(t["code"]) == 20 and [len(s["code"]) for s in t["sections"]] == [23, 23]
    assert agency.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    # Bidders see nothing before publication.
    assert bidder.get(f"/api/v1/tenders/{t['id']}").status_code == 404

    clock.set(start - timedelta(hours=1))
    r = operator.post(f"/api/v1/tenders/{t['id']}/publish")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "bidding"
    notices = agency.get(f"/api/v1/tenders/{t['id']}/notices").json()
    assert [n["kind"] for n in notices] == ["tender"] and len(notices[0]["digest"]) == 64

    clock.set(start + timedelta(hours=1))
    assert bidder.post(f"/api/v1/tenders/{t['id']}/obtain").status_code == 204
    q = bidder.post(f"/api/v1/tenders/{t['id']}/questions", json={"body": "第二标段是否允许联合体投标？"})
    assert q.status_code == 201, q.text
    a = agency.post(
        f"/api/v1/tenders/{t['id']}/questions/{q.json()['id']}/answer", json={"answer": "不接受联合体投标。"}
    )
    assert a.status_code == 200
    seen = other.get(f"/api/v1/tenders/{t['id']}/questions").json()
    assert seen[0]["answer"] == "不接受联合体投标。" and "asker" not in str(seen)
    # Only the centre learns who obtained the documents.
    assert [o["org_name"] for o in operator.get(f"/api/v1/tenders/{t['id']}/obtainers").json()] == [
        "吉林市松原建筑工程有限公司"
    ]
    assert agency.get(f"/api/v1/tenders/{t['id']}/obtainers").status_code == 403

    # Nothing is due before the deadline; exactly at it, the chronograph closes bidding once.
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 0
    deadline = start + timedelta(days=20)
    clock.set(deadline)
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 1
    # No section had a bid, so no opening started and no decryption window is pending.
    assert run_due(db, now=clock.now() + timedelta(hours=1), handlers=HANDLERS) == 0
    # Nobody bid (one bidder only obtained the documents): neither section may be opened, so the
    # tender fails by itself at the deadline (流标, 招标投标法实施条例第四十四条).
    got = agency.get(f"/api/v1/tenders/{t['id']}").json()
    assert got["status"] == "failed"
    notices = agency.get(f"/api/v1/tenders/{t['id']}/notices").json()
    assert [n["kind"] for n in notices] == ["tender", "failure"]
    failure = notices[1]
    assert failure["supersedes_id"] == notices[0]["id"] and failure["version"] == 2
    assert failure["body"] == got["end_reason"]
    for s in t["sections"]:
        assert f"{s['name']}：截止时共 0 家投标，不足 3 家，不予开标" in failure["body"]
    assert "招标投标法实施条例第四十四条" in failure["body"]
    assert [operator.get(f"/api/v1/sections/{s['id']}/opening").json()["status"] for s in t["sections"]] == [
        "failed",
        "failed",
    ]
    # The centre cannot fail it a second time; late actions are refused.
    r = operator.post(f"/api/v1/tenders/{t['id']}/fail", json={"reason": "投标人不足三家"})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition", r.text
    assert [n["kind"] for n in agency.get(f"/api/v1/tenders/{t['id']}/notices").json()] == ["tender", "failure"]
    assert other.post(f"/api/v1/tenders/{t['id']}/obtain").status_code == 409
