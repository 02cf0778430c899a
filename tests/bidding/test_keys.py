"""Organisations' SM2 keys: registration by proof of possession, revocation with history, and
certificate login (证书登录)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ggzy import bidder_tool as tool
from ggzy.common import sm2
from tests.bidding.helpers import register_key

CJK = re.compile(r"[\u4e00-\u9fff]")


def refused(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, f"expected {status} {code}, got {r.status_code}: {r.text}"
    body = r.json()
    assert body["code"] == code, body
    assert CJK.search(body["message"]), f"the refusal should explain itself in Chinese: {body['message']!r}"
    return dict(body)


def challenge(client: TestClient) -> dict[str, Any]:
    r = client.post("/api/v1/keys/challenge", json={"purpose": "register"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def register(client: TestClient, public_key: str, nonce: str, signature: str, label: str = "") -> Any:
    return client.post(
        "/api/v1/keys", json={"public_key": public_key, "nonce": nonce, "signature": signature, "label": label}
    )


def keys_of(client: TestClient) -> list[dict[str, Any]]:
    r = client.get("/api/v1/keys")
    assert r.status_code == 200, r.text
    return list(r.json())


def cert_login(client: TestClient, key: tool.KeyPair, *, sign_with: tool.KeyPair | None = None) -> Any:
    ch = client.post("/api/v1/auth/cert-challenge")
    assert ch.status_code == 200, ch.text
    assert ch.json()["text"] == f"ggzy-key-challenge:login:{ch.json()['nonce']}"
    signature = (sign_with or key).sign(ch.json()["text"].encode())
    return client.post(
        "/api/v1/auth/cert-login",
        json={"fingerprint": key.fingerprint, "nonce": ch.json()["nonce"], "signature": signature},
    )


# --- registration -------------------------------------------------------------------------------


def test_registration_needs_a_signature_over_the_challenge(client_for, tmp_path):
    c = client_for("bidder")
    key = tool.keygen(tmp_path / "k.key")
    other = tool.keygen(tmp_path / "other.key")
    ch = challenge(c)
    assert ch["text"] == f"ggzy-key-challenge:register:{ch['nonce']}"

    refused(register(c, key.public_hex, ch["nonce"], other.sign(ch["text"].encode())), 422, "signature_invalid")
    refused(register(c, key.public_hex, ch["nonce"], key.sign(ch["nonce"].encode())), 422, "signature_invalid")
    refused(register(c, key.public_hex, ch["nonce"], key.sign(b"something else")), 422, "signature_invalid")
    assert keys_of(c) == [], "a failed registration must register nothing"

    ch = challenge(c)
    r = register(c, key.public_hex, ch["nonce"], key.sign(ch["text"].encode()), label="投标专用")
    assert r.status_code == 201, r.text
    k = r.json()
    assert k["fingerprint"] == key.fingerprint and k["public_key"] == key.public_hex
    assert k["label"] == "投标专用" and k["revoked_at"] is None
    assert [x["fingerprint"] for x in keys_of(c)] == [key.fingerprint]
    # A key of the organisation is its own: another organisation does not see it.
    assert keys_of(client_for("bidder2")) == []


def test_challenges_are_single_use_short_lived_and_for_one_purpose(client_for, clock, tmp_path, anon):
    c = client_for("bidder")
    k1, k2, k3 = (tool.keygen(tmp_path / f"k{i}.key") for i in range(3))

    ch = challenge(c)
    assert register(c, k1.public_hex, ch["nonce"], k1.sign(ch["text"].encode())).status_code == 201
    body = refused(register(c, k2.public_hex, ch["nonce"], k2.sign(ch["text"].encode())), 409, "challenge_used")
    assert "已使用" in body["message"]

    ch = challenge(c)
    assert datetime.fromisoformat(ch["expires_at"]) == clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=6))
    body = refused(register(c, k2.public_hex, ch["nonce"], k2.sign(ch["text"].encode())), 409, "challenge_expired")
    assert "过期" in body["message"]
    ch = challenge(c)
    clock.advance(timedelta(minutes=5))  # expires_at itself is too late
    refused(register(c, k2.public_hex, ch["nonce"], k2.sign(ch["text"].encode())), 409, "challenge_expired")
    ch = challenge(c)
    clock.advance(timedelta(minutes=4, seconds=59))
    assert register(c, k2.public_hex, ch["nonce"], k2.sign(ch["text"].encode())).status_code == 201

    # A login challenge cannot register a key, whichever text is signed.
    login = anon.post("/api/v1/auth/cert-challenge").json()
    for text in (login["text"], f"ggzy-key-challenge:register:{login['nonce']}"):
        refused(register(c, k3.public_hex, login["nonce"], k3.sign(text.encode())), 422, "challenge_invalid")
    # Nor can another user's challenge, nor a made-up one.
    theirs = challenge(client_for("bidder2"))
    refused(register(c, k3.public_hex, theirs["nonce"], k3.sign(theirs["text"].encode())), 422, "challenge_invalid")
    made_up = "x" * 32
    text = f"ggzy-key-challenge:register:{made_up}".encode()
    refused(register(c, k3.public_hex, made_up, k3.sign(text)), 422, "challenge_invalid")
    # A registration challenge does not sign anyone in.
    ch = challenge(c)
    r = anon.post(
        "/api/v1/auth/cert-login",
        json={"fingerprint": k1.fingerprint, "nonce": ch["nonce"], "signature": k1.sign(ch["text"].encode())},
    )
    assert r.status_code in (401, 422) and r.json()["code"] in ("challenge_invalid", "cert_login_failed"), r.text
    assert {k["fingerprint"] for k in keys_of(c)} == {k1.fingerprint, k2.fingerprint}


def test_the_same_key_cannot_be_registered_twice(client_for, tmp_path):
    c = client_for("bidder")
    key = tool.keygen(tmp_path / "k.key")
    register_key(c, key)
    ch = challenge(c)
    body = refused(register(c, key.public_hex, ch["nonce"], key.sign(ch["text"].encode())), 409, "key_exists")
    assert "已登记" in body["message"]
    # Not in PEM form either, and not by another organisation holding the private key.
    ch = challenge(c)
    pem = sm2.public_to_pem(key.public_hex)
    refused(register(c, pem, ch["nonce"], key.sign(ch["text"].encode())), 409, "key_exists")
    other = client_for("bidder2")
    ch = challenge(other)
    refused(register(other, key.public_hex, ch["nonce"], key.sign(ch["text"].encode())), 409, "key_exists")
    assert len(keys_of(c)) == 1 and keys_of(other) == []


def test_invalid_public_keys_are_refused(client_for, tmp_path):
    c = client_for("bidder")
    key = tool.keygen(tmp_path / "k.key")
    ch = challenge(c)
    sig = key.sign(ch["text"].encode())
    refused(register(c, "ab" * 64, ch["nonce"], sig), 422, "key_invalid")  # not a point on the curve
    not_sm2 = "-----BEGIN PUBLIC KEY-----\n" + "QUFB" * 20 + "\n-----END PUBLIC KEY-----"
    refused(register(c, not_sm2, ch["nonce"], sig), 422, "key_invalid")
    assert keys_of(c) == []


# --- revocation ---------------------------------------------------------------------------------


def test_revocation_keeps_history(client_for, clock, tmp_path):
    c = client_for("bidder")
    old, new = tool.keygen(tmp_path / "old.key"), tool.keygen(tmp_path / "new.key")
    old_id = register_key(c, old)["id"]
    clock.advance(timedelta(days=1))
    register_key(c, new)

    refused(c.post(f"/api/v1/keys/{old_id}/revoke", json={"reason": "   "}), 422, "validation_error")
    r = c.post(f"/api/v1/keys/{old_id}/revoke", json={"reason": "U盾遗失"})
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["revoked_at"]) == clock.now()
    assert r.json()["revoke_reason"] == "U盾遗失"

    listed = {k["fingerprint"]: k for k in keys_of(c)}
    assert set(listed) == {old.fingerprint, new.fingerprint}, "a revoked key stays on the list"
    assert datetime.fromisoformat(listed[old.fingerprint]["revoked_at"]).astimezone(UTC) == clock.now()
    assert listed[old.fingerprint]["revoke_reason"] == "U盾遗失"
    assert listed[old.fingerprint]["public_key"] == old.public_hex, "old signatures must stay checkable"
    assert listed[new.fingerprint]["revoked_at"] is None

    refused(c.post(f"/api/v1/keys/{old_id}/revoke", json={"reason": "再次吊销"}), 409, "key_revoked")
    ch = challenge(c)
    refused(register(c, old.public_hex, ch["nonce"], old.sign(ch["text"].encode())), 409, "key_exists")


def test_keys_of_another_organisation_cannot_be_revoked(client_for, tmp_path):
    owner = client_for("bidder")
    key = tool.keygen(tmp_path / "k.key")
    key_id = register_key(owner, key)["id"]
    for username in ("bidder2", "tenderer", "operator", "regulator"):
        body = refused(
            client_for(username).post(f"/api/v1/keys/{key_id}/revoke", json={"reason": "恶意吊销"}),
            404,
            "key_not_found",
        )
        assert "不存在" in body["message"]
    refused(owner.post("/api/v1/keys/999999/revoke", json={"reason": "不存在的密钥"}), 404, "key_not_found")
    assert keys_of(owner)[0]["revoked_at"] is None


def test_only_organisations_manage_keys(client_for):
    for username in ("auditor", "expert"):
        refused(client_for(username).post("/api/v1/keys/challenge", json={"purpose": "register"}), 403, "forbidden")
        refused(client_for(username).get("/api/v1/keys"), 403, "forbidden")


# --- certificate login --------------------------------------------------------------------------


def test_certificate_login_signs_in_the_key_holder(client_for, tmp_path, anon):
    key = tool.keygen(tmp_path / "k.key")
    register_key(client_for("bidder2"), key)

    r = cert_login(anon, key)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "bidder2"
    token = r.json()["token"]
    me = anon.get("/api/v1/me", headers={"authorization": f"Bearer {token}"})
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "bidder2" and me.json()["role"] == "bidder"
    # The token works for the holder's own business, e.g. its keys.
    listed = anon.get("/api/v1/keys", headers={"authorization": f"Bearer {token}"}).json()
    assert [k["fingerprint"] for k in listed] == [key.fingerprint]
    # Without the token, the same client is nobody.
    refused(anon.get("/api/v1/me"), 401, "login_required")


def test_certificate_login_refusals(client_for, clock, tmp_path, anon):
    c = client_for("bidder")
    key = tool.keygen(tmp_path / "k.key")
    key_id = register_key(c, key)["id"]
    stranger = tool.keygen(tmp_path / "stranger.key")

    body = refused(cert_login(anon, key, sign_with=stranger), 401, "cert_login_failed")
    assert "证书登录失败" in body["message"]
    refused(cert_login(anon, stranger), 401, "cert_login_failed")  # never registered

    # A login challenge is good once, and for five minutes.
    ch = anon.post("/api/v1/auth/cert-challenge").json()
    data = {"fingerprint": key.fingerprint, "nonce": ch["nonce"], "signature": key.sign(ch["text"].encode())}
    assert anon.post("/api/v1/auth/cert-login", json=data).status_code == 200
    refused(anon.post("/api/v1/auth/cert-login", json=data), 409, "challenge_used")
    ch = anon.post("/api/v1/auth/cert-challenge").json()
    clock.advance(timedelta(minutes=6))
    data = {"fingerprint": key.fingerprint, "nonce": ch["nonce"], "signature": key.sign(ch["text"].encode())}
    refused(anon.post("/api/v1/auth/cert-login", json=data), 409, "challenge_expired")

    assert c.post(f"/api/v1/keys/{key_id}/revoke", json={"reason": "离职交接"}).status_code == 200
    refused(cert_login(anon, key), 401, "cert_login_failed")


# --- keys made with openssl ---------------------------------------------------------------------


@pytest.fixture
def openssl_key(tmp_path: Path) -> tuple[Path, str]:
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to check that its SM2 keys work with the platform")
    path = tmp_path / "openssl-sm2.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "SM2", "-out", str(path)], check=True, capture_output=True)
    pub = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-pubout"], check=True, capture_output=True, text=True
    ).stdout
    return path, pub


def test_openssl_key_can_be_registered_and_used(client_for, openssl_key, anon):
    path, public_pem = openssl_key
    key = tool.load_key(path)
    public_hex, private_hex = sm2.private_from_pem(path.read_text())
    assert (key.public_hex, key.private_hex) == (public_hex, private_hex)
    assert sm2.public_from_pem(public_pem) == key.public_hex, "the PEM private and public halves must agree"
    assert sm2.verify(key.public_hex, b"x", key.sign(b"x"))

    c = client_for("bidder3")
    ch = challenge(c)
    r = register(c, public_pem, ch["nonce"], key.sign(ch["text"].encode()), label="openssl")
    assert r.status_code == 201, r.text
    assert r.json()["public_key"] == key.public_hex and r.json()["fingerprint"] == key.fingerprint

    r = cert_login(anon, key)
    assert r.status_code == 200, r.text
    assert r.json()["username"] == "bidder3"


def test_openssl_key_registered_as_hex(client_for, openssl_key):
    key = tool.load_key(openssl_key[0])
    c = client_for("bidder4")
    ch = challenge(c)
    r = register(c, key.public_hex, ch["nonce"], key.sign(ch["text"].encode()))
    assert r.status_code == 201, r.text
    assert keys_of(c)[0]["fingerprint"] == key.fingerprint
