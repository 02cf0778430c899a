"""Forming the committee and seating it: who may form it and when, the composition the law requires,
sign-in only on the day at one's own site, and the members' names sealed until they sign in."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from ggzy import demo
from ggzy.bidding.models import Opening
from ggzy.common.audit import AuditEvent
from ggzy.evaluation.models import Evaluation, Member
from ggzy.experts.models import Expert
from tests.evaluation.helpers import add_sites, code_for, ready
from tests.evaluation.helpers_more import (
    SITES,
    accept_all,
    add_tenderer_staff,
    at,
    count,
    error,
    findings,
    formed,
    open_body,
    outsider,
    sign_in,
    site_code_of,
)


def test_committee_is_formed_only_when_lawful_and_only_once(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    r0 = ready(client_for, clock, db, tmp_path)
    add_sites(client_for)
    add_tenderer_staff(db, clock, ["rep2", "rep3", "rep4"])
    operator = client_for("operator")
    url = f"/api/v1/sections/{r0.section_id}/evaluation"

    # The centre forms the committee; a bidder, an expert, a regulator or the tenderer cannot.
    for who in ("bidder", "expert", "regulator_water", "tenderer"):
        assert client_for(who).post(url, json=open_body()).status_code == 403, who
    # Nor the centre's county branch: the section is the city centre's.
    error(client_for("yongji_op").post(url, json=open_body()), 403, "out_of_scope")

    # Four of five drawn experts have accepted: the fifth may still decline and be replaced.
    experts = accept_all(app, r0, skip=1)
    error(operator.post(url, json=open_body()), 409, "experts_unconfirmed")
    r = experts[r0.experts[-1]].post(f"/api/v1/extractions/{r0.extraction_id}/respond", json={"accept": True})
    assert r.status_code == 204

    # The opening record back in the bidders' confirmation (the state just before publication):
    # the committee waits for the published record.
    with db.transaction() as s:
        s.scalar(select(Opening).where(Opening.section_id == r0.section_id)).status = "review"
    error(operator.post(url, json=open_body()), 409, "opening_not_published")
    with db.transaction() as s:
        s.scalar(select(Opening).where(Opening.section_id == r0.section_id)).status = "published"

    error(operator.post(url, json=open_body(host_site="NOPE-9")), 422, "site_unknown")
    body = error(operator.post(url, json=open_body(remote_sites=["YJ-1", "PS-9"])), 422, "site_unknown")
    assert "PS-9" in body["message"]

    # Five experts and one representative: six, an even committee.
    body = error(operator.post(url, json=open_body(representatives=["tenderer"])), 422, "committee_invalid")
    assert "应为单数" in body["message"] and "招标投标法第三十七条" in body["message"], body["message"]
    # Five experts of nine members are fewer than two thirds.
    reps = ["tenderer", "rep2", "rep3", "rep4"]
    body = error(operator.post(url, json=open_body(representatives=reps)), 422, "committee_invalid")
    assert "少于成员总数的三分之二" in body["message"] and "招标投标法第三十七条" in body["message"]
    assert "单数" not in body["message"], "nine is odd: only the two-thirds rule is broken"

    # A representative must be a user of the tenderer's own organisation.
    for who in ("bidder", "agency", "no-such-user"):
        r = operator.post(url, json=open_body(representatives=["tenderer", who]))
        body = error(r, 422, "representative_invalid")
        assert who in body["message"]

    # Nothing of the refused attempts was kept.
    assert count(db, Evaluation) == 0 and count(db, Member) == 0
    assert count(db, AuditEvent, action="evaluation.open") == 0

    # Five experts and two of the tenderer's staff: seven, experts 5/7 >= 2/3.
    r = operator.post(url, json=open_body(representatives=["tenderer", "rep2"]))
    assert r.status_code == 201, r.text
    eid = r.json()["id"]
    kinds = sorted(m["kind"] for m in r.json()["members"])
    assert kinds == ["expert"] * 5 + ["representative"] * 2
    error(operator.post(url, json=open_body()), 409, "evaluation_exists")
    assert count(db, Evaluation) == 1 and count(db, Member, evaluation_id=eid) == 7
    assert count(db, AuditEvent, action="evaluation.open") == 1


def test_the_same_representative_named_twice_is_refused(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    """A user named twice as representative would sit twice (and count twice towards the odd
    number): it is a bad request, refused like any other invalid representative."""
    r0 = ready(client_for, clock, db, tmp_path)
    add_sites(client_for)
    accept_all(app, r0)
    # Our own client, so that a server error shows as a 500 rather than a raised exception.
    operator = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    r = operator.post("/api/v1/auth/login", json={"username": "operator", "password": demo.DEMO_PASSWORD})
    operator.headers["x-csrf-token"] = r.json()["csrf_token"]
    r = operator.post(
        f"/api/v1/sections/{r0.section_id}/evaluation", json=open_body(representatives=["tenderer", "tenderer"])
    )
    assert r.status_code == 422 and r.json()["code"] == "representative_invalid", (r.status_code, r.text)
    assert count(db, Evaluation) == 0


def test_members_sign_in_on_the_day_at_their_site_once_and_outsiders_are_refused(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    first, second, *_ = com.clients
    day = com.r0.day

    for when in (at(day - timedelta(days=1), 9), at(day + timedelta(days=1), 9)):
        clock.set(when)
        body = error(sign_in(com, db, clock, first), 409, "not_evaluation_day")
        assert day.isoformat() in body["message"]

    clock.set(at(day, 9))
    sites = {m["id"]: m["site"] for m in com.view(first)["members"]}
    assert len(set(sites.values())) == 2, "the committee sits at two sites"
    mine = site_code_of(com, db, first, clock.now())
    other = next(code for name, code in SITES.items() if name != sites[first])
    # The other site's screen code does not seat a member here, nor a code two windows old.
    stale = site_code_of(com, db, first, clock.now() - timedelta(minutes=10))
    for bad in (code_for(db, other, clock.now()), stale):
        if bad != mine:  # the same six digits would be a one-in-a-million draw
            error(com.clients[first].post(com.url("/sign-in"), json={"code": bad}), 422, "sign_in_code_invalid")
    assert count(db, AuditEvent, action="evaluation.sign_in") == 0
    assert not any(m["signed_in"] for m in com.view(first)["members"])

    assert com.clients[first].post(com.url("/sign-in"), json={"code": mine}).status_code == 200
    # A code read just before the screen changed (the previous window) still seats a member.
    previous = site_code_of(com, db, second, clock.now() - timedelta(minutes=5))
    assert com.clients[second].post(com.url("/sign-in"), json={"code": previous}).status_code == 200
    error(sign_in(com, db, clock, first), 409, "already_signed_in")
    assert count(db, AuditEvent, action="evaluation.sign_in") == 2
    # The review waits for everyone: a member who signed in cannot review yet.
    r = com.clients[first].post(com.url("/review"), json=findings([1]))
    error(r, 409, "evaluation_wrong_stage")

    # An expert of the library who was not drawn: refused on every member endpoint, as not a member.
    stranger = outsider(app, com.r0)
    attempts = {
        "/sign-in": {"code": mine},
        "/chair": {"member_id": first},
        "/review": findings([1, 2, 3]),
        "/clarifications": {"bid_id": 1, "question": "请说明工期安排"},
        "/adjustments": {"bid_id": 1, "amount": "100.00", "reason": "偏差折价"},
        "/scores": {"scores": {"1": {"technical": "40", "commercial": "15"}}},
        "/report": None,
        "/sign": {"pin": "246810"},
    }
    for tail, payload in attempts.items():
        r = stranger.post(com.url(tail), json=payload) if payload is not None else stranger.post(com.url(tail))
        error(r, 404, "not_a_member")
    error(stranger.get(com.url()), 404, "evaluation_not_found")
    assert stranger.get("/api/v1/my/evaluations").json() == []
    assert count(db, Member, evaluation_id=com.eid) == 5
    assert [m["signed_in"] for m in com.view(first)["members"]].count(True) == 2


def test_names_are_sealed_until_each_member_signs_in(
    app: Any, client_for: Any, anon: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    first, second, *_ = com.clients
    with db.session(write=False) as s:
        names = [e.name for e in s.scalars(select(Expert))]
    assert names

    parties = ("operator", "tenderer", "regulator_water", "auditor")
    for who in parties:
        view = client_for(who).get(com.url()).json()
        assert [m["name"] for m in view["members"]] == [None] * 5, who
    # A member sees its own name only.
    view = com.view(first)
    assert [m["name"] is not None for m in view["members"]] == [m["id"] == first for m in view["members"]]
    # Nor do the public, the bidders or the committee's published list show them.
    assert anon.get(com.url()).status_code in (401, 403)
    assert client_for("bidder").get(com.url()).status_code in (403, 404)
    error(anon.get(com.url("/public")), 404, "not_yet_public")

    # The audit log records the committee's forming by counts, naming nobody.
    events = client_for("auditor").get(
        "/api/v1/audit/events", params={"object_type": "evaluation", "object_id": str(com.eid)}
    )
    assert events.status_code == 200, events.text
    opened = [e for e in events.json() if e["action"] == "evaluation.open"]
    assert len(opened) == 1
    text = json.dumps(opened, ensure_ascii=False)
    assert not [n for n in names if n in text]

    clock.set(at(com.r0.day, 9))
    assert sign_in(com, db, clock, second).status_code == 200
    with db.session(write=False) as s:
        expert_id = s.scalar(select(Member.expert_id).where(Member.id == second))
        second_name = s.get(Expert, expert_id).name
    for who in parties:
        shown = {m["id"]: m["name"] for m in client_for(who).get(com.url()).json()["members"]}
        assert shown.pop(second) == second_name, who
        assert set(shown.values()) == {None}, who
