"""Evaluation methods: worked examples done by hand, the tie rules, the failure rules, validation and
a property over random inputs. The arithmetic in the comments is the check; the code must agree."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ggzy.common.crypto import sm3_hex
from ggzy.common.errors import InvalidInput
from ggzy.evaluation.scoring import (
    GP_METHODS,
    LOWEST_METHODS,
    METHODS,
    BidIn,
    Criterion,
    Scheme,
    aggregate,
    check_score,
    default_scheme,
    draw_k,
    parse_scheme,
    price_scores,
    scheme_to_dict,
)

D = Decimal
MEMBERS = ("E1", "E2", "E3")


def marks(table: dict[int, dict[str, tuple[str, ...]]], members: tuple[str, ...] = MEMBERS) -> dict:
    """{bid: {criterion: (score of E1, E2, E3)}} -> the (member, bid, criterion) mapping."""
    return {
        (m, bid, code): D(v)
        for bid, per_criterion in table.items()
        for code, values in per_criterion.items()
        for m, v in zip(members, values, strict=True)
    }


def same_marks(bids: list[int], technical: str, commercial: str) -> dict:
    return marks({b: {"technical": (technical,) * 3, "commercial": (commercial,) * 3} for b in bids})


def error_code(fn, *args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as info:
        fn(*args, **kwargs)
    assert info.value.message  # every refusal says why, in Chinese
    return info.value.code


def by_id(result) -> dict:
    return {row.bid_id: row for row in result.rows}


# --- worked examples, one per method ---------------------------------------------------------------


def test_gp_comprehensive_worked_example():
    # 综合评分法 (财政部令87号 Art. 55): 技术 40, 商务 20 (subjective), 价格 40 by the lowest price.
    # Prices: bid 1 = 1,000,000, bid 2 = 950,000, bid 3 = 1,100,000. Base = 950,000 (the lowest).
    #   price 1 = 950,000 / 1,000,000 x 40 = 38.00
    #   price 2 = 950,000 /   950,000 x 40 = 40.00
    #   price 3 = 950,000 / 1,100,000 x 40 = 34.5454... -> 34.55
    # 技术 means: bid 1 (35+34+36)/3 = 35.00; bid 2 (30+31+29.5)/3 = 30.1666... -> 30.17;
    #             bid 3 (38+37+38)/3 = 37.6666... -> 37.67
    # 商务 means: bid 1 (16+17+18)/3 = 17.00; bid 2 (15+15+16)/3 = 15.33; bid 3 (18+18+19)/3 = 18.33
    # Totals: bid 1 35.00+17.00+38.00 = 90.00; bid 2 30.17+15.33+40.00 = 85.50; bid 3 37.67+18.33+34.55 = 90.55
    # Ranking 3, 1, 2: the cheapest bid is not first.
    scheme = default_scheme("gp_comprehensive")
    bids = [BidIn(1, D("1000000")), BidIn(2, D("950000")), BidIn(3, D("1100000"))]
    scores = marks(
        {
            1: {"technical": ("35", "34", "36"), "commercial": ("16", "17", "18")},
            2: {"technical": ("30", "31", "29.5"), "commercial": ("15", "15", "16")},
            3: {"technical": ("38", "37", "38"), "commercial": ("18", "18", "19")},
        }
    )
    assert price_scores(scheme, {b.bid_id: b.price for b in bids}, None) == {
        1: D("38.00"),
        2: D("40.00"),
        3: D("34.55"),
    }
    result = aggregate(scheme, bids, scores, members=MEMBERS)
    rows = by_id(result)
    assert rows[1].criteria == {"technical": D("35.00"), "commercial": D("17.00"), "price": D("38.00")}
    assert rows[2].criteria == {"technical": D("30.17"), "commercial": D("15.33"), "price": D("40.00")}
    assert rows[3].criteria == {"technical": D("37.67"), "commercial": D("18.33"), "price": D("34.55")}
    assert [(r.bid_id, r.total, r.rank) for r in result.rows] == [
        (3, D("90.55"), 1),
        (1, D("90.00"), 2),
        (2, D("85.50"), 3),
    ]
    assert result.candidates == (3, 1, 2)
    assert result.base_price == D("950000.00")
    assert result.k is None and not result.failed and result.notes == () and result.outliers == ()
    assert all(r.evaluated_price is None and r.tie_note == "" for r in result.rows)


def test_comprehensive_mean_k_worked_example():
    # 综合评估法 with the default scheme: 技术 50, 商务 20, 价格 30 by the base price (mean x K).
    # K = 0.96. Base = (1,000,000 + 950,000 + 1,100,000) / 3 x 0.96 = 3,050,000 x 0.96 / 3 = 976,000.00
    # Deviations (price - base) / base x 100:
    #   bid 1: +24,000 / 976,000 = +2.459016 %  -> 30 - 1.0 x 2.459016 = 27.540984 -> 27.54
    #   bid 2: -26,000 / 976,000 = -2.663934 %  -> 30 - 0.5 x 2.663934 = 28.668033 -> 28.67
    #   bid 3: +124,000 / 976,000 = +12.704918 % -> 30 - 1.0 x 12.704918 = 17.295082 -> 17.30
    # 技术: bid 1 (40+42+41)/3 = 41.00, bid 2 (38+39+40)/3 = 39.00, bid 3 (45+46+47)/3 = 46.00
    # 商务: bid 1 (15+16+17)/3 = 16.00, bid 2 (14+14+15)/3 = 14.33, bid 3 18.00
    # Totals: bid 1 41+16+27.54 = 84.54; bid 2 39+14.33+28.67 = 82.00; bid 3 46+18+17.30 = 81.30
    scheme = default_scheme("comprehensive")
    bids = [BidIn(1, D("1000000")), BidIn(2, D("950000")), BidIn(3, D("1100000"))]
    scores = marks(
        {
            1: {"technical": ("40", "42", "41"), "commercial": ("15", "16", "17")},
            2: {"technical": ("38", "39", "40"), "commercial": ("14", "14", "15")},
            3: {"technical": ("45", "46", "47"), "commercial": ("18", "18", "18")},
        }
    )
    result = aggregate(scheme, bids, scores, k=D("0.96"))
    assert result.base_price == D("976000.00") and result.k == D("0.96")
    rows = by_id(result)
    assert {b: rows[b].criteria["price"] for b in rows} == {1: D("27.54"), 2: D("28.67"), 3: D("17.30")}
    assert [(r.bid_id, r.total) for r in result.rows] == [(1, D("84.54")), (2, D("82.00")), (3, D("81.30"))]
    assert result.candidates == (1, 2, 3)
    # K is drawn at the opening; without it (or with a value the documents do not offer) no price score.
    assert error_code(aggregate, scheme, bids, scores) == "k_missing"
    assert error_code(aggregate, scheme, bids, scores, k=D("0.90")) == "k_invalid"


def test_base_price_worked_example():
    # 基准价评标法: one criterion, 价格 100. K = 0.95.
    # Base = (2,000,000 + 1,900,000 + 1,850,000 + 2,100,000) / 4 x 0.95 = 1,962,500 x 0.95 = 1,864,375.00
    #   bid 1: +135,625 / 1,864,375 = +7.274556 %  -> 100 - 7.274556 = 92.725444 -> 92.73
    #   bid 2:  +35,625 / 1,864,375 = +1.910828 %  -> 98.089172 -> 98.09
    #   bid 3:  -14,375 / 1,864,375 = -0.771036 %  -> 100 - 0.5 x 0.771036 = 99.614482 -> 99.61
    #   bid 4: +235,625 / 1,864,375 = +12.638284 % -> 87.361716 -> 87.36
    # Ranking 3, 2, 1, 4: the bid just below the base wins, not the cheapest in general.
    scheme = default_scheme("base_price")
    bids = [BidIn(1, D("2000000")), BidIn(2, D("1900000")), BidIn(3, D("1850000")), BidIn(4, D("2100000"))]
    result = aggregate(scheme, bids, {}, k=D("0.95"))
    assert result.base_price == D("1864375.00")
    assert [(r.bid_id, r.total) for r in result.rows] == [
        (3, D("99.61")),
        (2, D("98.09")),
        (1, D("92.73")),
        (4, D("87.36")),
    ]
    assert result.candidates == (3, 2, 1)


def test_mean_k_price_score_floors_at_zero():
    # Base = (100 + 300) / 2 x 1.00 = 200; bid 2 is 50 % above: 100 - 1 x 50 = 50; bid 1 50 % below:
    # 100 - 0.5 x 50 = 75. With 3 points per percent above, bid 2 would get 100 - 150 < 0 -> 0.00.
    scheme = Scheme("base_price", default_scheme("base_price").criteria, (D("1.00"),))
    assert price_scores(scheme, {1: D("100"), 2: D("300")}, D("1.00")) == {1: D("75.00"), 2: D("50.00")}
    steep = Scheme("base_price", scheme.criteria, (D("1.00"),), above_per_pct=D("3"))
    assert price_scores(steep, {1: D("100"), 2: D("300")}, D("1.00"))[2] == D("0.00")


def test_lowest_evaluated_price_with_adjustments():
    # 经评审的最低投标价法: evaluated price = price + the price adjustment for deviations.
    #   bid 1: 5,000,000 + 150,000 = 5,150,000
    #   bid 2: 5,100,000 +       0 = 5,100,000
    #   bid 3: 4,900,000 + 300,000 = 5,200,000   (cheapest price, but its deviations cost 300,000)
    #   bid 4: 5,300,000 +       0 = 5,300,000
    # Ranking 2, 1, 3, 4; candidates the first three.
    scheme = default_scheme("lowest_evaluated_price")
    bids = [BidIn(1, D("5000000")), BidIn(2, D("5100000")), BidIn(3, D("4900000")), BidIn(4, D("5300000"))]
    adjustments = {1: D("150000"), 3: D("300000")}
    result = aggregate(scheme, bids, {}, adjustments=adjustments)
    assert [(r.bid_id, r.evaluated_price, r.rank) for r in result.rows] == [
        (2, D("5100000"), 1),
        (1, D("5150000"), 2),
        (3, D("5200000"), 3),
        (4, D("5300000"), 4),
    ]
    assert all(r.total is None and r.criteria == {} for r in result.rows)
    assert result.candidates == (2, 1, 3) and result.base_price is None and not result.failed
    assert error_code(aggregate, scheme, bids, {}, adjustments={1: D("-1")}) == "adjustment_invalid"
    assert error_code(aggregate, scheme, bids, {}, adjustments={9: D("1")}) == "adjustment_invalid"
    assert error_code(aggregate, scheme, bids, {}, adjustments={1: D("0.001")}) == "adjustment_invalid"


def test_gp_lowest_price_with_policy_deduction():
    # 最低评标价法 (财政部令87号 Art. 54): only the policy price deduction may change a price.
    #   bid 1: 800,000 - 10 % small-enterprise deduction 80,000 = 720,000
    #   bid 2: 750,000; bid 3: 780,000
    # Ranking 1, 2, 3.
    scheme = default_scheme("gp_lowest_price")
    bids = [BidIn(1, D("800000")), BidIn(2, D("750000")), BidIn(3, D("780000"))]
    result = aggregate(scheme, bids, {}, adjustments={1: D("-80000")})
    assert [(r.bid_id, r.evaluated_price) for r in result.rows] == [
        (1, D("720000")),
        (2, D("750000")),
        (3, D("780000")),
    ]
    assert result.candidates == (1, 2, 3)
    # Anything that raises a price is not allowed under this method; nor is wiping it out.
    assert error_code(aggregate, scheme, bids, {}, adjustments={2: D("1000")}) == "adjustment_invalid"
    assert error_code(aggregate, scheme, bids, {}, adjustments={2: D("-750000")}) == "adjustment_invalid"
    # Scoring methods take no evaluated-price adjustments.
    gp = default_scheme("gp_comprehensive")
    assert (
        error_code(aggregate, gp, bids, same_marks([1, 2, 3], "30", "15"), adjustments={1: D("0")})
        == "adjustment_invalid"
    )


# --- ties ------------------------------------------------------------------------------------------


def test_equal_scores_go_by_price():
    # Comprehensive without a price criterion (技术 60, 商务 40): both bids total 50 + 30 = 80.
    # 财政部令87号 Art. 57 / 标准施工招标文件: equal scores, the lower price first -> bid 2 (480,000) first.
    scheme = parse_scheme(
        "comprehensive",
        {
            "criteria": [
                {"code": "technical", "name": "技术", "max": "60", "kind": "subjective"},
                {"code": "commercial", "name": "商务", "max": "40", "kind": "subjective"},
            ]
        },
    )
    bids = [BidIn(1, D("500000")), BidIn(2, D("480000")), BidIn(3, D("470000"))]
    scores = same_marks([1, 2], "50", "30") | same_marks([3], "40", "30")
    result = aggregate(scheme, bids, scores)
    assert [(r.bid_id, r.total) for r in result.rows] == [(2, D("80.00")), (1, D("80.00")), (3, D("70.00"))]
    assert by_id(result)[2].tie_note == "与第2名得分相同，按投标报价由低到高排序"
    assert by_id(result)[1].tie_note == "与第1名得分相同，按投标报价由低到高排序"
    assert by_id(result)[3].tie_note == ""


def test_equal_score_and_price_go_by_technical_then_lot():
    # gp_comprehensive: bids 1 and 2 both 1,000,000 (price score 900,000/1,000,000 x 40 = 36.00).
    # bid 1: 技术 35 商务 15 -> 86.00; bid 2: 技术 33 商务 17 -> 86.00. Same score, same price:
    # the higher 技术 score goes first -> bid 1. Bid 3 (900,000): 40 + 30 + 10 = 80.00, last.
    scheme = default_scheme("gp_comprehensive")
    bids = [BidIn(1, D("1000000")), BidIn(2, D("1000000")), BidIn(3, D("900000"))]
    scores = same_marks([1], "35", "15") | same_marks([2], "33", "17") | same_marks([3], "30", "10")
    result = aggregate(scheme, bids, scores)
    assert [(r.bid_id, r.total) for r in result.rows] == [(1, D("86.00")), (2, D("86.00")), (3, D("80.00"))]
    assert by_id(result)[1].tie_note == "与第2名得分、报价相同，按技术得分由高到低排序"


def test_full_tie_is_decided_by_a_stable_lot():
    # Three identical bids: score, price and every criterion equal. The order is the SM3 lot:
    # sort by sm3_hex(f"{seed}|{bid_id}") ascending. Seed "a" gives 2, 1, 3; seed "b" gives 3, 2, 1.
    scheme = default_scheme("gp_comprehensive")
    bids = [BidIn(i, D("1000000")) for i in (1, 2, 3)]
    scores = same_marks([1, 2, 3], "30", "15")

    def order(seed: str) -> list[int]:
        return [r.bid_id for r in aggregate(scheme, bids, scores, lot_seed=seed).rows]

    assert order("a") == [2, 1, 3] == sorted([1, 2, 3], key=lambda i: sm3_hex(f"a|{i}"))
    assert order("b") == [3, 2, 1] == sorted([1, 2, 3], key=lambda i: sm3_hex(f"b|{i}"))
    assert order("a") == order("a")  # replayable
    middle = aggregate(scheme, bids, scores, lot_seed="a").rows[1]
    assert (
        middle.tie_note
        == "与第1名得分、报价、技术得分、商务得分相同，抽签确定；与第3名得分、报价、技术得分、商务得分相同，抽签确定"
    )


def test_lowest_price_ties_go_by_price_then_lot():
    # Evaluated prices: bid 1 = 100 + 20 = 120, bid 2 = 120, bid 3 = 120. All equal, so the lower
    # price goes first: bid 1 (100). Bids 2 and 3 also share the price: the lot decides, and with
    # seed "b" sm3("b|3") < sm3("b|2"), so 3 before 2.
    scheme = default_scheme("lowest_evaluated_price")
    bids = [BidIn(1, D("100")), BidIn(2, D("120")), BidIn(3, D("120"))]
    result = aggregate(scheme, bids, {}, adjustments={1: D("20")}, lot_seed="b")
    assert [r.bid_id for r in result.rows] == [1, 3, 2]
    assert by_id(result)[1].tie_note == "与第2名评标价相同，按投标报价由低到高排序"
    assert by_id(result)[3].tie_note == "与第1名评标价相同，按投标报价由低到高排序；与第3名评标价、报价相同，抽签确定"
    assert by_id(result)[2].tie_note == "与第2名评标价、报价相同，抽签确定"


# --- rejected bids and too few bids ---------------------------------------------------------------


def test_rejected_bid_is_out_of_base_price_and_ranking():
    # Bid 4 (800,000) was rejected in the compliance review. Base stays the lowest *valid* price
    # 950,000, so the price scores are those of the first example (38.00 / 40.00 / 34.55).
    scheme = default_scheme("gp_comprehensive")
    bids = [
        BidIn(4, D("800000"), valid=False, reject_reason="投标保证金不足"),
        BidIn(1, D("1000000")),
        BidIn(2, D("950000")),
        BidIn(3, D("1100000")),
    ]
    result = aggregate(scheme, bids, same_marks([1, 2, 3], "30", "15"))
    assert result.base_price == D("950000.00")
    assert [r.bid_id for r in result.rows] == [2, 1, 3, 4]
    last = result.rows[-1]
    assert (last.valid, last.rank, last.total, last.criteria, last.reject_reason) == (
        False,
        None,
        None,
        {},
        "投标保证金不足",
    )
    assert 4 not in result.candidates
    # Scores for a rejected bid are refused; a rejection needs its reason.
    assert error_code(aggregate, scheme, bids, same_marks([1, 2, 3, 4], "30", "15")) == "score_unexpected"
    nameless = [BidIn(4, D("800000"), valid=False), *bids[1:]]
    assert error_code(aggregate, scheme, nameless, same_marks([1, 2, 3], "30", "15")) == "reject_reason_missing"


def test_mean_k_base_ignores_rejected_bids():
    # Valid: 2,000,000 and 1,900,000 and 1,850,000 and 2,100,000 as in the base-price example; a rejected
    # 1,000,000 would pull the mean down to 1,770,000 if it counted. Base stays 1,864,375.00.
    bids = [BidIn(i, D(p)) for i, p in enumerate(["2000000", "1900000", "1850000", "2100000"], start=1)]
    bids.append(BidIn(5, D("1000000"), valid=False, reject_reason="低于成本"))
    result = aggregate(default_scheme("base_price"), bids, {}, k=D("0.95"))
    assert result.base_price == D("1864375.00") and [r.bid_id for r in result.rows][-1] == 5


@pytest.mark.parametrize("method", GP_METHODS)
def test_single_remaining_bid_fails_in_government_procurement(method):
    scheme = default_scheme(method)
    bids = [BidIn(1, D("100000")), BidIn(2, D("90000"), valid=False, reject_reason="资格不符")]
    scores = same_marks([1], "30", "15") if method == "gp_comprehensive" else {}
    result = aggregate(scheme, bids, scores)
    assert result.failed and result.candidates == ()
    assert result.rows[0].rank == 1  # still ranked, so the report can show it
    assert result.notes == ("符合要求的供应商不足三家，应予废标（政府采购法第三十六条第一款第一项）",)


@pytest.mark.parametrize("method", ["comprehensive", "lowest_evaluated_price", "base_price"])
def test_single_remaining_bid_in_construction_gets_the_note(method):
    scheme = default_scheme(method)
    bids = [BidIn(1, D("100000")), BidIn(2, D("90000"), valid=False, reject_reason="未按要求签章")]
    scores = same_marks([1], "40", "15") if method == "comprehensive" else {}
    result = aggregate(scheme, bids, scores, k=D("0.95"))
    assert not result.failed and result.candidates == (1,) and result.rows[0].rank == 1
    assert result.notes == ("有效投标不足三个，评标委员会可以否决全部投标（评标委员会和评标方法暂行规定第二十七条）",)
    if method == "base_price":
        # Base = 100,000 x 0.95 = 95,000; +5.263158 % -> 100 - 5.263158 = 94.74
        assert result.rows[0].total == D("94.74")


@pytest.mark.parametrize("method", METHODS)
def test_zero_valid_bids_fail(method):
    bids = [BidIn(1, D("100"), valid=False, reject_reason="串通投标"), BidIn(2, D("90"), False, "无效投标保证金")]
    result = aggregate(default_scheme(method), bids, {})
    assert result.failed and result.candidates == () and result.base_price is None
    assert "所有投标均被否决" in result.notes
    assert [(r.bid_id, r.rank) for r in result.rows] == [(1, None), (2, None)]


# --- scores ----------------------------------------------------------------------------------------


def test_check_score_range_and_precision():
    technical = default_scheme("gp_comprehensive").criteria[0]  # max 40
    assert check_score(technical, D("40")) == D("40")
    assert check_score(technical, D("0")) == D("0")
    assert check_score(technical, D("39.99")) == D("39.99")
    assert check_score(technical, D("30.000")) == D("30.000")  # trailing zero, still two places of value
    assert error_code(check_score, technical, D("40.01")) == "score_out_of_range"
    assert error_code(check_score, technical, D("-1")) == "score_out_of_range"
    assert error_code(check_score, technical, D("30.005")) == "score_precision"
    assert error_code(check_score, technical, D("NaN")) == "number_invalid"
    assert error_code(check_score, technical, 30.5) == "number_invalid"


def test_aggregate_refuses_bad_scores():
    scheme = default_scheme("gp_comprehensive")
    bids = [BidIn(i, D("100")) for i in (1, 2, 3)]
    good = same_marks([1, 2, 3], "30", "15")
    assert error_code(aggregate, scheme, bids, good | {("E1", 1, "technical"): D("41")}) == "score_out_of_range"
    assert error_code(aggregate, scheme, bids, good | {("E1", 1, "technical"): D("30.125")}) == "score_precision"
    assert error_code(aggregate, scheme, bids, good | {("E1", 1, "price"): D("40")}) == "score_unexpected"
    assert error_code(aggregate, scheme, bids, good | {("E1", 1, "design"): D("4")}) == "score_unexpected"
    assert error_code(aggregate, scheme, bids, good | {("E1", 9, "technical"): D("4")}) == "score_unexpected"
    intruder = good | {("X9", 1, "technical"): D("30")}
    assert error_code(aggregate, scheme, bids, intruder, members=MEMBERS) == "score_unexpected"
    assert error_code(aggregate, default_scheme("gp_lowest_price"), bids, good) == "score_unexpected"


def test_incomplete_scores_name_the_missing_member():
    scheme = default_scheme("gp_comprehensive")
    bids = [BidIn(i, D("100")) for i in (1, 2, 3)]
    scores = same_marks([1, 2, 3], "30", "15")
    del scores[("E3", 2, "commercial")]
    with pytest.raises(InvalidInput) as info:
        aggregate(scheme, bids, scores, members=MEMBERS)
    assert info.value.code == "scores_incomplete"
    assert "E3" in info.value.message and "商务" in info.value.message and "2" in info.value.message
    assert info.value.detail["missing"] == [{"member": "E3", "bid_id": 2, "criterion": "commercial"}]
    # Without a member list the committee is whoever scored: E3 scored something, so everything.
    assert error_code(aggregate, scheme, bids, scores) == "scores_incomplete"
    # A listed member who scored nothing at all.
    with pytest.raises(InvalidInput) as info:
        aggregate(scheme, bids, same_marks([1, 2, 3], "30", "15"), members=(*MEMBERS, "E4"))
    assert "E4" in info.value.message and len(info.value.detail["missing"]) == 6
    # No scores at all for a scoring method.
    assert error_code(aggregate, scheme, bids, {}) == "scores_incomplete"
    json.dumps(info.value.detail)  # the HTTP layer sends the detail as JSON


def test_outlier_is_flagged_not_dropped():
    # 技术 (max 40) scores 30, 32, 31, 30, 10: median 30; limit 0.25 x 40 = 10. |10 - 30| = 20 > 10 is
    # flagged; |32 - 30| = 2 is not. The figure stays the plain mean: 133 / 5 = 26.60.
    members = ("E1", "E2", "E3", "E4", "E5")
    scheme = default_scheme("gp_comprehensive")
    bids = [BidIn(i, D("100")) for i in (1, 2, 3)]
    scores = {(m, b, "commercial"): D("15") for m in members for b in (1, 2, 3)}
    scores |= {(m, b, "technical"): D("30") for m in members for b in (2, 3)}
    scores |= {(m, 1, "technical"): D(v) for m, v in zip(members, ["30", "32", "31", "30", "10"], strict=True)}
    result = aggregate(scheme, bids, scores, members=members)
    assert [(o.member, o.bid_id, o.criterion, o.value, o.median) for o in result.outliers] == [
        ("E5", 1, "technical", D("10"), D("30"))
    ]
    assert by_id(result)[1].criteria["technical"] == D("26.60")
    assert result.notes == (
        "有1个评分与中位数相差超过该项满分的25%，请评标委员会复核是否畸高、畸低（财政部令87号第六十四条）",
    )


# --- schemes ---------------------------------------------------------------------------------------


def criteria(*rows: tuple[str, str, str, str]) -> list[dict]:
    return [{"code": c, "name": c, "max": m, "kind": k, "formula": f} for c, m, k, f in rows]


@pytest.mark.parametrize(
    ("method", "data", "code"),
    [
        ("auction", None, "method_unknown"),
        ("comprehensive", {"method": "gp_comprehensive"}, "method_mismatch"),
        ("comprehensive", {"colour": "red"}, "scheme_field_unknown"),
        (
            "comprehensive",
            {"criteria": criteria(("t", "50", "subjective", ""), ("p", "40", "price", "lowest"))},
            "criteria_sum",
        ),
        (
            "gp_comprehensive",
            {
                "criteria": criteria(("t", "60", "subjective", ""), ("p", "40", "price", "mean_k")),
                "k_options": ["0.95"],
            },
            "price_criterion_required",
        ),
        ("gp_comprehensive", {"criteria": criteria(("t", "100", "subjective", ""))}, "price_criterion_required"),
        (
            "gp_comprehensive",
            {"criteria": criteria(("t", "95", "subjective", ""), ("p", "5", "price", "lowest"))},
            "price_weight_low",
        ),
        (
            "comprehensive",
            {
                "criteria": criteria(
                    ("t", "40", "subjective", ""), ("p", "30", "price", "lowest"), ("q", "30", "price", "lowest")
                )
            },
            "price_criterion_invalid",
        ),
        (
            "base_price",
            {"criteria": criteria(("p", "90", "price", "mean_k"), ("t", "10", "subjective", ""))},
            "price_criterion_required",
        ),
        ("lowest_evaluated_price", {"criteria": criteria(("t", "100", "subjective", ""))}, "criteria_not_allowed"),
        (
            "comprehensive",
            {"criteria": criteria(("t", "50", "subjective", ""), ("t", "50", "subjective", ""))},
            "criterion_duplicate",
        ),
        ("comprehensive", {"criteria": criteria(("Tech", "100", "subjective", ""))}, "criterion_invalid"),
        (
            "comprehensive",
            {"criteria": criteria(("t", "99.999", "subjective", ""), ("u", "0.001", "subjective", ""))},
            "criterion_max_invalid",
        ),
        (
            "comprehensive",
            {"criteria": criteria(("t", "0", "subjective", ""), ("u", "100", "subjective", ""))},
            "criterion_max_invalid",
        ),
        ("comprehensive", {"criteria": criteria(("t", "100", "objective", ""))}, "criterion_kind_unknown"),
        (
            "comprehensive",
            {"criteria": criteria(("t", "50", "subjective", "lowest"), ("p", "50", "price", "lowest"))},
            "criterion_formula_unknown",
        ),
        (
            "comprehensive",
            {"criteria": criteria(("t", "50", "subjective", ""), ("p", "50", "price", "median"))},
            "criterion_formula_unknown",
        ),
        (
            "comprehensive",
            {"criteria": [{"code": "t", "name": "技术", "max": 100.0, "kind": "subjective"}]},
            "number_invalid",
        ),
        ("base_price", {"k_options": [0.95, 0.96]}, "number_invalid"),
        ("base_price", {"above_per_pct": 1.5}, "number_invalid"),
        ("base_price", {"k_options": ["0.79"]}, "k_options_invalid"),
        ("base_price", {"k_options": ["1.01"]}, "k_options_invalid"),
        ("base_price", {"k_options": []}, "k_options_invalid"),
        ("base_price", {"k_options": ["0.95", "0.95"]}, "k_options_invalid"),
        ("base_price", {"k_options": [str(D("0.90") + D(i) / 100) for i in range(11)]}, "k_options_invalid"),
        ("gp_comprehensive", {"k_options": ["0.95"]}, "k_options_unused"),
        ("base_price", {"criteria": criteria(("p", "100", "price", "mean_k"))}, "k_options_invalid"),
        ("base_price", {"below_per_pct": "-0.5"}, "per_pct_invalid"),
        ("comprehensive", {"candidates": 4}, "candidates_invalid"),
        ("comprehensive", {"candidates": "0"}, "candidates_invalid"),
        ("comprehensive", {"candidates": "2.5"}, "candidates_invalid"),
        ("comprehensive", {"outlier_share": "0"}, "outlier_share_invalid"),
        ("comprehensive", {"outlier_share": "1.5"}, "outlier_share_invalid"),
        ("comprehensive", {"criteria": "技术50分"}, "scheme_invalid"),
        ("comprehensive", {"criteria": ["技术"]}, "scheme_invalid"),
    ],
)
def test_scheme_validation(method, data, code):
    assert error_code(parse_scheme, method, data) == code


def test_unknown_method_everywhere():
    assert error_code(default_scheme, "auction") == "method_unknown"
    assert error_code(aggregate, Scheme("auction"), [], {}) == "method_unknown"


def test_defaults_and_partial_data():
    assert [(c.name, c.max, c.kind, c.formula) for c in default_scheme("comprehensive").criteria] == [
        ("技术", D(50), "subjective", ""),
        ("商务", D(20), "subjective", ""),
        ("价格", D(30), "price", "mean_k"),
    ]
    assert default_scheme("comprehensive").k_options == (D("0.95"), D("0.96"), D("0.97"), D("0.98"))
    assert [c.max for c in default_scheme("gp_comprehensive").criteria] == [D(40), D(20), D(40)]
    assert default_scheme("gp_lowest_price").criteria == () and default_scheme("lowest_evaluated_price").k_options == ()
    # Fields left out take the defaults; numbers may come as strings or ints.
    scheme = parse_scheme("gp_comprehensive", {"candidates": "1", "outlier_share": "0.2"})
    assert scheme == Scheme(
        "gp_comprehensive", default_scheme("gp_comprehensive").criteria, candidates=1, outlier_share=D("0.2")
    )
    assert parse_scheme("base_price", None) == default_scheme("base_price")


@pytest.mark.parametrize("method", METHODS)
def test_scheme_round_trip(method):
    scheme = default_scheme(method)
    data = json.loads(json.dumps(scheme_to_dict(scheme)))  # JSON-able, Decimals as strings
    assert parse_scheme(method, data) == scheme


def test_custom_scheme_round_trip():
    scheme = Scheme(
        "comprehensive",
        (
            Criterion("design", "施工组织设计", D("45.5"), "subjective"),
            Criterion("credit", "信用", D("14.5"), "subjective"),
            Criterion("price", "投标报价", D("40"), "price", "mean_k"),
        ),
        k_options=(D("0.92"), D("1.00")),
        above_per_pct=D("2"),
        below_per_pct=D("1"),
        candidates=2,
        outlier_share=D("0.3"),
    )
    data = scheme_to_dict(scheme)
    assert data["criteria"][0] == {
        "code": "design",
        "name": "施工组织设计",
        "max": "45.5",
        "kind": "subjective",
        "formula": "",
    }
    assert parse_scheme("comprehensive", json.loads(json.dumps(data))) == scheme


def test_draw_k_is_fixed_by_the_opening_record():
    scheme = default_scheme("comprehensive")
    digest = sm3_hex("开标记录 E2202002026000001001")
    k = draw_k(scheme, digest)
    assert k == scheme.k_options[int(sm3_hex("k|" + digest), 16) % 4]
    assert k == draw_k(scheme, digest)  # anyone recomputes the same K
    # 64 zero digits: int(sm3("k|00…0"), 16) % 4 == 1 -> 0.96 (a fixed vector for independent checks).
    assert draw_k(scheme, "0" * 64) == D("0.96")
    drawn = {draw_k(scheme, sm3_hex(str(i))) for i in range(200)}
    assert drawn == set(scheme.k_options)  # every option can come up, nothing else does
    assert draw_k(default_scheme("gp_comprehensive"), digest) is None
    assert error_code(draw_k, scheme, "") == "record_digest_missing"


def test_bids_are_checked():
    scheme = default_scheme("lowest_evaluated_price")
    assert error_code(aggregate, scheme, [BidIn(1, D("100")), BidIn(1, D("90"))], {}) == "bid_duplicate"
    assert error_code(aggregate, scheme, [BidIn(1, D("0"))], {}) == "price_invalid"
    assert error_code(aggregate, scheme, [BidIn(1, D("10.001"))], {}) == "price_invalid"


# --- property --------------------------------------------------------------------------------------


@st.composite
def evaluations(draw):
    method = draw(st.sampled_from(METHODS))
    scheme = default_scheme(method)
    members = [f"E{i}" for i in range(draw(st.integers(3, 5)))]
    n = draw(st.integers(0, 7))
    bids = [
        BidIn(i, D(draw(st.integers(1, 10**9))) / 100, *draw(st.sampled_from([(True, ""), (False, "否决")])))
        for i in range(1, n + 1)
    ]
    # Few distinct scores so ties happen often.
    scores = {
        (m, b.bid_id, c.code): D(draw(st.sampled_from([0, int(c.max * 100), draw(st.integers(0, int(c.max * 100)))])))
        / 100
        for b in bids
        if b.valid
        for c in scheme.criteria
        if c.kind == "subjective"
        for m in members
    }
    adjustments = {}
    if method in LOWEST_METHODS:
        for b in bids:
            if b.valid and draw(st.booleans()):
                cents = draw(st.integers(0, int(b.price * 100) - 1))
                adjustments[b.bid_id] = D(cents if method == "lowest_evaluated_price" else -cents) / 100
    k = draw(st.sampled_from(scheme.k_options)) if scheme.k_options else None
    return scheme, bids, scores, adjustments, k, draw(st.text(max_size=8)), members


@settings(max_examples=300, deadline=None)
@given(evaluations())
def test_ranking_properties(case):
    scheme, bids, scores, adjustments, k, seed, members = case
    result = aggregate(scheme, bids, scores, adjustments=adjustments, k=k, lot_seed=seed, members=members)
    valid = [r for r in result.rows if r.valid]
    n = len(valid)
    assert sorted(r.bid_id for r in result.rows) == sorted(b.bid_id for b in bids)
    assert {r.bid_id for r in valid} == {b.bid_id for b in bids if b.valid}
    assert [r.rank for r in valid] == list(range(1, n + 1))
    assert all(r.rank is None and r.total is None for r in result.rows[n:])
    for r in valid:
        if r.total is not None:
            assert D(0) <= r.total <= 100 and r.total == sum(r.criteria.values())
    assert result.failed == (n == 0 or (scheme.method in GP_METHODS and n < 3))
    expected = () if result.failed else tuple(r.bid_id for r in valid[: min(3, n)])
    assert result.candidates == expected
    # Orders are consistent: scores never rise, evaluated prices never fall, down the ranking.
    if scheme.method in LOWEST_METHODS:
        assert all(a.evaluated_price <= b.evaluated_price for a, b in itertools.pairwise(valid))
    else:
        assert all(a.total >= b.total for a, b in itertools.pairwise(valid))
    # The same inputs give the same result (the lot is replayable).
    assert aggregate(scheme, bids, scores, adjustments=adjustments, k=k, lot_seed=seed, members=members) == result
