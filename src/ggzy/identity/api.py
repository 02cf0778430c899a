from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ggzy.common.errors import NotFound
from ggzy.http.deps import (
    SESSION_COOKIE,
    ClockDep,
    DbDep,
    IdPath,
    SettingsDep,
    client_addr,
    lock_policy,
    permit,
    set_session_cookie,
)
from ggzy.identity import auth, selectors, services
from ggzy.identity.enums import OrgRole, Role
from ggzy.identity.models import ApiToken, Organization, User
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.schemas import (
    BranchOut,
    LoginIn,
    MeOut,
    OrgContactIn,
    OrgCreateIn,
    OrgOut,
    PasswordChangeIn,
    SignupIn,
    TokenCreatedOut,
    TokenCreateIn,
    TokenOut,
    UserCreateIn,
    UserOut,
)

router = APIRouter(tags=["身份与账号"])


class LoginOut(BaseModel):
    csrf_token: str
    me: MeOut


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_password: str = Field(min_length=1, max_length=128)


def me_out(p: Principal) -> MeOut:
    return MeOut(
        user_id=p.user_id,
        username=p.username,
        display_name=p.display_name,
        role=p.role,
        role_label=p.role.label,
        organization_id=p.org_id,
        organization_name=p.org_name,
        branch_id=p.branch_id,
        jurisdictions=sorted(p.jurisdictions),
    )


def org_out(o: Organization) -> OrgOut:
    return OrgOut(
        id=o.id,
        name=o.name,
        credit_code=o.credit_code,
        region_code=o.region_code,
        roles=sorted(o.role_set),
        jurisdictions=sorted(o.jurisdiction_set),
    )


def token_out(t: ApiToken) -> TokenOut:
    return TokenOut(
        id=t.id,
        name=t.name,
        prefix=t.prefix,
        created_at=t.created_at,
        expires_at=t.expires_at,
        last_used_at=t.last_used_at,
        revoked_at=t.revoked_at,
    )


def user_out(u: User) -> UserOut:
    return UserOut(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        role=Role(u.role),
        organization_id=u.organization_id,
        branch_id=u.branch_id,
        is_active=u.is_active,
        locked_until=u.locked_until,
    )


@router.post("/auth/login", response_model=LoginOut, summary="登录（浏览器会话）")
def login(
    data: LoginIn,
    request: Request,
    response: Response,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    _: Principal = permit(Action.LOGIN),
) -> LoginOut:
    outcome = auth.login(
        db=db,
        now=clock.now(),
        username=data.username,
        password=data.password,
        client_addr=client_addr(request),
        policy=lock_policy(settings),
        session_hours=settings.session_hours,
    )
    if outcome.error is not None:  # failures were already counted in their own transaction
        raise outcome.error
    set_session_cookie(response, outcome.session_token, settings)
    with db.session(write=False) as s:
        user = s.get(User, outcome.user_id)
        assert user is not None
        me = me_out(selectors.principal_of(user))
    return LoginOut(csrf_token=outcome.csrf_token, me=me)


@router.post("/auth/logout", status_code=204, summary="退出登录")
def logout(
    request: Request, response: Response, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SELF_VIEW)
) -> None:
    with db.transaction() as s:
        services.logout(session=s, now=clock.now(), principal=p, raw_session=request.cookies.get(SESSION_COOKIE, ""))
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/me", response_model=MeOut, summary="当前用户")
def me(p: Principal = permit(Action.SELF_VIEW)) -> MeOut:
    return me_out(p)


@router.post("/me/password", status_code=204, summary="修改密码")
def change_password(
    data: PasswordChangeIn,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    p: Principal = permit(Action.SELF_PASSWORD),
) -> None:
    auth.password_change(
        db=db, now=clock.now(), principal=p, old=data.old_password, new=data.new_password, policy=lock_policy(settings)
    )


@router.get("/me/tokens", response_model=list[TokenOut], summary="我的 API 令牌")
def my_tokens(db: DbDep, p: Principal = permit(Action.SELF_TOKENS)) -> list[TokenOut]:
    with db.session(write=False) as s:
        return [token_out(t) for t in selectors.user_tokens(s, p.user_id or 0)]


@router.post("/me/tokens", response_model=TokenCreatedOut, status_code=201, summary="创建 API 令牌（仅显示一次）")
def create_token(
    data: TokenCreateIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SELF_TOKENS)
) -> TokenCreatedOut:
    with db.transaction() as s:
        token, raw = services.token_create(session=s, now=clock.now(), principal=p, name=data.name, days=data.days)
        return TokenCreatedOut(**token_out(token).model_dump(), token=raw)


@router.post("/me/tokens/{token_id}/revoke", response_model=TokenOut, summary="吊销 API 令牌")
def revoke_token(token_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SELF_TOKENS)) -> TokenOut:
    with db.transaction() as s:
        return token_out(services.token_revoke(session=s, now=clock.now(), principal=p, token_id=token_id))


@router.post("/signup", response_model=OrgOut, status_code=201, summary="市场主体注册（单位及首个账号）")
def signup(data: SignupIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.ORG_SIGNUP)) -> OrgOut:
    with db.transaction() as s:
        org, _user = services.org_signup(session=s, now=clock.now(), actor=services.actor_of(p), data=data)
        return org_out(org)


@router.get("/organizations", response_model=list[OrgOut], summary="市场主体名录")
def organizations(
    db: DbDep,
    role: OrgRole | None = None,
    q: Annotated[str, Query(max_length=100)] = "",
    _: Principal = permit(Action.ORG_READ),
) -> list[OrgOut]:
    with db.session(write=False) as s:
        return [org_out(o) for o in selectors.organizations(s, role=role.value if role else None, q=q)]


@router.get("/organizations/{org_id}", response_model=OrgOut, summary="市场主体")
def organization(org_id: IdPath, db: DbDep, _: Principal = permit(Action.ORG_READ)) -> OrgOut:
    with db.session(write=False) as s:
        org = selectors.organization(s, org_id)
        if org is None:
            raise NotFound(f"单位 {org_id} 不存在", code="org_not_found")
        return org_out(org)


@router.post("/organizations", response_model=OrgOut, status_code=201, summary="登记单位")
def create_organization(
    data: OrgCreateIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.ORG_CREATE)
) -> OrgOut:
    with db.transaction() as s:
        return org_out(services.org_create(session=s, now=clock.now(), actor=services.actor_of(p), data=data))


@router.put("/organizations/{org_id}/contact", response_model=OrgOut, summary="更新单位联系方式")
def update_organization_contact(
    org_id: IdPath, data: OrgContactIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.ORG_CONTACT)
) -> OrgOut:
    with db.transaction() as s:
        return org_out(services.org_contact_update(session=s, now=clock.now(), principal=p, org_id=org_id, data=data))


@router.get("/users", response_model=list[UserOut], summary="用户列表")
def users(db: DbDep, _: Principal = permit(Action.USER_READ)) -> list[UserOut]:
    with db.session(write=False) as s:
        return [user_out(u) for u in selectors.users(s)]


@router.post("/users", response_model=UserOut, status_code=201, summary="创建用户")
def create_user(data: UserCreateIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)) -> UserOut:
    with db.transaction() as s:
        return user_out(services.user_create(session=s, now=clock.now(), actor=services.actor_of(p), data=data))


@router.post("/users/{username}/password-reset", response_model=UserOut, summary="重置密码并解除锁定")
def reset_password(
    username: str, data: PasswordResetIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)
) -> UserOut:
    with db.transaction() as s:
        return user_out(
            services.user_password_reset(
                session=s,
                now=clock.now(),
                actor=services.actor_of(p),
                username=username,
                new_password=data.new_password,
            )
        )


@router.post("/users/{username}/deactivate", response_model=UserOut, summary="停用账号（结束全部会话并吊销令牌）")
def deactivate(username: str, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)) -> UserOut:
    with db.transaction() as s:
        return user_out(
            services.user_set_active(
                session=s, now=clock.now(), actor=services.actor_of(p), username=username, active=False
            )
        )


@router.post("/users/{username}/activate", response_model=UserOut, summary="恢复账号")
def activate(username: str, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)) -> UserOut:
    with db.transaction() as s:
        return user_out(
            services.user_set_active(
                session=s, now=clock.now(), actor=services.actor_of(p), username=username, active=True
            )
        )


@router.get("/branches", response_model=list[BranchOut], summary="市本级及县（市）分中心")
def branches(db: DbDep, _: Principal = permit(Action.BRANCH_READ)) -> list[BranchOut]:
    with db.session(write=False) as s:
        return [
            BranchOut(id=b.id, code=b.code, name=b.name, is_city=b.is_city, regions=b.regions)
            for b in selectors.branches(s)
        ]
