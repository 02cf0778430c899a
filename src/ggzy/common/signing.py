"""The platform's SM2 signing key (GB/T 32918, via gmssl-pyx; never the pure-Python gmssl).

The private key lives in one file under the data directory, readable only by the platform's
user, created on first use; it never enters the database, a log or a response. What the
platform signs is an SM3 digest of canonical facts, so anyone holding the public key can check
a document without trusting the page that shows it.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import gmssl_pyx

KEY_FILE = "platform_sm2.key"


@dataclass(frozen=True)
class PlatformKey:
    public_hex: str  # 64-byte uncompressed point without the 04 prefix, hex
    _private: bytes

    def sign(self, data: bytes) -> str:
        return bytes(gmssl_pyx.sm2_sign(self._private, bytes.fromhex(self.public_hex), data)).hex()

    def __repr__(self) -> str:  # never print the private half
        return f"PlatformKey(public={self.public_hex[:16]}…)"


def verify(public_hex: str, data: bytes, signature_hex: str) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(bytes.fromhex(public_hex), data, bytes.fromhex(signature_hex)))
    except (ValueError, gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError):
        return False


def load_or_create(key_dir: Path) -> PlatformKey:
    key_dir.mkdir(parents=True, exist_ok=True)
    path = key_dir / KEY_FILE
    if not path.exists():
        public, private = gmssl_pyx.sm2_key_generate()
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{bytes(private).hex()}\n{bytes(public).hex()}\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # first writer wins when two processes start together
        tmp.unlink()
    private_hex, public_hex = path.read_text().split()
    return PlatformKey(public_hex=public_hex, _private=bytes.fromhex(private_hex))
