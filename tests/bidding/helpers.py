"""Building blocks for bidding tests: bidders with registered keys, a published tender, sealed bids."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from ggzy import bidder_tool as tool
from ggzy.bidding import envelope
from ggzy.identity.rules import make_id_number
from tests.tendering.helpers import accepted_project_id, tender_body

CANARY = "CANARY-明文不应出现-7f3a9c"
DEVICE = {"cpu": "c" * 64, "disk": "d" * 64, "mac": "e" * 64, "host": "f" * 64}


@dataclass
class Bidder:
    username: str
    client: TestClient
    credit_code: str
    key: tool.KeyPair
    sealed: dict[int, envelope.Sealed] = field(default_factory=dict)


def register_key(client: TestClient, key: tool.KeyPair) -> dict[str, Any]:
    ch = client.post("/api/v1/keys/challenge", json={"purpose": "register"})
    assert ch.status_code == 200, ch.text
    r = client.post(
        "/api/v1/keys",
        json={
            "public_key": key.public_hex,
            "nonce": ch.json()["nonce"],
            "signature": key.sign(ch.json()["text"].encode()),
        },
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def bidder(client_for: Any, username: str, tmp: Path) -> Bidder:
    c = client_for(username)
    key = tool.keygen(tmp / f"{username}.key")
    register_key(c, key)
    me = c.get("/api/v1/me").json()
    org = c.get(f"/api/v1/organizations/{me['organization_id']}").json()
    return Bidder(username, c, org["credit_code"], key)


@dataclass
class World:
    tender: dict[str, Any]
    deadline: datetime
    sections: list[int]


def published_tender(client_for: Any, clock: Any, **extra: Any) -> World:
    """A construction tender published an hour ago with two sections; bidding until ``deadline``."""
    agency, operator = client_for("tenderer"), client_for("operator")
    start = clock.now() + timedelta(days=1)
    r = agency.post("/api/v1/tenders", json=tender_body(accepted_project_id(agency), start, **extra))
    assert r.status_code == 201, r.text
    t = r.json()
    assert agency.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    r = operator.post(f"/api/v1/tenders/{t['id']}/publish")
    assert r.status_code == 200, r.text
    clock.set(start + timedelta(hours=1))
    return World(r.json(), start + timedelta(days=20), [s["id"] for s in r.json()["sections"]])


def seal(
    b: Bidder, client: TestClient, section_id: int, tmp: Path, price: str = "19800000.00", **bid: Any
) -> envelope.Sealed:
    sealing = client.get(f"/api/v1/sections/{section_id}/sealing").json()
    doc = {
        "price": price,
        "duration_days": 540,
        "quality": "合格",
        "project_manager": "王建国",
        "deposit": "已缴纳 400000.00 元",
        "project_manager_id": make_id_number("22020219750301001"),
        "project_manager_certificates": "一级注册建造师（水利水电工程）",
        "deposit_form": "bank_transfer",
        "deposit_paid_at": "2026-12-01T09:00:00+08:00",
        "note": CANARY,
    } | bid
    attachment = tmp / f"{b.username}-tech.txt"
    attachment.write_text(f"技术标 {CANARY}\n", encoding="utf-8")
    out = tmp / f"{b.username}-{section_id}-{uuid.uuid4().hex[:8]}.ggzy"  # never overwrite an earlier one
    sealed = tool.seal_bid(
        key=b.key, bidder=b.credit_code, sealing=sealing, bid=doc, attachments=[attachment], out=out, device=DEVICE
    )
    b.sealed[section_id] = sealed
    return sealed


def submit(b: Bidder, section_id: int, sealed: envelope.Sealed) -> Any:
    return b.client.post(
        f"/api/v1/sections/{section_id}/bids",
        content=sealed.path.read_bytes(),
        headers={"content-type": "application/octet-stream"},
    )


def obtain_and_bid(b: Bidder, world: World, tmp: Path, section_id: int | None = None, **bid: Any) -> Any:
    tid = world.tender["id"]
    b.client.post(f"/api/v1/tenders/{tid}/obtain")
    sid = section_id or world.sections[0]
    r = submit(b, sid, seal(b, b.client, sid, tmp, **bid))
    assert r.status_code == 201, r.text
    return r.json()
