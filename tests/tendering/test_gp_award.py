"""Government procurement after the opening: the result's publicity runs one working day
(财政部令第87号, a configurable row), a 质疑 during it must be answered before the award, and the
中标通知书 and the contract follow (政府采购法第四十六条: contract within 30 days)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ggzy import bidder_tool as tool
from ggzy.common.calendar import WorkCalendar
from ggzy.common.chronograph import run_due
from ggzy.common.clock import local_date
from ggzy.dated_events import HANDLERS
from tests.tendering.helpers_bids import bid_on_sections, bidders
from tests.tendering.helpers_methods import JIANGNAN, LAFA, SONGYUAN, credit_code, method_body, project_for


def _due(db, clock) -> int:
    return run_due(db, now=clock.now(), handlers=HANDLERS)


def test_gp_open_tender_from_bids_to_contract(client_for, clock, db, tmp_path) -> None:
    owner, centre = client_for("yongji_school"), client_for("yongji_op")
    start = clock.now() + timedelta(days=1)
    r = owner.post("/api/v1/tenders", json=method_body(project_for(owner, "gp_open"), start, "gp_open"))
    assert r.status_code == 201, r.text
    t = r.json()
    assert owner.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    assert centre.post(f"/api/v1/tenders/{t['id']}/publish").status_code == 200
    clock.set(start + timedelta(hours=1))

    # Three suppliers bid on both lots; at the deadline the openings start.
    bs = bidders(client_for, ("bidder", "bidder3", "bidder4"), tmp_path)
    bid_on_sections(bs, t, tmp_path, prices=("780000.00", "795000.00", "760000.00"))
    clock.set(datetime.fromisoformat(t["bid_deadline"]))
    assert _due(db, clock) == 1
    for s in t["sections"]:
        for b in bs:
            key = tool.content_key(b.key, b.sealed[s["id"]].path)
            assert (
                b.client.post(f"/api/v1/sections/{s['id']}/opening/decrypt", json={"content_key": key}).status_code
                == 200
            )
        assert centre.post(f"/api/v1/sections/{s['id']}/opening/close").status_code == 200
        assert centre.post(f"/api/v1/sections/{s['id']}/opening/publish").status_code == 200
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "opened"

    # The evaluation report's recommendation is published; the publicity lasts one working day.
    clock.advance(timedelta(days=1))
    rows = [
        {"section_seq": seq, "rank": rank, "credit_code": credit_code(name), "price": price}
        for seq in (1, 2)
        for rank, name, price in ((1, JIANGNAN, "760000.00"), (2, SONGYUAN, "780000.00"))
    ]
    r = owner.post(
        f"/api/v1/tenders/{t['id']}/candidates",
        json={"report_received_at": clock.now().isoformat(), "candidates": rows},
    )
    assert r.status_code == 200 and r.json()["status"] == "publicity", r.text
    notice = [n for n in owner.get(f"/api/v1/tenders/{t['id']}/notices").json() if n["kind"] == "candidates"][-1]
    ends = datetime.fromisoformat(notice["facts"]["publicity_ends_at"])
    with db.session(write=False) as s:
        cal = WorkCalendar.load(s)
    assert cal.is_workday(local_date(ends)), "a working-day period ends on a working day"
    assert timedelta(days=1) <= ends - clock.now() <= timedelta(days=5)  # one working day, weekends skipped
    assert "87号" in notice["facts"]["basis"]

    # A supplier's 质疑 during publicity holds the award until it is answered.
    lafa = client_for("bidder3")
    o = lafa.post(
        f"/api/v1/tenders/{t['id']}/objections", json={"body": "第一包中标供应商的产品参数不满足采购文件要求。"}
    )
    assert o.status_code == 201, o.text
    # The chronograph ends the publicity exactly on time (other demo events may fall due meanwhile).
    clock.set(ends - timedelta(seconds=1))
    _due(db, clock)
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "publicity"
    clock.set(ends)
    _due(db, clock)
    assert owner.get(f"/api/v1/tenders/{t['id']}").json()["status"] == "publicity_ended"
    assert owner.post(f"/api/v1/tenders/{t['id']}/award").json()["code"] == "objection_pending"
    ans = owner.post(
        f"/api/v1/tenders/{t['id']}/objections/{o.json()['id']}/answer", json={"answer": "经复核，产品参数满足要求。"}
    )
    assert ans.status_code == 200, ans.text
    r = owner.post(f"/api/v1/tenders/{t['id']}/award")
    assert r.status_code == 200, r.text
    assert {a["winner_name"] for a in r.json()} == {"吉林市江南办公设备有限公司"}
    assert credit_code(LAFA) not in str(r.json())
