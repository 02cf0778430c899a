"""Identity use cases. Each takes ``now`` and a session, writes the audit event, never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.audit import Actor
from ggzy.common.clock import local_date
from ggzy.common.crypto import sm3_hex
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ggzy.identity import security
from ggzy.identity.enums import USER_ROLE_NEEDS_ORG_ROLE, OrgRole, Role
from ggzy.identity.models import ApiToken, Branch, Organization, OrganizationRole, User, WebSession
from ggzy.identity.permissions import Principal
from ggzy.identity.rules import validate_id_number, validate_uscc
from ggzy.identity.schemas import OrgContactIn, OrgCreateIn, SignupIn, UserCreateIn

SELF_SIGNUP_ROLES = {OrgRole.TENDERER: Role.TENDERER, OrgRole.AGENCY: Role.AGENCY, OrgRole.BIDDER: Role.BIDDER}


def actor_of(principal: Principal) -> Actor:
    return Actor(
        user_id=principal.user_id,
        name=principal.display_name or principal.username,
        role=principal.role.value,
        org_id=principal.org_id,
        client_addr=principal.client_addr,
    )


def _org_state(org: Organization) -> dict[str, object]:
    return {
        "name": org.name,
        "credit_code": org.credit_code,
        "region_code": org.region_code,
        "roles": sorted(org.role_set),
        "jurisdictions": sorted(org.jurisdictions),
    }


def _contact(org: Organization) -> dict[str, object]:
    return {
        "contact_name": org.contact_name,
        "contact_phone": org.contact_phone,
        "email": org.email,
        "address": org.address,
    }


def org_contact_update(
    *, session: Session, now: datetime, principal: Principal, org_id: int, data: OrgContactIn
) -> Organization:
    org = session.get(Organization, org_id, with_for_update=True)
    if org is None:
        raise NotFound(f"单位 {org_id} 不存在", code="org_not_found")
    if principal.role not in (Role.OPERATOR, Role.ADMIN) and principal.org_id != org.id:
        raise PermissionDenied("只能修改本单位的联系方式", code="not_own_org")
    before = _contact(org)
    org.contact_name, org.contact_phone = data.contact_name, data.contact_phone
    org.email, org.address = data.email, data.address
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="org.contact",
        object_type="organization",
        object_id=org.id,
        before=before,
        after=_contact(org),
    )
    return org


def _branch_for_region(session: Session, region_code: str) -> Branch | None:
    for branch in session.scalars(select(Branch)):
        if region_code in branch.regions:
            return branch
    return None


def org_create(*, session: Session, now: datetime, actor: Actor, data: OrgCreateIn) -> Organization:
    code = validate_uscc(data.credit_code)
    if session.scalar(select(Organization.id).where(Organization.credit_code == code)):
        raise Conflict(f"统一社会信用代码 {code} 已登记", code="org_exists")
    if data.jurisdictions and OrgRole.REGULATOR not in data.roles:
        raise InvalidInput("只有行政监督部门可以设置监管行业", code="jurisdiction_not_regulator")
    if OrgRole.REGULATOR in data.roles and not data.jurisdictions:
        raise InvalidInput("行政监督部门须至少设置一个监管行业", code="jurisdiction_missing")
    branch = _branch_for_region(session, data.region_code)
    org = Organization(
        name=data.name,
        credit_code=code,
        region_code=data.region_code,
        branch_id=branch.id if branch else None,
        legal_representative=data.legal_representative,
        contact_name=data.contact_name,
        contact_phone=data.contact_phone,
        email=data.email,
        address=data.address,
        jurisdictions=sorted({j.value for j in data.jurisdictions}),
        created_at=now,
        roles=[OrganizationRole(role=r.value) for r in dict.fromkeys(data.roles)],
    )
    session.add(org)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same code won the race
        raise Conflict(f"统一社会信用代码 {code} 已登记", code="org_exists") from exc
    audit.record(
        session,
        now=now,
        actor=actor,
        action="org.create",
        object_type="organization",
        object_id=org.id,
        after=_org_state(org),
    )
    return org


def user_create(
    *, session: Session, now: datetime, actor: Actor, data: UserCreateIn, password_hash: str | None = None
) -> User:
    """``password_hash`` lets a caller that already holds the write lock hash before taking it."""
    password_hash = password_hash or security.hash_password(data.password)
    username, role, organization_id, branch_code = data.username, data.role, data.organization_id, data.branch_code
    if role is Role.PUBLIC:
        raise InvalidInput("社会公众无需账号", code="invalid_role")
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"用户名 {username} 已被使用", code="username_taken")
    org = session.get(Organization, organization_id) if organization_id is not None else None
    if organization_id is not None and org is None:
        raise NotFound(f"单位 {organization_id} 不存在", code="org_not_found")
    needed = USER_ROLE_NEEDS_ORG_ROLE[role]
    if needed is not None and (org is None or needed not in org.role_set):
        raise InvalidInput(f"{role.label}账号须属于具有“{needed.label}”身份的单位", code="org_role_mismatch")
    branch = None
    if branch_code is not None:
        branch = session.scalar(select(Branch).where(Branch.code == branch_code))
        if branch is None:
            raise NotFound(f"分中心 {branch_code} 不存在", code="branch_not_found")
    elif org is not None:
        branch = org.branch
    if role in (Role.OPERATOR, Role.ADMIN) and branch is None:
        raise InvalidInput("交易中心工作人员须指定所属分中心", code="branch_missing")
    user = User(
        username=username,
        display_name=data.display_name,
        role=role.value,
        organization_id=org.id if org else None,
        branch_id=branch.id if branch else None,
        id_number=validate_id_number(data.id_number, today=local_date(now)) if data.id_number else None,
        phone=data.phone,
        password_hash=password_hash,
        password_changed_at=now,
        created_at=now,
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"用户名 {username} 已被使用", code="username_taken") from exc
    audit.record(
        session,
        now=now,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        after={"username": username, "role": role.value, "organization_id": user.organization_id},
    )
    return user


def org_signup(*, session: Session, now: datetime, actor: Actor, data: SignupIn) -> tuple[Organization, User]:
    if data.org_role not in SELF_SIGNUP_ROLES:
        raise InvalidInput("自助注册仅限招标人/采购人、代理机构、投标人/供应商/竞买人", code="signup_role")
    password_hash = security.hash_password(data.password)  # before org_create takes the write lock
    org = org_create(
        session=session,
        now=now,
        actor=actor,
        data=OrgCreateIn(
            name=data.org_name,
            credit_code=data.credit_code,
            roles=[data.org_role],
            region_code=data.region_code,
            legal_representative=data.legal_representative,
            contact_name=data.display_name,
            contact_phone=data.contact_phone,
            email=data.email,
        ),
    )
    user = user_create(
        session=session,
        now=now,
        actor=actor,
        data=UserCreateIn(
            username=data.username,
            display_name=data.display_name,
            role=SELF_SIGNUP_ROLES[data.org_role],
            password=data.password,
            organization_id=org.id,
            id_number=data.id_number,
            phone=data.contact_phone,
        ),
        password_hash=password_hash,
    )
    return org, user


def user_password_reset(*, session: Session, now: datetime, actor: Actor, username: str, new_password: str) -> User:
    new_hash = security.hash_password(new_password)  # before the first query, so before the write lock
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise NotFound(f"用户 {username} 不存在", code="user_not_found")
    user.password_hash = new_hash
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    end_credentials(session, now=now, user_id=user.id)
    audit.record(session, now=now, actor=actor, action="user.password_reset", object_type="user", object_id=user.id)
    return user


def user_set_active(*, session: Session, now: datetime, actor: Actor, username: str, active: bool) -> User:
    """Deactivating a user (someone left, a credential leaked) ends every session and token at once."""
    user = session.scalar(select(User).where(User.username == username).with_for_update())
    if user is None:
        raise NotFound(f"用户 {username} 不存在", code="user_not_found")
    if user.is_active == active:
        raise Conflict("账号已处于该状态", code="no_change")
    user.is_active = active
    if not active:
        end_credentials(session, now=now, user_id=user.id)
    audit.record(
        session,
        now=now,
        actor=actor,
        action="user.activate" if active else "user.deactivate",
        object_type="user",
        object_id=user.id,
    )
    return user


def end_credentials(session: Session, *, now: datetime, user_id: int) -> None:
    """After a password change or reset, or deactivation: every browser session ends and every API
    token is revoked, so a leaked credential stops working at once."""
    session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None)).values(ended_at=now)
    )
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def logout(*, session: Session, now: datetime, principal: Principal, raw_session: str) -> None:
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == sm3_hex(raw_session)))
    if ws is not None and ws.ended_at is None:
        ws.ended_at = now
        audit.record(
            session, now=now, actor=actor_of(principal), action="auth.logout", object_type="user", object_id=ws.user_id
        )


def token_create(
    *, session: Session, now: datetime, principal: Principal, name: str, days: int
) -> tuple[ApiToken, str]:
    raw, prefix, digest = security.new_api_token()
    token = ApiToken(
        user_id=principal.user_id,
        name=name,
        prefix=prefix,
        token_hash=digest,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="token.create",
        object_type="api_token",
        object_id=token.id,
        after={"name": name, "prefix": prefix},
    )
    return token, raw


def token_touch(*, session: Session, now: datetime, token_id: int) -> None:
    """Record a token's use (not audited: it changes no business or security state)."""
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))


def token_revoke(*, session: Session, now: datetime, principal: Principal, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id, with_for_update=True)
    if token is None or token.user_id != principal.user_id:
        raise NotFound("令牌不存在", code="token_not_found")
    if token.revoked_at is not None:
        raise Conflict("令牌已吊销", code="token_revoked")
    token.revoked_at = now
    audit.record(
        session, now=now, actor=actor_of(principal), action="token.revoke", object_type="api_token", object_id=token.id
    )
    return token
