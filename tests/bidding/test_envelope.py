"""The sealed bid envelope, format v1 (ggzy.bidding.envelope), without a database or HTTP.

Sealed with the bidder's tool (keys from ``bidder_tool.keygen``), read back with ``Reader`` as the
platform does while a file streams in, decrypted as at opening.
"""

from __future__ import annotations

import io
import json
import random
import re
import struct
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ggzy import bidder_tool
from ggzy.bidding import envelope
from ggzy.bidding.envelope import MAGIC, EnvelopeError, Reader
from ggzy.common import shamir, sm2
from ggzy.common.crypto import canonical_json, sm3_hex

BIDDER = "91110000MA01ABCD2X"
SEALING = {"tender": "GGZY-JS-2026-0042", "section": "第1标段"}
DEVICE = {"cpu": "c" * 64, "disk": "d" * 64, "mac": "e" * 64, "host": "f" * 64}
CANARY = "CANARY-明文不应出现-5e1d"
BID: dict[str, Any] = {
    "price": "19800000.5",
    "duration_days": "540",
    "quality": "合格",
    "project_manager": "王建国",
    "deposit": "已缴纳 400000.00 元",
    "note": CANARY,
}
NORMALISED = {
    "price": "19800000.50",
    "duration_days": 540,
    "quality": "合格",
    "project_manager": "王建国",
    "deposit": "已缴纳 400000.00 元",
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def key(tmp_path: Path) -> bidder_tool.KeyPair:
    return bidder_tool.keygen(tmp_path / "bidder.key")


@pytest.fixture
def attachment(tmp_path: Path) -> Path:
    p = tmp_path / "技术标.bin"
    p.write_bytes(random.Random(7).randbytes(150_000) + f"技术标 {CANARY}".encode())
    return p


def seal(
    tmp_path: Path,
    key: bidder_tool.KeyPair,
    *,
    bid: dict[str, Any] | None = None,
    sealing: dict[str, Any] | None = None,
    attachments: list[Path] | None = None,
    name: str = "bid.ggzy",
) -> envelope.Sealed:
    return bidder_tool.seal_bid(
        key=key,
        bidder=BIDDER,
        sealing=sealing or SEALING,
        bid=BID if bid is None else bid,
        attachments=attachments or [],
        out=tmp_path / name,
        device=DEVICE,
    )


def read(data: bytes, *, max_bytes: int | None = None, rng: random.Random | None = None) -> tuple[dict[str, Any], str]:
    """Feed ``data`` to a Reader in random-size chunks (1 byte up to 64 KiB), then finish."""
    rng = rng or random.Random(0)
    r = Reader(max_bytes=max_bytes if max_bytes is not None else len(data) + 1)
    i = 0
    while i < len(data):
        n = rng.choice([1, 2, 3, 7, 11, 12, 13, 100, 1000, 4096, 65536, rng.randint(1, 70000)])
        r.feed(data[i : i + n])
        i += n
    return r.finish()


def split_file(data: bytes) -> tuple[bytes, bytes]:
    """(header JSON, ciphertext) of an envelope's bytes."""
    assert data[:8] == MAGIC
    (n,) = struct.unpack(">I", data[8:12])
    return data[12 : 12 + n], data[12 + n :]


def assemble(header: dict[str, Any], ciphertext: bytes) -> bytes:
    raw = canonical_json(header)
    return MAGIC + struct.pack(">I", len(raw)) + raw + ciphertext


def resign(header: dict[str, Any], key: bidder_tool.KeyPair, **changes: Any) -> dict[str, Any]:
    body = {**header["body"], **changes}
    return {"body": body, "signature": key.sign(canonical_json(body))}


# --- sealing and reading --------------------------------------------------------------------


def test_reader_in_random_chunks_gives_header_and_whole_file_sm3(
    tmp_path: Path, key: bidder_tool.KeyPair, attachment: Path
) -> None:
    sealed = seal(tmp_path, key, attachments=[attachment])
    data = sealed.path.read_bytes()
    assert sealed.size == len(data) and sealed.digest == sm3_hex(data)
    with sealed.path.open("rb") as f:
        stored_header, offset = envelope.read_file_header(f)
    for seed in range(8):
        header, digest = read(data, rng=random.Random(seed))
        assert digest == sealed.digest
        assert header == stored_header
    # Byte by byte and all at once too.
    r = Reader(max_bytes=len(data))
    for b in data:
        r.feed(bytes([b]))
    assert r.finish() == (stored_header, sealed.digest)
    r = Reader(max_bytes=len(data))
    r.feed(data)
    assert r.finish() == (stored_header, sealed.digest)

    body = stored_header["body"]
    assert (body["format"], body["version"], body["cipher"]) == ("ggzy-bid-envelope", 1, "SM4-GCM")
    assert (body["tender"], body["section"], body["bidder"]) == (SEALING["tender"], SEALING["section"], BIDDER)
    assert body["signer_key"] == key.fingerprint == body["wrapped_keys"]["bidder"]["key"]
    assert set(body["wrapped_keys"]) == {"bidder"}
    assert body["device"] == DEVICE
    assert body["ciphertext_size"] == len(data) - offset
    assert body["ciphertext_sm3"] == sm3_hex(data[offset:])
    assert len(bytes.fromhex(body["nonce"])) == 12 and len(bytes.fromhex(body["tag"])) == 16


def test_header_reveals_nothing_of_the_bid(tmp_path: Path, key: bidder_tool.KeyPair, attachment: Path) -> None:
    sealed = seal(tmp_path, key, attachments=[attachment])
    data = sealed.path.read_bytes()
    header_raw, _ = split_file(data)
    for secret in ("19800000", "王建国", CANARY, "技术标", "bid.json"):
        assert secret.encode() not in data, secret
    assert b"salt" not in header_raw


def test_signature_valid_for_the_signer_only(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    sealed = seal(tmp_path, key)
    header, _ = read(sealed.path.read_bytes())
    assert envelope.signature_valid(header, key.public_hex) is True
    other = bidder_tool.keygen(tmp_path / "other.key")
    assert envelope.signature_valid(header, other.public_hex) is False
    assert sm2.verify(key.public_hex, canonical_json(header["body"]), header["signature"])


def test_decrypt_with_re_derived_content_key_gives_the_zip(
    tmp_path: Path, key: bidder_tool.KeyPair, attachment: Path
) -> None:
    sealed = seal(tmp_path, key, attachments=[attachment])
    assert bidder_tool.content_key(key, sealed.path) == sealed.content_key
    # The key file on disk, reloaded, re-derives it as well (what `decrypt-key` does at opening).
    reloaded = bidder_tool.load_key(tmp_path / "bidder.key")
    assert bidder_tool.content_key(reloaded, sealed.path) == sealed.content_key

    plaintext = envelope.decrypt(sealed.path, bidder_tool.content_key(key, sealed.path))
    assert zipfile.is_zipfile(io.BytesIO(plaintext))
    assert envelope.price_sheet(plaintext) == NORMALISED == envelope.validate_bid(BID)
    assert envelope.attachment_names(plaintext) == [attachment.name]
    with zipfile.ZipFile(io.BytesIO(plaintext)) as z:
        assert z.read(f"attachments/{attachment.name}") == attachment.read_bytes()
        doc = json.loads(z.read("bid.json"))
    assert doc["note"] == CANARY and {k: doc[k] for k in NORMALISED} == NORMALISED
    # Upper-case hex is the same key.
    assert envelope.decrypt(sealed.path, sealed.content_key.upper()) == plaintext


def test_plaintext_digest_is_salted(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    a, b = seal(tmp_path, key, name="a.ggzy"), seal(tmp_path, key, name="b.ggzy")
    pa, pb = envelope.decrypt(a.path, a.content_key), envelope.decrypt(b.path, b.content_key)
    ha, _ = read(a.path.read_bytes())
    hb, _ = read(b.path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(pa)) as z:
        bid_json = z.read("bid.json")
    doc = json.loads(bid_json)
    assert re.fullmatch(r"[0-9a-f]{32}", doc["salt"])
    published = ha["body"]["plaintext_sm3"]
    assert published == sm3_hex(pa)
    # Guessing the price and hashing a bid.json (or the bid) does not confirm the digest...
    unsalted = {k: v for k, v in doc.items() if k != "salt"}
    for guess in (bid_json, canonical_json(doc), canonical_json(unsalted), canonical_json(NORMALISED)):
        assert sm3_hex(guess) != published
    # ...and the same bid sealed twice has different plaintext digests.
    assert hb["body"]["plaintext_sm3"] != published
    assert json.loads(zipfile.ZipFile(io.BytesIO(pb)).read("bid.json"))["salt"] != doc["salt"]


def test_same_bid_sealed_twice_differs_everywhere(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    a, b = seal(tmp_path, key, name="a.ggzy"), seal(tmp_path, key, name="b.ggzy")
    assert a.digest != b.digest
    assert a.content_key != b.content_key
    ha, _ = read(a.path.read_bytes())
    hb, _ = read(b.path.read_bytes())
    for field in ("nonce", "tag", "ciphertext_sm3"):
        assert ha["body"][field] != hb["body"][field]
    assert ha["body"]["wrapped_keys"]["bidder"]["ciphertext"] != hb["body"]["wrapped_keys"]["bidder"]["ciphertext"]
    # Each key opens its own envelope only.
    with pytest.raises(EnvelopeError) as e:
        envelope.decrypt(a.path, b.content_key)
    assert e.value.code == "wrong_key"


# --- tampering ------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_flipped_ciphertext_byte_is_detected(
    tmp_path: Path, key: bidder_tool.KeyPair, attachment: Path, where: str
) -> None:
    sealed = seal(tmp_path, key, attachments=[attachment])
    data = bytearray(sealed.path.read_bytes())
    header_raw, ciphertext = split_file(bytes(data))
    start = 12 + len(header_raw)
    i = {"first": start, "middle": start + len(ciphertext) // 2, "last": len(data) - 1}[where]
    data[i] ^= 0x01
    with pytest.raises(EnvelopeError) as e:
        read(bytes(data))
    assert e.value.code == "envelope_tampered"
    assert CHINESE.search(str(e.value))
    # The header (and so its signature) is untouched: only the ciphertext check catches it...
    header = envelope.parse_header(header_raw)
    assert envelope.signature_valid(header, key.public_hex)
    # ...and decryption refuses it as well (GCM tag).
    tampered = tmp_path / "tampered.ggzy"
    tampered.write_bytes(bytes(data))
    with pytest.raises(EnvelopeError) as e2:
        envelope.decrypt(tampered, sealed.content_key)
    assert e2.value.code == "wrong_key"


def test_truncated_or_extended_ciphertext_is_detected(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    data = seal(tmp_path, key).path.read_bytes()
    for bad in (data[:-1], data + b"\0", data[:-16]):
        with pytest.raises(EnvelopeError) as e:
            read(bad)
        assert e.value.code == "envelope_tampered"


def test_flipped_header_byte_breaks_signature_or_parsing(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    sealed = seal(tmp_path, key)
    data = sealed.path.read_bytes()
    header_raw, _ = split_file(data)
    rng = random.Random(3)
    positions = sorted(set(rng.sample(range(len(header_raw)), min(250, len(header_raw)))) | {0, len(header_raw) - 1})
    # Make sure the signed values and the signature itself are among them.
    for needle in (b'"signature":"', b'"section":"', b'"ciphertext_sm3":"', b'"plaintext_size":', b'"tag":"'):
        positions.append(header_raw.index(needle) + len(needle))
    outcomes = {"malformed": 0, "bad_signature": 0}
    for pos in positions:
        for flip in (0x01, 0x80):
            raw = bytearray(header_raw)
            raw[pos] ^= flip
            tampered = data[:12] + bytes(raw) + data[12 + len(raw) :]
            try:
                header, _ = read(tampered)
            except EnvelopeError as e:
                assert e.code in ("envelope_malformed", "envelope_tampered"), (pos, e.code)
                outcomes["malformed"] += 1
                continue
            assert not envelope.signature_valid(header, key.public_hex), (pos, flip, bytes(raw[pos - 10 : pos + 10]))
            outcomes["bad_signature"] += 1
    assert outcomes["malformed"] > 0 and outcomes["bad_signature"] > 0


def test_changed_header_value_resigned_by_someone_else_fails(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    sealed = seal(tmp_path, key)
    data = sealed.path.read_bytes()
    header, _ = read(data)
    _, ciphertext = split_file(data)
    mallory = bidder_tool.keygen(tmp_path / "mallory.key")
    forged = resign(header, mallory, sealed_at="2020-01-01T00:00:00+00:00")
    h, _ = read(assemble(forged, ciphertext))
    assert not envelope.signature_valid(h, key.public_hex)


# --- keys -----------------------------------------------------------------------------------


def test_wrong_content_key_is_refused(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    sealed = seal(tmp_path, key)
    wrong = f"{int(sealed.content_key, 16) ^ 1:032x}"
    for bad in (wrong, "00" * 16, "zz" * 16, sealed.content_key[:-2], sealed.content_key + "00", ""):
        with pytest.raises(EnvelopeError) as e:
            envelope.decrypt(sealed.path, bad)
        assert e.value.code == "wrong_key", bad
        assert CHINESE.search(str(e.value))


def test_unwrap_with_another_private_key_is_refused(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    sealed = seal(tmp_path, key)
    header, _ = read(sealed.path.read_bytes())
    assert envelope.unwrap(header, key.private_hex) == sealed.content_key
    other = bidder_tool.keygen(tmp_path / "other.key")
    with pytest.raises(EnvelopeError) as e:
        envelope.unwrap(header, other.private_hex)
    assert e.value.code == "wrong_key"
    with pytest.raises(EnvelopeError) as e:
        bidder_tool.content_key(other, sealed.path)
    assert e.value.code == "wrong_key"
    with pytest.raises(EnvelopeError) as e:
        envelope.unwrap(header, key.private_hex, "backup")
    assert e.value.code == "no_such_wrap"


def test_backup_key_unwraps_envelope_sealed_to_it(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    backup_public, backup_private = sm2.generate()
    sealed = seal(tmp_path, key, sealing={**SEALING, "backup_key": backup_public})
    header, _ = read(sealed.path.read_bytes())
    wraps = header["body"]["wrapped_keys"]
    assert set(wraps) == {"bidder", "backup"}
    assert wraps["backup"]["key"] == sm2.fingerprint(backup_public)
    assert envelope.signature_valid(header, key.public_hex)
    assert envelope.unwrap(header, backup_private, "backup") == sealed.content_key
    assert envelope.unwrap(header, key.private_hex, "bidder") == sealed.content_key
    # Each route needs its own key.
    with pytest.raises(EnvelopeError) as e:
        envelope.unwrap(header, key.private_hex, "backup")
    assert e.value.code == "wrong_key"
    with pytest.raises(EnvelopeError) as e:
        envelope.unwrap(header, backup_private, "bidder")
    assert e.value.code == "wrong_key"
    # The backup private key recovered from 3 of 5 shares opens the bid.
    shares = shamir.split(bytes.fromhex(backup_private), k=3, n=5)
    recovered = shamir.combine([shares[3], shares[1], shares[4]]).hex()
    content_key = envelope.unwrap(header, recovered, "backup")
    assert envelope.price_sheet(envelope.decrypt(sealed.path, content_key)) == NORMALISED


@pytest.mark.parametrize(
    "change",
    [{"section": "第2标段"}, {"tender": "GGZY-JS-2026-0043"}, {"bidder": "91110000MA01ABCD3Y"}],
    ids=["section", "tender", "bidder"],
)
def test_ciphertext_moved_elsewhere_does_not_decrypt(
    tmp_path: Path, key: bidder_tool.KeyPair, change: dict[str, str]
) -> None:
    sealed = seal(tmp_path, key)
    data = sealed.path.read_bytes()
    header, _ = read(data)
    _, ciphertext = split_file(data)
    moved = tmp_path / "moved.ggzy"
    moved.write_bytes(assemble(resign(header, key, **change), ciphertext))
    # Everything the platform can check passes: well formed, intact ciphertext, valid signature...
    h, _ = read(moved.read_bytes())
    assert envelope.signature_valid(h, key.public_hex)
    assert bidder_tool.content_key(key, moved) == sealed.content_key
    # ...but the AAD binds the ciphertext to where it was sealed.
    with pytest.raises(EnvelopeError) as e:
        envelope.decrypt(moved, sealed.content_key)
    assert e.value.code == "wrong_key"
    # Control: re-signed without a change, it still decrypts.
    same = tmp_path / "same.ggzy"
    same.write_bytes(assemble(resign(header, key), ciphertext))
    assert envelope.price_sheet(envelope.decrypt(same, sealed.content_key)) == NORMALISED


def test_changed_plaintext_digest_is_caught_after_decryption(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    sealed = seal(tmp_path, key)
    data = sealed.path.read_bytes()
    header, _ = read(data)
    _, ciphertext = split_file(data)
    lying = tmp_path / "lying.ggzy"
    lying.write_bytes(assemble(resign(header, key, plaintext_sm3=sm3_hex(b"something else")), ciphertext))
    with pytest.raises(EnvelopeError) as e:
        envelope.decrypt(lying, sealed.content_key)
    assert e.value.code == "plaintext_mismatch"


@pytest.mark.parametrize(
    "change",
    [{"tag": "00"}, {"tag": "zz"}, {"nonce": ""}, {"nonce": "zz"}],
    ids=["short-tag", "hex-tag", "no-nonce", "hex-nonce"],
)
def test_malformed_nonce_or_tag_is_an_envelope_error(
    tmp_path: Path, key: bidder_tool.KeyPair, change: dict[str, str]
) -> None:
    sealed = seal(tmp_path, key)
    data = sealed.path.read_bytes()
    header, _ = read(data)
    _, ciphertext = split_file(data)
    bad = tmp_path / "bad.ggzy"
    bad.write_bytes(assemble(resign(header, key, **change), ciphertext))
    try:
        h, _ = read(bad.read_bytes())
    except EnvelopeError as e:  # refused on arrival: as good as refused at opening
        assert e.code == "envelope_malformed"
        return
    assert envelope.signature_valid(h, key.public_hex)  # the platform would accept this file
    with pytest.raises(EnvelopeError):
        envelope.decrypt(bad, sealed.content_key)


@pytest.mark.parametrize("entry", [{"key": "fp"}, "not a dict"], ids=["no-ciphertext", "string"])
def test_malformed_backup_wrap_is_an_envelope_error(tmp_path: Path, key: bidder_tool.KeyPair, entry: Any) -> None:
    backup_public, backup_private = sm2.generate()
    sealed = seal(tmp_path, key, sealing={**SEALING, "backup_key": backup_public})
    header, _ = read(sealed.path.read_bytes())
    wraps = dict(header["body"]["wrapped_keys"])
    wraps["backup"] = {**entry, "key": sm2.fingerprint(backup_public)} if isinstance(entry, dict) else entry
    forged = resign(header, key, wrapped_keys=wraps)
    with pytest.raises(EnvelopeError):
        envelope.unwrap(forged, backup_private, "backup")


# --- Reader refusals ------------------------------------------------------------------------


def test_reader_refuses_more_than_max_bytes(tmp_path: Path, key: bidder_tool.KeyPair, attachment: Path) -> None:
    data = seal(tmp_path, key, attachments=[attachment]).path.read_bytes()
    read(data, max_bytes=len(data))  # exactly the limit is fine
    for limit in (len(data) - 1, 100, 5):
        with pytest.raises(EnvelopeError) as e:
            read(data, max_bytes=limit)
        assert e.value.code == "too_large"
        assert CHINESE.search(str(e.value))


@pytest.mark.parametrize(
    "prefix",
    [b"GGZYBID\x02", b"GGZYBIX\x01", b"PK\x03\x04\x14\x00\x00\x00", b"\x00" * 8, b"ggzybid\x01"],
    ids=["version-2", "typo", "zip", "zeros", "lowercase"],
)
def test_reader_refuses_bad_magic(tmp_path: Path, key: bidder_tool.KeyPair, prefix: bytes) -> None:
    data = prefix + seal(tmp_path, key).path.read_bytes()[8:]
    with pytest.raises(EnvelopeError) as e:
        read(data)
    assert e.value.code == "envelope_malformed"
    bad = tmp_path / "bad.ggzy"
    bad.write_bytes(data)
    with pytest.raises(EnvelopeError) as e:
        envelope.decrypt(bad, "00" * 16)
    assert e.value.code == "envelope_malformed"


def test_reader_refuses_malformed_framing_and_headers(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    data = seal(tmp_path, key).path.read_bytes()
    header_raw, ciphertext = split_file(data)
    header = json.loads(header_raw)

    def framed(raw: bytes, ct: bytes = ciphertext) -> bytes:
        return MAGIC + struct.pack(">I", len(raw)) + raw + ct

    without_signature = {"body": header["body"]}
    bad_type = resign(header, key, ciphertext_size=str(header["body"]["ciphertext_size"]))
    bool_version = resign(header, key, version=True)
    other_cipher = resign(header, key, cipher="AES-GCM")
    no_bidder_wrap = resign(header, key, wrapped_keys={})
    missing_field = {"body": {k: v for k, v in header["body"].items() if k != "nonce"}, "signature": "00"}
    cases = {
        "empty": b"",
        "magic only": MAGIC,
        "short length": MAGIC + b"\x00\x00",
        "header cut": data[: 12 + len(header_raw) // 2],
        "huge header": MAGIC + struct.pack(">I", envelope.MAX_HEADER + 1) + b"{" * 20,
        "zero header": MAGIC + struct.pack(">I", 0) + ciphertext,
        "not json": framed(b"not json at all"),
        "not utf-8": framed(b'{"body":"\xff\xfe"}'),
        "json list": framed(b"[1,2,3]"),
        "no signature": framed(canonical_json(without_signature)),
        "wrong type": framed(canonical_json(bad_type)),
        "bool version": framed(canonical_json(bool_version)),
        "other cipher": framed(canonical_json(other_cipher)),
        "no bidder wrap": framed(canonical_json(no_bidder_wrap)),
        "missing field": framed(canonical_json(missing_field)),
    }
    for name, bad in cases.items():
        with pytest.raises(EnvelopeError) as e:
            read(bad, max_bytes=len(bad) + 100)
        assert e.value.code == "envelope_malformed", name
        assert CHINESE.search(str(e.value)), name


# --- the price sheet ------------------------------------------------------------------------


@pytest.mark.parametrize("field", list(envelope.PRICE_SHEET))
def test_validate_bid_refuses_a_missing_field(field: str) -> None:
    for bid in ({k: v for k, v in BID.items() if k != field}, {**BID, field: ""}, {**BID, field: None}):
        with pytest.raises(EnvelopeError) as e:
            envelope.validate_bid(bid)
        assert e.value.code == "bid_incomplete"
        assert envelope.PRICE_SHEET[field] in str(e.value)  # names the field in Chinese


@pytest.mark.parametrize("price", ["-1", "-0.01", "0", "0.00", 0, -100, "-19800000.00"])
def test_validate_bid_refuses_a_non_positive_price(price: Any) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, "price": price})
    assert e.value.code == "bid_price_invalid"
    assert CHINESE.search(str(e.value))


@pytest.mark.parametrize("price", ["100.005", "1234.567", "0.001", 0.125, "1e-3"])
def test_validate_bid_refuses_more_than_two_decimals(price: Any) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, "price": price})
    assert e.value.code == "bid_price_invalid"
    assert "两位小数" in str(e.value)


@pytest.mark.parametrize("price", ["abc", "一百万", "1,000.00", "NaN", "Infinity", "-Infinity", "¥100", [1], True])
def test_validate_bid_refuses_a_price_that_is_not_an_amount(price: Any) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, "price": price})
    assert e.value.code == "bid_price_invalid"
    assert CHINESE.search(str(e.value))


@pytest.mark.parametrize("days", ["12.5", "abc", "十天", "540天", [540], 0, -1, "0", "-30"])
def test_validate_bid_refuses_a_bad_duration(days: Any) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, "duration_days": days})
    assert e.value.code == "bid_duration_invalid"
    assert "工期" in str(e.value)


@pytest.mark.parametrize("days", [12.5, 540.9, True])
def test_validate_bid_refuses_a_fractional_or_boolean_duration(days: Any) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, "duration_days": days})
    assert e.value.code == "bid_duration_invalid"


@pytest.mark.parametrize("price", ["1e30", "12345678901234567890123456789"])
def test_validate_bid_refuses_an_absurd_price_with_envelope_error(price: str) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, "price": price})
    assert e.value.code == "bid_price_invalid"


def test_validate_bid_normalises() -> None:
    assert envelope.validate_bid(BID) == NORMALISED
    sheet = envelope.validate_bid({**BID, "price": 100, "duration_days": 30, "quality": "优" * 300})
    assert sheet["price"] == "100.00" and sheet["duration_days"] == 30 and sheet["quality"] == "优" * 100
    assert envelope.validate_bid({**BID, "price": "0.01"})["price"] == "0.01"
    assert envelope.validate_bid({**BID, "price": "100.10"})["price"] == "100.10"


def test_seal_refuses_an_incomplete_bid(tmp_path: Path, key: bidder_tool.KeyPair) -> None:
    with pytest.raises(EnvelopeError) as e:
        seal(tmp_path, key, bid={**BID, "price": "-5"})
    assert e.value.code == "bid_price_invalid"
    assert not (tmp_path / "bid.ggzy").exists()


def test_price_sheet_refuses_a_plaintext_without_bid_json() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("other.txt", "x")
    for plaintext in (buf.getvalue(), b"not a zip"):
        with pytest.raises(EnvelopeError) as e:
            envelope.price_sheet(plaintext)
        assert e.value.code == "bid_incomplete"


# --- the optional facts owed upstream (数据规范 507/557) -----------------------------------------


def test_validate_bid_keeps_the_optional_facts_normalised() -> None:
    from ggzy.identity.rules import make_id_number

    pm = make_id_number("22020219750301001")
    sheet = envelope.validate_bid(
        {**BID, "project_manager_id": pm.lower(), "project_manager_certificates": "一级注册建造师",
         "deposit_form": "insurance_guarantee", "deposit_paid_at": "2026-12-01T09:00:00+08:00"}
    )  # fmt: skip
    assert sheet["project_manager_id"] == pm and sheet["deposit_form"] == "insurance_guarantee"
    assert sheet["deposit_paid_at"] == "2026-12-01T09:00:00+08:00"
    assert "project_manager_id" not in envelope.validate_bid(BID), "absent facts stay absent"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"project_manager_id": "220202197503010010"}, "bid_pm_id_invalid"),
        ({"project_manager_id": "12345"}, "bid_pm_id_invalid"),
        ({"deposit_form": "wechat"}, "bid_deposit_form_invalid"),
        ({"deposit_paid_at": "2026-12-01 09:00"}, "bid_deposit_time_invalid"),
        ({"deposit_paid_at": "昨天"}, "bid_deposit_time_invalid"),
    ],
)
def test_validate_bid_refuses_bad_optional_facts(extra: dict[str, Any], code: str) -> None:
    with pytest.raises(EnvelopeError) as e:
        envelope.validate_bid({**BID, **extra})
    assert e.value.code == code and CHINESE.search(str(e.value))
