"""The bidder's tool: what ``ggzy bidder`` runs on the bidder's own machine.

It keeps the private key on that machine (a JSON key file, mode 0600, or an ``openssl genpkey``
PEM), seals bids locally and talks to the platform only over its public API. Nothing here
imports the server: the envelope format (``ggzy.bidding.envelope``) is the one shared piece.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from ggzy.bidding import envelope
from ggzy.common import sm2
from ggzy.common.crypto import canonical_json


class ToolError(Exception):
    """A refusal from the platform or a local problem, with the platform's code where there is one."""

    def __init__(self, message: str, code: str = "error", status: int = 0) -> None:
        super().__init__(message)
        self.code, self.status = code, status


@dataclass(frozen=True)
class KeyPair:
    public_hex: str
    private_hex: str

    @property
    def fingerprint(self) -> str:
        return sm2.fingerprint(self.public_hex)

    def sign(self, data: bytes) -> str:
        return sm2.sign(self.private_hex, self.public_hex, data)

    def __repr__(self) -> str:
        return f"KeyPair({self.fingerprint})"


def keygen(path: Path) -> KeyPair:
    public_hex, private_hex = sm2.generate()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"type": "ggzy-sm2-key", "public": public_hex, "private": private_hex}, f)
    path.with_suffix(".pub.pem").write_text(sm2.public_to_pem(public_hex))
    return KeyPair(public_hex, private_hex)


def load_key(path: Path) -> KeyPair:
    text = path.read_text()
    if text.lstrip().startswith("-----BEGIN"):
        public_hex, private_hex = sm2.private_from_pem(text)
        return KeyPair(public_hex, private_hex)
    data = json.loads(text)
    return KeyPair(data["public"], data["private"])


class Client:
    """The platform's API as the bidder's tool uses it. The token comes from the environment
    (GGZY_TOKEN) or a certificate login, never from the command line."""

    def __init__(self, server: str, token: str | None = None, *, transport: httpx.BaseTransport | None = None) -> None:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(
            base_url=server.rstrip("/") + "/api/v1", headers=headers, timeout=120, transport=transport
        )

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        r = self.http.request(method, path, **kw)
        if r.status_code >= 400:
            try:
                body = r.json()
                raise ToolError(body.get("message", r.text), body.get("code", "error"), r.status_code)
            except ValueError:
                raise ToolError(r.text or f"HTTP {r.status_code}", "http_error", r.status_code) from None
        return r.json() if r.content else None

    def register_key(self, key: KeyPair, label: str = "") -> dict[str, Any]:
        ch = self._call("POST", "/keys/challenge", json={"purpose": "register"})
        signature = key.sign(ch["text"].encode())
        return dict(
            self._call(
                "POST",
                "/keys",
                json={"public_key": key.public_hex, "nonce": ch["nonce"], "signature": signature, "label": label},
            )
        )

    def cert_login(self, key: KeyPair) -> str:
        ch = self._call("POST", "/auth/cert-challenge", json={"purpose": "login"})
        out = self._call(
            "POST",
            "/auth/cert-login",
            json={"fingerprint": key.fingerprint, "nonce": ch["nonce"], "signature": key.sign(ch["text"].encode())},
        )
        token = str(out["token"])
        self.http.headers["authorization"] = f"Bearer {token}"
        return token

    def sealing(self, section_id: int) -> dict[str, Any]:
        return dict(self._call("GET", f"/sections/{section_id}/sealing"))

    def submit(self, section_id: int, path: Path) -> dict[str, Any]:
        with path.open("rb") as f:
            return dict(
                self._call(
                    "POST",
                    f"/sections/{section_id}/bids",
                    content=f,
                    headers={"content-type": "application/octet-stream", "content-length": str(path.stat().st_size)},
                )
            )

    def withdraw(self, section_id: int) -> dict[str, Any]:
        return dict(self._call("POST", f"/sections/{section_id}/bids/withdraw"))

    def decrypt(self, section_id: int, content_key: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/sections/{section_id}/opening/decrypt", json={"content_key": content_key}))

    def my_share(self, section_id: int) -> dict[str, Any]:
        return dict(self._call("GET", f"/sections/{section_id}/opening/my-share"))

    def hand_in_share(self, section_id: int, share: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/sections/{section_id}/opening/shares", json={"share": share}))

    def platform_key(self) -> dict[str, Any]:
        return dict(self._call("GET", "/platform-key"))


def seal_bid(
    *,
    key: KeyPair,
    bidder: str,
    sealing: dict[str, Any],
    bid: dict[str, Any],
    attachments: list[Path],
    out: Path,
    device: dict[str, str] | None = None,
) -> envelope.Sealed:
    """Seal ``bid`` (the price sheet and anything else) with its attachments for one section."""
    plaintext = envelope.build_plaintext(bid, attachments)
    return envelope.seal(
        plaintext=plaintext,
        tender=sealing["tender"],
        section=sealing["section"],
        bidder=bidder,
        signer_public=key.public_hex,
        signer_private=key.private_hex,
        backup_public=sealing.get("backup_key"),
        device=device if device is not None else envelope.device_fingerprint(),
        sealed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        out=out,
    )


def content_key(key: KeyPair, path: Path) -> str:
    """Re-derive the content key from the sealed file with the bidder's private key (at opening)."""
    with path.open("rb") as f:
        header, _ = envelope.read_file_header(f)
    return envelope.unwrap(header, key.private_hex, "bidder")


def unwrap_share(key: KeyPair, wrapped: str) -> str:
    return sm2.decrypt(key.private_hex, wrapped).decode()


def verify_receipt(receipt: dict[str, Any], signature: str, platform_public_hex: str) -> bool:
    """Offline: the receipt was signed by the platform key (compare its fingerprint out of band)."""
    return sm2.verify(platform_public_hex, canonical_json(receipt), signature)
