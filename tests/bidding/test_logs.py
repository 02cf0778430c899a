"""The access log never ties a client address to a section's bids."""

from __future__ import annotations

import logging

from ggzy.main import HideBidders


def _record(path: str) -> logging.LogRecord:
    return logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.1.2.3:5555", "POST", path, "1.1", 201),
        None,
    )


def test_bid_and_opening_requests_lose_their_client_address():
    f = HideBidders()
    for path in (
        "/api/v1/sections/7/bids",
        "/api/v1/sections/7/bids/withdraw",
        "/api/v1/sections/7/opening/decrypt",
        "/sections/7/bids",
        "/sections/7/opening?x=1",
        "/api/v1/keys",
        "/api/v1/auth/cert-login",
    ):
        r = _record(path)
        assert f.filter(r) and "10.1.2.3" not in r.getMessage(), path


def test_other_requests_keep_their_client_address():
    r = _record("/api/v1/tenders/1")
    assert HideBidders().filter(r) and "10.1.2.3" in r.getMessage()
