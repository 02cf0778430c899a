"""The backup opening route (备用解密, 电子招标投标办法第三十一条): custodians, the section's backup
key, envelopes wrapped to it, and k-of-n recovery after a bidder fails to decrypt."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ggzy import bidder_tool as tool
from ggzy.common import shamir, sm2
from ggzy.common.chronograph import run_due
from ggzy.dated_events import HANDLERS
from ggzy.demo import code
from ggzy.tendering.backup import BackupKey, BackupShare
from tests.bidding.helpers import World, bidder, obtain_and_bid, register_key, submit
from tests.bidding.test_keys import refused
from tests.bidding.test_secrecy import dump_database, dump_files
from tests.bidding.test_submission import assert_refused, snapshot
from tests.tendering.helpers import accepted_project_id, tender_body

CENTRE = code("12220200MB0100001")  # 吉林市公共资源交易中心: operator
TENDERER = code("91220200MA1000010")  # 吉林市城市建设投资集团有限公司: tenderer
REGULATOR = code("11220200MB0200002")  # 吉林市住房和城乡建设局: regulator
CUSTODIANS = {"operator": CENTRE, "tenderer": TENDERER, "regulator": REGULATOR}


def draft(client_for: Any, clock: Any, codes: list[str], k: int) -> tuple[dict[str, Any], Any]:
    """A tender with a backup route, submitted for review, the clock an hour before publication."""
    tenderer = client_for("tenderer")
    start = clock.now() + timedelta(days=1)
    body = tender_body(accepted_project_id(tenderer), start, backup_custodian_credit_codes=codes, backup_threshold=k)
    r = tenderer.post("/api/v1/tenders", json=body)
    assert r.status_code == 201, r.text
    t = r.json()
    assert tenderer.post(f"/api/v1/tenders/{t['id']}/submit").status_code == 200
    clock.set(start - timedelta(hours=1))
    return t, start


def publish(client_for: Any, t: dict[str, Any]) -> Any:
    try:
        return client_for("operator").post(f"/api/v1/tenders/{t['id']}/publish")
    except Exception as e:  # the test client re-raises server errors
        raise AssertionError(
            "BUG: publishing a tender with a backup route crashed with "
            f"{e.__class__.__name__}: {str(getattr(e, 'orig', e)).splitlines()[0]}. "
            "ggzy/tendering/backup.py: BackupShare.wrapped is String(400) (migration 0004_bids.py the same), "
            "but an SM2 ciphertext (DER C1C3C2) of a Shamir share over GF(2^521-1) ('x:' + up to 131 hex digits) "
            "is up to ~486 hex characters; PostgreSQL refuses the value. Widen the column (e.g. String(600) or Text)."
        ) from e


def custodian_keys(client_for: Any, tmp: Path) -> dict[str, tool.KeyPair]:
    keys = {}
    for username in CUSTODIANS:
        keys[username] = tool.keygen(tmp / f"custodian-{username}.key")
        register_key(client_for(username), keys[username])
    return keys


def published_backup_tender(client_for: Any, clock: Any, tmp: Path) -> tuple[World, dict[str, tool.KeyPair]]:
    t, start = draft(client_for, clock, list(CUSTODIANS.values()), 2)
    keys = custodian_keys(client_for, tmp)
    r = publish(client_for, t)
    assert r.status_code == 200, r.text
    clock.set(start + timedelta(hours=1))
    return World(r.json(), start + timedelta(days=20), [s["id"] for s in r.json()["sections"]]), keys


def my_share(client: Any, sid: int) -> dict[str, Any]:
    r = client.get(f"/api/v1/sections/{sid}/opening/my-share")
    assert r.status_code == 200, r.text
    return dict(r.json())


# --- setting up the route -----------------------------------------------------------------------


def test_custodians_and_threshold_are_checked(client_for, clock):
    tenderer = client_for("tenderer")
    pid = accepted_project_id(tenderer)
    start = clock.now() + timedelta(days=1)
    for codes, k, want in (
        ([CENTRE, TENDERER], 1, "backup_threshold"),  # k ≥ 2
        ([CENTRE, TENDERER], 3, "backup_threshold"),  # k ≤ n
        ([CENTRE], 1, "backup_threshold"),  # at least two custodians
        ([], 2, "backup_threshold"),  # a threshold without custodians
        ([CENTRE, code("91220200MA1099999")], 2, "custodian_unknown"),
        ([CENTRE, code("91220204MA1000019")], 2, "custodian_is_bidder"),  # 松原建筑 may bid
        ([CENTRE, code("11220200MB0300009")], 2, "custodian_role"),  # 审计局 cannot hand in a share
    ):
        r = tenderer.post(
            "/api/v1/tenders", json=tender_body(pid, start, backup_custodian_credit_codes=codes, backup_threshold=k)
        )
        refused(r, 422, want)


def test_custodians_need_a_key_before_publication(client_for, clock, db, tmp_path):
    t, _ = draft(client_for, clock, list(CUSTODIANS.values()), 2)
    body = refused(publish(client_for, t), 409, "custodian_without_key")
    assert "尚未登记" in body["message"]
    register_key(client_for("operator"), tool.keygen(tmp_path / "op.key"))
    register_key(client_for("tenderer"), tool.keygen(tmp_path / "td.key"))
    body = refused(publish(client_for, t), 409, "custodian_without_key")
    assert "住房和城乡建设局" in body["message"], "the refusal names the custodian without a key"
    # A revoked key is no key.
    reg = client_for("regulator")
    key_id = register_key(reg, tool.keygen(tmp_path / "reg.key"))["id"]
    assert reg.post(f"/api/v1/keys/{key_id}/revoke", json={"reason": "更换"}).status_code == 200
    refused(publish(client_for, t), 409, "custodian_without_key")
    with db.session() as s:
        assert s.scalars(select(BackupKey)).all() == [], "a refused publication creates no backup key"
    assert client_for("tenderer").get(f"/api/v1/tenders/{t['id']}").json()["published_at"] is None

    register_key(reg, tool.keygen(tmp_path / "reg2.key"))
    r = publish(client_for, t)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "bidding"


# --- the whole route ----------------------------------------------------------------------------


def test_backup_opening_recovers_a_bid_the_bidder_did_not_decrypt(client_for, clock, db, settings, tmp_path):
    world, keys = published_backup_tender(client_for, clock, tmp_path)
    sid = world.sections[0]

    sealing = client_for("bidder").get(f"/api/v1/sections/{sid}/sealing").json()
    assert len(sealing["backup_key"]) == 128 and sealing["backup_threshold"] == 2
    assert sealing["backup_key_fingerprint"] == sm2.fingerprint(sealing["backup_key"])
    other = client_for("bidder").get(f"/api/v1/sections/{world.sections[1]}/sealing").json()
    assert other["backup_key"] != sealing["backup_key"], "each section has its own backup key"

    # The database holds the shares only encrypted to the custodians' keys; the whole private key
    # nowhere. The test holds all three custodians' keys, so it can rebuild the key to search for it.
    with db.session() as s:
        bk = s.scalar(select(BackupKey).where(BackupKey.section_id == sid))
        assert bk is not None and bk.public_hex == sealing["backup_key"]
        rows = s.scalars(select(BackupShare).where(BackupShare.backup_key_id == bk.id)).all()
        assert len(rows) == 3 and all(r.handed_in is None for r in rows)
        wrapped = {r.custodian_key: r.wrapped for r in rows}
    assert set(wrapped) == {k.fingerprint for k in keys.values()}
    shares = {u: tool.unwrap_share(keys[u], wrapped[keys[u].fingerprint]) for u in CUSTODIANS}
    # Custodians get their (encrypted) share only once the opening has started: they cannot pool
    # their shares to open bids early.
    for u in CUSTODIANS:
        refused(client_for(u).get(f"/api/v1/sections/{sid}/opening/my-share"), 409, "opening_not_started")
    private_hex = shamir.combine(list(shares.values())[:2]).hex()
    assert sm2.decrypt(private_hex, sm2.encrypt(sealing["backup_key"], b"probe")) == b"probe"
    secrets_ = {"backup private key": private_hex.encode()} | {f"share of {u}": s.encode() for u, s in shares.items()}
    where = [
        f"{what} in {place}"
        for dumps in (dump_database(db), dump_files(settings.data_dir))
        for place, blob in dumps.items()
        for what, needle in secrets_.items()
        if needle in blob
    ]
    assert where == [], f"the platform must not hold the backup key or a plain share before hand-in: {where}"

    bidders = [bidder(client_for, u, tmp_path) for u in ("bidder", "bidder2", "bidder3")]
    # An envelope not wrapped to the backup key is refused, and so is one wrapped to another key.
    b = bidders[0]
    assert b.client.post(f"/api/v1/tenders/{world.tender['id']}/obtain").status_code == 204
    no_backup = tool.seal_bid(
        key=b.key, bidder=b.credit_code, sealing=sealing | {"backup_key": None},
        bid={"price": "1.00", "duration_days": 1, "quality": "合格", "project_manager": "甲", "deposit": "无"},
        attachments=[], out=tmp_path / "no-backup.ggzy", device={},
    )  # fmt: skip
    before = snapshot(db, settings)
    body = assert_refused(submit(b, sid, no_backup), 422, "backup_wrap_missing", db, settings, before)
    assert "备用解密" in body["message"] and body["detail"]["basis"] == "电子招标投标办法第三十一条"
    stranger_pub, _ = sm2.generate()
    wrong = tool.seal_bid(
        key=b.key, bidder=b.credit_code, sealing=sealing | {"backup_key": stranger_pub},
        bid={"price": "1.00", "duration_days": 1, "quality": "合格", "project_manager": "甲", "deposit": "无"},
        attachments=[], out=tmp_path / "wrong-backup.ggzy", device={},
    )  # fmt: skip
    assert_refused(submit(b, sid, wrong), 422, "backup_wrap_missing", db, settings, before)

    prices = ("19800000.00", "19650000.50", "19555555.55")
    for b, p in zip(bidders, prices, strict=True):
        obtain_and_bid(b, world, tmp_path, price=p)

    # Shares are handed in only after the deadline.
    op = client_for("operator")
    r = op.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": shares["operator"]})
    body = refused(r, 409, "opening_not_started")
    # Whoever is not a custodian has no share, before or after.
    for username in ("agency", "regulator_water"):
        refused(client_for(username).get(f"/api/v1/sections/{sid}/opening/my-share"), 404, "not_custodian")
    refused(bidders[0].client.get(f"/api/v1/sections/{sid}/opening/my-share"), 403, "forbidden")

    clock.set(world.deadline)
    run_due(db, now=clock.now(), handlers=HANDLERS)
    assert {my_share(client_for(u), sid)["wrapped"] for u in CUSTODIANS} == set(wrapped.values())
    assert my_share(op, sid)["handed_in"] is False
    for b in bidders[:2]:
        k = tool.content_key(b.key, b.sealed[sid].path)
        assert b.client.post(f"/api/v1/sections/{sid}/opening/decrypt", json={"content_key": k}).status_code == 200
    late = bidders[2]  # loses its key, say; the window runs out
    for username in ("agency", "regulator_water"):
        r = client_for(username).post(f"/api/v1/sections/{sid}/opening/shares", json={"share": shares["operator"]})
        refused(r, 404, "not_custodian")
    refused(op.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": "not-a-share"}), 422, "share_invalid")

    clock.set(world.deadline + timedelta(minutes=31))
    room = op.get(f"/api/v1/sections/{sid}/opening").json()
    assert room["status"] == "review"
    # One bid waits for the backup route: until it has its outcome, nobody sees names or prices,
    # not even the custodians about to hand in their shares (电子招标投标办法第三十条).
    rows = room["record"]["rows"]
    assert [x["price"] for x in rows] == [None, None, None] and {x["credit_code"] for x in rows} == {""}
    row = rows[-1]  # the late bidder bid last
    assert row["outcome"] is None and row["outcome_label"] == "待备用解密"
    assert "backup" in room["actions"]
    assert room["backup"] == {"fingerprint": sealing["backup_key_fingerprint"], "threshold": 2, "handed_in": 0}
    refused(op.post(f"/api/v1/sections/{sid}/opening/publish"), 409, "outcomes_pending")

    # One share is not enough.
    r = op.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": shares["operator"]})
    assert r.status_code == 200, r.text
    assert r.json()["backup"]["handed_in"] == 1
    assert my_share(op, sid)["handed_in"] is True
    body = refused(op.post(f"/api/v1/sections/{sid}/opening/backup"), 409, "shares_insufficient")
    assert "至少 2 家" in body["message"]
    room = op.get(f"/api/v1/sections/{sid}/opening").json()
    assert [x["outcome"] for x in room["record"]["rows"]][-1] is None

    # The second custodian's share opens it.
    td = client_for("tenderer")
    r = td.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": shares["tenderer"]})
    assert r.status_code == 200, r.text
    r = op.post(f"/api/v1/sections/{sid}/opening/backup")
    assert r.status_code == 200, r.text
    rows = {x["credit_code"]: x for x in r.json()["record"]["rows"]}
    assert rows[late.credit_code]["decrypted_via"] == "backup"
    assert rows[late.credit_code]["outcome"] == "opened" and rows[late.credit_code]["price"] == "19555555.55"
    assert [rows[b.credit_code]["decrypted_via"] for b in bidders[:2]] == ["bidder", "bidder"]
    assert [rows[b.credit_code]["price"] for b in bidders] == list(prices)
    assert "publish" in r.json()["actions"] and "backup" not in r.json()["actions"]

    # The recombined private key was used and forgotten.
    tables = dump_database(db)
    assert not [t for t, blob in tables.items() if private_hex.encode() in blob], "the backup private key was stored"

    r = op.post(f"/api/v1/sections/{sid}/opening/publish")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published"
    published = {x["credit_code"]: x for x in r.json()["record"]["rows"]}
    assert published[late.credit_code]["decrypted_via"] == "backup"
    notices = client_for("bidder4").get(f"/api/v1/tenders/{world.tender['id']}/notices").json()
    record = next(n for n in notices if n["kind"] == "opening")
    assert "19555555.55" in json.dumps(record, ensure_ascii=False)


def test_regulator_custodian_with_a_wrong_share_does_not_open(client_for, clock, db, settings, tmp_path):
    """Two shares, one of them altered: the recombined key does not match and nothing opens."""
    world, keys = published_backup_tender(client_for, clock, tmp_path)
    sid = world.sections[0]
    bidders = [bidder(client_for, u, tmp_path) for u in ("bidder", "bidder2", "bidder3")]
    for b in bidders:
        obtain_and_bid(b, world, tmp_path)
    clock.set(world.deadline + timedelta(minutes=31))
    run_due(db, now=clock.now(), handlers=HANDLERS)
    op, reg = client_for("operator"), client_for("regulator")
    room = reg.get(f"/api/v1/sections/{sid}/opening")
    assert room.status_code == 200, f"a custodian may follow the opening it holds a share for: {room.text}"
    assert "handin" in room.json()["actions"]

    good = tool.unwrap_share(keys["operator"], my_share(op, sid)["wrapped"])
    x, y = shamir.parse(tool.unwrap_share(keys["regulator"], my_share(reg, sid)["wrapped"]))
    assert op.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": good}).status_code == 200
    r = reg.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": f"{x}:{y + 1:x}"})
    assert r.status_code == 200, r.text
    refused(op.post(f"/api/v1/sections/{sid}/opening/backup"), 409, "shares_insufficient")
    rows = op.get(f"/api/v1/sections/{sid}/opening").json()["record"]["rows"]
    assert all(r["outcome"] is None and r["price"] is None for r in rows)
    # The failed attempt is on record (not rolled back with the refusal).
    events = client_for("auditor").get("/api/v1/audit/events?limit=500").json()
    assert any(e["action"] == "opening.backup_failed" for e in events)
    # A third, good share: any two good ones among the three open the bids; the bad one is ignored.
    tenderer = client_for("tenderer")
    third = tool.unwrap_share(keys["tenderer"], my_share(tenderer, sid)["wrapped"])
    assert tenderer.post(f"/api/v1/sections/{sid}/opening/shares", json={"share": third}).status_code == 200
    r = op.post(f"/api/v1/sections/{sid}/opening/backup")
    assert r.status_code == 200, r.text
    rows = r.json()["record"]["rows"]
    assert [x["decrypted_via"] for x in rows] == ["backup"] * 3 and all(x["price"] for x in rows)
