"""Evaluation methods (评标方法): the arithmetic. Draws K, computes price scores, aggregates the
members' scores, ranks the valid bids and states when the procedure fails.

Pure: no database, no HTTP. Money and scores are Decimal, never float; each computed figure (price
score, criterion mean, base price) is rounded once, to 2 places, ROUND_HALF_UP, and a total is the
sum of rounded figures. Formulas, tie rules and their legal basis: docs/evaluation-methods.md.

The method table, the error messages, the scheme (parse, validate, serialise) and the check on one
entered score live in ``scoring_methods``; they are re-exported here, so callers import from
``scoring`` alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ggzy.common.crypto import sm3_hex
from ggzy.evaluation.scoring_methods import (
    CAP,
    CENT,
    DEFAULT_K,
    GP_METHODS,
    HUNDRED,
    LABELS,
    LOWEST_METHODS,
    MESSAGES,
    METHOD_LABELS,
    METHODS,
    ZERO,
    Criterion,
    Scheme,
    _dec,
    _need,
    _round,
    _validate,
    check_score,
    default_scheme,
    parse_scheme,
    scheme_to_dict,
)

# The public API callers import from here, including the names defined in scoring_methods.
__all__ = [
    "DEFAULT_K",
    "GP_METHODS",
    "LABELS",
    "LOWEST_METHODS",
    "MESSAGES",
    "METHODS",
    "METHOD_LABELS",
    "BidIn",
    "Criterion",
    "Outlier",
    "Result",
    "Row",
    "Scheme",
    "aggregate",
    "check_score",
    "default_scheme",
    "draw_k",
    "parse_scheme",
    "price_scores",
    "scheme_to_dict",
]


@dataclass(frozen=True)
class BidIn:
    bid_id: int
    price: Decimal
    valid: bool = True
    reject_reason: str = ""


@dataclass(frozen=True)
class Row:
    bid_id: int
    price: Decimal
    valid: bool
    reject_reason: str
    criteria: dict[str, Decimal]
    total: Decimal | None
    evaluated_price: Decimal | None
    rank: int | None
    tie_note: str


@dataclass(frozen=True)
class Outlier:
    member: str
    bid_id: int
    criterion: str
    value: Decimal
    median: Decimal


@dataclass(frozen=True)
class Result:
    rows: tuple[Row, ...]
    candidates: tuple[int, ...]
    base_price: Decimal | None
    k: Decimal | None
    outliers: tuple[Outlier, ...]
    failed: bool
    notes: tuple[str, ...]


def _price_criterion(scheme: Scheme) -> Criterion | None:
    return next((c for c in scheme.criteria if c.kind == "price"), None)


def draw_k(scheme: Scheme, record_digest: str) -> Decimal | None:
    """K is fixed by the published opening record's SM3 digest: unknown while bidders price, set at
    the opening, and anyone can recompute it from the published record."""
    if not any(c.formula == "mean_k" for c in scheme.criteria):
        return None
    _need(bool(record_digest), "record_digest_missing")
    return scheme.k_options[int(sm3_hex("k|" + record_digest), 16) % len(scheme.k_options)]


def _price_basis(
    scheme: Scheme, prices: Mapping[int, Decimal], k: Decimal | None
) -> tuple[Decimal | None, dict[int, Decimal]]:
    """(evaluation base price, price score per bid) over the valid bids' prices."""
    crit = _price_criterion(scheme)
    if crit is None or not prices:
        return None, {}
    for bid_id, price in prices.items():
        _need(_dec(price, CENT, CAP, cents=True), "price_invalid", bid_id=bid_id)
    if crit.formula == "lowest":
        # 财政部令87号第五十五条: base = the lowest valid price, score = base / price x 100 x weight,
        # and 100 x weight is the criterion's maximum.
        low = min(prices.values())
        return low, {b: _round(low * crit.max / p) for b, p in prices.items()}
    _need(k is not None, "k_missing")
    _need(k in scheme.k_options, "k_invalid", k=k)
    assert k is not None
    # Local construction practice (合理低价法/基准价法), not a national formula: base = mean of the
    # valid prices x K, published to the fen; scores use that published figure so anyone can redo them.
    base = _round(sum(prices.values(), ZERO) * k / len(prices))
    scores = {}
    for bid_id, price in prices.items():
        deviation = (price - base) * HUNDRED / base  # percent, linear between whole percents (插入法)
        per_pct = scheme.above_per_pct if deviation > 0 else scheme.below_per_pct
        scores[bid_id] = _round(max(crit.max - per_pct * abs(deviation), ZERO))
    return base, scores


def price_scores(scheme: Scheme, prices: Mapping[int, Decimal], k: Decimal | None) -> dict[int, Decimal]:
    _validate(scheme)
    return _price_basis(scheme, prices, k)[1]


def _check_adjustments(method: str, valid: Mapping[int, BidIn], adjustments: Mapping[int, Decimal]) -> None:
    for bid_id, adj in adjustments.items():
        _need(method in LOWEST_METHODS, "adjustment_invalid", bid_id=bid_id, why="只有最低价类评标方法才作评标价调整")
        ok = bid_id in valid and _dec(adj, -CAP, CAP, cents=True)
        _need(ok, "adjustment_invalid", bid_id=bid_id, why="须针对有效投标、精确到分")
        # 评标委员会和评标方法暂行规定第三十二条: commercial deviations are priced in, i.e. added.
        _need(method != "lowest_evaluated_price" or adj >= 0, "adjustment_invalid", bid_id=bid_id, why="不得为负数")
        # 财政部令87号第五十四条: besides arithmetic correction only the policy price deduction (价格扣除,
        # e.g. for small and micro enterprises) may change a price, so an adjustment can only lower it.
        ok = method != "gp_lowest_price" or (adj <= 0 and valid[bid_id].price + adj > 0)
        _need(ok, "adjustment_invalid", bid_id=bid_id, why="最低评标价法只允许政策性价格扣除（财政部令87号第五十四条）")


def _collect_scores(
    scheme: Scheme, valid: Mapping[int, BidIn], scores: Mapping[tuple[str, int, str], Decimal], members: Sequence[str]
) -> dict[tuple[int, str], dict[str, Decimal]]:
    """(bid, criterion) -> {member: score}, complete for every valid bid and subjective criterion."""
    subjective = {c.code: c for c in scheme.criteria if c.kind == "subjective"}
    expected = set(members)
    cells: dict[tuple[int, str], dict[str, Decimal]] = {}
    for (member, bid_id, code), value in scores.items():
        ok = code in subjective and bid_id in valid and (not expected or member in expected)
        _need(ok, "score_unexpected", member=member, bid_id=bid_id, criterion=code)
        cells.setdefault((bid_id, code), {})[member] = check_score(subjective[code], value)
    # Every bid is judged by the whole committee: without a list, whoever scored anything scores everything.
    expected = expected or {m for m, _, _ in scores} or {"（全体评委）"}
    missing = [
        (m, b, c) for b in sorted(valid) for c in subjective for m in sorted(expected) if m not in cells.get((b, c), {})
    ]
    if missing:
        (member, bid_id, code), count = missing[0], len(missing)
        listed = [{"member": m, "bid_id": b, "criterion": c} for m, b, c in missing]
        detail = {"member": member, "bid_id": bid_id, "name": subjective[code].name, "count": count, "missing": listed}
        _need(False, "scores_incomplete", **detail)
    return cells


def aggregate(
    scheme: Scheme,
    bids: Sequence[BidIn],
    scores: Mapping[tuple[str, int, str], Decimal],
    *,
    adjustments: Mapping[int, Decimal] | None = None,
    k: Decimal | None = None,
    lot_seed: str = "",
    members: Sequence[str] = (),
) -> Result:
    _validate(scheme)
    _need(len({b.bid_id for b in bids}) == len(bids), "bid_duplicate")
    valid = {b.bid_id: b for b in bids if b.valid}
    invalid = sorted((b for b in bids if not b.valid), key=lambda b: b.bid_id)
    for b in invalid:  # the report states each rejection and why (评标委员会和评标方法暂行规定第四十二条)
        _need(bool(b.reject_reason.strip()), "reject_reason_missing", bid_id=b.bid_id)
    for b in valid.values():
        _need(_dec(b.price, CENT, CAP, cents=True), "price_invalid", bid_id=b.bid_id)
    cells = _collect_scores(scheme, valid, scores, members)
    adj = dict(adjustments or {})
    _check_adjustments(scheme.method, valid, adj)
    price_crit = _price_criterion(scheme)
    mean_k = price_crit is not None and price_crit.formula == "mean_k"
    _need(k is None or not mean_k or k in scheme.k_options, "k_invalid", k=k)
    base, pscores = _price_basis(scheme, {i: b.price for i, b in valid.items()}, k)
    subjective = [c for c in scheme.criteria if c.kind == "subjective"]
    lowest = scheme.method in LOWEST_METHODS
    # Ranking keys, smallest first. Equal scores go by price ascending (财政部令87号第五十七条; 标准施工招标
    # 文件第三章: 投标报价低的优先). Equal score and price mean an equal price score, hence equal subjective
    # points in sum, so the next keys are the subjective criteria one by one in scheme order (技术 first:
    # the old 财政部令18号 rule 按技术指标优劣). What is still equal goes to a lot anyone can replay
    # (财政部令87号第六十八条: a random draw when the documents set no other way).
    labels = ("评标价", "报价") if lowest else ("得分", "报价", *(f"{c.name}得分" for c in subjective))
    entries = []
    for bid_id, bid in valid.items():
        figures = {
            c.code: pscores[bid_id] if c.kind == "price" else _mean(cells[bid_id, c.code]) for c in scheme.criteria
        }
        total = None if lowest else sum(figures.values(), ZERO)
        evaluated = bid.price + adj.get(bid_id, ZERO) if lowest else None
        key: tuple[Decimal, ...] = (evaluated, bid.price) if evaluated is not None else (-(total or ZERO), bid.price)
        key += tuple(-figures[c.code] for c in subjective)
        entries.append((key, sm3_hex(f"{lot_seed}|{bid_id}"), bid, figures, total, evaluated))
    entries.sort(key=lambda e: (e[0], e[1]))
    rows = []
    for i, (key, _, bid, figures, total, evaluated) in enumerate(entries):
        near = [(r, entries[r - 1][0]) for r in (i, i + 2) if 0 < r <= len(entries)]  # the ranks either side
        note = "；".join(filter(None, (_tie_note(r, key, other, labels) for r, other in near)))
        rows.append(Row(bid.bid_id, bid.price, True, "", figures, total, evaluated, i + 1, note))
    rows += [Row(b.bid_id, b.price, False, b.reject_reason, {}, None, None, None, "") for b in invalid]
    outliers = _outliers(scheme, cells)
    failed, notes = _verdict(scheme, len(valid), len(outliers))
    return Result(
        rows=tuple(rows),
        candidates=() if failed else tuple(r.bid_id for r in rows[: min(scheme.candidates, len(valid))]),
        base_price=None if base is None else _round(base),
        k=k if mean_k else None,
        outliers=outliers,
        failed=failed,
        notes=notes,
    )


def _mean(marks: Mapping[str, Decimal]) -> Decimal:
    return _round(sum(marks.values(), ZERO) / len(marks))


def _tie_note(rank: int, key: tuple[Decimal, ...], other: tuple[Decimal, ...], labels: tuple[str, ...]) -> str:
    """How this row and the row ranked `rank` were told apart; "" when the first key did it."""
    same = next((i for i, (x, y) in enumerate(zip(key, other, strict=True)) if x != y), len(key))
    if same == 0:
        return ""
    rule = (
        "抽签确定" if same == len(key) else "按投标报价由低到高排序" if same == 1 else f"按{labels[same]}由高到低排序"
    )
    return f"与第{rank}名{'、'.join(labels[:same])}相同，{rule}"


def _outliers(scheme: Scheme, cells: Mapping[tuple[int, str], Mapping[str, Decimal]]) -> tuple[Outlier, ...]:
    """Scores far from the median, for the committee to review as 评分畸高、畸低 (财政部令87号第六十四条);
    reported only, never dropped or changed here."""
    found = []
    order = {c.code: (i, c.max) for i, c in enumerate(scheme.criteria)}
    for (bid_id, code), cell in sorted(cells.items(), key=lambda item: (item[0][0], order[item[0][1]][0])):
        if len(cell) < 3:
            continue
        ordered, mid = sorted(cell.values()), len(cell) // 2
        median = ordered[mid] if len(cell) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        limit = scheme.outlier_share * order[code][1]
        found += [Outlier(m, bid_id, code, v, median) for m, v in sorted(cell.items()) if abs(v - median) > limit]
    return tuple(found)


def _verdict(scheme: Scheme, valid: int, outliers: int) -> tuple[bool, tuple[str, ...]]:
    gp = scheme.method in GP_METHODS
    notes = ["所有投标均被否决"] if valid == 0 else []
    if gp and valid < 3:
        notes.append("符合要求的供应商不足三家，应予废标（政府采购法第三十六条第一款第一项）")
    elif valid == 0:
        notes.append("依法必须进行招标的项目所有投标被否决的，招标人应当依法重新招标（招标投标法第四十二条）")
    elif valid < 3:
        notes.append("有效投标不足三个，评标委员会可以否决全部投标（评标委员会和评标方法暂行规定第二十七条）")
    if outliers:
        share = f"{(scheme.outlier_share * 100).normalize():f}%"
        basis = "（财政部令87号第六十四条）" if gp else ""
        notes.append(f"有{outliers}个评分与中位数相差超过该项满分的{share}，请评标委员会复核是否畸高、畸低{basis}")
    return valid == 0 or (gp and valid < 3), tuple(notes)
