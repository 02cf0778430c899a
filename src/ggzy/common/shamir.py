"""Shamir's secret sharing (k of n) over a prime field, for the backup opening key.

A secret of up to 32 bytes (an SM2 private key) becomes ``n`` shares, any ``k`` of which give it
back and fewer reveal nothing about it. The field is GF(p) for the Mersenne prime 2^521 - 1, far
larger than any 256-bit secret. Coefficients come from ``secrets``. A share is the pair
(x, y) written ``"x:y_hex"``; a wrong or altered share yields a different secret, which the
caller detects by checking the recovered private key against the published public key.
"""

from __future__ import annotations

import secrets

PRIME = 2**521 - 1


class ShareError(ValueError):
    pass


def split(secret: bytes, *, k: int, n: int) -> list[str]:
    if not 1 <= k <= n <= 255:
        raise ShareError("门限须满足 1 ≤ k ≤ n ≤ 255")
    if not 1 <= len(secret) <= 64:
        raise ShareError("秘密长度应为 1 至 64 字节")
    s = int.from_bytes(secret, "big")
    coeffs = [s] + [secrets.randbelow(PRIME) for _ in range(k - 1)]
    shares = []
    for x in range(1, n + 1):
        y = 0
        for c in reversed(coeffs):  # Horner
            y = (y * x + c) % PRIME
        shares.append(f"{x}:{y:x}")
    return shares


def parse(share: str) -> tuple[int, int]:
    try:
        xs, ys = share.strip().split(":")
        x, y = int(xs), int(ys, 16)
    except ValueError as e:
        raise ShareError("份额格式应为“序号:十六进制数”") from e
    if not 1 <= x <= 255 or not 0 <= y < PRIME:
        raise ShareError("份额超出范围")
    return x, y


def combine(shares: list[str], *, length: int = 32) -> bytes:
    points = [parse(s) for s in shares]
    if not points:
        raise ShareError("没有份额")
    if len({x for x, _ in points}) != len(points):
        raise ShareError("份额序号重复")
    secret = 0
    for i, (xi, yi) in enumerate(points):
        num, den = 1, 1
        for j, (xj, _) in enumerate(points):
            if i != j:
                num = num * (-xj) % PRIME
                den = den * (xi - xj) % PRIME
        secret = (secret + yi * num * pow(den, -1, PRIME)) % PRIME
    if secret >= 1 << (8 * length):
        raise ShareError("份额组合结果无效")
    return secret.to_bytes(length, "big")
