"""After evaluation: candidate publicity, an objection that pauses the award, the signed award
notice and its public verification, and the contract record with its statutory warning."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from ggzy import bidder_tool as tool
from ggzy import demo
from ggzy.common.chronograph import run_due
from ggzy.dated_events import HANDLERS
from tests.bidding.helpers import published_tender
from tests.tendering.helpers_bids import three_bids_everywhere

WINNER = demo.code("91220204MA1000019")  # 吉林市松原建筑工程有限公司 (bidder)
SECOND = demo.code("91220211MA1000020")  # 吉林市北山路桥工程有限公司 (bidder2)


def closed_tender(client_for, clock, db, tmp_path) -> int:
    """A construction tender opened in full: three bids on each section, all decrypted, both
    opening records published, so the tender is "opened" and evaluation can follow."""
    world = published_tender(client_for, clock)
    # 松原 and 北山路桥 bid what the committee later recommends them at; 拉法 bids higher.
    bs = three_bids_everywhere(client_for, world.tender, tmp_path, prices=("19500000.00", "19800000.00", "20100000.00"))
    operator = client_for("operator")
    clock.set(world.deadline)
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 1  # the deadline: close, start both openings
    assert client_for("tenderer").get(f"/api/v1/tenders/{world.tender['id']}").json()["status"] == "closed"
    # Candidates wait for the opening: not before the records are published.
    r = client_for("tenderer").post(f"/api/v1/tenders/{world.tender['id']}/candidates", json=candidates(clock))
    assert r.status_code == 409 and r.json()["code"] == "invalid_transition", r.text
    for sid in world.sections:
        room = operator.get(f"/api/v1/sections/{sid}/opening").json()
        assert (room["status"], room["bid_count"]) == ("decrypting", 3), room
        for b in bs:
            key = tool.content_key(b.key, b.sealed[sid].path)
            assert (
                b.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": key}).status_code == 200
            )
        assert operator.post(f"/api/v1/sections/{sid}/opening/close").json()["status"] == "review"
        assert client_for("tenderer").get(f"/api/v1/tenders/{world.tender['id']}").json()["status"] == "closed"
        assert operator.post(f"/api/v1/sections/{sid}/opening/publish").json()["status"] == "published"
    assert client_for("tenderer").get(f"/api/v1/tenders/{world.tender['id']}").json()["status"] == "opened"
    return int(world.tender["id"])


def candidates(clock) -> dict:
    rows = []
    for seq in (1, 2):
        rows += [
            {"section_seq": seq, "rank": 1, "credit_code": WINNER, "price": "19500000.00"},
            {"section_seq": seq, "rank": 2, "credit_code": SECOND, "price": "19800000.00"},
        ]
    return {"report_received_at": clock.now().isoformat(), "candidates": rows}


def test_publicity_objection_award_verify_contract(client_for, clock, db, anon, tmp_path):
    tid = closed_tender(client_for, clock, db, tmp_path)
    tenderer, bidder = client_for("tenderer"), client_for("bidder2")
    r = tenderer.post(f"/api/v1/tenders/{tid}/candidates", json=candidates(clock))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "publicity"
    kinds = [n["kind"] for n in anon.get(f"/api/v1/tenders/{tid}/notices").json()]
    assert kinds[-1] == "candidates"

    # An objection during publicity pauses the procedure: no award until it is answered.
    o = bidder.post(f"/api/v1/tenders/{tid}/objections", json={"body": "第一中标候选人项目经理有在建工程，请核查。"})
    assert o.status_code == 201, o.text
    clock.advance(timedelta(days=3))  # exactly the 3-day publicity (实施条例第五十四条)
    assert run_due(db, now=clock.now(), handlers=HANDLERS) == 1
    assert (
        bidder.post(f"/api/v1/tenders/{tid}/objections", json={"body": "公示期满后提出的异议不应被受理。"}).status_code
        == 409
    )
    r = tenderer.post(f"/api/v1/tenders/{tid}/award")
    assert r.status_code == 409 and r.json()["code"] == "objection_pending"
    ans = tenderer.post(
        f"/api/v1/tenders/{tid}/objections/{o.json()['id']}/answer", json={"answer": "经核查，该项目已竣工。"}
    )
    assert ans.status_code == 200

    r = tenderer.post(f"/api/v1/tenders/{tid}/award")
    assert r.status_code == 200, r.text
    awards = r.json()
    assert [a["winner_name"] for a in awards] == ["吉林市松原建筑工程有限公司"] * 2
    code = awards[0]["verify_code"]

    # Anyone can verify it, and the PDF carries the code.
    v = anon.get(f"/api/v1/awards/{code}/verify").json()
    assert v["genuine"] is True and v["facts"]["winner_code"] == WINNER
    pdf = anon.get(f"/api/v1/awards/{code}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = anon.get(f"/verify/{code}")
    assert "真实有效" in page.text
    assert anon.get("/api/v1/awards/NOTAREALCODE0000/verify").status_code == 404

    # A changed price in the database is caught: the signature no longer matches.
    with db.transaction() as s:
        s.execute(
            text("UPDATE award_notice SET facts = :f WHERE verify_code = :c"),
            {"f": __import__("json").dumps(v["facts"] | {"price": "1.00"}, ensure_ascii=False), "c": code},
        )
    assert anon.get(f"/api/v1/awards/{code}/verify").json()["genuine"] is False

    # Contracts: the first within 30 days, the second late (flagged, not refused).
    today = (clock.now() + timedelta(hours=8)).date()
    r = tenderer.post(
        f"/api/v1/tenders/{tid}/contracts",
        json={"section_seq": 1, "signed_on": today.isoformat(), "amount": "19500000.00"},
    )
    assert r.status_code == 201 and r.json()["late"] is False
    clock.advance(timedelta(days=40))
    late_day = (clock.now() + timedelta(hours=8)).date()
    r = tenderer.post(
        f"/api/v1/tenders/{tid}/contracts",
        json={"section_seq": 2, "signed_on": late_day.isoformat(), "amount": "19500000.00"},
    )
    assert r.status_code == 201 and r.json()["late"] is True and "招标投标法第四十六条" in r.json()["warning"]
    assert tenderer.get(f"/api/v1/tenders/{tid}").json()["status"] == "contracted"


def test_candidates_need_contiguous_ranks_per_section(client_for, clock, db, tmp_path):
    tid = closed_tender(client_for, clock, db, tmp_path)
    body = candidates(clock)
    body["candidates"] = [c for c in body["candidates"] if not (c["section_seq"] == 2 and c["rank"] == 1)]
    r = client_for("tenderer").post(f"/api/v1/tenders/{tid}/candidates", json=body)
    assert r.status_code == 422 and r.json()["code"] == "candidate_ranks"
    assert client_for("tenderer").get(f"/api/v1/tenders/{tid}").json()["status"] == "opened"
