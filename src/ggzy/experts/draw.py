"""A random draw anyone can check afterwards (../shared/reference/verifiable-draw.md). Pure: no
database, no clock; the services record each step as a dated audit event.

1. Before the draw the platform publishes a commitment to the ordered list of eligible candidates
   (after avoidance), each as SM3(id || "|" || salt) with a fresh salt per candidate, so the list
   is fixed without revealing who is on it, and SM3 of its own secret.
2. The seed mixes the secret with a value nobody knew at commitment time (the audit chain head at
   a later moment, say) and any contributions of other parties (the tenderer's, the regulator's),
   so the centre cannot try seeds until one gives the committee it wants:
   seed = SM3(secret || "|" || public value || "|" || contributions joined by "|").
3. The order is a Fisher–Yates shuffle driven by an HMAC-SM3 counter stream keyed by the seed,
   with rejection sampling (no modulo bias). The committee is the first names of the order that
   accepted; backups are the next names, in order.
4. After the result is public the secret and the salts are revealed; ``replay`` recomputes every
   commitment and the order, and says exactly what does not match.

Everything is hex and UTF-8 so a verifier in any language can follow docs/draw.md.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac

from ggzy.common.crypto import sm3_hex

_U64 = 1 << 64


def candidate_hash(candidate_id: str, salt: str) -> str:
    return sm3_hex(f"{candidate_id}|{salt}")


def list_commitment(candidate_hashes: Sequence[str]) -> str:
    """SM3 over the candidates' hashes in list order, one per line."""
    return sm3_hex("\n".join(candidate_hashes))


@dataclass(frozen=True)
class Commitment:
    """What is published before the draw."""

    candidate_hashes: tuple[str, ...]
    list_commitment: str
    secret_commitment: str


@dataclass(frozen=True)
class Secrets:
    """What the platform keeps until the result is public, then reveals."""

    secret: str  # hex
    salts: tuple[str, ...]  # hex, one per candidate, in list order


def commit(candidates: Sequence[str]) -> tuple[Commitment, Secrets]:
    if len(set(candidates)) != len(candidates):
        raise ValueError("候选名单中有重复")
    salts = tuple(secrets.token_hex(16) for _ in candidates)
    hashes_ = tuple(candidate_hash(c, s) for c, s in zip(candidates, salts, strict=True))
    secret = secrets.token_hex(32)
    return (
        Commitment(hashes_, list_commitment(hashes_), sm3_hex(bytes.fromhex(secret))),
        Secrets(secret, salts),
    )


def seed_of(secret_hex: str, public_value: str, contributions: Sequence[str] = ()) -> str:
    return sm3_hex(bytes.fromhex(secret_hex) + b"|" + public_value.encode() + b"|" + "|".join(contributions).encode())


def _stream(seed_hex: str) -> Iterator[int]:
    """Unsigned 64-bit integers from HMAC-SM3(seed, counter as 8 bytes big-endian)."""
    key, counter = bytes.fromhex(seed_hex), 0
    while True:
        h = hmac.HMAC(key, hashes.SM3())
        h.update(counter.to_bytes(8, "big"))
        block = h.finalize()
        for i in range(0, 32, 8):
            yield int.from_bytes(block[i : i + 8], "big")
        counter += 1


def _below(stream: Iterator[int], n: int) -> int:
    """Uniform in [0, n): values at or above the largest multiple of n are drawn again."""
    limit = _U64 - (_U64 % n)
    while True:
        x = next(stream)
        if x < limit:
            return x % n


def order(candidates: Sequence[str], seed_hex: str) -> list[str]:
    """The whole list in drawn order (Fisher–Yates from the last position down)."""
    out, stream = list(candidates), _stream(seed_hex)
    for i in range(len(out) - 1, 0, -1):
        j = _below(stream, i + 1)
        out[i], out[j] = out[j], out[i]
    return out


def committee(drawn: Sequence[str], *, size: int, declined: set[str]) -> list[str]:
    """The first ``size`` names of the order that did not decline."""
    return [c for c in drawn if c not in declined][:size]


class DrawMismatch(ValueError):
    """A published draw does not replay: ``what`` says which step."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def replay(
    *,
    candidates: Sequence[str],
    revealed: Secrets,
    commitment: Commitment,
    public_value: str,
    contributions: Sequence[str] = (),
) -> list[str]:
    """Check every published commitment against what was revealed; return the order."""
    if len(candidates) != len(commitment.candidate_hashes) or len(revealed.salts) != len(candidates):
        raise DrawMismatch("候选人数与承诺不符")
    for i, (c, s, h) in enumerate(zip(candidates, revealed.salts, commitment.candidate_hashes, strict=True), 1):
        if candidate_hash(c, s) != h:
            raise DrawMismatch(f"第 {i} 名候选人与承诺的摘要不符")
    if list_commitment(commitment.candidate_hashes) != commitment.list_commitment:
        raise DrawMismatch("候选名单承诺与各候选人摘要不符")
    if sm3_hex(bytes.fromhex(revealed.secret)) != commitment.secret_commitment:
        raise DrawMismatch("公布的秘密值与抽取前承诺的摘要不符")
    return order(candidates, seed_of(revealed.secret, public_value, contributions))
