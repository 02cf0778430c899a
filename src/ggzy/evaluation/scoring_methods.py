"""Evaluation methods (评标方法) as data: the method table, every Chinese error message, and the scheme.

The scheme (评标办法: criteria, K options, deduction rates, candidates) is parsed, validated and
serialised here, and a member's score is checked against its criterion; ``scoring`` does the
arithmetic over a valid scheme and re-exports this module's public names, so callers import from
``scoring`` only. Split from ``scoring`` so that each stays short: the tables and the checks on what
may be entered here, the formulas there. Pure: no database, no HTTP; it imports nothing of
``scoring`` (``scoring`` imports this). Rounding and legal basis: docs/evaluation-methods.md.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

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


def check_score(criterion: Criterion, value: Decimal) -> Decimal:
    # A score outside the range is one of the errors 财政部令87号第六十四条 lets be corrected after the
    # summary; refusing it at entry means it never reaches a result.
    _need(isinstance(value, Decimal) and value.is_finite(), "number_invalid", field=f"“{criterion.name}”的评分")
    detail = {"name": criterion.name, "max": criterion.max, "value": str(value)}
    _need(ZERO <= value <= criterion.max, "score_out_of_range", **detail)
    _need(_round(value) == value, "score_precision", **detail)
    return value
