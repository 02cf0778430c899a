"""The opening's rules, each with its legal basis.

The fewest bids an opening needs is a dated row of the tender rule table (key ``min_bidders``,
unit ``count``; migrations 0002 and 0004), so a procedure runs under the row in force when it was
published and operators can supersede unverified rows. A method without a row needs one bid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ggzy.tendering.enums import RuleKey


@dataclass(frozen=True)
class MinBids:
    count: int
    basis: str


def min_bids(in_force: dict[Any, Any]) -> MinBids:
    row = in_force.get(RuleKey.MIN_BIDDERS)
    if row is None:
        return MinBids(1, "本方式未设最少投标人数")
    return MinBids(row.amount, row.basis + ("" if row.verified else "（未经核实，可配置）"))


DECRYPTION_BASIS = "电子招标投标办法第三十一条"
# How long bidders have to decrypt is set per tender (Tender.decryption_minutes, default 30), as
# the tender documents state it.
