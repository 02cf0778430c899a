from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common.crypto import sm3_hex
from ggzy.identity.enums import Jurisdiction, Role
from ggzy.identity.models import ApiToken, Branch, Organization, User, WebSession
from ggzy.identity.permissions import Principal
from ggzy.identity.security import TOKEN_PREFIX

CENTRE_ROLES = {Role.OPERATOR.value, Role.ADMIN.value}

# A token's last use is recorded at most this often, so reads do not take the write lock each time.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=10)


def principal_of(
    user: User,
    *,
    client_addr: str = "",
    csrf_token: str = "",
    via_token: bool = False,
    token_to_touch: int | None = None,
) -> Principal:
    org = user.organization
    return Principal(
        role=Role(user.role),
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        org_id=user.organization_id,
        org_name=org.name if org else "",
        branch_id=user.branch_id,
        # Only the centre's own staff act for a branch; other users' branch is just their home.
        is_city_staff=user.role in CENTRE_ROLES and bool(user.branch and user.branch.is_city),
        jurisdictions=frozenset(Jurisdiction(j) for j in (org.jurisdictions if org else [])),
        client_addr=client_addr,
        csrf_token=csrf_token,
        via_token=via_token,
        token_to_touch=token_to_touch,
    )


def principal_from_session(session: Session, *, now: datetime, raw: str, client_addr: str) -> Principal | None:
    if not raw or len(raw) > 100:
        return None
    row = session.execute(
        select(WebSession, User).join(User, User.id == WebSession.user_id).where(WebSession.token_hash == sm3_hex(raw))
    ).first()
    if row is None:
        return None
    ws, user = row
    if ws.ended_at is not None or ws.expires_at <= now or not user.is_active:
        return None
    return principal_of(user, client_addr=client_addr, csrf_token=ws.csrf_token)


def principal_from_token(session: Session, *, now: datetime, raw: str, client_addr: str) -> Principal | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    row = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == sm3_hex(raw))
    ).first()
    if row is None:
        return None
    token, user = row
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if not user.is_active:
        return None
    stale = token.last_used_at is None or now - token.last_used_at > TOKEN_TOUCH_INTERVAL
    return principal_of(user, client_addr=client_addr, via_token=True, token_to_touch=token.id if stale else None)


def branches(session: Session) -> Sequence[Branch]:
    return session.scalars(select(Branch).order_by(Branch.sort, Branch.id)).all()


def branch_by_id(session: Session, branch_id: int | None) -> Branch | None:
    return session.get(Branch, branch_id) if branch_id is not None else None


def organizations(
    session: Session, *, role: str | None = None, q: str = "", limit: int = 200
) -> Sequence[Organization]:
    stmt = select(Organization).order_by(Organization.id)
    if q:
        stmt = stmt.where(Organization.name.contains(q) | (Organization.credit_code == q.upper()))
    orgs = session.scalars(stmt.limit(limit * 4 if role else limit)).all()
    if role:
        orgs = [o for o in orgs if role in {r.role for r in o.roles}][:limit]
    return orgs


def organization(session: Session, org_id: int) -> Organization | None:
    return session.get(Organization, org_id)


def org_by_credit_code(session: Session, code: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.credit_code == code.strip().upper()))


def users(session: Session, *, limit: int = 500) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.id).limit(limit)).all()


def user_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    return session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())).all()
