"""A section may have its own schedule: it closes and opens before the tender's last deadline,
under the same statutory minimums; bids for it are refused from its own deadline; a clarification
that moves the deadline moves every section."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ggzy.common.chronograph import run_due
from ggzy.dated_events import HANDLERS
from tests.bidding.helpers import World, bidder, obtain_and_bid
from tests.tendering.helpers import accepted_project_id, tender_body


def _body(start: datetime, section2: datetime | None) -> dict[str, Any]:
    body = tender_body(0, start, days=25)  # the tender's last deadline: 25 days after the documents
    body["sections"][1]["bid_deadline"] = section2.isoformat() if section2 else None
    # Questions close before the first section does (their answers must reach every bidder).
    body["question_deadline"] = (start + timedelta(days=15)).isoformat()
    return body


def _draft(client_for: Any, start: datetime, section2: datetime | None) -> dict[str, Any]:
    owner = client_for("tenderer")
    body = _body(start, section2) | {"project_id": accepted_project_id(owner)}
    r = owner.post("/api/v1/tenders", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_a_sections_own_deadline_gets_the_same_minimums(client_for, clock):
    owner = client_for("tenderer")
    start = clock.now() + timedelta(days=1)
    # One second short of the 20 days from the documents to the deadline (招标投标法第二十四条).
    t = _draft(client_for, start, start + timedelta(days=20) - timedelta(seconds=1))
    r = owner.post(f"/api/v1/tenders/{t['id']}/submit")
    assert r.status_code == 422 and r.json()["code"] == "schedule_too_short", r.text
    assert r.json()["message"].startswith("第二标段") and "第二十四条" in str(r.json())
    late = _draft(client_for, start, start + timedelta(days=26))
    r = owner.post(f"/api/v1/tenders/{late['id']}/submit")
    assert r.status_code == 422 and r.json()["code"] == "section_deadline_after_tender"
    ok = _draft(client_for, start, start + timedelta(days=20))
    assert owner.post(f"/api/v1/tenders/{ok['id']}/submit").status_code == 200


def _published(client_for: Any, clock: Any, start: datetime, section2: datetime) -> dict[str, Any]:
    t = _draft(client_for, start, section2)
    assert client_for("tenderer").post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    r = client_for("operator").post(f"/api/v1/tenders/{t['id']}/publish")
    assert r.status_code == 200, r.text
    clock.set(start + timedelta(hours=1))
    return dict(r.json())


def test_a_section_closes_and_opens_before_the_others(client_for, clock, db, tmp_path):
    start = clock.now() + timedelta(days=1)
    early = start + timedelta(days=20)
    t = _published(client_for, clock, start, early)
    s1, s2 = (s["id"] for s in t["sections"])
    assert datetime.fromisoformat(t["sections"][1]["bid_deadline"]) == early
    world = World(t, datetime.fromisoformat(t["bid_deadline"]), [s1, s2])
    bs = [bidder(client_for, u, tmp_path) for u in ("bidder", "bidder2", "bidder3")]
    for b in bs:
        for sid in (s1, s2):
            obtain_and_bid(b, world, tmp_path, section_id=sid)

    # One millisecond after section 2's deadline: refused there, still accepted on section 1.
    clock.set(early + timedelta(milliseconds=1))
    from tests.bidding.helpers import seal, submit

    late = submit(bs[0], s2, seal(bs[0], bs[0].client, s2, tmp_path, price="19000000.00"))
    assert late.status_code == 409 and late.json()["code"] == "deadline_passed", late.text
    again = submit(bs[0], s1, seal(bs[0], bs[0].client, s1, tmp_path, price="19000000.00"))
    assert again.status_code == 201, again.text

    # The chronograph starts section 2's opening; the tender keeps taking bids for section 1.
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 1
    operator = client_for("operator")
    room2 = operator.get(f"/api/v1/sections/{s2}/opening").json()
    assert room2["status"] == "decrypting" and datetime.fromisoformat(room2["started_at"]) == early
    assert operator.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "bidding"
    room1 = operator.get(f"/api/v1/sections/{s1}/opening")
    assert room1.status_code == 409 and room1.json()["code"] == "opening_not_started", room1.text

    # At the tender's deadline the tender closes and section 1 opens.
    clock.set(world.deadline)
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 1
    assert operator.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "closed"
    assert operator.get(f"/api/v1/sections/{s1}/opening").json()["status"] == "decrypting"


def test_a_clarification_that_moves_the_deadline_moves_every_section(client_for, clock, tmp_path):
    start = clock.now() + timedelta(days=1)
    t = _published(client_for, clock, start, start + timedelta(days=20))
    owner = client_for("tenderer")
    clock.set(start + timedelta(days=10))  # section 2 closes in ten days; the law wants fifteen
    body = {"title": "第二标段工程量清单变更", "body": "护岸长度调整为3.5公里。", "changes_bid_content": True}
    r = owner.post(f"/api/v1/tenders/{t['id']}/clarify", json=body)
    assert r.status_code == 422 and r.json()["code"] == "clarification_too_late", r.text
    earliest = datetime.fromisoformat(r.json()["detail"]["earliest"])
    moved = max(earliest, datetime.fromisoformat(t["bid_deadline"]))
    r = owner.post(f"/api/v1/tenders/{t['id']}/clarify", json=body | {"new_bid_deadline": moved.isoformat()})
    assert r.status_code == 200, r.text
    assert {datetime.fromisoformat(s["bid_deadline"]) for s in r.json()["sections"]} == {moved}
