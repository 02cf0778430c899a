from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ggzy.common.errors import DomainError
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
from ggzy.http.forms import form_data, parse
from ggzy.http.pages import redirect, render
from ggzy.identity import auth, selectors, services
from ggzy.identity.enums import OrgRole, Role
from ggzy.identity.permissions import Action, Principal
from ggzy.identity.schemas import OrgCreateIn, PasswordChangeIn, SignupIn, TokenCreateIn, UserCreateIn

router = APIRouter()


def _safe_next(target: str) -> str:
    # Only same-site relative paths: never an open redirect.
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/workbench"


@router.get("/login")
def login_page(request: Request, next: str = "/workbench", _: Principal = permit(Action.LOGIN)) -> Response:
    return render(request, "identity/login.html", {"next": _safe_next(next)})


@router.post("/login")
async def login_submit(
    request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep, _: Principal = permit(Action.LOGIN)
) -> Response:
    form = await form_data(request)
    nxt = _safe_next(form.get("next", "/workbench"))
    outcome = auth.login(
        db=db,
        now=clock.now(),
        username=form.get("username", "")[:64],
        password=form.get("password", "")[:128],
        client_addr=client_addr(request),
        policy=lock_policy(settings),
        session_hours=settings.session_hours,
    )
    if outcome.error is not None:
        return render(
            request,
            "identity/login.html",
            {"next": nxt, "error": outcome.error.message, "username": form.get("username", "")},
            status=outcome.error.status,
        )
    response = redirect(nxt)
    set_session_cookie(response, outcome.session_token, settings)
    return response


@router.post("/logout")
def logout_submit(request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SELF_VIEW)) -> Response:
    with db.transaction() as s:
        services.logout(session=s, now=clock.now(), principal=p, raw_session=request.cookies.get(SESSION_COOKIE, ""))
    response = redirect("/", "已退出登录")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/signup")
def signup_page(request: Request, _: Principal = permit(Action.ORG_SIGNUP)) -> Response:
    return render(request, "identity/signup.html", {"values": {}, "roles": list(services.SELF_SIGNUP_ROLES)})


@router.post("/signup")
async def signup_submit(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.ORG_SIGNUP)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(SignupIn, form)
        with db.transaction() as s:
            services.org_signup(session=s, now=clock.now(), actor=services.actor_of(p), data=data)
    except DomainError as e:
        form.pop("password", None)
        return render(
            request,
            "identity/signup.html",
            {"values": form, "error": e.message, "roles": list(services.SELF_SIGNUP_ROLES)},
            status=e.status,
        )
    return redirect("/login", "注册成功，请登录")


@router.get("/account")
def account(request: Request, db: DbDep, p: Principal = permit(Action.SELF_VIEW)) -> Response:
    with db.session(write=False) as s:
        return render(
            request, "identity/account.html", {"tokens": selectors.user_tokens(s, p.user_id or 0), "new_token": None}
        )


@router.post("/account/tokens")
async def account_token_create(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SELF_TOKENS)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(TokenCreateIn, form)
        with db.transaction() as s:
            _token, raw = services.token_create(session=s, now=clock.now(), principal=p, name=data.name, days=data.days)
    except DomainError as e:
        return redirect("/account", e.message)
    with db.session(write=False) as s:
        # The token is shown once, in this response body only; it never goes into a URL or a log.
        return render(
            request, "identity/account.html", {"tokens": selectors.user_tokens(s, p.user_id or 0), "new_token": raw}
        )


@router.post("/account/tokens/{token_id}/revoke")
def account_token_revoke(
    token_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.SELF_TOKENS)
) -> Response:
    with db.transaction() as s:
        services.token_revoke(session=s, now=clock.now(), principal=p, token_id=token_id)
    return redirect("/account", "令牌已吊销")


@router.post("/account/password")
async def account_password(
    request: Request, db: DbDep, clock: ClockDep, settings: SettingsDep, p: Principal = permit(Action.SELF_PASSWORD)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(PasswordChangeIn, form)
        auth.password_change(
            db=db,
            now=clock.now(),
            principal=p,
            old=data.old_password,
            new=data.new_password,
            policy=lock_policy(settings),
        )
    except DomainError as e:
        return redirect("/account", e.message)
    response = redirect("/login", "密码已修改，请重新登录")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/organizations")
def org_directory(
    request: Request, db: DbDep, q: str = "", role: str = "", _: Principal = permit(Action.ORG_READ)
) -> Response:
    role = role if role in {r.value for r in OrgRole} else ""
    with db.session(write=False) as s:
        orgs = selectors.organizations(s, role=role or None, q=q[:100])
        return render(request, "identity/organizations.html", {"orgs": orgs, "q": q, "role": role})


@router.post("/organizations")
async def org_create_submit(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.ORG_CREATE)
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
    values_any: dict[str, object] = dict(values)
    values_any["roles"] = form.getlist("roles")
    values_any["jurisdictions"] = form.getlist("jurisdictions")
    try:
        data = parse(OrgCreateIn, values_any)
        with db.transaction() as s:
            org = services.org_create(session=s, now=clock.now(), actor=services.actor_of(p), data=data)
    except DomainError as e:
        return redirect("/organizations", e.message)
    return redirect("/organizations", f"已登记：{org.name}")


@router.get("/admin/users")
def users_page(request: Request, db: DbDep, _: Principal = permit(Action.USER_READ)) -> Response:
    with db.session(write=False) as s:
        return render(
            request,
            "identity/users.html",
            {
                "users": selectors.users(s),
                "orgs": selectors.organizations(s, limit=500),
                "branches": selectors.branches(s),
                "roles": [r for r in Role if r is not Role.PUBLIC],
            },
        )


@router.post("/admin/users")
async def users_create(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        data = parse(UserCreateIn, form)
        with db.transaction() as s:
            user = services.user_create(session=s, now=clock.now(), actor=services.actor_of(p), data=data)
    except DomainError as e:
        return redirect("/admin/users", e.message)
    return redirect("/admin/users", f"已创建用户 {user.username}")


@router.post("/admin/users/{username}/active")
async def users_active(
    username: str, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)
) -> Response:
    form = await form_data(request)
    active = form.get("active") == "1"
    try:
        with db.transaction() as s:
            services.user_set_active(
                session=s, now=clock.now(), actor=services.actor_of(p), username=username, active=active
            )
    except DomainError as e:
        return redirect("/admin/users", e.message)
    return redirect("/admin/users", f"已{'恢复' if active else '停用'} {username}（停用时其全部会话和令牌均已失效）")


@router.post("/admin/users/{username}/reset")
async def users_reset(
    username: str, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.USER_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        with db.transaction() as s:
            services.user_password_reset(
                session=s,
                now=clock.now(),
                actor=services.actor_of(p),
                username=username,
                new_password=form.get("new_password", ""),
            )
    except DomainError as e:
        return redirect("/admin/users", e.message)
    return redirect("/admin/users", f"已重置 {username} 的密码并解除锁定")
