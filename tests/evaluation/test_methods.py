"""Evaluation methods end to end through the API: the lowest evaluated price with the chair's
recorded adjustments, and the base-price coefficient K of a published scheme, drawn from the
published opening record and kept exactly as the documents state it."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from ggzy.evaluation import scoring
from tests.evaluation import helpers
from tests.evaluation.helpers_more import (
    bid_ids,
    error,
    formed,
    published_with_scheme,
    review_all,
    score_all,
    seated,
)


def test_lowest_evaluated_price_ranks_by_price_after_the_chairs_adjustments(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path
) -> None:
    com = formed(app, client_for, clock, db, tmp_path, method="lowest_evaluated_price")
    view = seated(com, db, clock)
    assert (view["method"], view["criteria"]) == ("lowest_evaluated_price", [])
    prices = bid_ids(view)
    review_all(com, sorted(prices.values()))
    low = prices["19500000.00"]
    chair, member = com.clients[com.chair], com.clients[com.others()[0]]
    url = com.url("/adjustments")
    adj = {"bid_id": low, "amount": "500000.00", "reason": "工期比招标文件要求延长30天，按第三章评标办法折价"}

    # The chair records the committee's quantified deviation; it can only raise a price, to the fen.
    error(member.post(url, json=adj), 403, "chair_only")
    for amount in ("-100000.00", "100.005", "五十万"):
        error(chair.post(url, json={**adj, "amount": amount}), 422, "amount_invalid")
    assert com.view(com.chair)["adjustments"] == {}
    r = chair.post(url, json=adj)
    assert r.status_code == 200, r.text
    assert r.json()["adjustments"] == {str(low): {"amount": "500000.00", "reason": adj["reason"]}}

    # Nothing to score by hand: a score for a bid is refused, an empty submission is the member's.
    error(member.post(com.url("/scores"), json={"scores": {str(low): {}}}), 422, "scores_incomplete")
    for m, c in com.clients.items():
        r = c.post(com.url("/scores"), json={"scores": {}})
        assert r.status_code == 200, (m, r.text)
    r = chair.post(com.url("/report"))
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    ranked = sorted((row for row in result["rows"] if row["valid"]), key=lambda row: row["rank"])
    # Without the adjustment 19 500 000 would be first; at 20 000 000 evaluated it is last.
    assert [(row["price"], row["evaluated_price"], row["total"]) for row in ranked] == [
        ("19700000.00", "19700000.00", None),
        ("19900000.00", "19900000.00", None),
        ("19500000.00", "20000000.00", None),
    ]
    assert [c["price"] for c in r.json()["report"]["candidates"]] == ["19700000.00", "19900000.00", "19500000.00"]
    assert r.json()["report"]["adjustments"] == {str(low): {"amount": "500000.00", "reason": adj["reason"]}}


def test_k_option_with_three_decimals_is_kept_exactly(
    app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheme accepts K options such as 0.955 (any value in [0.8, 1]); the K drawn at the
    opening must be one of them, so that anyone can recompute it from the published record."""
    scheme = {"k_options": ["0.955", "0.965"]}
    # The tender of helpers.ready, with this scheme set while it is still a draft.
    monkeypatch.setattr(helpers, "published_tender", partial(published_with_scheme, scheme=scheme))
    r0 = helpers.ready(client_for, clock, db, tmp_path)
    published = client_for("tenderer").get(f"/api/v1/sections/{r0.section_id}/scheme").json()
    assert published["k_options"] == ["0.955", "0.965"]
    record = client_for("operator").get(f"/api/v1/sections/{r0.section_id}/opening").json()["record_digest"]
    k = scoring.draw_k(scoring.parse_scheme("comprehensive", published), record)
    assert k in (Decimal("0.955"), Decimal("0.965"))

    com = formed(app, client_for, clock, db, tmp_path, r0=r0)
    view = seated(com, db, clock)
    bids = sorted(b["id"] for b in view["bids"])
    review_all(com, bids)
    score_all(com, bids)
    # The chair drafts the report: the base price uses the drawn K.
    r = com.clients[com.chair].post(com.url("/report"))
    assert r.status_code == 200, r.text
    assert (r.json()["k"], r.json()["result"]["k"]) == (str(k), str(k))
