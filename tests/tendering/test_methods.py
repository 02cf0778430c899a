"""Every procurement method through its whole life, and the ways a live tender changes course:
failure and re-tender, termination, and a clarification that moves the deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ggzy.common.audit import AuditEvent
from ggzy.common.chronograph import DatedEvent, run_due
from ggzy.dated_events import HANDLERS
from tests.bidding.helpers import bidder, seal, submit
from tests.tendering.helpers import accepted_project_id, tender_body
from tests.tendering.helpers_bids import bid_on_sections, bidders, bidders_for, min_bids
from tests.tendering.helpers_methods import METHOD_SETUP, counts, method_body, project_for


def _due(db, clock) -> int:
    return run_due(db, now=clock.now(), handlers=HANDLERS)


def _published(client_for, clock, method: str, **extra) -> tuple[dict, datetime]:
    """A tender of ``method`` set up, submitted and published; the clock stands an hour after docs_start."""
    _, owner_name, reviewer_name = METHOD_SETUP[method]
    owner, reviewer = client_for(owner_name), client_for(reviewer_name)
    start = clock.now() + timedelta(days=1)
    r = owner.post("/api/v1/tenders", json=method_body(project_for(owner, method), start, method, **extra))
    assert r.status_code == 201, r.text
    t = r.json()
    r = owner.post(f"/api/v1/tenders/{t['id']}/submit")
    assert r.status_code == 200 and r.json()["status"] == "pending_review", r.text
    clock.set(start - timedelta(hours=1))
    r = reviewer.post(f"/api/v1/tenders/{t['id']}/publish")
    assert r.status_code == 200 and r.json()["status"] == "bidding", r.text
    clock.set(start + timedelta(hours=1))
    return r.json(), start


@pytest.mark.parametrize("method", list(METHOD_SETUP))
def test_method_lifecycle_through_failure_and_retender(method, client_for, clock, db) -> None:
    _, owner_name, reviewer_name = METHOD_SETUP[method]
    owner, reviewer = client_for(owner_name), client_for(reviewer_name)
    bidder, outsider = client_for("bidder"), client_for("bidder2")
    t, _ = _published(client_for, clock, method)
    tid = t["id"]
    assert t["method"] == method and len(t["code"]) == 20 and t["code"].startswith(t["project_code"])
    invited = method in ("construction_invited", "gp_invited", "gp_single_source")
    notices = owner.get(f"/api/v1/tenders/{tid}/notices").json()
    assert [n["kind"] for n in notices] == ["invitation" if invited else "tender"]

    # Obtain documents; an invitation procedure admits only its invitees.
    assert bidder.post(f"/api/v1/tenders/{tid}/obtain").status_code == 204
    r = outsider.post(f"/api/v1/tenders/{tid}/obtain")
    if invited:
        assert r.status_code == 403 and r.json()["code"] == "not_invited", r.text
    else:
        assert r.status_code == 204, r.text

    clock.advance(timedelta(days=2))
    q = bidder.post(f"/api/v1/tenders/{tid}/questions", json={"body": "第一包是否接受进口产品投标？"})
    assert q.status_code == 201, q.text
    a = owner.post(f"/api/v1/tenders/{tid}/questions/{q.json()['id']}/answer", json={"answer": "不接受进口产品。"})
    assert a.status_code == 200, a.text
    assert [x["answer"] for x in bidder.get(f"/api/v1/tenders/{tid}/questions").json()] == ["不接受进口产品。"]

    # The chronograph acts exactly at the deadline, once. Nobody bid, which is short of every
    # method's minimum (even single source and framework need one), so no section may be opened
    # and the tender fails by itself (流标), its failure notice naming the shortfall.
    deadline = datetime.fromisoformat(t["bid_deadline"])
    clock.set(deadline - timedelta(seconds=1))
    assert _due(db, clock) == 0
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "bidding"
    clock.set(deadline)
    assert _due(db, clock) == 1 and _due(db, clock) == 0
    got = owner.get(f"/api/v1/tenders/{tid}").json()
    assert got["status"] == "failed", got
    need = min_bids(method)
    row = next(
        r for r in owner.get("/api/v1/tender-rules").json() if r["method"] == method and r["key"] == "min_bidders"
    )
    notices = owner.get(f"/api/v1/tenders/{tid}/notices").json()
    assert [n["kind"] for n in notices][-2:] == ["invitation" if invited else "tender", "failure"]
    assert notices[-1]["supersedes_id"] == notices[-2]["id"] and notices[-1]["body"] == got["end_reason"]
    for s in t["sections"]:
        assert f"{s['name']}：截止时共 0 家投标，不足 {need} 家" in got["end_reason"]
    assert row["amount"] == need and row["basis"] in got["end_reason"]  # the rule row in force, cited
    # Nothing is left for the centre to declare: a failed tender cannot fail again.
    clock.advance(timedelta(hours=2))
    assert owner.post(f"/api/v1/tenders/{tid}/fail", json={"reason": "投标人不足三家"}).status_code == 403
    r = reviewer.post(f"/api/v1/tenders/{tid}/fail", json={"reason": "递交投标文件的投标人不足三家"})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition", r.text
    assert owner.get(f"/api/v1/tenders/{tid}").json()["end_reason"] == got["end_reason"]

    # Re-tender: a new draft one round later with the same set-up and the next code.
    r = owner.post(f"/api/v1/tenders/{tid}/retender")
    assert r.status_code == 200, r.text
    drafts = [x for x in owner.get("/api/v1/tenders").json() if x["previous_id"] == tid]
    assert len(drafts) == 1
    new = drafts[0]
    assert new["status"] == "draft" and new["round_no"] == 2 and new["method"] == method
    # the next number of the project's tender sequence (the demo world may hold earlier tenders)
    assert new["code"] == t["project_code"] + f"{int(t['code'][-3:]) + 1:03d}"
    assert [(s["name"], s["estimate"], s["evaluation_method"]) for s in new["sections"]] == [
        (s["name"], s["estimate"], s["evaluation_method"]) for s in t["sections"]
    ]
    assert [s["code"] for s in new["sections"]] == [new["code"] + "001", new["code"] + "002"]
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "retendered"  # a second re-tender is refused


def test_retender_twice_makes_only_one_new_round(client_for, clock, db) -> None:
    t, _ = _published(client_for, clock, "construction_open")
    owner = client_for("tenderer")
    clock.set(datetime.fromisoformat(t["bid_deadline"]))
    assert _due(db, clock) == 1
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "failed"  # no bids: failed at the deadline
    assert owner.post(f"/api/v1/tenders/{t['id']}/retender").status_code == 200
    r = owner.post(f"/api/v1/tenders/{t['id']}/retender")  # a double click, or a second user
    assert r.status_code == 409, r.text
    assert len([x for x in owner.get("/api/v1/tenders").json() if x["previous_id"] == t["id"]]) == 1


@pytest.mark.parametrize("method", list(METHOD_SETUP))
def test_enough_bids_close_the_tender_and_the_centre_may_still_fail_it(method, client_for, clock, db, tmp_path):
    """With the method's minimum of bids on a section its opening starts and the tender stays
    closed even if another section fails; the centre then records a failure for another cause
    (all bids rejected at evaluation), and the tender can be re-tendered."""
    _, owner_name, reviewer_name = METHOD_SETUP[method]
    owner, reviewer = client_for(owner_name), client_for(reviewer_name)
    t, _ = _published(client_for, clock, method)
    tid, (first, second) = t["id"], [s["id"] for s in t["sections"]]
    need = min_bids(method)
    bs = bidders(client_for, bidders_for(method)[:need], tmp_path)
    assert len(bs) == need
    bid_on_sections(bs, t, tmp_path, sections=[first])  # exactly the minimum
    bid_on_sections(bs[: need - 1], t, tmp_path, sections=[second])  # one short

    deadline = datetime.fromisoformat(t["bid_deadline"])
    clock.set(deadline)
    assert _due(db, clock) == 1
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "closed"
    rooms = [reviewer.get(f"/api/v1/sections/{sid}/opening").json() for sid in (first, second)]
    assert [(r["status"], r["bid_count"]) for r in rooms] == [("decrypting", need), ("failed", need - 1)], rooms
    assert f"不足 {need} 家" in rooms[1]["failure_reason"] and rooms[0]["failure_reason"] == ""
    # The failed section gets its own public failure notice; the tender itself goes on.
    failures = [n for n in owner.get(f"/api/v1/tenders/{tid}/notices").json() if n["kind"] == "failure"]
    assert [n["facts"]["section"] for n in failures] == [t["sections"][1]["code"]]
    assert f"不足 {need} 家" in failures[0]["body"] and t["sections"][1]["name"] in failures[0]["title"]
    # The opening of the first section runs its decryption window (its one dated event).
    clock.set(deadline + timedelta(minutes=30) - timedelta(seconds=1))
    assert _due(db, clock) == 0
    clock.set(deadline + timedelta(minutes=30))
    assert _due(db, clock) == 1
    assert reviewer.get(f"/api/v1/sections/{first}/opening").json()["status"] == "review"
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "closed"

    # Only the centre declares the failure, with its reason, published as a notice.
    clock.advance(timedelta(days=1))
    reason = "评标委员会否决所有投标（招标投标法第四十二条）"
    assert owner.post(f"/api/v1/tenders/{tid}/fail", json={"reason": reason}).status_code == 403
    r = reviewer.post(f"/api/v1/tenders/{tid}/fail", json={"reason": reason})
    assert r.status_code == 200 and r.json()["status"] == "failed", r.text
    assert r.json()["end_reason"] == reason
    notices = owner.get(f"/api/v1/tenders/{tid}/notices").json()
    assert notices[-1]["kind"] == "failure" and [n["kind"] for n in notices].count("failure") == 2
    assert notices[-1]["supersedes_id"] == notices[-2]["id"] and notices[-1]["body"] == reason
    r = reviewer.post(f"/api/v1/tenders/{tid}/fail", json={"reason": reason})
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition", r.text
    assert owner.post(f"/api/v1/tenders/{tid}/retender").status_code == 200
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "retendered"


@pytest.mark.parametrize(
    ("method", "kind"),
    [("gp_open", "construction"), ("gp_single_source", "construction"), ("construction_open", "procurement")],
)
def test_method_must_match_the_projects_trading_type(method, kind, client_for, clock, db) -> None:
    owner = client_for("tenderer" if kind == "construction" else "yongji_school")
    body = method_body(accepted_project_id(owner, kind), clock.now() + timedelta(days=1), method)
    before = counts(db)
    r = owner.post("/api/v1/tenders", json=body)
    assert r.status_code == 422 and r.json()["code"] == "method_type_mismatch", r.text
    assert counts(db) == before


def test_termination_publishes_a_notice_and_cancels_the_deadline(client_for, clock, db) -> None:
    t, _ = _published(client_for, clock, "construction_open")
    owner, bidder = client_for("tenderer"), client_for("bidder")
    r = owner.post(f"/api/v1/tenders/{t['id']}/terminate", json={"reason": "项目资金来源发生变化，终止招标"})
    assert r.status_code == 200 and r.json()["status"] == "terminated", r.text
    notices = bidder.get(f"/api/v1/tenders/{t['id']}/notices").json()
    assert [n["kind"] for n in notices] == ["tender", "termination"]
    assert notices[1]["body"] == "项目资金来源发生变化，终止招标" and notices[1]["supersedes_id"] == notices[0]["id"]

    clock.set(datetime.fromisoformat(t["bid_deadline"]) + timedelta(hours=1))
    assert _due(db, clock) == 0
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "terminated"
    with db.session(write=False) as s:
        assert s.scalars(select(DatedEvent.outcome).where(DatedEvent.object_id == str(t["id"]))).all() == ["cancelled"]
        closes = select(func.count()).where(AuditEvent.action == "tender.close", AuditEvent.object_id == str(t["id"]))
        assert s.scalar(closes) == 0
    assert bidder.post(f"/api/v1/tenders/{t['id']}/obtain").status_code == 409


def test_late_clarification_must_move_the_deadline(client_for, clock, db, tmp_path) -> None:
    owner = client_for("tenderer")
    pid = accepted_project_id(owner)
    start = clock.now() + timedelta(days=1)
    t = owner.post("/api/v1/tenders", json=tender_body(pid, start)).json()
    assert owner.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    assert client_for("operator").post(f"/api/v1/tenders/{t['id']}/publish").status_code == 200
    old_deadline = start + timedelta(days=20)
    b = bidder(client_for, "bidder", tmp_path)
    clock.set(start + timedelta(hours=1))
    assert b.client.post(f"/api/v1/tenders/{t['id']}/obtain").status_code == 204

    clock.set(start + timedelta(days=10))  # ten days left, the law wants fifteen
    body = {
        "title": "关于第二标段工程量清单的变更",
        "body": "第二标段护岸长度调整为3.5公里。",
        "changes_bid_content": True,
    }
    r = owner.post(f"/api/v1/tenders/{t['id']}/clarify", json=body)
    assert r.status_code == 422 and r.json()["code"] == "clarification_too_late", r.text
    earliest = datetime.fromisoformat(r.json()["detail"]["earliest"])
    assert earliest == clock.now() + timedelta(days=15)
    assert r.json()["detail"]["basis"] == "招标投标法第二十三条"

    short = owner.post(
        f"/api/v1/tenders/{t['id']}/clarify",
        json=body | {"new_bid_deadline": (earliest - timedelta(seconds=1)).isoformat()},
    )
    assert short.status_code == 422 and short.json()["code"] == "clarification_too_late", short.text
    r = owner.post(f"/api/v1/tenders/{t['id']}/clarify", json=body | {"new_bid_deadline": earliest.isoformat()})
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["bid_deadline"]) == earliest
    notices = owner.get(f"/api/v1/tenders/{t['id']}/notices").json()
    assert [(n["kind"], n["version"]) for n in notices] == [("tender", 1), ("clarification", 2)]
    assert notices[1]["supersedes_id"] == notices[0]["id"]

    clock.set(old_deadline)
    assert _due(db, clock) == 0
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "bidding"
    # A bid after the original deadline is on time: the deadline has moved.
    first, second = t["sections"]
    r = submit(b, first["id"], seal(b, b.client, first["id"], tmp_path))
    assert r.status_code == 201 and r.json()["status"] == "accepted", r.text
    clock.set(earliest - timedelta(seconds=1))
    assert _due(db, clock) == 0
    clock.set(earliest)
    assert _due(db, clock) == 1
    # One bid on the first section and none on the second: too few to open either, so the tender
    # fails at the new deadline, the failure notice superseding the clarification.
    got = owner.get(f"/api/v1/tenders/{t['id']}").json()
    assert got["status"] == "failed", got
    notices = owner.get(f"/api/v1/tenders/{t['id']}/notices").json()
    assert [(n["kind"], n["version"]) for n in notices] == [("tender", 1), ("clarification", 2), ("failure", 3)]
    assert notices[2]["supersedes_id"] == notices[1]["id"] and notices[2]["body"] == got["end_reason"]
    assert f"{first['name']}：截止时共 1 家投标，不足 3 家" in got["end_reason"]
    assert f"{second['name']}：截止时共 0 家投标，不足 3 家" in got["end_reason"]
