"""The bidder's tool against the platform's API, as a bidder runs it: key generation and
registration, certificate login, sealing, submitting, withdrawing, checking the receipt, and the
content key at the opening."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from ggzy import bidder_tool as tool
from ggzy.cli import app as cli
from ggzy.common import sm2
from tests.bidding.helpers import published_tender


def _client(app, token=None) -> tool.Client:
    test = TestClient(app, base_url="https://testserver")
    return tool.Client("https://testserver", token, transport=test._transport)


def test_the_tool_from_key_to_opening(app, client_for, clock, tmp_path):
    world = published_tender(client_for, clock)
    sid = world.sections[0]
    me = client_for("bidder")
    token = me.post("/api/v1/me/tokens", json={"name": "投标工具", "days": 30}).json()["token"]
    me.post(f"/api/v1/tenders/{world.tender['id']}/obtain")

    key = tool.keygen(tmp_path / "bidder.key")
    assert (tmp_path / "bidder.key").stat().st_mode & 0o777 == 0o600
    assert sm2.public_from_pem((tmp_path / "bidder.pub.pem").read_text()) == key.public_hex
    c = _client(app, token)
    assert c.register_key(key, "投标专用")["fingerprint"] == key.fingerprint

    # Certificate login needs no password or token: the key signs a challenge.
    anon = _client(app)
    anon.cert_login(key)
    sealing = anon.sealing(sid)
    credit = me.get(f"/api/v1/organizations/{me.get('/api/v1/me').json()['organization_id']}").json()["credit_code"]
    bid = {
        "price": "19800000.00",
        "duration_days": 540,
        "quality": "合格",
        "project_manager": "王建国",
        "deposit": "已缴纳",
    }
    sealed = tool.seal_bid(key=key, bidder=credit, sealing=sealing, bid=bid, attachments=[], out=tmp_path / "bid.ggzy")
    out = anon.submit(sid, sealed.path)
    assert out["status"] == "accepted" and out["receipt"]["digest"] == sealed.digest
    platform = anon.platform_key()
    assert tool.verify_receipt(out["receipt"], out["signature"], platform["public_key"])

    # verify-receipt, offline, with the platform's PEM; a changed receipt fails.
    (tmp_path / "r.json").write_text(json.dumps(out, ensure_ascii=False))
    (tmp_path / "platform.pem").write_text(platform["pem"])
    runner = CliRunner()
    args = ["bidder", "verify-receipt", str(tmp_path / "r.json"), "--platform-key", str(tmp_path / "platform.pem")]
    assert runner.invoke(cli, args).exit_code == 0
    out["receipt"]["seq"] += 1
    (tmp_path / "r.json").write_text(json.dumps(out, ensure_ascii=False))
    assert runner.invoke(cli, args).exit_code == 1
    (tmp_path / "r.json").write_text("{}")
    assert runner.invoke(cli, args).exit_code == 2  # a malformed file is an error, not a traceback

    # Withdraw, then bid again; at the opening the content key comes from the file and the key.
    assert anon.withdraw(sid)["status"] == "withdrawn"
    again = tool.seal_bid(key=key, bidder=credit, sealing=sealing, bid=bid, attachments=[], out=tmp_path / "bid2.ggzy")
    assert anon.submit(sid, again.path)["status"] == "accepted"
    try:
        anon.submit(sid, sealed.path)
        raise AssertionError("a withdrawn envelope must not come back")
    except tool.ToolError as e:
        assert e.code == "bid_replayed" and e.status == 409
    assert tool.content_key(key, again.path) == again.content_key
    # One bid only: at the deadline the section does not open, and the tool says so in Chinese.
    clock.set(world.deadline + timedelta(seconds=1))
    try:
        anon.decrypt(sid, tool.content_key(key, again.path))
        raise AssertionError("a section with one bid does not open")
    except tool.ToolError as e:
        assert e.status == 409 and "不予开标" in str(e)
