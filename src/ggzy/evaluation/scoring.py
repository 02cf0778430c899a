"""Evaluation methods (评标方法): scheme validation, price scores, aggregation and ranking.

Pure: no database, no HTTP. Money and scores are Decimal, never float; each computed figure (price
score, criterion mean, base price) is rounded once, to 2 places, ROUND_HALF_UP, and a total is the
sum of rounded figures. Formulas, tie rules and their legal basis: docs/evaluation-methods.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ggzy.common.crypto import sm3_hex
from ggzy.common.errors import InvalidInput

METHODS = ("comprehensive", "lowest_evaluated_price", "gp_comprehensive", "gp_lowest_price", "base_price")
LABELS = ("综合评估法", "经评审的最低投标价法", "综合评分法", "最低评标价法", "基准价评标法")
METHOD_LABELS = dict(zip(METHODS, LABELS, strict=True))
LOWEST_METHODS = ("lowest_evaluated_price", "gp_lowest_price")
GP_METHODS = ("gp_comprehensive", "gp_lowest_price")
ZERO, CENT, HUNDRED, CAP = Decimal(0), Decimal("0.01"), Decimal(100), Decimal("1e15")
DEFAULT_K = (Decimal("0.95"), Decimal("0.96"), Decimal("0.97"), Decimal("0.98"))
_CODE = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FIELDS = ("method", "criteria", "k_options", "above_per_pct", "below_per_pct", "candidates", "outlier_share")
_CRITERION_FIELDS = ("code", "name", "max", "kind", "formula")
# Every error this module raises: InvalidInput(code), message formatted with the detail.
MESSAGES = {
    "method_unknown": "未知的评标方法：{method}",
    "method_mismatch": "评标办法中的方法与所选评标方法不一致",
    "scheme_invalid": "评标办法格式错误：{what}",
    "scheme_field_unknown": "评标办法含未知字段：{fields}",
    "number_invalid": "{field} 须为字符串或整数表示的有限数值（不接受浮点数）",
    "criterion_invalid": "评审因素编码须为小写字母开头的短标识，名称不能为空：{code}",
    "criterion_duplicate": "评审因素编码重复：{code}",
    "criterion_max_invalid": "评审因素“{name}”的分值须大于0、不超过100且最多两位小数",
    "criterion_kind_unknown": "评审因素“{name}”的类型未知：{kind}",
    "criterion_formula_unknown": "评审因素“{name}”的计算公式无效：{formula}",
    "criteria_not_allowed": "{label}按评标价由低到高排序，不设评分因素",
    "criteria_sum": "各评审因素分值之和须为100分，现为{total}分",
    "price_criterion_required": "{label}须设{rule}",
    "price_criterion_invalid": "综合评估法最多设一个价格评分因素",
    "price_weight_low": "价格分值占总分值的比重不得低于10%（财政部令87号第五十五条）",
    "k_options_invalid": "下浮系数K须为1至10个互不相同、介于0.8与1.0之间的数值",
    "k_options_unused": "未设按评标基准价计算的价格分，不能设置下浮系数K",
    "per_pct_invalid": "每偏离1%的扣分须在0至100之间",
    "candidates_invalid": "推荐的中标候选人须为1至3名",
    "outlier_share_invalid": "异常评分阈值须大于0且不超过1",
    "record_digest_missing": "抽取下浮系数K需要开标记录的摘要",
    "k_missing": "按评标基准价计算价格分需要开标时抽取的下浮系数K",
    "k_invalid": "下浮系数K={k}不在招标文件规定的选项中",
    "score_out_of_range": "“{name}”的评分须在0至{max}分之间，收到{value}",
    "score_precision": "“{name}”的评分最多保留两位小数，收到{value}",
    "score_unexpected": "评委{member}对投标{bid_id}的“{criterion}”评分不应存在（只收委员会成员对有效投标主观项的评分）",
    "scores_incomplete": "评分不完整：评委{member}未对投标{bid_id}的“{name}”评分（共缺{count}项）",
    "bid_duplicate": "投标编号重复",
    "price_invalid": "投标{bid_id}的报价须为大于0、精确到分的金额",
    "reject_reason_missing": "被否决的投标{bid_id}须写明否决理由",
    "adjustment_invalid": "投标{bid_id}的评标价调整无效：{why}",
}


@dataclass(frozen=True)
class Criterion:
    code: str
    name: str
    max: Decimal
    kind: str  # "subjective" (each member scores it) | "price" (computed from the prices)
    formula: str = ""  # price only: "lowest" | "mean_k"


@dataclass(frozen=True)
class Scheme:
    method: str
    criteria: tuple[Criterion, ...] = ()
    k_options: tuple[Decimal, ...] = ()
    above_per_pct: Decimal = Decimal("1")
    below_per_pct: Decimal = Decimal("0.5")
    candidates: int = 3
    outlier_share: Decimal = Decimal("0.25")


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


def _need(ok: bool, error: str, /, **detail: Any) -> None:
    if not ok:  # the detail travels as JSON: Decimals and other odd values go as text
        detail = {k: v if isinstance(v, str | int | list) else str(v) for k, v in detail.items()}
        raise InvalidInput(MESSAGES[error].format(**detail), code=error, detail=detail or None)


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _dec(value: object, low: Decimal, high: Decimal, cents: bool = False) -> bool:
    """A finite Decimal in [low, high]; with `cents`, at most 2 decimals (bounded first: quantize is safe)."""
    if not isinstance(value, Decimal) or not value.is_finite() or not low <= value <= high:
        return False
    return not cents or _round(value) == value


def _num(value: object, field: str) -> Decimal:
    # JSON brings numbers as strings or ints; a float cannot carry 0.1 or an amount in fen exactly.
    number = Decimal("NaN")
    if isinstance(value, str | int | Decimal) and not isinstance(value, bool):
        with contextlib.suppress(InvalidOperation):
            number = Decimal(value)
    _need(number.is_finite(), "number_invalid", field=field)
    return number


def _price_criterion(scheme: Scheme) -> Criterion | None:
    return next((c for c in scheme.criteria if c.kind == "price"), None)


def _validate(s: Scheme) -> None:
    _need(s.method in METHODS, "method_unknown", method=s.method)
    for i, c in enumerate(s.criteria):
        ok = isinstance(c.code, str) and bool(_CODE.fullmatch(c.code)) and isinstance(c.name, str)
        _need(ok and bool(c.name.strip()), "criterion_invalid", code=c.code)
        _need(c.code not in {d.code for d in s.criteria[:i]}, "criterion_duplicate", code=c.code)
        _need(_dec(c.max, CENT, HUNDRED, cents=True), "criterion_max_invalid", name=c.name)
        _need(c.kind in ("subjective", "price"), "criterion_kind_unknown", name=c.name, kind=c.kind)
        allowed = ("lowest", "mean_k") if c.kind == "price" else ("",)
        _need(c.formula in allowed, "criterion_formula_unknown", name=c.name, formula=c.formula)
    prices = [c for c in s.criteria if c.kind == "price"]
    formulas = [c.formula for c in prices]
    label = METHOD_LABELS[s.method]
    _need(s.method not in LOWEST_METHODS or not s.criteria, "criteria_not_allowed", label=label)
    if s.method == "gp_comprehensive":
        # 财政部令87号第五十五条: the price score is by the low-price-first formula only; its weight is at
        # least 30 % for goods and 10 % for services (the scheme cannot tell which: 10 is the hard floor).
        rule = "且仅设一个按低价优先法计算的价格分（财政部令87号第五十五条）"
        _need(formulas == ["lowest"], "price_criterion_required", label=label, rule=rule)
        _need(prices[0].max >= 10, "price_weight_low")
    _need(s.method != "comprehensive" or len(prices) <= 1, "price_criterion_invalid")
    if s.method == "base_price":
        ok = formulas == ["mean_k"] and len(s.criteria) == 1 and prices[0].max == HUNDRED
        _need(ok, "price_criterion_required", label=label, rule="且只设一个满分100分、按评标基准价计算的价格分")
    total = sum((c.max for c in s.criteria), ZERO)
    _need(s.method in LOWEST_METHODS or total == HUNDRED, "criteria_sum", total=total)
    ks = s.k_options
    if "mean_k" in formulas:
        ok = 1 <= len(ks) <= 10 and len(set(ks)) == len(ks)
        _need(ok and all(_dec(k, Decimal("0.8"), Decimal(1)) for k in ks), "k_options_invalid")
    _need("mean_k" in formulas or not ks, "k_options_unused")
    _need(_dec(s.above_per_pct, ZERO, HUNDRED) and _dec(s.below_per_pct, ZERO, HUNDRED), "per_pct_invalid")
    # 招标投标法实施条例第五十三条, 评标委员会和评标方法暂行规定第四十五条: one to three ranked candidates.
    _need(type(s.candidates) is int and 1 <= s.candidates <= 3, "candidates_invalid")
    _need(_dec(s.outlier_share, ZERO, Decimal(1)) and s.outlier_share > 0, "outlier_share_invalid")


def default_scheme(method: str) -> Scheme:
    _need(method in METHODS, "method_unknown", method=method)
    if method in ("comprehensive", "gp_comprehensive"):
        tech, biz, price, formula = (50, 20, 30, "mean_k") if method == "comprehensive" else (40, 20, 40, "lowest")
        criteria = (
            Criterion("technical", "技术", Decimal(tech), "subjective"),
            Criterion("commercial", "商务", Decimal(biz), "subjective"),
            Criterion("price", "价格", Decimal(price), "price", formula),
        )
        return Scheme(method, criteria, DEFAULT_K if formula == "mean_k" else ())
    if method == "base_price":
        return Scheme(method, (Criterion("price", "价格", HUNDRED, "price", "mean_k"),), DEFAULT_K)
    return Scheme(method)


def _parse_criterion(raw: object) -> Criterion:
    _need(isinstance(raw, Mapping), "scheme_invalid", what="评审因素须为对象")
    assert isinstance(raw, Mapping)
    unknown = sorted(map(str, set(raw) - set(_CRITERION_FIELDS)))
    _need(not unknown, "scheme_field_unknown", fields="、".join(unknown))
    code, name, kind, formula = (raw.get(f, "") for f in ("code", "name", "kind", "formula"))
    _need(all(isinstance(v, str) for v in (code, name, kind, formula)), "criterion_invalid", code=code)
    return Criterion(code, name, _num(raw.get("max"), "max"), kind, formula)


def parse_scheme(method: str, data: Mapping[str, Any] | None) -> Scheme:
    """Missing fields take the method's defaults; the default K options come only with the default criteria."""
    base = default_scheme(method)
    if data is None:
        return base
    _need(isinstance(data, Mapping), "scheme_invalid", what="评标办法须为对象")
    unknown = sorted(map(str, set(data) - set(_FIELDS)))
    _need(not unknown, "scheme_field_unknown", fields="、".join(unknown))
    _need(data.get("method", method) == method, "method_mismatch")
    lists = all(isinstance(data.get(f, ()), list | tuple) for f in ("criteria", "k_options"))
    _need(lists, "scheme_invalid", what="criteria 和 k_options 须为列表")
    criteria, ks = base.criteria, base.k_options
    if "criteria" in data:
        criteria, ks = tuple(_parse_criterion(c) for c in data["criteria"]), ()
    if "k_options" in data:
        ks = tuple(_num(k, "k_options") for k in data["k_options"])
    num = {f: _num(data[f], f) if f in data else getattr(base, f) for f in _FIELDS[3:]}
    _need(num["candidates"] == int(num["candidates"]), "candidates_invalid")
    scheme = Scheme(
        method, criteria, ks, num["above_per_pct"], num["below_per_pct"], int(num["candidates"]), num["outlier_share"]
    )
    _validate(scheme)
    return scheme


def scheme_to_dict(scheme: Scheme) -> dict[str, Any]:
    return {
        "method": scheme.method,
        "criteria": [{f: str(getattr(c, f)) for f in _CRITERION_FIELDS} for c in scheme.criteria],
        "k_options": [str(k) for k in scheme.k_options],
        "above_per_pct": str(scheme.above_per_pct),
        "below_per_pct": str(scheme.below_per_pct),
        "candidates": scheme.candidates,
        "outlier_share": str(scheme.outlier_share),
    }


def draw_k(scheme: Scheme, record_digest: str) -> Decimal | None:
    """K is fixed by the published opening record's SM3 digest: unknown while bidders price, set at
    the opening, and anyone can recompute it from the published record."""
    if not any(c.formula == "mean_k" for c in scheme.criteria):
        return None
    _need(bool(record_digest), "record_digest_missing")
    return scheme.k_options[int(sm3_hex("k|" + record_digest), 16) % len(scheme.k_options)]


def check_score(criterion: Criterion, value: Decimal) -> Decimal:
    # A score outside the range is one of the errors 财政部令87号第六十四条 lets be corrected after the
    # summary; refusing it at entry means it never reaches a result.
    _need(isinstance(value, Decimal) and value.is_finite(), "number_invalid", field=f"“{criterion.name}”的评分")
    detail = {"name": criterion.name, "max": criterion.max, "value": str(value)}
    _need(ZERO <= value <= criterion.max, "score_out_of_range", **detail)
    _need(_round(value) == value, "score_precision", **detail)
    return value


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
