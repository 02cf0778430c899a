"""After the report: its candidates go to the publicity once it is signed, the committee becomes
public with the result notice, the tenderer and the centre each rate each expert once (poor work
or misconduct suspends the expert), and each expert's fee follows the hours worked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ggzy.common.chronograph import run_due
from ggzy.common.clock import local_date
from ggzy.dated_events import HANDLERS
from ggzy.evaluation.models import Evaluation, Rating
from ggzy.experts.models import Expert
from ggzy.identity.models import User
from ggzy.tendering.models import Section
from tests.evaluation.helpers_more import (
    Committee,
    at,
    count,
    elect,
    error,
    formed,
    member_rows,
    outsider,
    review_all,
    score_all,
    sign_all,
    sign_in,
    to_report,
)


def expert_ids(client_for: Any, com: Committee) -> list[int | None]:
    """The experts' library ids, as the tenderer's view shows them to rate (once signed)."""
    members = client_for("tenderer").get(com.url()).json()["members"]
    return [m["expert_id"] for m in members if m["kind"] == "expert"]


def expert_status(client_for: Any, expert_id: int | None) -> dict[str, Any]:
    rows = client_for("operator").get("/api/v1/experts").json()
    return dict(next(e for e in rows if e["id"] == expert_id))


def test_candidates_follow_the_signed_report_and_the_committee_is_public_with_the_result(
    app: Any, client_for: Any, anon: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    to_report(com, db, clock)
    last = com.others()[-1]
    sign_all(com, skip={last})
    tid, owner = com.r0.tender["id"], client_for("tenderer")
    url = f"/api/v1/tenders/{tid}/candidates/from-reports"

    error(owner.post(url), 409, "report_not_signed")
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] == "opened"
    assert "candidates" not in [n["kind"] for n in anon.get(f"/api/v1/tenders/{tid}/notices").json()]
    # Who the experts are in the library shows for the ratings only once the report is signed.
    assert expert_ids(client_for, com) == [None] * 5
    expert_id = member_rows(db, com.eid)[0].expert_id
    error(owner.post(com.url("/ratings"), json={"expert_id": expert_id, "score": 5}), 409, "evaluation_not_finished")
    assert client_for("bidder").post(url).status_code == 403

    done = com.clients[last].post(com.url("/sign"), json={"pin": "246810"}).json()
    assert done["status"] == "signed"
    assert expert_ids(client_for, com) == [m.expert_id for m in member_rows(db, com.eid)]
    r = owner.post(url)
    assert r.status_code == 200 and r.json()["status"] == "publicity", r.text
    notice = next(n for n in anon.get(f"/api/v1/tenders/{tid}/notices").json() if n["kind"] == "candidates")
    names = [c["name"] for c in done["report"]["candidates"]]
    assert all(f"第{n}名 {name}" in notice["body"] for n, name in enumerate(names, start=1)), notice["body"]

    # The committee stays sealed from the public through the publicity, until the result notice.
    error(anon.get(com.url("/public")), 404, "not_yet_public")
    clock.advance(timedelta(days=3))
    run_due(db, now=clock.now(), handlers=HANDLERS)
    assert owner.get(f"/api/v1/tenders/{tid}").json()["status"] != "publicity"
    error(anon.get(com.url("/public")), 404, "not_yet_public")
    r = owner.post(f"/api/v1/tenders/{tid}/award")
    assert r.status_code == 200, r.text
    assert "result" in [n["kind"] for n in anon.get(f"/api/v1/tenders/{tid}/notices").json()]
    pub = anon.get(com.url("/public"))
    assert pub.status_code == 200, pub.text
    with db.session(write=False) as s:
        ids = [m.expert_id for m in member_rows(db, com.eid)]
        expected = sorted(s.get(Expert, i).name for i in ids)
    assert sorted(m["name"] for m in pub.json()["committee"]) == expected
    assert sum(m["chair"] for m in pub.json()["committee"]) == 1
    assert pub.json()["draw"]["commitment"], "the draw is published for anyone to replay"


def test_each_rater_rates_once_and_three_poor_ratings_in_a_year_suspend(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    to_report(com, db, clock)
    sign_all(com)
    poor, good, *_ = expert_ids(client_for, com)
    now = clock.now()
    # The same expert's earlier work: an evaluation of another section, rated poor by its tenderer
    # 300 days ago (counts) and by the centre 400 days ago (outside the twelve months).
    # Earlier evaluations judged poor 300 and 200 days ago (they count) and 400 days ago (it does not).
    with db.transaction() as s:
        sections = s.scalars(select(Section).where(Section.id != com.r0.section_id).order_by(Section.id)).all()[:3]
        users = {u.username: u.id for u in s.scalars(select(User).where(User.username.in_(["tenderer", "operator"])))}
        for section, (kind, days) in zip(sections, (("tenderer", 300), ("centre", 200), ("centre", 400)), strict=True):
            earlier = Evaluation(
                tender_id=section.tender_id,
                section_id=section.id,
                extraction_id=com.r0.extraction_id,
                method="comprehensive",
                scheme={},
                status="signed",
                created_at=now - timedelta(days=days + 1),
                created_by=users["operator"],
                review={},
                adjustments={},
                finished_at=now - timedelta(days=days),
            )
            s.add(earlier)
            s.flush()
            who = users["tenderer" if kind == "tenderer" else "operator"]
            made = now - timedelta(days=days)
            s.add(
                Rating(
                    evaluation_id=earlier.id, expert_id=poor, rater_kind=kind, rater_user_id=who, score=2, made_at=made
                )
            )
    url = com.url("/ratings")

    for who in ("regulator_water", "bidder", "expert"):
        assert client_for(who).post(url, json={"expert_id": poor, "score": 1}).status_code == 403, who
    error(client_for("tenderer").post(url, json={"expert_id": poor, "score": 6}), 422, "validation_error")
    not_on_it = next(i for i in range(1, 100) if i not in expert_ids(client_for, com))
    error(client_for("tenderer").post(url, json={"expert_id": not_on_it, "score": 2}), 404, "expert_not_member")

    r = client_for("tenderer").post(url, json={"expert_id": poor, "score": 4, "comment": "评审认真"})
    assert r.status_code == 201 and r.json()["rater"] == "tenderer", r.text
    assert expert_status(client_for, poor)["status"] == "active", "two poor evaluations in twelve months"
    error(client_for("tenderer").post(url, json={"expert_id": poor, "score": 1}), 409, "already_rated")
    r = client_for("operator").post(url, json={"expert_id": poor, "score": 1, "comment": "迟到两小时"})
    assert r.status_code == 201 and r.json()["rater"] == "centre", r.text
    error(client_for("operator").post(url, json={"expert_id": poor, "score": 5}), 409, "already_rated")
    assert count(db, Rating, expert_id=poor) == 5

    e = expert_status(client_for, poor)
    # Poor ratings count per evaluation (the tenderer and the centre rating one poor is one).
    assert e["status"] == "suspended" and "12 个月内 3 次评价为差" in e["status_reason"], e
    assert e["status_until"] == (local_date(now) + timedelta(days=182)).isoformat()
    # Good work suspends nobody.
    assert client_for("tenderer").post(url, json={"expert_id": good, "score": 5}).status_code == 201
    assert client_for("operator").post(url, json={"expert_id": good, "score": 4}).status_code == 201
    assert expert_status(client_for, good)["status"] == "active"


def test_misconduct_suspends_at_once_for_182_local_days(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    to_report(com, db, clock)
    sign_all(com)
    cheat = expert_ids(client_for, com)[0]
    url = com.url("/ratings")
    body = {"expert_id": cheat, "score": 3, "misconduct": True}
    error(client_for("operator").post(url, json=body), 422, "reason_required")
    assert count(db, Rating) == 0
    # The centre records it early the next morning (07:30 in Jilin is still the previous day in UTC).
    clock.set(at(com.r0.day + timedelta(days=1), 7, 30))
    r = client_for("operator").post(url, json={**body, "comment": "评标期间使用手机与外界联系"})
    assert r.status_code == 201, r.text
    e = expert_status(client_for, cheat)
    assert e["status"] == "suspended" and "违规" in e["status_reason"], e
    assert e["status_until"] == (local_date(clock.now()) + timedelta(days=182)).isoformat()


def test_fee_follows_the_hours_from_sign_in_to_the_last_signature(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    day = com.r0.day
    a, b, c, d, e = com.clients
    # The members arrive at different times; the last signature is at 15:30.
    arrivals = {a: at(day, 4), b: at(day, 9), d: at(day, 11, 29), c: at(day, 11, 30), e: at(day, 11, 30)}
    for m, when in arrivals.items():
        clock.set(when)
        assert sign_in(com, db, clock, m).status_code == 200
    bids = sorted(x["id"] for x in elect(com)["bids"])
    review_all(com, bids)
    score_all(com, bids)
    assert com.clients[com.chair].post(com.url("/report")).status_code == 200
    sign_all(com, skip={e})
    assert com.clients[a].get("/api/v1/my/fees").json() == {"items": [], "total": "0"}
    clock.set(at(day, 15, 30))
    assert com.clients[e].post(com.url("/sign"), json={"pin": "246810"}).json()["status"] == "signed"

    # 500 for up to four hours, 100 for each hour begun beyond, at most 1200 a day.
    expected = {
        a: ("11.50", "1200.00"),  # 500 + 8 x 100 = 1300, capped
        b: ("6.50", "800.00"),  # 500 + 3 x 100
        c: ("4.00", "500.00"),
        d: ("4.02", "600.00"),  # a minute past four hours begins the fifth
        e: ("4.00", "500.00"),
    }
    for m, (hours, amount) in expected.items():
        fees = com.clients[m].get("/api/v1/my/fees").json()
        assert [(f["evaluation"], f["hours"], f["amount"]) for f in fees["items"]] == [(com.eid, hours, amount)], m
        assert fees["total"] == amount and fees["items"][0]["basis"]
    stranger = outsider(app, com.r0)
    assert stranger.get("/api/v1/my/fees").json() == {"items": [], "total": "0"}
    error(client_for("tenderer").get("/api/v1/my/fees"), 404, "expert_not_found")
