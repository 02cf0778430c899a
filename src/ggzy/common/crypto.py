"""SM3 hashing and secret tokens.

SM3 comes from ``cryptography`` (OpenSSL); SM2 will come from ``gmssl-pyx``. The pure-Python
``gmssl`` package is never used (see ../shared/reference/crypto.md for why).
"""

from __future__ import annotations

import hmac as _hmac
import json
import secrets
from typing import Any

from cryptography.hazmat.primitives import hashes


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def sm3_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return sm3(data).hex()


def canonical_json(value: Any) -> bytes:
    """The one serialisation that digests are computed over: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def digest_of(value: Any) -> str:
    return sm3_hex(canonical_json(value))


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def constant_time_equal(a: str, b: str) -> bool:
    return _hmac.compare_digest(a.encode(), b.encode())
