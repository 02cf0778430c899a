"""SM2 (GB/T 32918) keys, signatures and encryption, via gmssl-pyx; PEM/DER for interop.

Keys travel as hex: a public key is the 64-byte point X||Y (no 04 prefix), a private key the
32-byte scalar. PEM (SubjectPublicKeyInfo with the SM2 curve OID 1.2.156.10197.1.301) is what
the ``openssl`` command reads and writes, so receipts and bidder signatures can be checked with
a tool that shares no code with ggzy.

Signatures use the default signer identity ``1234567812345678`` of GB/T 35276 (with openssl 3:
``-sigopt distid:1234567812345678``). Every failure to parse or verify is reported as ``False``
or ``SM2Error``, never as a library-specific exception.
"""

from __future__ import annotations

import base64
import re

import gmssl_pyx
from gmssl_pyx import sm2_utils

SIGNER_ID = b"1234567812345678"
# SEQUENCE { SEQUENCE { id-ecPublicKey, sm2p256v1 }, BIT STRING (0 unused bits) 04 || X || Y }
_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")
_SM2_OID = bytes.fromhex("06082a811ccf5501822d")  # 1.2.156.10197.1.301


class SM2Error(ValueError):
    """A key, signature or ciphertext that is not well formed or does not match."""


def generate() -> tuple[str, str]:
    """A fresh key pair as (public_hex, private_hex)."""
    public, private = gmssl_pyx.sm2_key_generate()
    return bytes(public).hex(), bytes(private).hex()


def normalise_public(value: str) -> str:
    """A public key given as hex (64 or 65 bytes, or compressed 33) or PEM, as 64-byte hex."""
    value = value.strip()
    if value.startswith("-----BEGIN"):
        return public_from_pem(value)
    if not _HEX_RE.fullmatch(value):
        raise SM2Error("公钥应为十六进制或 PEM 格式")
    try:
        return bytes(sm2_utils.normalize_sm2_public_key(value)).hex()
    except (gmssl_pyx.InvalidValueError, ValueError) as e:
        raise SM2Error("公钥不是 SM2 曲线上的点") from e


def public_to_pem(public_hex: str) -> str:
    der = _SPKI_PREFIX + b"\x04" + bytes.fromhex(public_hex)
    body = base64.encodebytes(der).decode("ascii")
    return f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n"


def public_from_pem(pem: str) -> str:
    lines = [ln.strip() for ln in pem.strip().splitlines() if ln.strip() and not ln.startswith("-----")]
    try:
        der = base64.b64decode("".join(lines), validate=True)
    except ValueError as e:
        raise SM2Error("PEM 公钥不是有效的 Base64") from e
    if len(der) != len(_SPKI_PREFIX) + 65 or not der.startswith(_SPKI_PREFIX) or der[len(_SPKI_PREFIX)] != 4:
        raise SM2Error("PEM 公钥不是 SM2 公钥（应为 SM2 曲线 1.2.156.10197.1.301 的未压缩点）")
    return normalise_public(der[len(_SPKI_PREFIX) + 1 :].hex())


def private_from_pem(pem: str) -> tuple[str, str]:
    """(public_hex, private_hex) from an unencrypted PKCS#8 SM2 key as ``openssl genpkey`` writes it."""
    lines = [ln.strip() for ln in pem.strip().splitlines() if ln.strip() and not ln.startswith("-----")]
    try:
        der = base64.b64decode("".join(lines), validate=True)
    except ValueError as e:
        raise SM2Error("PEM 私钥不是有效的 Base64") from e
    if _SM2_OID not in der:
        raise SM2Error("不是 SM2 私钥（曲线应为 1.2.156.10197.1.301）")
    # The ECPrivateKey inside PKCS#8: 02 01 01 04 20 <32-byte scalar> ... 03 42 00 04 <X||Y>
    i = der.find(b"\x02\x01\x01\x04\x20")
    j = der.find(b"\x03\x42\x00\x04", i + 37 if i >= 0 else 0)
    if i < 0 or j < 0:
        raise SM2Error("无法读取 SM2 私钥（需要未加密的 PKCS#8 PEM）")
    public_hex, private_hex = der[j + 4 : j + 68].hex(), der[i + 5 : i + 37].hex()
    if not verify(public_hex, b"ggzy-key-check", sign(private_hex, public_hex, b"ggzy-key-check")):
        raise SM2Error("私钥与其中的公钥不匹配")
    return public_hex, private_hex


def fingerprint(public_hex: str) -> str:
    """A short, stable name for a public key: the first 16 hex digits of SM3 over its 64 bytes."""
    return bytes(gmssl_pyx.sm3_hash(bytes.fromhex(public_hex))).hex()[:16]


def sign(private_hex: str, public_hex: str, data: bytes) -> str:
    return bytes(gmssl_pyx.sm2_sign(bytes.fromhex(private_hex), bytes.fromhex(public_hex), data, SIGNER_ID)).hex()


def verify(public_hex: str, data: bytes, signature_hex: str) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(bytes.fromhex(public_hex), data, bytes.fromhex(signature_hex), SIGNER_ID))
    except (ValueError, TypeError, gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError):
        return False


def encrypt(public_hex: str, plaintext: bytes) -> str:
    """SM2 public-key encryption (DER, C1C3C2) of a short secret such as a content key or a share."""
    if not 1 <= len(plaintext) <= 255:
        raise SM2Error("SM2 加密只用于 1 至 255 字节的短密钥")
    try:
        return bytes(gmssl_pyx.sm2_encrypt(bytes.fromhex(public_hex), plaintext)).hex()
    except (ValueError, gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError) as e:
        raise SM2Error("SM2 公钥无效，无法加密") from e


def decrypt(private_hex: str, ciphertext_hex: str) -> bytes:
    try:
        return bytes(gmssl_pyx.sm2_decrypt(bytes.fromhex(private_hex), bytes.fromhex(ciphertext_hex)))
    except (ValueError, TypeError, gmssl_pyx.InvalidValueError, gmssl_pyx.GmsslInnerError) as e:
        raise SM2Error("SM2 解密失败：密钥不匹配或密文已损坏") from e


def private_key_valid(private_hex: str) -> bool:
    return bool(_HEX_RE.fullmatch(private_hex)) and len(private_hex) == 64
