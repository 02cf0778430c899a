"""Bids stay secret until the opening: the platform holds no plaintext of any bid, and nobody but a
bidder itself learns that it bid.

The whole database (every table, the audit log included) and the whole file store are dumped
before the deadline and searched for a canary planted in every bid (in bid.json and in an
attachment) and for the bid prices. After the bidders decrypt at the opening the prices are in
the record, and the same search finds them: the search can see plaintext when it is there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import ggzy.models_all  # noqa: F401  (every table in the metadata)
from ggzy import bidder_tool as tool
from ggzy.common.audit import AuditEvent
from ggzy.common.chronograph import run_due
from ggzy.common.orm import Base
from ggzy.dated_events import HANDLERS
from tests.bidding.helpers import CANARY, Bidder, World, bidder, obtain_and_bid, published_tender

PRICES = {"bidder": "19876543.21", "bidder2": "19765432.10", "bidder3": "20123456.78"}
WATCHERS = ("operator", "tenderer", "agency", "regulator", "regulator_water", "auditor", "admin")


def needles() -> dict[str, bytes]:
    """What must not be found before opening: the canary (also its ASCII parts, in case it was
    stored JSON-escaped) and every price."""
    out = {"canary": CANARY.encode(), "canary-ascii-head": b"CANARY-", "canary-ascii-tail": b"-7f3a9c"}
    out |= {f"price of {u}": p.encode() for u, p in PRICES.items()}
    return out


def _text(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str).encode() + repr(value).encode()
    return str(value).encode()


def dump_database(db: Any) -> dict[str, bytes]:
    """Every row of every table, as bytes, per table."""
    out: dict[str, bytes] = {}
    with db.session() as s:
        for table in Base.metadata.sorted_tables:
            rows = s.execute(table.select()).all()
            out[table.name] = b"\n".join(b"\t".join(_text(v) for v in row) for row in rows)
    return out


def dump_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def find(dumps: dict[str, bytes], wanted: dict[str, bytes]) -> list[str]:
    return [f"{what} in {where}" for where, blob in dumps.items() for what, needle in wanted.items() if needle in blob]


def identities(bidders: Iterable[Bidder], client_for: Any) -> list[str]:
    """Everything that would tell an outsider who bid: names, credit codes, users."""
    out = []
    for b in bidders:
        me = b.client.get("/api/v1/me").json()
        out += [b.credit_code, me["organization_name"], me["display_name"]]
    return out


@pytest.fixture
def machine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bidders' own machines: their private keys and plaintext stay here, outside the platform."""
    return tmp_path_factory.mktemp("bidder-machine")


def three_bids(client_for: Any, clock: Any, machine: Path) -> tuple[World, list[Bidder], list[dict[str, Any]]]:
    world = published_tender(client_for, clock)
    bidders = [bidder(client_for, u, machine) for u in PRICES]
    receipts = [obtain_and_bid(b, world, machine, price=PRICES[b.username]) for b in bidders]
    # bidder4 obtains the documents but does not bid: obtaining is not bidding.
    assert client_for("bidder4").post(f"/api/v1/tenders/{world.tender['id']}/obtain").status_code == 204
    return world, bidders, receipts


def test_no_plaintext_anywhere_before_opening(client_for, clock, db, settings, machine):
    world, bidders, receipts = three_bids(client_for, clock, machine)
    sid = world.sections[0]

    # The search works: the bidders' own machines do hold the plaintext.
    assert find(dump_files(machine), {"canary": CANARY.encode()}), "the canary was not planted"
    assert all(CANARY.encode() in p.read_bytes() for p in machine.glob("*-tech.txt"))

    tables = dump_database(db)
    assert {"bid", "audit_event", "org_key", "notice", "tender"} <= set(tables)
    assert tables["bid"].count(b"accepted") >= 3, "the dump must include the bids themselves"
    with db.session() as s:
        actions = set(s.scalars(select(AuditEvent.action)))
    assert "bid.submit" in actions, "the dump must include the audit log of the submissions"
    files = dump_files(settings.data_dir)
    stored = [name for name in files if name.startswith("bids/") and not name.startswith("bids/tmp/")]
    assert len(stored) == 3, f"three envelopes on disk, got {stored}"
    assert {name.rsplit("/", 1)[1] for name in stored} == {r["receipt"]["digest"] for r in receipts}

    leaks = find(tables, needles()) + find(files, needles())
    assert leaks == [], f"bid plaintext found on the platform before opening: {leaks}"

    # The content keys are nowhere on the platform either (only the bidders can re-derive them).
    content_keys = {f"content key of {b.username}": b.sealed[sid].content_key.encode() for b in bidders}
    assert find(tables, content_keys) + find(files, content_keys) == []
    private_keys = {f"private key of {b.username}": b.key.private_hex.encode() for b in bidders}
    assert find(tables, private_keys) + find(files, private_keys) == []

    # At the opening the bidders decrypt; now the prices are in the record, and the same search
    # finds them in the database.
    clock.set(datetime.fromisoformat(world.tender["bid_deadline"]).astimezone(UTC))
    run_due(db, now=clock.now(), handlers=HANDLERS)
    for b in bidders:
        k = tool.content_key(b.key, b.sealed[sid].path)
        r = b.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": k})
        assert r.status_code == 200, r.text
    # Until decryption is over nobody, not even the host, sees a price or a name (电子招标投标办法第三十条).
    room = client_for("operator").get(f"/api/v1/sections/{sid}/opening").json()
    assert [r["price"] for r in room["record"]["rows"]] == [None, None, None]
    assert not {r["credit_code"] for r in room["record"]["rows"]} - {""}
    room = client_for("operator").post(f"/api/v1/sections/{sid}/opening/close").json()
    assert room["status"] == "review"
    assert sorted(r["price"] for r in room["record"]["rows"]) == sorted(PRICES.values())
    prices = {f"price of {u}": p.encode() for u, p in PRICES.items()}
    found = find(dump_database(db), prices)
    assert {f.split(" in ")[0] for f in found} == set(prices), f"the dump should now show every price: {found}"
    assert any(f.endswith(" in bid") for f in found)


def test_nobody_learns_who_bid_before_opening(client_for, clock, db, anon, machine):
    world, bidders, _ = three_bids(client_for, clock, machine)
    tid, sid = world.tender["id"], world.sections[0]
    who = identities(bidders, client_for)

    # The opening room is closed to everyone until the deadline.
    for username in WATCHERS:
        r = client_for(username).get(f"/api/v1/sections/{sid}/opening")
        assert r.status_code in (403, 404, 409), f"{username} must not see the opening before the deadline: {r.text}"
        assert r.json()["code"] in ("opening_not_started", "opening_not_found", "forbidden")
    for username in ("operator", "tenderer"):
        r = client_for(username).get(f"/api/v1/sections/{sid}/opening")
        assert r.status_code == 409 and r.json()["code"] == "opening_not_started", r.text
        assert "尚未" in r.json()["message"]
    r = bidders[0].client.get(f"/api/v1/sections/{sid}/opening")
    assert r.status_code == 409 and r.json()["code"] == "opening_not_started", r.text
    r = client_for("bidder4").get(f"/api/v1/sections/{sid}/opening")
    assert r.status_code == 404 and r.json()["code"] == "opening_not_found", r.text
    r = anon.get(f"/api/v1/sections/{sid}/opening")
    assert r.status_code == 401, r.text

    # Each bidder sees its own bid and no one else's.
    for b in bidders:
        mine = b.client.get(f"/api/v1/sections/{sid}/bids/mine").json()
        assert len(mine) == 1 and mine[0]["receipt"]["bidder"] == b.credit_code
        others = [x for x in who if x not in identities([b], client_for)]
        assert not [x for x in others if x in json.dumps(mine, ensure_ascii=False)]
    assert client_for("bidder4").get(f"/api/v1/sections/{sid}/bids/mine").json() == []
    for username in WATCHERS:
        r = client_for(username).get(f"/api/v1/sections/{sid}/bids/mine")
        assert r.status_code == 403 and r.json()["code"] == "forbidden", f"{username}: {r.text}"

    # Nothing the tenderer, the centre or a regulator can read names a bidder.
    reads = [
        f"/api/v1/tenders/{tid}",
        f"/api/v1/tenders/{tid}/notices",
        "/api/v1/notices",
        "/api/v1/tenders",
        f"/api/v1/sections/{sid}/sealing",
        f"/api/v1/sections/{world.sections[1]}/sealing",
        f"/api/v1/sections/{sid}/opening",
        f"/api/v1/tenders/{tid}/questions",
    ]
    for username in ("operator", "tenderer", "agency", "regulator", "regulator_water"):
        c = client_for(username)
        for path in reads:
            text = c.get(path).text
            named = [x for x in who if x in text]
            assert named == [], f"{username} learns who bid from {path}: {named}"
    for username in ("regulator", "regulator_water"):
        text = client_for(username).get("/api/v1/audit/events?limit=500").text
        named = [x for x in who if x in text]
        assert named == [], f"{username} learns who bid from the audit log: {named}"
        events = client_for(username).get("/api/v1/audit/events?limit=500").json()
        assert not [e for e in events if e["action"].startswith("bid.")], f"{username} sees bid events"

    # The number of bids is not told either: the tender looks the same to the tenderer as before.
    t = client_for("tenderer").get(f"/api/v1/tenders/{tid}").json()
    assert t["status"] == "bidding"
    assert "bid_count" not in json.dumps(t)


def test_audit_log_does_not_name_bidders_before_opening(client_for, clock, db, machine):
    """The audit log records each submission with its actor. Anyone who can read the log must not
    learn from it who bid before the opening (the Bid model: "the bidder's identity is never shown
    to anyone but the bidder itself before then"; 招标投标法第二十二条)."""
    world, bidders, _ = three_bids(client_for, clock, machine)
    org_ids = {b.client.get("/api/v1/me").json()["organization_id"] for b in bidders}
    who = identities(bidders, client_for)
    exposed: dict[str, list[str]] = {}
    for username in ("auditor", "admin"):
        r = client_for(username).get("/api/v1/audit/events?limit=500")
        assert r.status_code == 200, r.text
        events = [e for e in r.json() if e["action"].startswith("bid.")]
        assert len(events) == 3 and {e["actor_name"] for e in events} == {"（开标前保密）"}, events
        assert {e["object_id"] for e in events} == {"（开标前保密）"}, "nor on which section"
        one = client_for(username).get(
            f"/api/v1/audit/events?object_type=tender_section&object_id={world.sections[0]}&limit=500"
        )
        assert not [e for e in one.json() if e["action"].startswith("bid.")], "nor how many bid on it"
        names = sorted(
            {e["actor_name"] for e in events if e["actor_org_id"] in org_ids or any(x in e["actor_name"] for x in who)}
        )
        if names:
            exposed[username] = names
    assert exposed == {}, (
        "BUG: before the deadline GET /api/v1/audit/events shows the actor (name, organisation) of every "
        f"bid.submit event, i.e. who bid on which section: {exposed}. ggzy/bidding/submission.py bid_submit "
        "records actor_of(principal) and ggzy/audit_views/selectors.py events() returns it unredacted to "
        "Scope.ANY readers (auditor; admin, who belongs to the trading centre)"
    )
    # Once the opening starts, the log names them again (the stored events were never changed).
    clock.set(world.deadline)
    assert client_for("operator").get(f"/api/v1/sections/{world.sections[0]}/opening").status_code == 200
    events = [
        e for e in client_for("auditor").get("/api/v1/audit/events?limit=500").json() if e["action"] == "bid.submit"
    ]
    assert {e["actor_org_id"] for e in events} == org_ids
    assert client_for("auditor").get("/api/v1/audit/verify").json()["ok"]
