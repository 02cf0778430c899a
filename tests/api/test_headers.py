"""Security headers every response carries."""

from __future__ import annotations


def test_pages_are_never_cached_and_carry_security_headers(client_for, anon):
    r = client_for("bidder").get("/account")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"  # the page that shows a new API token once
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["strict-transport-security"].startswith("max-age=")
    api = client_for("bidder").get("/api/v1/me")
    assert api.headers["cache-control"] == "no-store"


def test_static_assets_may_be_cached(anon):
    r = anon.get("/static/css/ggzy.css")
    assert r.status_code == 200
    assert "no-store" not in r.headers.get("cache-control", "")
