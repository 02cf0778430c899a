"""The change feed: every public change in commit order after a cursor. A crawler following it
while writers commit concurrently (several threads, each holding its transaction open for a
while after numbering its change) sees every change exactly once, in order, never a gap that is
filled later; pages carry ETags."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

from ggzy.common import outbox
from ggzy.db import Database
from tests.bidding.helpers import published_tender


def test_publishing_a_tender_is_a_change_with_public_facts_only(client_for, clock):
    public = client_for("bidder")
    before = public.get("/api/v1/changes", params={"after": 0, "limit": 1000}).json()
    cursor = before["next"]
    world = published_tender(client_for, clock)
    page = public.get("/api/v1/changes", params={"after": cursor}).json()
    items = [c for c in page["items"] if c["kind"] == "notice.published"]
    assert [c["data"]["tender"] for c in items] == [world.tender["code"]]
    assert items[0]["data"]["notice_kind"] == "tender" and items[0]["seq"] == cursor + 1
    assert set(items[0]["data"]) <= {
        "tender", "tender_id", "notice_kind", "version", "supersedes", "title", "published_at", "digest"
    }  # fmt: skip

    # An unchanged page answers 304 to its ETag; a new change makes a new page.
    r = public.get("/api/v1/changes", params={"after": page["next"]})
    assert r.json() == {"items": [], "next": page["next"], "more": False}
    assert (
        public.get(
            "/api/v1/changes", params={"after": page["next"]}, headers={"If-None-Match": r.headers["etag"]}
        ).status_code
        == 304
    )
    clock.advance(timedelta(days=2))
    body = {"title": "关于开标地点的说明", "body": "开标在平台进行，投标人无需到场。", "changes_bid_content": False}
    assert client_for("tenderer").post(f"/api/v1/tenders/{world.tender['id']}/clarify", json=body).status_code == 200
    r2 = public.get("/api/v1/changes", params={"after": page["next"]}, headers={"If-None-Match": r.headers["etag"]})
    assert r2.status_code == 200 and r2.json()["items"][0]["data"]["notice_kind"] == "clarification"
    # Paging: a limit of one walks the same changes one at a time.
    walk, after = [], cursor
    while True:
        p = public.get("/api/v1/changes", params={"after": after, "limit": 1}).json()
        walk += [c["seq"] for c in p["items"]]
        after = p["next"]
        if not p["more"]:
            break
    assert walk == list(range(cursor + 1, cursor + 1 + len(walk))) and len(walk) == 2


def test_a_crawler_never_skips_or_repeats_while_writers_commit_concurrently(db: Database):
    with db.session(write=False) as s:
        start = outbox.head(s)
    writers, per_writer = 6, 15
    errors: list[BaseException] = []

    def write(n: int) -> None:
        rnd = random.Random(n)
        try:
            for i in range(per_writer):
                with db.transaction() as s:
                    outbox.emit(s, now=_now(), kind="test.change", object_type="test", object_id=f"{n}-{i}", data={})
                    time.sleep(rnd.random() * 0.01)  # hold the transaction open after numbering
        except BaseException as e:  # surfaced below
            errors.append(e)

    seen: list[int] = []
    done = threading.Event()

    def crawl() -> None:
        cursor = start
        while True:
            finished = done.is_set()
            with db.session(write=False) as s:
                page = outbox.since(s, after=cursor, limit=7)
            for c in page:
                assert c.seq == cursor + 1, f"gap after {cursor}: got {c.seq}"
                seen.append(c.seq)
                cursor = c.seq
            if finished and not page:
                return
            time.sleep(0.001)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    crawler = threading.Thread(target=crawl)
    crawler.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    crawler.join(timeout=60)
    assert not errors, errors
    total = writers * per_writer
    assert seen == list(range(start + 1, start + 1 + total))


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
