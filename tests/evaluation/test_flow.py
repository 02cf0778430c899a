"""A section's evaluation from the drawn committee to the candidates' publicity, through the API:
experts at two sites sign in with their site's code, elect a chair, review, score independently,
sign the report with SM2, and the report's candidates go to the publicity unchanged."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from ggzy.common import sm2
from ggzy.common.crypto import canonical_json, sm3_hex
from tests.evaluation.helpers import PIN, add_sites, code_for, login, ready

SITES = {"市中心第一评标室": "CITY-1", "永吉分中心评标室": "YJ-1"}


def test_committee_at_two_sites_evaluates_and_feeds_the_publicity(app, client_for, clock, db, tmp_path):
    r0 = ready(client_for, clock, db, tmp_path)
    add_sites(client_for)
    experts = {u: login(app, u) for u in r0.experts}
    for c in experts.values():
        assert c.post(f"/api/v1/extractions/{r0.extraction_id}/respond", json={"accept": True}).status_code == 204
    operator = client_for("operator")
    # Five experts and one representative is an even committee: refused with the rule.
    r = operator.post(
        f"/api/v1/sections/{r0.section_id}/evaluation",
        json={"host_site": "CITY-1", "remote_sites": ["YJ-1"], "representatives": ["tenderer"]},
    )
    assert r.status_code == 422 and r.json()["code"] == "committee_invalid", r.text
    assert "单数" in r.json()["message"] and "招标投标法第三十七条" in r.json()["message"]
    r = operator.post(
        f"/api/v1/sections/{r0.section_id}/evaluation", json={"host_site": "CITY-1", "remote_sites": ["YJ-1"]}
    )
    assert r.status_code == 201, r.text
    ev = r.json()
    eid = ev["id"]
    assert all(m["name"] is None for m in ev["members"]), "names are sealed until each member signs in"
    assert {m["site"] for m in ev["members"]} == set(SITES), "the experts sit at two sites"

    clock.set(datetime.combine(r0.day, time(9), tzinfo=ZoneInfo("Asia/Shanghai")))
    me = {}
    for u, c in experts.items():
        view = c.get(f"/api/v1/evaluations/{eid}").json()
        mine = next(m for m in view["members"] if m["id"] == view["me"])
        other = next(code for name, code in SITES.items() if name != mine["site"])
        bad = c.post(f"/api/v1/evaluations/{eid}/sign-in", json={"code": code_for(db, other, clock.now())})
        assert bad.status_code == 422 and bad.json()["code"] == "sign_in_code_invalid"
        good = c.post(
            f"/api/v1/evaluations/{eid}/sign-in", json={"code": code_for(db, SITES[mine["site"]], clock.now())}
        )
        assert good.status_code == 200, good.text
        me[u] = view["me"]
    # Once seated, who accepted the invitation is no longer sealed in the audit log.
    events = client_for("auditor").get("/api/v1/audit/events", params={"limit": 300}).json()
    accepts = [e for e in events if e["action"] == "extraction.accept"]
    assert len(accepts) == 5 and all(e["actor_name"] != "（签到前保密）" for e in accepts)
    tenderer_view = client_for("tenderer").get(f"/api/v1/evaluations/{eid}").json()
    assert all(m["name"] for m in tenderer_view["members"]), "signed-in members are named to the parties"
    assert client_for("bidder").get(f"/api/v1/evaluations/{eid}").status_code in (403, 404)

    chair_id = me[r0.experts[0]]
    # A majority (three of five) elects the chair; the review then starts and voting is over.
    for n, c in enumerate(experts.values()):
        r = c.post(f"/api/v1/evaluations/{eid}/chair", json={"member_id": chair_id})
        assert r.status_code == (200 if n < 3 else 409), r.text
    view = experts[r0.experts[0]].get(f"/api/v1/evaluations/{eid}").json()
    assert view["status"] == "review"
    bids = {b["id"]: b for b in view["bids"]}
    rejected = next(b["id"] for b in view["bids"] if b["price"] == "19500000.00")

    # Three of five reject one bid: it is out, with their reasons.
    for n, c in enumerate(experts.values()):
        findings = [
            {
                "bid_id": b,
                "passed": not (b == rejected and n < 3),
                "reason": "项目经理无有效注册证书" if b == rejected and n < 3 else "",
            }
            for b in bids
        ]
        r = c.post(f"/api/v1/evaluations/{eid}/review", json={"findings": findings})
        assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "scoring"
    assert view["bids"] and next(b for b in view["bids"] if b["id"] == rejected)["review"]["valid"] is False
    valid = [b for b in bids if b != rejected]

    for n, c in enumerate(experts.values()):
        scores = {str(b): {"technical": str(40 + n), "commercial": "15"} for b in valid}
        r = c.post(f"/api/v1/evaluations/{eid}/scores", json={"scores": scores})
        assert r.status_code == 200, r.text
        if n == 0:
            others = [s for s in r.json()["scores"] if s["member"] != me[r0.experts[0]]]
            assert others == [], "a member sees only its own scores until everyone has scored"
    again = experts[r0.experts[1]].post(f"/api/v1/evaluations/{eid}/scores", json={"scores": {}})
    assert again.status_code == 409

    r = experts[r0.experts[1]].post(f"/api/v1/evaluations/{eid}/report")
    assert r.status_code == 403 and r.json()["code"] == "chair_only"
    r = experts[r0.experts[0]].post(f"/api/v1/evaluations/{eid}/report")
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["status"] == "signing"
    assert rep["report_digest"] == sm3_hex(canonical_json(rep["report"]))
    assert [c["price"] for c in rep["report"]["candidates"]] == ["19700000.00", "19900000.00"]

    for n, (u, c) in enumerate(experts.items()):
        r = c.post(
            f"/api/v1/evaluations/{eid}/sign", json={"pin": PIN, "dissent": "对技术分有保留意见" if n == 4 else ""}
        )
        assert r.status_code == 200, r.text
        if n == 0:
            twice = c.post(f"/api/v1/evaluations/{eid}/sign", json={"pin": PIN})
            assert twice.status_code == 409 and twice.json()["code"] == "already_signed"
    done = r.json()
    assert done["status"] == "signed"
    for m in done["members"]:
        assert m["signature_valid"] is True
    assert any(m["dissent"] for m in done["members"])

    # The report's candidates go to the publicity, unchanged; a different list is refused.
    owner = client_for("tenderer")
    tid = r0.tender["id"]
    forged = {
        "report_received_at": clock.now().isoformat(),
        "candidates": [{"section_seq": 1, "rank": 1, "credit_code": r0.bidders[2].credit_code, "price": "19900000.00"}],
    }
    r = owner.post(f"/api/v1/tenders/{tid}/candidates", json=forged)
    assert r.status_code == 409 and r.json()["code"] == "candidates_differ_from_report", r.text
    r = owner.post(f"/api/v1/tenders/{tid}/candidates/from-reports")
    assert r.status_code == 200 and r.json()["status"] == "publicity", r.text
    notices = client_for("tenderer").get(f"/api/v1/tenders/{tid}/notices").json()
    assert any("第1名" in n["body"] for n in notices)
    _ = sm2  # the signatures are checked by the view (sm2.verify)
