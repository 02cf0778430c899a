"""Concurrent submissions of one bidder, as two app processes would make them: whatever the
interleaving, exactly one bid stays current, and every receipt handed out names a bid that is
either current or was replaced by a later one (PostgreSQL row locks and the partial unique index;
SQLite's single writer)."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from ggzy.bidding import envelope, submission
from ggzy.bidding.models import Bid
from ggzy.bidding.store import BidStore
from ggzy.common.errors import DomainError
from ggzy.common.signing import load_or_create
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from tests.bidding.helpers import bidder, published_tender, seal


def test_two_simultaneous_submissions_leave_exactly_one_current_bid(client_for, clock, db, settings, tmp_path):
    world = published_tender(client_for, clock)
    sid = world.sections[0]
    b = bidder(client_for, "bidder", tmp_path)
    assert b.client.post(f"/api/v1/tenders/{world.tender['id']}/obtain").status_code == 204
    envelopes = []
    for price in ("19800000.00", "19700000.00", "19600000.00"):  # read each before the next is sealed
        envelopes.append(seal(b, b.client, sid, tmp_path, price=price).path.read_bytes())
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == "bidder"))
        assert user is not None
        principal = identity_selectors.principal_of(user)
    store, key = BidStore(settings.data_dir / "bids"), load_or_create(settings.data_dir / "keys")
    prepared = []
    for data in envelopes:
        reader = envelope.Reader(max_bytes=1 << 30)
        reader.feed(data)
        header, digest = reader.finish()
        f, tmp = store.temp()
        f.write(data)
        store.commit(f, tmp, digest)
        prepared.append((header, digest, reader.size))

    start = threading.Barrier(len(prepared))
    outcomes: list[Any] = []

    def submit(header: dict[str, Any], digest: str, size: int) -> None:
        start.wait()
        try:
            with db.transaction() as s:
                bid, _ = submission.bid_submit(
                    session=s, now=clock.now(), principal=principal, section_id=sid,
                    header=header, digest=digest, size=size, platform_key=key,
                )  # fmt: skip
                outcomes.append(("ok", bid.seq, digest))
        except DomainError as e:
            outcomes.append(("refused", e.code, digest))

    threads = [threading.Thread(target=submit, args=p) for p in prepared]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(outcomes) == 3 and len({o[2] for o in outcomes}) == 3, outcomes
    refused = {o[1] for o in outcomes if o[0] == "refused"}
    assert refused <= {"bid_concurrent"}, outcomes  # the only lawful refusal: try again
    with db.session(write=False) as s:
        rows = s.scalars(select(Bid).where(Bid.section_id == sid)).all()
    current = [r for r in rows if r.status == "accepted"]
    assert len(current) == 1, [(r.seq, r.status) for r in rows]
    oks = [o for o in outcomes if o[0] == "ok"]
    assert oks and {r.seq for r in rows} == {o[1] for o in oks}  # a receipt for every row, no more
    assert current[0].seq == max(o[1] for o in oks)  # the last accepted one counts
    assert all(r.status == "replaced" for r in rows if r is not current[0])
