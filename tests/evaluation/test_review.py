"""The review and clarifications: each member's findings are complete, reasoned and final; a bid is
rejected only by a majority; the chair asks a bidder to clarify, and only that bidder answers, once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ggzy.evaluation.models import Clarification, ReviewVote
from tests.evaluation.helpers_more import bid_ids, count, error, findings, formed, seated


def test_review_findings_are_complete_reasoned_final_and_a_minority_cannot_reject(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    view = seated(com, db, clock)
    prices = bid_ids(view)
    bids = sorted(prices.values())
    target = prices["19500000.00"]
    first, second, *_ = com.clients
    c, url = com.clients[first], com.url("/review")

    error(c.post(url, json=findings(bids[:2])), 422, "review_incomplete")
    error(c.post(url, json=findings([*bids, max(bids) + 1000])), 422, "review_incomplete")
    # A rejection needs its reason; blanks are no reason.
    blank = {"findings": [{"bid_id": b, "passed": b != target, "reason": "   "} for b in bids]}
    body = error(c.post(url, json=blank), 422, "reason_required")
    assert body["detail"] == {"bid": target}
    assert count(db, ReviewVote) == 0
    assert com.view(first)["my_review"] == {}
    assert not any(m["review_done"] for m in com.view(first)["members"])

    # Two of five reject the lowest bid; three find it compliant.
    rejecters = {first, second}
    r = c.post(url, json=findings(bids, {target}))
    assert r.status_code == 200, r.text
    assert r.json()["my_review"][str(target)] == {"passed": False, "reason": "未按招标文件要求提交投标保证金"}
    # Final once given: a second submission (even a changed mind) is refused and changes nothing.
    error(c.post(url, json=findings(bids)), 409, "review_already_submitted")
    assert count(db, ReviewVote, member_id=first) == 3 and count(db, ReviewVote, member_id=first, passed=False) == 1
    for m, client in com.clients.items():
        if m == first:
            continue
        r = client.post(url, json=findings(bids, {target} if m in rejecters else set()))
        assert r.status_code == 200, r.text
    view = r.json()
    assert view["status"] == "scoring"
    finding = next(b for b in view["bids"] if b["id"] == target)["review"]
    assert finding == {"valid": True, "passes": 3, "fails": 2, "reasons": []}, finding
    # The bid stays in the evaluation: a member must score it.
    r = c.post(com.url("/scores"), json={"scores": {str(b): {"technical": "40", "commercial": "15"} for b in bids}})
    assert r.status_code == 200, r.text


def test_clarification_goes_to_the_bidder_concerned_and_is_answered_once(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    view = seated(com, db, clock)
    concerned, other = com.r0.bidders[0], com.r0.bidders[1]  # they bid 19 700 000 and 19 500 000
    bid = bid_ids(view)["19700000.00"]
    url = com.url("/clarifications")
    ask = {"bid_id": bid, "question": "请说明项目经理王建国目前是否有在建工程。"}

    # The chair asks for the committee; any other member is refused.
    error(com.clients[com.others()[0]].post(url, json=ask), 403, "chair_only")
    assert count(db, Clarification) == 0
    nowhere = {**ask, "bid_id": max(bid_ids(view).values()) + 1000}
    error(com.clients[com.chair].post(url, json=nowhere), 404, "bid_not_found")
    r = com.clients[com.chair].post(url, json=ask)
    assert r.status_code == 201, r.text
    [clar] = r.json()["clarifications"]
    assert (clar["bid"], clar["question"], clar["answer"]) == (bid, ask["question"], None)

    # The bidder concerned sees it; the others see nothing and cannot answer it.
    mine = concerned.client.get("/api/v1/clarifications").json()
    assert [(c["id"], c["question"], c["answer"]) for c in mine] == [(clar["id"], ask["question"], None)]
    assert other.client.get("/api/v1/clarifications").json() == []
    answer_url = f"/api/v1/clarifications/{clar['id']}/answer"
    error(other.client.post(answer_url, json={"answer": "该项目经理无在建工程。"}), 404, "clarification_not_found")
    assert client_for("tenderer").post(answer_url, json={"answer": "代为答复"}).status_code == 403

    text = "项目经理王建国无在建工程，附竣工验收证明。"
    assert concerned.client.post(answer_url, json={"answer": text}).status_code == 204
    error(concerned.client.post(answer_url, json={"answer": "补充：另附社保证明。"}), 409, "already_answered")
    assert [c["answer"] for c in com.view(com.others()[1])["clarifications"]] == [text]
    assert [c["answer"] for c in concerned.client.get("/api/v1/clarifications").json()] == [text]
