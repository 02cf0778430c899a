"""Money is Decimal, in yuan, two places; never float (see common.orm.MoneyType for storage)."""

from __future__ import annotations

from decimal import Decimal


def format_yuan(amount: Decimal | str | None) -> str:
    """Also takes the exact decimal strings that JSON facts carry (never a float)."""
    if amount is None or amount == "":
        return ""
    return f"{Decimal(amount):,.2f} 元"


def format_wan(amount: Decimal | None) -> str:
    """Amounts in 万元, as notices usually show them."""
    if amount is None:
        return ""
    return f"{(amount / Decimal(10000)).quantize(Decimal('0.0001')):,} 万元"
