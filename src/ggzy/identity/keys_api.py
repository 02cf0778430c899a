"""SM2 keys of organisations and certificate login (证书登录)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ggzy.http.deps import ClockDep, DbDep, IdPath, client_addr, permit
from ggzy.identity import keys
from ggzy.identity.models_keys import OrgKey
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.schemas import Strict

router = APIRouter(tags=["密钥与证书登录"])


class ChallengeIn(Strict):
    purpose: Literal["register", "login"] = "register"


class ChallengeOut(BaseModel):
    nonce: str
    text: str = Field(description="须用私钥签署的原文（UTF-8），SM2 签名，签名者标识 1234567812345678")
    expires_at: datetime


class KeyIn(Strict):
    public_key: str = Field(min_length=64, max_length=1000, description="SM2 公钥：十六进制（64/65 字节）或 PEM")
    nonce: str = Field(min_length=8, max_length=64)
    signature: str = Field(
        min_length=16, max_length=200, pattern=r"^[0-9a-fA-F]+$", description="对挑战原文的 SM2 签名（DER，十六进制）"
    )
    label: str = Field(default="", max_length=100)


class KeyOut(BaseModel):
    id: int
    fingerprint: str
    public_key: str
    label: str
    registered_at: datetime
    revoked_at: datetime | None
    revoke_reason: str


class RevokeIn(Strict):
    reason: str = Field(min_length=1, max_length=200)


class CertLoginIn(Strict):
    fingerprint: str = Field(min_length=16, max_length=16, pattern=r"^[0-9a-f]{16}$")
    nonce: str = Field(min_length=8, max_length=64)
    signature: str = Field(min_length=16, max_length=200, pattern=r"^[0-9a-fA-F]+$")


class CertLoginOut(BaseModel):
    token: str = Field(description="API 令牌（Authorization: Bearer），有效期同会话")
    username: str
    expires_at: datetime


def key_out(k: OrgKey) -> KeyOut:
    return KeyOut(
        id=k.id,
        fingerprint=k.fingerprint,
        public_key=k.public_hex,
        label=k.label,
        registered_at=k.registered_at,
        revoked_at=k.revoked_at,
        revoke_reason=k.revoke_reason,
    )


def _challenge(db: DbDep, now: datetime, purpose: str, user_id: int | None) -> ChallengeOut:
    with db.transaction() as s:
        ch = keys.challenge_issue(session=s, now=now, purpose=purpose, user_id=user_id)
        return ChallengeOut(
            nonce=ch.nonce, text=keys.challenge_text(purpose, ch.nonce).decode(), expires_at=ch.expires_at
        )


@router.post("/keys/challenge", response_model=ChallengeOut, summary="获取登记密钥用的挑战码")
def key_challenge(db: DbDep, clock: ClockDep, p: Principal = permit(Action.KEY_MANAGE)) -> ChallengeOut:
    return _challenge(db, clock.now(), "register", p.user_id)


@router.get("/keys", response_model=list[KeyOut], summary="本单位的 SM2 密钥（含已吊销）")
def key_list(db: DbDep, p: Principal = permit(Action.KEY_MANAGE)) -> list[KeyOut]:
    with db.session(write=False) as s:
        return [key_out(k) for k in keys.org_keys(s, p.org_id)] if p.org_id else []


@router.post("/keys", response_model=KeyOut, status_code=201, summary="登记 SM2 公钥（须签署挑战码证明持有私钥）")
def key_register(data: KeyIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.KEY_MANAGE)) -> KeyOut:
    with db.transaction() as s:
        return key_out(
            keys.key_register(
                session=s,
                now=clock.now(),
                principal=p,
                public_key=data.public_key,
                nonce=data.nonce,
                signature=data.signature,
                label=data.label,
            )
        )


@router.post("/keys/{key_id}/revoke", response_model=KeyOut, summary="吊销密钥（历史保留）")
def key_revoke(
    key_id: IdPath, data: RevokeIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.KEY_MANAGE)
) -> KeyOut:
    with db.transaction() as s:
        return key_out(keys.key_revoke(session=s, now=clock.now(), principal=p, key_id=key_id, reason=data.reason))


@router.post("/auth/cert-challenge", response_model=ChallengeOut, summary="获取证书登录挑战码")
def cert_challenge(db: DbDep, clock: ClockDep, _: Principal = permit(Action.LOGIN)) -> ChallengeOut:
    return _challenge(db, clock.now(), "login", None)


@router.post("/auth/cert-login", response_model=CertLoginOut, summary="证书登录：以登记的 SM2 密钥签署挑战码")
def cert_login(
    data: CertLoginIn, request: Request, db: DbDep, clock: ClockDep, _: Principal = permit(Action.LOGIN)
) -> CertLoginOut:
    now = clock.now()
    with db.transaction() as s:
        user, raw = keys.cert_login(
            session=s,
            now=now,
            fingerprint=data.fingerprint,
            nonce=data.nonce,
            signature=data.signature,
            client_addr=client_addr(request),
            hours=request.app.state.settings.session_hours,
        )
        from datetime import timedelta

        return CertLoginOut(
            token=raw,
            username=user.username,
            expires_at=now + timedelta(hours=request.app.state.settings.session_hours),
        )
