"""Committee composition and the evaluation's configurable standards, each with its basis."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ggzy.common.errors import RuleViolation


@dataclass(frozen=True)
class Composition:
    min_members: int
    basis: str


# 招标投标法第三十七条: five or more, odd, technical and economic experts at least two thirds.
# 政府采购货物和服务招标投标管理办法（财政部令87号）第四十七条: the same for open and invited tendering.
# 政府采购非招标采购方式管理办法（财政部令74号）第七条 and 财库〔2014〕214号第十四条: negotiation,
# RFQ and consultation groups of three or more, odd, experts at least two thirds.
TENDER = Composition(5, "招标投标法第三十七条；财政部令第87号第四十七条")
NON_TENDER = Composition(3, "财政部令第74号第七条；财库〔2014〕214号第十四条")
COMPOSITION = {
    "construction_open": TENDER,
    "construction_invited": TENDER,
    "gp_open": TENDER,
    "gp_invited": TENDER,
    "gp_negotiation": NON_TENDER,
    "gp_consultation": NON_TENDER,
    "gp_rfq": NON_TENDER,
    "gp_single_source": NON_TENDER,
    "gp_framework": NON_TENDER,
}


def check_composition(method: str, experts: int, representatives: int) -> None:
    """Refuse a committee the law does not allow, saying which rule and why."""
    rule = COMPOSITION.get(method, TENDER)
    total = experts + representatives
    problems = []
    if total < rule.min_members:
        problems.append(f"成员 {total} 人，少于 {rule.min_members} 人")
    if total % 2 == 0:
        problems.append(f"成员 {total} 人，应为单数")
    if experts * 3 < total * 2:
        problems.append(f"专家 {experts} 人，少于成员总数的三分之二")
    if problems:
        raise RuleViolation(
            "评标委员会组成不合法：" + "；".join(problems) + f"（{rule.basis}）",
            code="committee_invalid",
            detail={"basis": rule.basis, "experts": experts, "representatives": representatives},
        )


@dataclass(frozen=True)
class FeeStandard:
    """Local fee standard (configurable; cities publish theirs): a fixed amount for the first
    hours, then an hourly rate, capped per day; a supplement for evaluating away from home."""

    base_hours: Decimal = Decimal("4")
    base_amount: Decimal = Decimal("500")
    hourly: Decimal = Decimal("100")
    daily_cap: Decimal = Decimal("1200")
    basis: str = "本市评标专家劳务报酬标准（可配置）"


def fee_for(hours: Decimal, std: FeeStandard) -> Decimal:
    extra = max(Decimal(0), hours - std.base_hours)
    # Started hours count as whole hours beyond the base period.
    whole = extra.to_integral_value(rounding="ROUND_CEILING")
    return min(std.base_amount + whole * std.hourly, std.daily_cap)


# Repeated poor ratings (score 1 or 2) within 12 months suspend the expert for six months
# (评标专家和评标专家库管理办法 on dynamic assessment; the count is local practice, configurable).
POOR_RATING = 2
POOR_RATINGS_TO_SUSPEND = 3
SUSPEND_DAYS = 182
