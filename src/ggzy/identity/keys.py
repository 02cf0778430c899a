"""Organisations' SM2 keys: registration by proof of possession, revocation, certificate login.

A key is registered only after its holder signs a fresh one-time challenge with it, so nobody can
register a public key whose private half they do not hold (and later claim another's bid). The
same signed challenge signs the holder in (证书登录) without a password.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit, sm2
from ggzy.common.audit import Actor
from ggzy.common.crypto import new_secret
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from ggzy.identity import security
from ggzy.identity.models import ApiToken, User
from ggzy.identity.models_keys import KeyChallenge, OrgKey
from ggzy.identity.permissions import Principal
from ggzy.identity.services import actor_of

CHALLENGE_MINUTES = 5
PURPOSES = ("register", "login")


def challenge_text(purpose: str, nonce: str) -> bytes:
    """What the holder signs: the purpose is part of it, so a login signature cannot register a key."""
    return f"ggzy-key-challenge:{purpose}:{nonce}".encode()


def challenge_issue(*, session: Session, now: datetime, purpose: str, user_id: int | None) -> KeyChallenge:
    if purpose not in PURPOSES:
        raise InvalidInput("用途应为 register 或 login", code="challenge_purpose")
    ch = KeyChallenge(
        nonce=new_secret(24),
        purpose=purpose,
        user_id=user_id,
        issued_at=now,
        expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
    )
    session.add(ch)
    session.flush()
    return ch


def _consume(session: Session, *, now: datetime, nonce: str, purpose: str, user_id: int | None) -> None:
    ch = session.scalar(select(KeyChallenge).where(KeyChallenge.nonce == nonce).with_for_update())
    if ch is None or ch.purpose != purpose or (user_id is not None and ch.user_id != user_id):
        raise InvalidInput("挑战码无效，请重新获取", code="challenge_invalid")
    if ch.used_at is not None:
        raise Conflict("挑战码已使用过，请重新获取", code="challenge_used")
    if ch.expires_at <= now:
        raise Conflict("挑战码已过期，请重新获取", code="challenge_expired")
    ch.used_at = now


def key_register(
    *, session: Session, now: datetime, principal: Principal, public_key: str, nonce: str, signature: str, label: str
) -> OrgKey:
    if principal.org_id is None or principal.user_id is None:
        raise PermissionDenied("只有单位的用户可以登记密钥", code="forbidden")
    try:
        public_hex = sm2.normalise_public(public_key)
    except sm2.SM2Error as e:
        raise InvalidInput(str(e), code="key_invalid") from e
    _consume(session, now=now, nonce=nonce, purpose="register", user_id=principal.user_id)
    if not sm2.verify(public_hex, challenge_text("register", nonce), signature):
        raise InvalidInput("签名验证失败：请用与该公钥对应的私钥签署挑战码", code="signature_invalid")
    if session.scalar(select(OrgKey.id).where(OrgKey.public_hex == public_hex)) is not None:
        raise Conflict("该公钥已登记过（吊销的密钥不能再次登记）", code="key_exists")
    key = OrgKey(
        org_id=principal.org_id,
        user_id=principal.user_id,
        public_hex=public_hex,
        fingerprint=sm2.fingerprint(public_hex),
        label=label.strip()[:100],
        registered_at=now,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="key.register",
        object_type="org_key",
        object_id=key.id,
        after={"org": key.org_id, "fingerprint": key.fingerprint},
    )
    return key


def key_revoke(*, session: Session, now: datetime, principal: Principal, key_id: int, reason: str) -> OrgKey:
    key = session.get(OrgKey, key_id, with_for_update=True)
    if key is None or key.org_id != principal.org_id:
        raise NotFound("密钥不存在", code="key_not_found")
    if key.revoked_at is not None:
        raise Conflict("密钥已吊销", code="key_revoked")
    if not reason.strip():
        raise InvalidInput("请填写吊销原因", code="reason_required")
    key.revoked_at, key.revoke_reason = now, reason.strip()[:200]
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="key.revoke",
        object_type="org_key",
        object_id=key.id,
        detail={"reason": key.revoke_reason},
    )
    return key


def active_key(session: Session, *, org_id: int, fingerprint: str) -> OrgKey | None:
    return session.scalar(
        select(OrgKey).where(OrgKey.org_id == org_id, OrgKey.fingerprint == fingerprint, OrgKey.revoked_at.is_(None))
    )


def org_keys(session: Session, org_id: int) -> list[OrgKey]:
    return list(session.scalars(select(OrgKey).where(OrgKey.org_id == org_id).order_by(OrgKey.id.desc())))


def cert_login(
    *, session: Session, now: datetime, fingerprint: str, nonce: str, signature: str, client_addr: str, hours: int
) -> tuple[User, str]:
    """Sign in with a key instead of a password; returns the holder and a short-lived API token."""
    failed = Unauthenticated("证书登录失败：密钥未登记、已吊销或签名不符", code="cert_login_failed")
    _consume(session, now=now, nonce=nonce, purpose="login", user_id=None)
    key = session.scalar(select(OrgKey).where(OrgKey.fingerprint == fingerprint, OrgKey.revoked_at.is_(None)))
    if key is None or not sm2.verify(key.public_hex, challenge_text("login", nonce), signature):
        raise failed
    user = session.get(User, key.user_id)
    if user is None or not user.is_active or user.organization_id != key.org_id:
        raise failed
    raw, prefix, digest = security.new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=f"证书登录 {fingerprint}",
        prefix=prefix,
        token_hash=digest,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(token)
    session.flush()
    who = Actor(user.id, user.display_name, user.role, user.organization_id, client_addr)
    audit.record(
        session,
        now=now,
        actor=who,
        action="auth.cert_login",
        object_type="user",
        object_id=user.id,
        detail={"key": fingerprint},
    )
    return user, raw
