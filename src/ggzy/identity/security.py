"""Password hashing (argon2id) and secret handling. No secret is ever logged or put in a URL."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ggzy.common.crypto import new_secret, sm3_hex
from ggzy.common.errors import InvalidInput

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# A hash of a random password, verified against when the user does not exist, so a login for an
# unknown name costs the same time as one for a known name.
_DUMMY_HASH = _hasher.hash(new_secret())

TOKEN_PREFIX = "ggzy_"  # noqa: S105  (a public marker, not a secret)


def hash_password(password: str) -> str:
    check_password_strength(password)
    return _hasher.hash(password)


def rehash(password: str) -> str:
    """A fresh hash of a password already accepted (no strength check: it is the current one)."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def check_password_strength(password: str) -> None:
    if len(password) < 10:
        raise InvalidInput("密码至少 10 位", code="weak_password")
    if len(password) > 128:
        raise InvalidInput("密码不能超过 128 位", code="weak_password")
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        raise InvalidInput("密码须包含大写字母、小写字母、数字、符号中的至少三类", code="weak_password")


def new_api_token() -> tuple[str, str, str]:
    """Return (the token shown once, its lookup prefix, its stored digest)."""
    raw = TOKEN_PREFIX + new_secret(32)
    return raw, raw[: len(TOKEN_PREFIX) + 6], sm3_hex(raw)


def token_digest(raw: str) -> str:
    return sm3_hex(raw)
