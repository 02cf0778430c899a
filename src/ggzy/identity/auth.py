"""Login and password change.

These use cases manage their own transactions instead of taking a session: the argon2 check
(~100 ms, 64 MiB) runs on a read session, and only the outcome is written, in a short write
transaction that re-reads the row under its lock. On SQLite a write transaction holds the
database's one write lock, so hashing inside it would let anonymous login attempts stall every
write on the platform. An unknown username never opens a write transaction at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ggzy.common import audit
from ggzy.common.audit import Actor
from ggzy.common.crypto import new_secret, sm3_hex
from ggzy.common.errors import DomainError, InvalidInput, TooManyAttempts, Unauthenticated
from ggzy.db import Database
from ggzy.identity import security
from ggzy.identity.models import User, WebSession
from ggzy.identity.permissions import Principal
from ggzy.identity.services import end_credentials


@dataclass(frozen=True)
class LockPolicy:
    max_failures: int
    lock_minutes: int


@dataclass
class LoginOutcome:
    user_id: int | None = None
    session_token: str = ""
    csrf_token: str = ""
    error: DomainError | None = None


def _locked_error(until: datetime, now: datetime) -> TooManyAttempts:
    minutes = max(1, int((until - now).total_seconds() // 60) + 1)
    return TooManyAttempts(
        f"连续失败次数过多，账号已锁定，请于 {minutes} 分钟后再试或联系管理员", code="account_locked"
    )


def _record_failure(
    db: Database, *, now: datetime, user_id: int, client_addr: str, policy: LockPolicy, action: str
) -> DomainError | None:
    """Count one failed password check under the row lock; lock the account at the limit."""
    with db.transaction() as s:
        user = s.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None:
            return None
        user.failed_logins += 1
        detail: dict[str, object] = {"failures": user.failed_logins}
        locked = user.failed_logins >= policy.max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
            detail["locked_until"] = user.locked_until.isoformat()
        who = Actor(user.id, user.display_name, user.role, user.organization_id, client_addr)
        audit.record(s, now=now, actor=who, action=action, object_type="user", object_id=user.id, detail=detail)
    if locked:
        return TooManyAttempts(
            f"连续 {policy.max_failures} 次密码错误，账号锁定 {policy.lock_minutes} 分钟", code="account_locked"
        )
    return None


def login(
    *,
    db: Database,
    now: datetime,
    username: str,
    password: str,
    client_addr: str,
    policy: LockPolicy,
    session_hours: int,
) -> LoginOutcome:
    failed = Unauthenticated("用户名或密码错误", code="bad_credentials")
    with db.session(write=False) as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is not None:
            s.expunge(user)
    # The same argon2 cost whether or not the user exists, and whether or not it is locked.
    good = security.verify_password(user.password_hash if user else None, password)
    if user is None:
        return LoginOutcome(error=failed)
    if user.locked_until is not None and user.locked_until > now:
        return LoginOutcome(error=_locked_error(user.locked_until, now))
    if not good or not user.is_active:
        locked = _record_failure(
            db, now=now, user_id=user.id, client_addr=client_addr, policy=policy, action="auth.login_failed"
        )
        return LoginOutcome(error=locked or failed)
    # Rehash outside the lock too, bypassing the strength policy (it is the user's current password).
    new_hash = security.rehash(password) if security.needs_rehash(user.password_hash) else None
    raw, csrf = new_secret(32), new_secret(24)
    with db.transaction() as s:
        row = s.scalar(select(User).where(User.id == user.id).with_for_update())
        if row is None or (row.locked_until is not None and row.locked_until > now):
            return LoginOutcome(error=_locked_error(row.locked_until, now) if row and row.locked_until else failed)
        if row.password_hash != user.password_hash:  # changed meanwhile: the checked password is stale
            return LoginOutcome(error=failed)
        if new_hash is not None:
            row.password_hash = new_hash
        row.failed_logins, row.locked_until, row.last_login_at = 0, None, now
        s.add(
            WebSession(
                token_hash=sm3_hex(raw),
                user_id=row.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(hours=session_hours),
                client_addr=client_addr,
            )
        )
        who = Actor(row.id, row.display_name, row.role, row.organization_id, client_addr)
        audit.record(s, now=now, actor=who, action="auth.login", object_type="user", object_id=row.id)
    return LoginOutcome(user_id=user.id, session_token=raw, csrf_token=csrf)


def password_change(
    *, db: Database, now: datetime, principal: Principal, old: str, new: str, policy: LockPolicy
) -> None:
    new_hash = security.hash_password(new)  # checks strength, before any lock
    with db.session(write=False) as s:
        user = s.get(User, principal.user_id)
        current = user.password_hash if user else None
    if user is None or not security.verify_password(current, old):
        if user is not None:
            locked = _record_failure(
                db,
                now=now,
                user_id=user.id,
                client_addr=principal.client_addr,
                policy=policy,
                action="user.password_change_failed",
            )
            if locked:
                raise locked
        raise InvalidInput("原密码不正确", code="wrong_password")
    with db.transaction() as s:
        row = s.scalar(select(User).where(User.id == principal.user_id).with_for_update())
        if row is None or row.password_hash != current:
            raise InvalidInput("密码已被修改，请重新登录", code="password_changed")
        row.password_hash, row.password_changed_at = new_hash, now
        end_credentials(s, now=now, user_id=row.id)
        audit.record(
            s,
            now=now,
            actor=Actor(row.id, row.display_name, row.role, row.organization_id, principal.client_addr),
            action="user.password_change",
            object_type="user",
            object_id=row.id,
        )
