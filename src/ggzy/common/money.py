"""Money is Decimal, in yuan, two places; never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ggzy.common.errors import InvalidInput

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("99999999999999.99")  # 14 integer figures, as the data specification allows


def to_money(value: object, *, field: str = "金额") -> Decimal:
    if isinstance(value, float):
        raise InvalidInput(f"{field}不能使用浮点数，请以字符串或整数提交", code="invalid_amount")
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{field}格式不正确：{value!r}", code="invalid_amount") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidInput(f"{field}超出允许范围（0 至 {MAX_AMOUNT} 元）", code="invalid_amount")
    return amount


def format_yuan(amount: Decimal | None) -> str:
    if amount is None:
        return ""
    return f"{amount:,.2f} 元"


def format_wan(amount: Decimal | None) -> str:
    """Amounts in 万元, as notices usually show them."""
    if amount is None:
        return ""
    return f"{(amount / Decimal(10000)).quantize(Decimal('0.0001')):,} 万元"
