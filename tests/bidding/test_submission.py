"""Submitting, replacing, withdrawing and verifying sealed bids through the API.

Every refusal is checked the same way: the HTTP status, the stable ``code``, a Chinese
``message``, and that nothing is left behind (no new or changed row in ``bid``, no new file in the
bid store, no temporary upload in ``bids/tmp``).
"""

from __future__ import annotations

import json
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from ggzy import bidder_tool as tool
from ggzy import demo
from ggzy.bidding import envelope
from ggzy.bidding.models import Bid
from ggzy.common.chronograph import run_due
from ggzy.common.crypto import canonical_json
from ggzy.dated_events import HANDLERS
from ggzy.main import create_app
from tests.bidding.helpers import DEVICE, Bidder, World, bidder, obtain_and_bid, published_tender, seal, submit

CJK = re.compile(r"[\u4e00-\u9fff]")


# --- what a refusal must leave behind: nothing -------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    bids: tuple[tuple[int, str, str], ...]  # (id, status, digest) of every row in ``bid``
    files: frozenset[str]  # every stored envelope under data_dir/bids, tmp excluded


def snapshot(db: Any, settings: Any) -> Snapshot:
    with db.session() as s:
        rows = tuple((b.id, b.status, b.digest) for b in s.scalars(select(Bid).order_by(Bid.id)))
    root = settings.data_dir / "bids"
    files = (
        frozenset(
            p.relative_to(root).as_posix()
            for p in root.rglob("*")
            if p.is_file() and p.relative_to(root).parts[0] != "tmp"
        )
        if root.exists()
        else frozenset()
    )
    return Snapshot(rows, files)


def tmp_files(settings: Any) -> list[Path]:
    tmp = settings.data_dir / "bids" / "tmp"
    return sorted(tmp.iterdir()) if tmp.exists() else []


def assert_refused(r: Any, status: int, code: str, db: Any, settings: Any, before: Snapshot) -> dict[str, Any]:
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text}"
    body = r.json()
    assert body["code"] == code, body
    assert CJK.search(body["message"]), f"the refusal should explain itself in Chinese: {body['message']!r}"
    after = snapshot(db, settings)
    assert after.bids == before.bids, f"a refused bid changed the bid table: {before.bids} -> {after.bids}"
    assert after.files == before.files, f"a refused bid left files behind: {sorted(after.files - before.files)}"
    assert tmp_files(settings) == [], f"a refused upload left a temporary file: {tmp_files(settings)}"
    return dict(body)


# --- building envelopes -------------------------------------------------------------------------


def deadline_of(world: World) -> datetime:
    return datetime.fromisoformat(world.tender["bid_deadline"]).astimezone(UTC)


def seal_as(
    b: Bidder,
    section_id: int,
    tmp: Path,
    *,
    key: tool.KeyPair | None = None,
    bidder_code: str | None = None,
    sealing_section: int | None = None,
    attachments: list[Path] | None = None,
    name: str = "custom",
    price: str = "19800000.00",
) -> envelope.Sealed:
    """An envelope sealed on ``b``'s machine with any key, for any bidder or section."""
    sealing = b.client.get(f"/api/v1/sections/{sealing_section or section_id}/sealing").json()
    att = tmp / f"{b.username}-{name}.txt"
    att.write_text("技术标\n", encoding="utf-8")
    doc = {"price": price, "duration_days": 500, "quality": "合格", "project_manager": "李四", "deposit": "已缴纳"}
    return tool.seal_bid(
        key=key or b.key,
        bidder=bidder_code or b.credit_code,
        sealing=sealing,
        bid=doc,
        attachments=attachments if attachments is not None else [att],
        out=tmp / f"{b.username}-{name}.ggzy",
        device=DEVICE,
    )


def post_bytes(client: TestClient, section_id: int, data: bytes | Iterator[bytes]) -> Any:
    return client.post(
        f"/api/v1/sections/{section_id}/bids", content=data, headers={"content-type": "application/octet-stream"}
    )


def split_envelope(data: bytes) -> tuple[dict[str, Any], bytes]:
    (n,) = struct.unpack(">I", data[8:12])
    return json.loads(data[12 : 12 + n]), data[12 + n :]


def join_envelope(header: dict[str, Any], ciphertext: bytes) -> bytes:
    raw = canonical_json(header)
    return envelope.MAGIC + struct.pack(">I", len(raw)) + raw + ciphertext


def ready(client_for: Any, clock: Any, tmp: Path, *usernames: str) -> tuple[World, list[Bidder]]:
    """A published tender and bidders with registered keys that have obtained its documents."""
    world = published_tender(client_for, clock)
    bidders = [bidder(client_for, u, tmp) for u in usernames]
    for b in bidders:
        assert b.client.post(f"/api/v1/tenders/{world.tender['id']}/obtain").status_code == 204
    return world, bidders


def verify(client: TestClient, receipt: dict[str, Any], signature: str) -> dict[str, Any]:
    r = client.post("/api/v1/receipts/verify", json={"receipt": receipt, "signature": signature})
    assert r.status_code == 200, r.text
    return dict(r.json())


def open_section(client_for: Any, clock: Any, db: Any, world: World, sid: int) -> dict[str, Any]:
    clock.set(deadline_of(world))
    run_due(db, now=clock.now(), handlers=HANDLERS)
    r = client_for("operator").get(f"/api/v1/sections/{sid}/opening")
    assert r.status_code == 200, r.text
    return dict(r.json())


# --- the deadline -------------------------------------------------------------------------------


def test_deadline_is_exclusive_to_the_millisecond(client_for, clock, db, settings, tmp_path):
    world, (early, late) = ready(client_for, clock, tmp_path, "bidder", "bidder2")
    sid = world.sections[0]
    deadline = deadline_of(world)

    clock.set(deadline - timedelta(milliseconds=1))
    r = submit(early, sid, seal(early, early.client, sid, tmp_path))
    assert r.status_code == 201, f"a bid 1 ms before the deadline must be accepted: {r.text}"
    assert r.json()["status"] == "accepted" and r.json()["status_label"] == "有效"
    received = (deadline - timedelta(milliseconds=1)).isoformat(timespec="milliseconds")
    assert r.json()["receipt"]["received_at"] == received
    mine = early.client.get(f"/api/v1/sections/{sid}/bids/mine").json()
    assert datetime.fromisoformat(mine[0]["received_at"]) == deadline - timedelta(milliseconds=1)

    sealed = seal(late, late.client, sid, tmp_path)
    for moment in (deadline, deadline + timedelta(milliseconds=1)):
        clock.set(moment)
        before = snapshot(db, settings)
        body = assert_refused(submit(late, sid, sealed), 409, "deadline_passed", db, settings, before)
        assert "截止" in body["message"]
        assert datetime.fromisoformat(body["detail"]["deadline"]) == deadline
        assert datetime.fromisoformat(body["detail"]["received"]) == moment
    # Nor can a bid be withdrawn once the deadline has passed.
    before = snapshot(db, settings)
    assert_refused(
        early.client.post(f"/api/v1/sections/{sid}/bids/withdraw"), 409, "deadline_passed", db, settings, before
    )


def test_upload_completing_at_the_deadline_is_refused(client_for, clock, db, settings, tmp_path):
    """The bid counts as received when its upload completes: one that starts 1 ms before the
    deadline and finishes at it is refused, and the stored file is discarded again."""
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    deadline = deadline_of(world)
    data = seal(b, b.client, sid, tmp_path).path.read_bytes()
    clock.set(deadline - timedelta(milliseconds=1))
    before = snapshot(db, settings)

    def slow_upload() -> Iterator[bytes]:
        yield data[: len(data) // 2]
        yield data[len(data) // 2 :]
        clock.set(deadline)  # the last byte arrives at the deadline

    assert_refused(post_bytes(b.client, sid, slow_upload()), 409, "deadline_passed", db, settings, before)


# --- replacing, withdrawing, retrying, replaying -------------------------------------------------


def test_replaced_and_withdrawn_bids_are_never_opened(client_for, clock, db, settings, tmp_path):
    world, (replacer, withdrawer, b2, b3) = ready(
        client_for, clock, tmp_path, "bidder", "bidder4", "bidder2", "bidder3"
    )
    sid = world.sections[0]
    key = client_for("bidder").get("/api/v1/platform-key").json()["public_key"]

    first = seal_as(replacer, sid, tmp_path, name="first", price="19111111.11")
    r1 = submit(replacer, sid, first)
    assert r1.status_code == 201, r1.text
    second = seal_as(replacer, sid, tmp_path, name="second", price="19222222.22")
    r2 = submit(replacer, sid, second)
    assert r2.status_code == 201, f"a bid may be replaced before the deadline: {r2.text}"
    assert r2.json()["receipt"]["seq"] > r1.json()["receipt"]["seq"]
    mine = replacer.client.get(f"/api/v1/sections/{sid}/bids/mine").json()
    assert [(m["digest"], m["status"]) for m in mine] == [(second.digest, "accepted"), (first.digest, "replaced")]
    assert mine[1]["status_label"] == "已被替换"
    # The first receipt still verifies; it now says its bid was replaced.
    v = verify(replacer.client, r1.json()["receipt"], r1.json()["signature"])
    assert v["valid"] is True and v["status"] == "replaced"

    withdrawn = obtain_and_bid(withdrawer, world, tmp_path, price="18333333.33")
    before = snapshot(db, settings)
    r = withdrawer.client.post(f"/api/v1/sections/{sid}/bids/withdraw")
    assert r.status_code == 200, r.text
    w = r.json()
    assert w["status"] == "withdrawn" and w["status_label"] == "已撤回"
    assert w["receipt"]["kind"] == "withdrawn"
    assert (
        w["receipt"]["digest"] == withdrawn["receipt"]["digest"] and w["receipt"]["seq"] == withdrawn["receipt"]["seq"]
    )
    assert datetime.fromisoformat(w["receipt"]["withdrawn_at"]) == clock.now()
    assert tool.verify_receipt(w["receipt"], w["signature"], key), (
        "the withdrawal receipt must carry the platform's signature"
    )
    v = verify(withdrawer.client, w["receipt"], w["signature"])
    assert v["valid"] is True and v["status"] == "withdrawn"
    after = snapshot(db, settings)
    assert len(after.bids) == len(before.bids) and after.files == before.files
    # Withdrawing twice: there is nothing left to withdraw.
    before = after
    assert_refused(
        withdrawer.client.post(f"/api/v1/sections/{sid}/bids/withdraw"), 404, "bid_not_found", db, settings, before
    )

    for b, price in ((b2, "19444444.44"), (b3, "19555555.55")):
        obtain_and_bid(b, world, tmp_path, price=price)

    room = open_section(client_for, clock, db, world, sid)
    assert room["status"] == "decrypting"
    assert room["bid_count"] == 3, "only current bids count: neither the replaced nor the withdrawn one"
    rows = room["record"]["rows"]
    assert {r["credit_code"] for r in rows} == {""}, "names are announced only once decryption is over"
    assert withdrawer.credit_code not in json.dumps(room), "a withdrawn bidder must not appear at the opening"
    digests = {r["digest"] for r in rows}
    assert second.digest in digests and first.digest not in digests and withdrawn["receipt"]["digest"] not in digests

    # The replaced envelope's key opens nothing; the last one's does, and its price is recorded.
    r = replacer.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": first.content_key})
    assert r.status_code == 422 and r.json()["code"] == "decrypt_wrong_key", r.text
    r = replacer.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": second.content_key})
    assert r.status_code == 200, r.text
    assert r.json()["mine"]["outcome"] == "opened"
    # When the window is over, the record names the three current bidders, with the last price.
    clock.advance(timedelta(minutes=31))
    room = client_for("operator").get(f"/api/v1/sections/{sid}/opening").json()
    rows = room["record"]["rows"]
    assert {r["credit_code"] for r in rows} == {replacer.credit_code, b2.credit_code, b3.credit_code}
    row = next(x for x in rows if x["credit_code"] == replacer.credit_code)
    assert row["price"] == "19222222.22" and row["outcome"] == "opened"
    # The withdrawn bidder takes no part in the opening.
    r = withdrawer.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": "00" * 16})
    assert r.status_code == 404 and r.json()["code"] == "bid_not_found", r.text
    assert withdrawer.client.get(f"/api/v1/sections/{sid}/opening").status_code == 404


def test_identical_retry_returns_the_same_receipt(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    sealed = seal(b, b.client, sid, tmp_path)
    r1 = submit(b, sid, sealed)
    assert r1.status_code == 201, r1.text
    before = snapshot(db, settings)
    assert len(before.bids) == 1 and before.files == {f"{sealed.digest[:2]}/{sealed.digest}"}
    clock.advance(timedelta(minutes=3))
    r2 = submit(b, sid, sealed)
    assert r2.status_code == 200, f"an identical retry answers 200 with the original receipt: {r2.text}"
    assert r2.json() == r1.json(), "the retry must return the very same receipt (seq, time, signature)"
    assert r2.json()["receipt"]["seq"] == r1.json()["receipt"]["seq"]
    after = snapshot(db, settings)
    assert after == before, "an identical retry must create no second row and no second file"
    assert tmp_files(settings) == []
    assert len(b.client.get(f"/api/v1/sections/{sid}/bids/mine").json()) == 1


def test_replaying_an_earlier_envelope_is_refused(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    first = seal_as(b, sid, tmp_path, name="first", price="19000000.00")
    second = seal_as(b, sid, tmp_path, name="second", price="18000000.00")
    assert submit(b, sid, first).status_code == 201
    assert submit(b, sid, second).status_code == 201
    before = snapshot(db, settings)
    body = assert_refused(submit(b, sid, first), 409, "bid_replayed", db, settings, before)
    assert "重放" in body["message"]
    mine = b.client.get(f"/api/v1/sections/{sid}/bids/mine").json()
    assert [m["status"] for m in mine] == ["accepted", "replaced"], "the replay must not disturb the current bid"
    assert mine[0]["digest"] == second.digest

    # A withdrawn envelope cannot be brought back either.
    assert b.client.post(f"/api/v1/sections/{sid}/bids/withdraw").status_code == 200
    for old in (second, first):
        before = snapshot(db, settings)
        assert_refused(submit(b, sid, old), 409, "bid_replayed", db, settings, before)
    # A freshly sealed one is welcome again before the deadline.
    third = seal_as(b, sid, tmp_path, name="third", price="17000000.00")
    r = submit(b, sid, third)
    assert r.status_code == 201, r.text
    mine = b.client.get(f"/api/v1/sections/{sid}/bids/mine").json()
    assert [m["status"] for m in mine] == ["accepted", "withdrawn", "replaced"]


# --- envelopes the platform refuses ---------------------------------------------------------------


def test_tampered_envelopes_are_refused(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    data = seal(b, b.client, sid, tmp_path).path.read_bytes()
    header, ciphertext = split_envelope(data)

    flipped = bytearray(data)
    flipped[-10] ^= 0x01  # one bit of the ciphertext
    before = snapshot(db, settings)
    body = assert_refused(post_bytes(b.client, sid, bytes(flipped)), 422, "envelope_tampered", db, settings, before)
    assert "篡改" in body["message"]
    assert_refused(post_bytes(b.client, sid, data[:-1]), 422, "envelope_tampered", db, settings, before)
    assert_refused(post_bytes(b.client, sid, data + b"\x00"), 422, "envelope_tampered", db, settings, before)

    # A header changed after signing passes the ciphertext check but not the signature.
    header["body"]["sealed_at"] = "2020-01-01T00:00:00+00:00"
    resigned = join_envelope(header, ciphertext)
    assert_refused(post_bytes(b.client, sid, resigned), 422, "signature_invalid", db, settings, before)


def test_foreign_or_unregistered_signatures_are_refused(client_for, clock, db, settings, tmp_path):
    world, (b, other) = ready(client_for, clock, tmp_path, "bidder", "bidder2")
    sid = world.sections[0]
    before = snapshot(db, settings)

    # Sealed by another bidder (its key, its name) and handed in by this one.
    theirs = seal_as(other, sid, tmp_path, name="theirs")
    body = assert_refused(submit(b, sid, theirs), 422, "envelope_wrong_bidder", db, settings, before)
    assert "投标人" in body["message"]
    # In this bidder's name but signed with another organisation's registered key.
    borrowed = seal_as(b, sid, tmp_path, key=other.key, name="borrowed")
    assert_refused(submit(b, sid, borrowed), 422, "signer_unknown", db, settings, before)
    # Signed with a key nobody registered.
    stranger = tool.keygen(tmp_path / "unregistered.key")
    unknown = seal_as(b, sid, tmp_path, key=stranger, name="unknown")
    body = assert_refused(submit(b, sid, unknown), 422, "signer_unknown", db, settings, before)
    assert "密钥" in body["message"]


def test_revoked_key_envelope_is_refused(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    sealed = seal(b, b.client, sid, tmp_path)
    key_id = next(k["id"] for k in b.client.get("/api/v1/keys").json() if k["fingerprint"] == b.key.fingerprint)
    r = b.client.post(f"/api/v1/keys/{key_id}/revoke", json={"reason": "密钥介质遗失"})
    assert r.status_code == 200, r.text
    before = snapshot(db, settings)
    assert_refused(submit(b, sid, sealed), 422, "signer_unknown", db, settings, before)


def test_envelope_for_another_section_is_refused(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    one, two = world.sections
    for_two = seal_as(b, one, tmp_path, sealing_section=two)
    before = snapshot(db, settings)
    body = assert_refused(submit(b, one, for_two), 422, "envelope_wrong_section", db, settings, before)
    assert "标段" in body["message"]
    assert submit(b, two, for_two).status_code == 201, "the same envelope is good for the section it names"


def test_garbage_is_refused_as_malformed(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    before = snapshot(db, settings)
    for garbage in (
        os.urandom(3000),
        b"not an envelope",
        b"",
        envelope.MAGIC + struct.pack(">I", 9) + b"{not json" + os.urandom(100),
        envelope.MAGIC + struct.pack(">I", 2) + b"{}",
        envelope.MAGIC + struct.pack(">I", envelope.MAX_HEADER + 1) + b"{}",
        seal(b, b.client, sid, tmp_path).path.read_bytes()[:40],  # cut off inside the header
    ):
        assert_refused(post_bytes(b.client, sid, garbage), 422, "envelope_malformed", db, settings, before)


def test_oversized_upload_is_refused(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    small_app = create_app(settings.model_copy(update={"bid_max_bytes": 4096}), db=db, clock=clock)
    c = TestClient(small_app, base_url="https://testserver")
    r = c.post("/api/v1/auth/login", json={"username": "bidder", "password": demo.DEMO_PASSWORD})
    assert r.status_code == 200, r.text
    c.headers["x-csrf-token"] = r.json()["csrf_token"]
    assert c.get(f"/api/v1/sections/{sid}/sealing").json()["max_bytes"] == 4096

    big = tmp_path / "drawings.bin"
    big.write_bytes(os.urandom(8000))  # incompressible
    data = seal_as(b, sid, tmp_path, attachments=[big], name="big").path.read_bytes()
    assert len(data) > 4096
    before = snapshot(db, settings)
    body = assert_refused(post_bytes(c, sid, data), 413, "too_large", db, settings, before)
    assert "过大" in body["message"]

    # Streamed without a Content-Length: refused at the limit while reading.
    def chunks() -> Iterator[bytes]:
        for i in range(0, len(data), 1000):
            yield data[i : i + 1000]

    assert_refused(post_bytes(c, sid, chunks()), 413, "too_large", db, settings, before)

    # One small enough goes through the same app.
    small = seal_as(b, sid, tmp_path, attachments=[], name="small").path.read_bytes()
    assert len(small) <= 4096
    assert post_bytes(c, sid, small).status_code == 201

    # The limit itself is allowed, one byte less is not.
    exact = seal_as(b, sid, tmp_path, attachments=[big], name="exact").path.read_bytes()
    for limit, status in ((len(exact) - 1, 413), (len(exact), 201)):
        app = create_app(settings.model_copy(update={"bid_max_bytes": limit}), db=db, clock=clock)
        c = TestClient(app, base_url="https://testserver")
        r = c.post("/api/v1/auth/login", json={"username": "bidder", "password": demo.DEMO_PASSWORD})
        c.headers["x-csrf-token"] = r.json()["csrf_token"]
        before = snapshot(db, settings)
        if status == 413:
            assert_refused(post_bytes(c, sid, exact), 413, "too_large", db, settings, before)
            assert_refused(post_bytes(c, sid, iter([exact])), 413, "too_large", db, settings, before)
        else:
            r = post_bytes(c, sid, iter([exact]))
            assert r.status_code == 201, f"an envelope of exactly the limit must be accepted: {r.text}"


# --- who may bid ----------------------------------------------------------------------------------


def test_bidder_without_the_documents_cannot_bid(client_for, clock, db, settings, tmp_path):
    world = published_tender(client_for, clock)
    b = bidder(client_for, "bidder", tmp_path)
    sid = world.sections[0]
    sealed = seal(b, b.client, sid, tmp_path)
    before = snapshot(db, settings)
    body = assert_refused(submit(b, sid, sealed), 403, "documents_not_obtained", db, settings, before)
    assert "招标文件" in body["message"]


def test_tenderer_and_operator_cannot_bid(client_for, clock, db, settings, tmp_path):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    sid = world.sections[0]
    data = seal(b, b.client, sid, tmp_path).path.read_bytes()
    before = snapshot(db, settings)
    for username in ("tenderer", "operator", "agency", "regulator"):
        c = client_for(username)
        body = assert_refused(post_bytes(c, sid, data), 403, "forbidden", db, settings, before)
        assert "无权" in body["message"]
        assert_refused(c.post(f"/api/v1/sections/{sid}/bids/withdraw"), 403, "forbidden", db, settings, before)


# --- receipts -------------------------------------------------------------------------------------


def test_receipt_verifies_and_a_changed_one_does_not(client_for, clock, db, settings, tmp_path, anon):
    world, (b,) = ready(client_for, clock, tmp_path, "bidder")
    out = obtain_and_bid(b, world, tmp_path)
    receipt, signature = out["receipt"], out["signature"]
    assert receipt["type"] == "ggzy-bid-receipt" and receipt["kind"] == "submitted"
    assert receipt["bidder"] == b.credit_code and receipt["digest"] == b.sealed[world.sections[0]].digest

    for who in (b.client, client_for("tenderer"), anon):  # anyone can check a receipt
        v = verify(who, receipt, signature)
        assert v["valid"] is True and v["status"] == "accepted", v
        assert CJK.search(v["message"])

    for field, value in (
        ("seq", receipt["seq"] + 1),
        ("digest", "0" * 64),
        ("size", receipt["size"] + 1),
        ("received_at", "2026-01-01T00:00:00.000+00:00"),
        ("bidder", "91220211MA1000020X"),
        ("kind", "withdrawn"),
    ):
        v = verify(b.client, receipt | {field: value}, signature)
        assert v["valid"] is False and v.get("status") is None, f"a receipt with a changed {field} must not verify"
        assert "签名无效" in v["message"]
    bad_sig = signature[:-2] + ("00" if signature[-2:] != "00" else "11")
    assert verify(b.client, receipt, bad_sig)["valid"] is False
