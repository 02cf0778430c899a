"""The sealed bid envelope, format version 1 (docs/envelope.md). Pure: no database, no HTTP.

The bidder's tool (``ggzy bidder seal``) and the platform both use this module, so the format is
defined once. An envelope is one file::

    b"GGZYBID" 0x01 | header length (4 bytes, big-endian) | header (canonical JSON) | ciphertext

The plaintext (a ZIP holding ``bid.json`` and the attachments) is encrypted with SM4-GCM under a
fresh 16-byte content key. The key is wrapped with SM2 to the bidder's own registered key and,
where the tender documents provide a backup route (电子招标投标办法 Art. 31), to the section's
backup opening key. The header's ``body`` is signed by the bidder (SM2 over its canonical JSON)
and names the section, the bidder, the ciphertext's SM3 and size, the plaintext's SM3 and the
device fingerprint, so the platform can check everything about an envelope except its content,
which it cannot read until the bidder hands over the content key at opening.

``bid.json`` carries a random salt, so the plaintext digest in the header (which the platform
holds before opening) cannot be confirmed by guessing a price.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import secrets
import socket
import struct
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ggzy.common import sm2
from ggzy.common.crypto import canonical_json, sm3_hex

MAGIC = b"GGZYBID\x01"
FORMAT = "ggzy-bid-envelope"
VERSION = 1
MAX_HEADER = 64 * 1024
MAX_BID_JSON = 1024 * 1024
MAX_PRICE = Decimal("9999999999999.99")  # what the money columns hold (NUMERIC(16,2))
_CHUNK = 1 << 20
_HEX_RE = re.compile(r"[0-9a-f]+")
_PRICE_RE = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")
DEVICE_PARTS = ("cpu", "disk", "mac", "host")
# The opening record's fields (开标记录表) and their Chinese names.
PRICE_SHEET = {
    "price": "投标报价（元）",
    "duration_days": "工期/交货期（日历天）",
    "quality": "质量标准",
    "project_manager": "项目负责人",
    "deposit": "投标保证金",
}
# Optional facts of the bid the supervising platforms are owed with the opening details (数据规范
# 507/557): never on the public opening record (the ID number is personal data).
DEPOSIT_FORMS = {
    "cash": "现金",
    "bank_transfer": "银行转账",
    "bank_guarantee": "银行保函",
    "insurance_guarantee": "保险保函",
}


class EnvelopeError(ValueError):
    """The envelope is not well formed, does not match, or cannot be decrypted. ``code`` says which."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


def _sm3() -> hashes.Hash:
    return hashes.Hash(hashes.SM3())


def aad_for(tender: str, section: str, bidder: str) -> bytes:
    """Binds the ciphertext to its section and bidder: moved elsewhere, it no longer decrypts."""
    return canonical_json({"bidder": bidder, "section": section, "tender": tender})


# --- the bidder's side ---------------------------------------------------------------------


def device_fingerprint() -> dict[str, str]:
    """SM3 digests of this machine's identifiers; raw values never leave the machine."""

    def read(path: str) -> str:
        try:
            return Path(path).read_text().strip()
        except OSError:
            return ""

    parts = {
        "cpu": read("/proc/cpuinfo").split("\n\n")[0] if os.path.exists("/proc/cpuinfo") else platform.processor(),
        "disk": read("/etc/machine-id") or read("/var/lib/dbus/machine-id"),
        "mac": f"{uuid.getnode():012x}",
        "host": socket.gethostname(),
    }
    return {k: sm3_hex(f"{k}:{v}") for k, v in parts.items()}


def validate_bid(bid: dict[str, Any]) -> dict[str, Any]:
    """The price sheet a bid must carry for the opening record; returns it normalised."""
    missing = [PRICE_SHEET[k] for k in PRICE_SHEET if bid.get(k) in (None, "")]
    if missing:
        raise EnvelopeError(f"bid.json 缺少开标记录所需字段：{'、'.join(missing)}", "bid_incomplete")
    bad_price = EnvelopeError(
        "投标报价应为大于 0、至多两位小数、不超过 9999999999999.99 的金额（元）", "bid_price_invalid"
    )
    if isinstance(bid["price"], (bool, float)) or not _PRICE_RE.fullmatch(str(bid["price"])):
        raise bad_price  # exact money only: digits, at most two decimals (no floats, exponents, signs)
    try:
        price = Decimal(str(bid["price"]))
        exact = price.is_finite() and price == price.quantize(Decimal("0.01"))
    except (ArithmeticError, ValueError) as e:
        raise bad_price from e
    if not exact or not Decimal(0) < price <= MAX_PRICE:
        raise bad_price
    raw_days = bid["duration_days"]
    days = raw_days if isinstance(raw_days, int) and not isinstance(raw_days, bool) else None
    if isinstance(raw_days, str) and raw_days.strip().isascii() and raw_days.strip().isdigit():
        days = int(raw_days.strip())
    if days is None or not 0 < days <= 36500:
        raise EnvelopeError("工期/交货期应为 1 至 36500 的整数天数", "bid_duration_invalid")
    return {
        "price": f"{price:.2f}",
        "duration_days": days,
        "quality": str(bid["quality"])[:100],
        "project_manager": str(bid["project_manager"])[:50],
        "deposit": str(bid["deposit"])[:100],
    } | _optional_facts(bid)


def _optional_facts(bid: dict[str, Any]) -> dict[str, Any]:
    from ggzy.common.errors import InvalidInput
    from ggzy.identity.rules import validate_id_number

    out: dict[str, Any] = {}
    if bid.get("project_manager_id") not in (None, ""):
        try:
            out["project_manager_id"] = validate_id_number(str(bid["project_manager_id"]))
        except InvalidInput as e:
            raise EnvelopeError(f"项目负责人身份证号：{e.message}", "bid_pm_id_invalid") from e
    if bid.get("project_manager_certificates") not in (None, ""):
        out["project_manager_certificates"] = str(bid["project_manager_certificates"])[:200]
    if bid.get("deposit_form") not in (None, ""):
        if bid["deposit_form"] not in DEPOSIT_FORMS:
            forms = "、".join(f"{k}（{v}）" for k, v in DEPOSIT_FORMS.items())
            raise EnvelopeError(f"保证金递交方式应为 {forms} 之一", "bid_deposit_form_invalid")
        out["deposit_form"] = bid["deposit_form"]
    if bid.get("deposit_paid_at") not in (None, ""):
        try:
            paid = datetime.fromisoformat(str(bid["deposit_paid_at"]))
        except ValueError:
            paid = None
        if paid is None or paid.tzinfo is None:
            raise EnvelopeError(
                "保证金递交时间应为带时区的 ISO 8601 时间，如 2026-12-01T09:00:00+08:00", "bid_deposit_time_invalid"
            )
        out["deposit_paid_at"] = paid.isoformat()
    return out


def build_plaintext(bid: dict[str, Any], attachments: Iterable[Path]) -> bytes:
    sheet = validate_bid(bid)
    doc = {**bid, **sheet, "salt": secrets.token_hex(16)}
    buf = io.BytesIO()
    files = list(attachments)
    names = [p.name for p in files]
    if len(set(names)) != len(names):
        raise EnvelopeError("附件文件名重复，请改名后再封装", "attachment_duplicate")
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bid.json", json.dumps(doc, ensure_ascii=False, indent=2))
        for p in files:
            z.write(p, f"attachments/{p.name}")
    return buf.getvalue()


@dataclass(frozen=True)
class Sealed:
    path: Path
    digest: str  # SM3 of the whole envelope file: what the receipt names
    size: int
    content_key: str  # hex; the bidder keeps it secret until opening (or re-derives it: decrypt-key)


def seal(
    *,
    plaintext: bytes,
    tender: str,
    section: str,
    bidder: str,
    signer_public: str,
    signer_private: str,
    backup_public: str | None,
    device: dict[str, str],
    sealed_at: str,
    out: Path,
) -> Sealed:
    key, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(aad_for(tender, section, bidder))
    ciphertext = enc.update(plaintext) + enc.finalize()
    wrapped = {"bidder": {"key": sm2.fingerprint(signer_public), "ciphertext": sm2.encrypt(signer_public, key)}}
    if backup_public:
        wrapped["backup"] = {"key": sm2.fingerprint(backup_public), "ciphertext": sm2.encrypt(backup_public, key)}
    body = {
        "format": FORMAT,
        "version": VERSION,
        "tender": tender,
        "section": section,
        "bidder": bidder,
        "signer_key": sm2.fingerprint(signer_public),
        "cipher": "SM4-GCM",
        "nonce": nonce.hex(),
        "tag": enc.tag.hex(),
        "ciphertext_size": len(ciphertext),
        "ciphertext_sm3": sm3_hex(ciphertext),
        "plaintext_size": len(plaintext),
        "plaintext_sm3": sm3_hex(plaintext),
        "wrapped_keys": wrapped,
        "device": device,
        "sealed_at": sealed_at,
    }
    header = canonical_json({"body": body, "signature": sm2.sign(signer_private, signer_public, canonical_json(body))})
    data = MAGIC + struct.pack(">I", len(header)) + header + ciphertext
    out.write_bytes(data)
    return Sealed(path=out, digest=sm3_hex(data), size=len(data), content_key=key.hex())


def unwrap(header: dict[str, Any], private_hex: str, which: str = "bidder") -> str:
    """The content key, unwrapped with the private key the envelope names under ``which``."""
    entry = header["body"]["wrapped_keys"].get(which)
    if not isinstance(entry, dict) or not isinstance(entry.get("ciphertext"), str):
        raise EnvelopeError("该投标文件未封装此解密途径", "no_such_wrap")
    try:
        key = sm2.decrypt(private_hex, entry["ciphertext"])
    except sm2.SM2Error as e:
        raise EnvelopeError("私钥与投标文件不匹配，无法解出内容密钥", "wrong_key") from e
    if len(key) != 16:
        raise EnvelopeError("内容密钥长度不对", "wrong_key")
    return key.hex()


# --- reading an envelope (both sides) ------------------------------------------------------


@dataclass
class Reader:
    """Parses an envelope as its bytes arrive, without holding the ciphertext: feed chunks, then
    ``finish``. Tracks the SM3 of the whole file and of the ciphertext."""

    max_bytes: int
    size: int = 0
    header: dict[str, Any] | None = None
    _buf: bytearray = field(default_factory=bytearray)
    _ct_size: int = 0
    _whole: hashes.Hash = field(default_factory=_sm3)
    _ct: hashes.Hash = field(default_factory=_sm3)

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise EnvelopeError(f"投标文件超过大小上限（{self.max_bytes // (1024 * 1024)} MB）", "too_large")
        self._whole.update(chunk)
        if self.header is not None:
            self._ct.update(chunk)
            self._ct_size += len(chunk)
            return
        self._buf += chunk
        if len(self._buf) >= 12:
            if bytes(self._buf[:8]) != MAGIC:
                raise EnvelopeError("不是 ggzy 投标文件（文件头不符，或版本不受支持）", "envelope_malformed")
            (n,) = struct.unpack(">I", bytes(self._buf[8:12]))
            if n > MAX_HEADER:
                raise EnvelopeError("投标文件头过大", "envelope_malformed")
            if len(self._buf) >= 12 + n:
                self.header = parse_header(bytes(self._buf[12 : 12 + n]))
                rest = bytes(self._buf[12 + n :])
                self._buf = bytearray()
                self._ct.update(rest)
                self._ct_size += len(rest)

    def finish(self) -> tuple[dict[str, Any], str]:
        """The header and the SM3 of the whole file, once the ciphertext matches the header."""
        if self.header is None:
            raise EnvelopeError("投标文件不完整", "envelope_malformed")
        body = self.header["body"]
        if self._ct_size != body["ciphertext_size"] or self._ct.finalize().hex() != body["ciphertext_sm3"]:
            raise EnvelopeError("投标文件密文与签名的摘要不符（文件已被篡改或不完整）", "envelope_tampered")
        return self.header, self._whole.finalize().hex()


_BODY_FIELDS: dict[str, type | tuple[type, ...]] = {
    "format": str,
    "version": int,
    "tender": str,
    "section": str,
    "bidder": str,
    "signer_key": str,
    "cipher": str,
    "nonce": str,
    "tag": str,
    "ciphertext_size": int,
    "ciphertext_sm3": str,
    "plaintext_size": int,
    "plaintext_sm3": str,
    "wrapped_keys": dict,
    "device": dict,
    "sealed_at": str,
}


def parse_header(raw: bytes) -> dict[str, Any]:
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise EnvelopeError("投标文件头不是有效的 JSON", "envelope_malformed") from e
    body = header.get("body") if isinstance(header, dict) else None
    if not isinstance(body, dict) or not isinstance(header.get("signature"), str):
        raise EnvelopeError("投标文件头缺少签名或内容", "envelope_malformed")
    if set(header) != {"body", "signature"} or set(body) != set(_BODY_FIELDS):
        raise EnvelopeError("投标文件头含有未签名或未知的字段", "envelope_malformed")
    for name, typ in _BODY_FIELDS.items():
        if not isinstance(body.get(name), typ) or isinstance(body.get(name), bool):
            raise EnvelopeError(f"投标文件头字段 {name} 缺失或类型不对", "envelope_malformed")
    if body["format"] != FORMAT or body["version"] != VERSION or body["cipher"] != "SM4-GCM":
        raise EnvelopeError("投标文件格式或版本不受支持", "envelope_malformed")
    for name, length in (("nonce", 24), ("tag", 32), ("ciphertext_sm3", 64), ("plaintext_sm3", 64), ("signer_key", 16)):
        if not _hex(body[name], length):
            raise EnvelopeError(f"投标文件头字段 {name} 应为 {length} 位小写十六进制", "envelope_malformed")
    if not _hex(header["signature"]) or body["ciphertext_size"] < 0 or body["plaintext_size"] < 0:
        raise EnvelopeError("投标文件头的签名或长度字段不正确", "envelope_malformed")
    wraps = body["wrapped_keys"]
    if "bidder" not in wraps or set(wraps) - {"bidder", "backup"}:
        raise EnvelopeError("投标文件未封装投标人的解密密钥，或含未知的解密途径", "envelope_malformed")
    for entry in wraps.values():
        if (
            not isinstance(entry, dict)
            or set(entry) != {"key", "ciphertext"}
            or not _hex(entry["key"], 16)
            or not _hex(entry["ciphertext"])
        ):
            raise EnvelopeError("投标文件头的密钥封装项不正确", "envelope_malformed")
    device = body["device"]
    if set(device) - set(DEVICE_PARTS) or not all(isinstance(v, str) and _hex(v, 64) for v in device.values()):
        raise EnvelopeError("设备指纹应为 cpu、disk、mac、host 各项的 SM3 摘要", "envelope_malformed")
    if canonical_json(header) != raw:
        # One envelope, one byte sequence: the file digest then names exactly what was signed.
        raise EnvelopeError("投标文件头不是规范化 JSON（键排序、无空格、UTF-8）", "envelope_malformed")
    return dict(header)


def _hex(value: object, length: int | None = None) -> bool:
    return (
        isinstance(value, str)
        and bool(_HEX_RE.fullmatch(value))
        and (len(value) == length if length else 0 < len(value) <= 1024 and len(value) % 2 == 0)
    )


def signature_valid(header: dict[str, Any], public_hex: str) -> bool:
    return sm2.verify(public_hex, canonical_json(header["body"]), header["signature"])


def read_file_header(f: BinaryIO) -> tuple[dict[str, Any], int]:
    """The header of a stored envelope and the offset where its ciphertext begins."""
    head = f.read(12)
    if len(head) < 12 or head[:8] != MAGIC:
        raise EnvelopeError("不是 ggzy 投标文件", "envelope_malformed")
    (n,) = struct.unpack(">I", head[8:])
    if n > MAX_HEADER:
        raise EnvelopeError("投标文件头过大", "envelope_malformed")
    return parse_header(f.read(n)), 12 + n


def decrypt(path: Path, content_key_hex: str) -> bytes:
    """The plaintext, after checking the GCM tag and the plaintext digest the bidder signed."""
    try:
        key = bytes.fromhex(content_key_hex)
    except ValueError as e:
        raise EnvelopeError("内容密钥应为 32 位十六进制", "wrong_key") from e
    if len(key) != 16:
        raise EnvelopeError("内容密钥应为 32 位十六进制", "wrong_key")
    with path.open("rb") as f:
        header, _ = read_file_header(f)
        body = header["body"]
        dec = Cipher(
            algorithms.SM4(key), modes.GCM(bytes.fromhex(body["nonce"]), bytes.fromhex(body["tag"]))
        ).decryptor()
        dec.authenticate_additional_data(aad_for(body["tender"], body["section"], body["bidder"]))
        out = bytearray()
        while chunk := f.read(_CHUNK):
            out += dec.update(chunk)
        try:
            out += dec.finalize()
        except InvalidTag as e:
            raise EnvelopeError("内容密钥错误或密文已损坏", "wrong_key") from e
    if sm3_hex(bytes(out)) != body["plaintext_sm3"]:
        raise EnvelopeError("解密结果与投标人签名的摘要不符", "plaintext_mismatch")
    return bytes(out)


def price_sheet(plaintext: bytes) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(io.BytesIO(plaintext)) as z:
            if z.getinfo("bid.json").file_size > MAX_BID_JSON:  # never inflate a bomb
                raise EnvelopeError("bid.json 过大", "bid_incomplete")
            doc = json.loads(z.read("bid.json").decode("utf-8"))
    except EnvelopeError:
        raise
    except Exception as e:  # a malformed archive of the bidder's own making (its digest was signed)
        raise EnvelopeError("投标文件中没有可读的 bid.json", "bid_incomplete") from e
    if not isinstance(doc, dict):
        raise EnvelopeError("bid.json 应为对象", "bid_incomplete")
    return validate_bid(doc)


def attachment_names(plaintext: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(plaintext)) as z:
        return [n.removeprefix("attachments/") for n in z.namelist() if n.startswith("attachments/")]
