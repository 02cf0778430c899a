"""Sealed bids for tendering tests: enough accepted bids that the deadline closes a tender instead
of failing it (招标投标法实施条例第四十四条: fewer than the minimum, no opening)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from tests.bidding.helpers import Bidder, World, bidder, obtain_and_bid

# Demo bidders (construction and procurement alike); the invitation lists of helpers_methods name
# 松原 (bidder), 拉法 (bidder3) and 江南 (bidder4), and single source only 松原.
OPEN_BIDDERS = ("bidder", "bidder2", "bidder3")
INVITED_BIDDERS = ("bidder", "bidder3", "bidder4")
SINGLE_SOURCE_BIDDERS = ("bidder",)


def bidders_for(method: str) -> tuple[str, ...]:
    """Demo bidders the tender of ``method`` set up by ``helpers_methods.method_body`` admits."""
    if method == "gp_single_source":
        return SINGLE_SOURCE_BIDDERS
    if method in ("construction_invited", "gp_invited"):
        return INVITED_BIDDERS
    return OPEN_BIDDERS


# The fewest bids an opening needs (实施条例第四十四条; 87号令; 74号令; 214号; 政府采购法第三十九条;
# 110号令), as the rule table holds them.
MIN_BIDS = {
    "construction_open": 3,
    "construction_invited": 3,
    "gp_open": 3,
    "gp_invited": 3,
    "gp_negotiation": 3,
    "gp_consultation": 3,
    "gp_rfq": 3,
    "gp_single_source": 1,
    "gp_framework": 1,
}


def min_bids(method: str) -> int:
    return MIN_BIDS[method]


def world_of(t: dict[str, Any]) -> World:
    """The bidding helpers' view of a tender dict as the API returns it."""
    return World(
        tender=t, deadline=datetime.fromisoformat(t["bid_deadline"]), sections=[s["id"] for s in t["sections"]]
    )


def bidders(client_for: Any, usernames: tuple[str, ...], tmp_path: Path) -> list[Bidder]:
    """Demo bidders, each with a registered SM2 key (register each one once per test)."""
    return [bidder(client_for, u, tmp_path) for u in usernames]


def bid_on_sections(
    bs: list[Bidder], t: dict[str, Any], tmp_path: Path, sections: list[int] | None = None, prices: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """Each bidder obtains the documents and seals a valid bid on each of ``sections`` (all by
    default); returns the receipts, all accepted. The clock must stand in the documents period."""
    world = world_of(t)
    receipts = []
    for sid in world.sections if sections is None else sections:
        for i, b in enumerate(bs):
            price = prices[i] if i < len(prices) else f"{19_700_000 + 10_000 * i}.00"
            r = obtain_and_bid(b, world, tmp_path, section_id=sid, price=price)
            assert r["status"] == "accepted", r
            receipts.append(r)
    return receipts


def three_bids_everywhere(
    client_for: Any, t: dict[str, Any], tmp_path: Path, usernames: tuple[str, ...] = OPEN_BIDDERS, **kw: Any
) -> list[Bidder]:
    """Three accepted sealed bids on every section of ``t``: at the deadline it closes, every
    section's opening starts."""
    assert len(usernames) == 3
    bs = bidders(client_for, usernames, tmp_path)
    bid_on_sections(bs, t, tmp_path, **kw)
    return bs
