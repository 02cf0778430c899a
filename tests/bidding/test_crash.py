"""kill -9 the server in the middle of a deadline surge.

A real uvicorn process serves the app on the test's database (SQLite, then PostgreSQL through the
conftest's ``db`` fixture) and data directory. Twenty bidders submit ~200 KB sealed bids at once;
three of them stall half-way through their upload. After the fourth receipt the server gets
SIGKILL. Then it is started again on the same database and data directory, and:

- every receipt a client received is in that bidder's ``GET /bids/mine`` with the same seq and
  digest, and its signature verifies with the key from ``GET /platform-key``;
- every accepted row carries a receipt whose signature verifies, and its file exists with the
  SM3 the row names;
- what the kill left on disk without a row (partial uploads in ``bids/tmp``, and an envelope
  planted under its digest as if the process had died between the rename and the commit) is
  counted nowhere: not in anyone's bids, not in the opening's bid count;
- the bidders who got no answer can submit again, and end up with exactly one bid each.

No wall-clock assertions: the kill is triggered by receipts, the stalls by an event.
"""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from ggzy import bidder_tool as tool
from ggzy import demo
from ggzy.common.clock import FixedClock
from ggzy.config import Settings
from ggzy.db import Database, create_database
from ggzy.main import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import _surge_world as w

BIDDERS = 20  # who submit; one more obtains the documents and never does
SIZE = 200 * 1024
STALLED = 3  # uploads that stop half-way until the server is gone
KILL_AFTER = 4  # receipts before the SIGKILL


def _stalling(release: threading.Event) -> Any:
    def body(bidder: int, data: bytes) -> Any:
        if bidder >= STALLED:
            return data

        def chunks() -> Iterator[bytes]:
            half = len(data) // 2
            yield data[:half]
            release.wait(timeout=120)
            yield data[half:]

        return chunks()

    return body


def _mine(base: str, token: str, section_id: int) -> list[dict[str, Any]]:
    r = httpx.get(f"{base}/api/v1/sections/{section_id}/bids/mine", headers={"authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return list(r.json())


def test_kill_9_mid_surge(db: Database, tmp_path: Path) -> None:
    url, data = db.url, tmp_path / "data"
    deadline = w.now_utc() + timedelta(minutes=10)
    world = w.build_world(url, data, bidders=BIDDERS + 1, deadline=deadline)
    sealed, _ = w.seal_all(world, size=SIZE, out_dir=tmp_path / "sealed")
    creds = {b.index: b for b in world.bidders}
    sid = world.section_id
    path = f"/api/v1/sections/{sid}/bids"
    jobs = [(b.index, b.token, sealed[b.index].path) for b in world.bidders[:BIDDERS]]

    # The surge, and the kill after the KILL_AFTER-th receipt.
    server = w.start_app(url, data, tmp_path / "app-1.log")
    killed = threading.Event()
    lock = threading.Lock()
    got = 0

    def on_result(res: w.Result) -> None:
        nonlocal got
        with lock:
            got += res.status in (200, 201)
            if got >= KILL_AFTER and not killed.is_set():
                server.kill()
                killed.set()

    try:
        run = w.surge(server.base, path, jobs, clients=BIDDERS, on_result=on_result, body=_stalling(killed))
    finally:
        server.kill()
        killed.set()
    received = {r.bidder: r.body for r in run.results if r.status in (200, 201) and r.body is not None}
    unanswered = sorted(set(range(BIDDERS)) - set(received))
    refused = [r for r in run.results if r.status not in (0, 200, 201)]
    assert not refused, [(r.status, r.body) for r in refused]
    assert len(received) >= KILL_AFTER
    assert set(range(STALLED)) <= set(unanswered)  # the kill really came mid-surge

    # As if the process had died between renaming an envelope into place and committing its row.
    ghost = sealed[BIDDERS]
    ghost_path = data / "bids" / ghost.digest[:2] / ghost.digest
    ghost_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ghost.path, ghost_path)

    # Restart on the same database and data directory.
    server = w.start_app(url, data, tmp_path / "app-2.log")
    try:
        key = httpx.get(f"{server.base}/api/v1/platform-key").json()
        for bidder, out in received.items():
            rec = out["receipt"]
            assert rec["digest"] == sealed[bidder].digest
            assert rec["platform_key"] == key["fingerprint"]
            mine = [m for m in _mine(server.base, creds[bidder].token, sid) if m["seq"] == rec["seq"]]
            assert len(mine) == 1, (bidder, rec["seq"])
            assert mine[0]["digest"] == rec["digest"] and mine[0]["status"] == "accepted"
            assert mine[0]["receipt"] == rec and mine[0]["signature"] == out["signature"]
            assert tool.verify_receipt(rec, out["signature"], key["public_key"])
        assert _mine(server.base, creds[BIDDERS].token, sid) == []

        audit = w.audit_bids(url, data, sid, list(received.values()))
        assert audit.clean, audit
        assert audit.rows == audit.accepted  # nothing replaced, nothing half-recorded
        assert len(received) <= audit.accepted <= BIDDERS
        assert audit.orphan_files >= 1  # the ghost, at least, is on disk without a row

        # Those who got no answer send the same envelope again: 200 with the receipt the platform
        # had already issued if their bid was recorded before the kill, else 201 and a new one.
        recorded_unanswered = audit.accepted - len(received)
        statuses = {}
        for bidder in unanswered:
            r = httpx.post(
                server.base + path,
                content=sealed[bidder].path.read_bytes(),
                headers={"authorization": f"Bearer {creds[bidder].token}", "content-type": "application/octet-stream"},
                timeout=60,
            )
            assert r.status_code in (200, 201), r.text
            assert r.json()["receipt"]["digest"] == sealed[bidder].digest
            received[bidder] = r.json()
            statuses[bidder] = r.status_code
        assert sum(1 for s in statuses.values() if s == 200) == recorded_unanswered
        print(
            f"\nkill -9 after {len(received) - len(statuses)} receipts; {recorded_unanswered} bids recorded whose"
            f" answer was lost; {len(statuses) - recorded_unanswered} never recorded; left on disk without a row:"
            f" {audit.orphan_files} envelopes, {audit.temp_files} partial uploads"
        )
    finally:
        server.stop()

    final = w.audit_bids(
        url, data, sid, list(received.values()), expect_bidders={b.org_id for b in world.bidders[:BIDDERS]}
    )
    assert final.clean, final
    assert final.rows == final.accepted == BIDDERS

    # After the deadline the opening counts the bids with rows, and nothing else.
    app = create_app(
        Settings(env="test", database_url=url, data_dir=data, chronograph_seconds=0, cookie_secure=True),
        db=create_database(url),
        clock=FixedClock(deadline + timedelta(minutes=1)),
    )
    try:
        c = TestClient(app, base_url="https://testserver")
        r = c.post("/api/v1/auth/login", json={"username": "operator", "password": demo.DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        c.headers["x-csrf-token"] = r.json()["csrf_token"]
        room = c.get(f"/api/v1/sections/{sid}/opening").json()
        assert room["bid_count"] == BIDDERS
        counted = {row["digest"] for row in room["record"]["rows"]}
        assert counted == {out["receipt"]["digest"] for out in received.values()}
        assert ghost.digest not in counted
    finally:
        app.state.db.dispose()
