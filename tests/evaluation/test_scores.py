"""Independent scoring through the API: each member's scores are checked against the scheme
(range, two decimals, every valid bid and criterion, none for a rejected bid), final once given, and
nobody sees another member's scores until every member has submitted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ggzy.evaluation.models import Score
from tests.evaluation.helpers_more import bid_ids, count, error, formed, outsider, review_all, seated


def test_scores_are_checked_final_and_independent(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    view = seated(com, db, clock)
    prices = bid_ids(view)
    bids = sorted(prices.values())
    rejected = prices["19500000.00"]
    review_all(com, bids, reject={m: {rejected} for m in list(com.clients)[:3]})
    valid = [b for b in bids if b != rejected]
    first, second, *rest = com.clients
    c, url = com.clients[first], com.url("/scores")
    good = {str(b): {"technical": "45.5", "commercial": "18"} for b in valid}
    one = str(valid[0])

    def with_first(**marks: str) -> dict[str, Any]:
        return {**good, one: marks}

    # The default comprehensive scheme: technical out of 50, commercial out of 20 (price is computed).
    refused = [
        (with_first(technical="51", commercial="18"), "score_out_of_range"),
        (with_first(technical="-1", commercial="18"), "score_out_of_range"),
        (with_first(technical="45", commercial="20.01"), "score_out_of_range"),
        (with_first(technical="45.125", commercial="18"), "score_precision"),
        (with_first(technical="四十五", commercial="18"), "score_invalid"),
        (with_first(technical="NaN", commercial="18"), "number_invalid"),
        ({one: good[one]}, "scores_incomplete"),  # a valid bid left out
        ({**good, str(rejected): {"technical": "30", "commercial": "10"}}, "scores_incomplete"),  # a rejected bid
        (with_first(technical="45"), "score_unexpected"),  # a criterion left out
        (with_first(technical="45", commercial="18", price="30"), "score_unexpected"),  # price is not typed in
    ]
    for payload, code in refused:
        body = error(c.post(url, json={"scores": payload}), 422, code)
        if code == "score_out_of_range":
            assert "技术" in body["message"] or "商务" in body["message"], body["message"]
    body = error(c.post(url, json={"scores": with_first(technical="51", commercial="18")}), 422, "score_out_of_range")
    assert "0至50" in body["message"] and "51" in body["message"], body["message"]
    # An expert who is not on this committee cannot score its bids either.
    stranger = outsider(app, com.r0)
    error(stranger.post(url, json={"scores": good}), 404, "not_a_member")
    assert count(db, Score) == 0
    assert not any(m["scores_done"] for m in com.view(first)["members"])

    r = c.post(url, json={"scores": good})
    assert r.status_code == 200, r.text
    mine = r.json()["scores"]
    assert {(s["member"], s["criterion"], s["value"]) for s in mine} == {
        (first, "technical", "45.50"),
        (first, "commercial", "18.00"),
    } and len(mine) == 4
    changed = {str(b): {"technical": "30", "commercial": "10"} for b in valid}
    error(c.post(url, json={"scores": changed}), 409, "scores_already_submitted")
    assert count(db, Score) == 4 and count(db, Score, member_id=first, criterion="technical") == 2

    # Until everyone has submitted, a member sees its own scores only; the parties see none.
    assert com.view(second)["scores"] == []
    for who in ("tenderer", "operator", "regulator_water"):
        v = client_for(who).get(com.url()).json()
        assert (v["scores"], v["preview"]) == ([], None), who
    r = com.clients[second].post(url, json={"scores": {str(b): {"technical": "40", "commercial": "16"} for b in valid}})
    assert r.status_code == 200, r.text
    assert {s["member"] for s in r.json()["scores"]} == {second}
    assert {s["member"] for s in com.view(first)["scores"]} == {first}

    for m in rest:
        r = com.clients[m].post(url, json={"scores": good})
        assert r.status_code == 200, r.text
    # Everyone has scored: now the scores are open to the committee and the parties. The summary
    # (with any outliers) is the chair's to check before the report, and the supervisors' to watch.
    v = client_for("tenderer").get(com.url()).json()
    assert (len(v["scores"]), v["preview"]) == (5 * 2 * 2, None)
    assert {s["member"] for s in com.view(second)["scores"]} == set(com.clients)
    assert com.view(second)["preview"] is None
    assert com.view(com.chair)["preview"] is not None
    assert client_for("regulator_water").get(com.url()).json()["preview"] is not None
