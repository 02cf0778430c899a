"""Guessing is not free: a sign-in code has six digits and a signing PIN may have six, so wrong
guesses are counted even though each request is refused, and five in a row pause the member."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.evaluation.helpers import PIN
from tests.evaluation.helpers_more import at, error, formed, review_all, score_all, seated, sign_in, site_code_of


def test_five_wrong_site_codes_pause_sign_in(app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    clock.set(at(com.r0.day, 9))
    member = next(iter(com.clients))
    right = site_code_of(com, db, member, clock.now())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(5):
        error(com.clients[member].post(com.url("/sign-in"), json={"code": wrong}), 422, "sign_in_code_invalid")
    # Even the right code waits now: the count survived the refusals.
    error(com.clients[member].post(com.url("/sign-in"), json={"code": right}), 429, "sign_in_locked")
    clock.advance(timedelta(minutes=16))
    assert sign_in(com, db, clock, member).status_code == 200


def test_five_wrong_pins_pause_signing(app: Any, client_for: Any, clock: Any, db: Any, tmp_path: Path) -> None:
    com = formed(app, client_for, clock, db, tmp_path)
    bids = sorted(b["id"] for b in seated(com, db, clock)["bids"])
    review_all(com, bids)
    score_all(com, bids)
    assert com.clients[com.chair].post(com.url("/report")).status_code == 200
    member = com.others()[0]
    c = com.clients[member]
    # A member's first signature sets its PIN; wrong PINs only exist once a key does, so the key
    # is made here as that first signature would make it.
    from ggzy.evaluation import report
    from ggzy.evaluation.models import Member

    with db.transaction() as s:
        m = s.get(Member, member)
        report._signing_key(s, clock.now(), m.user_id, PIN)  # the key exists, sealed under PIN
    for _ in range(5):
        error(c.post(com.url("/sign"), json={"pin": "999999"}), 422, "pin_wrong")
    error(c.post(com.url("/sign"), json={"pin": PIN}), 429, "pin_locked")
    clock.advance(timedelta(minutes=31))
    assert c.post(com.url("/sign"), json={"pin": PIN}).status_code == 200
