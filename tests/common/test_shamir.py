"""Shamir k-of-n sharing of the backup opening key (ggzy.common.shamir)."""

from __future__ import annotations

import itertools
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ggzy.common import shamir, sm2
from ggzy.common.shamir import PRIME, ShareError


def _does_not_recover(shares: list[str], secret: bytes) -> bool:
    """True when ``shares`` do NOT give back ``secret``: a different value or a ShareError."""
    try:
        return shamir.combine(shares) != secret
    except ShareError:
        return True


@pytest.mark.parametrize(("k", "n"), [(1, 1), (1, 3), (2, 2), (2, 3), (3, 5), (4, 6), (5, 5), (6, 7), (7, 7)])
def test_every_k_subset_recovers_the_secret(k: int, n: int) -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, k=k, n=n)
    assert len(shares) == n
    assert [shamir.parse(s)[0] for s in shares] == list(range(1, n + 1))
    for size in range(k, n + 1):
        for subset in itertools.combinations(shares, size):
            assert shamir.combine(list(subset)) == secret
            assert shamir.combine(list(reversed(subset))) == secret


@pytest.mark.parametrize(("k", "n"), [(2, 2), (2, 3), (3, 5), (5, 7), (7, 7)])
def test_fewer_than_k_shares_do_not_give_the_secret(k: int, n: int) -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, k=k, n=n)
    for size in range(1, k):
        for subset in itertools.combinations(shares, size):
            assert _does_not_recover(list(subset), secret)


def test_a_single_share_of_a_2_of_n_split_is_not_the_secret() -> None:
    secret = os.urandom(32)
    for share in shamir.split(secret, k=2, n=5):
        _, y = shamir.parse(share)
        assert y != int.from_bytes(secret, "big")


def test_tampered_share_gives_a_different_value() -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, k=3, n=5)
    x, y = shamir.parse(shares[1])
    for tampered_y in (y ^ 1, (y + 1) % PRIME, (y - 1) % PRIME, 0):
        tampered = [shares[0], f"{x}:{tampered_y:x}", shares[2]]
        assert _does_not_recover(tampered, secret)
    # A share presented under another share's x is wrong too.
    _, y3 = shamir.parse(shares[3])
    assert _does_not_recover([shares[0], shares[1], f"3:{y3:x}"], secret)
    # ...and the untampered ones still work.
    assert shamir.combine(shares[:3]) == secret


def test_recovered_backup_key_is_checked_against_its_public_key() -> None:
    """How the platform uses it: split an SM2 private key, recover it, check it against the public key."""
    public_hex, private_hex = sm2.generate()
    shares = shamir.split(bytes.fromhex(private_hex), k=3, n=5)
    recovered = shamir.combine([shares[4], shares[0], shares[2]]).hex()
    assert recovered == private_hex
    wrapped = sm2.encrypt(public_hex, b"content key 16 b")
    assert sm2.decrypt(recovered, wrapped) == b"content key 16 b"
    x, y = shamir.parse(shares[4])
    try:
        wrong = shamir.combine([f"{x}:{y ^ 1:x}", shares[0], shares[2]]).hex()
    except ShareError:
        return
    assert wrong != private_hex
    with pytest.raises(sm2.SM2Error):
        sm2.decrypt(wrong, wrapped)


def test_secrets_with_leading_zero_bytes_and_extremes() -> None:
    for secret in (b"\x00" * 32, b"\x00" * 31 + b"\x01", b"\xff" * 32, b"\x00\x00" + os.urandom(30)):
        shares = shamir.split(secret, k=3, n=4)
        assert shamir.combine(shares[1:]) == secret
        assert len(shamir.combine(shares[:3])) == 32


def test_shorter_secret_with_length() -> None:
    secret = os.urandom(16)
    shares = shamir.split(secret, k=2, n=3)
    assert shamir.combine(shares[:2], length=16) == secret


def test_splits_are_randomised() -> None:
    secret = os.urandom(32)
    a, b = shamir.split(secret, k=3, n=5), shamir.split(secret, k=3, n=5)
    assert a != b
    assert _does_not_recover(a[:1] + b[1:3], secret)  # shares of two different splits do not mix


def test_share_format() -> None:
    shares = shamir.split(os.urandom(32), k=2, n=255)
    assert len(shares) == 255
    for i, share in enumerate(shares, start=1):
        xs, ys = share.split(":")
        assert xs == str(i)
        assert all(c in "0123456789abcdef" for c in ys)
        assert 0 <= int(ys, 16) < PRIME
    # Whitespace around a share (as pasted by a person) is tolerated.
    x, y = shamir.parse(f"  {shares[6]}\n")
    assert (x, f"{y:x}") == (7, shares[6].split(":")[1])
    assert shamir.parse("7:ABCDEF") == (7, 0xABCDEF)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=st.binary(min_size=32, max_size=32), n=st.integers(1, 7), data=st.data())
def test_property_any_k_of_n_recover(secret: bytes, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(1, n), label="k")
    shares = shamir.split(secret, k=k, n=n)
    chosen = data.draw(st.lists(st.sampled_from(shares), min_size=k, max_size=n, unique=True), label="chosen")
    assert shamir.combine(chosen) == secret
    if k >= 2:
        fewer = data.draw(st.lists(st.sampled_from(shares), min_size=1, max_size=k - 1, unique=True), label="fewer")
        assert _does_not_recover(fewer, secret)
        i = data.draw(st.integers(0, len(chosen) - 1), label="tampered index")
        x, y = shamir.parse(chosen[i])
        delta = data.draw(st.integers(1, PRIME - 1), label="delta")
        tampered = [*chosen[:i], f"{x}:{(y + delta) % PRIME:x}", *chosen[i + 1 :]]
        assert _does_not_recover(tampered, secret)


def test_duplicate_x_is_refused() -> None:
    shares = shamir.split(os.urandom(32), k=2, n=3)
    with pytest.raises(ShareError):
        shamir.combine([shares[0], shares[0]])
    x, y = shamir.parse(shares[0])
    with pytest.raises(ShareError):
        shamir.combine([shares[0], f"{x}:{(y + 1) % PRIME:x}", shares[1]])
    with pytest.raises(ShareError):
        shamir.combine([shares[1], f" {shares[1]} "])


@pytest.mark.parametrize(("k", "n"), [(0, 3), (-1, 3), (4, 3), (2, 0), (0, 0), (1, 256), (256, 256), (2, 1)])
def test_split_refuses_bad_thresholds(k: int, n: int) -> None:
    with pytest.raises(ShareError):
        shamir.split(os.urandom(32), k=k, n=n)


def test_split_accepts_the_extremes() -> None:
    secret = os.urandom(32)
    assert shamir.combine(shamir.split(secret, k=1, n=1)) == secret
    shares = shamir.split(secret, k=255, n=255)
    assert shamir.combine(random.sample(shares, 255)) == secret


@pytest.mark.parametrize(
    "share",
    [
        "",
        "1",
        "abc",
        "1:",
        ":ab",
        "1:zz",
        "1:2:3",
        "x:ab",
        "1.5:ab",
        "0:ab",
        "256:ab",
        "-1:ab",
        "1:-ab",
        f"1:{PRIME:x}",
        f"1:{PRIME + 5:x}",
        "份额:ab",
    ],
)
def test_parse_refuses_malformed_shares(share: str) -> None:
    with pytest.raises(ShareError):
        shamir.parse(share)
    with pytest.raises(ShareError):
        shamir.combine([share, "2:ab"])


def test_share_error_is_a_value_error_with_a_chinese_message() -> None:
    with pytest.raises(ValueError, match="份额"):
        shamir.parse("nonsense")
