"""Who is asking, and may they: the only way a route gets its principal.

Every route declares one ``Action`` with ``permit(Action.X)``; the dependency carries the action
as ``ggzy_action`` so tests can walk the routes and check them against the permission table.
Credentials: a session cookie (pages; unsafe requests also need the session's CSRF token) or an
API token in ``Authorization: Bearer`` (never in a URL).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ggzy.common.clock import Clock
from ggzy.common.crypto import constant_time_equal
from ggzy.common.errors import PermissionDenied, Unauthenticated
from ggzy.config import Settings
from ggzy.db import Database
from ggzy.identity import selectors, services
from ggzy.identity.auth import LockPolicy
from ggzy.identity.permissions import ANONYMOUS, Action, Principal, allows

SESSION_COOKIE = "ggzy_session"
CSRF_COOKIE = "ggzy_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


DbDep = Annotated[Database, Depends(get_db)]

# Bounds that every database accepts (PostgreSQL integer ids, bigint sequences), so an absurd
# value is a 422 at the edge, never a driver error.
MAX_ID = 2_147_483_647
MAX_SEQ = 9_223_372_036_854_775_807
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OffsetQuery = Annotated[int, Query(ge=0, le=1_000_000)]
SeqQuery = Annotated[int | None, Query(ge=1, le=MAX_SEQ)]
ClockDep = Annotated[Clock, Depends(get_clock)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def set_session_cookie(response: Any, raw: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_hours * 3600,
        path="/",
    )


def lock_policy(settings: Settings) -> LockPolicy:
    return LockPolicy(settings.login_max_failures, settings.login_lock_minutes)


def client_addr(request: Request) -> str:
    return request.client.host if request.client else ""


async def resolve_principal(request: Request) -> Principal:
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    db: Database = request.app.state.db
    now = request.app.state.clock.now()
    addr = client_addr(request)
    # Tokens are for machines on the API; pages ignore the header (a proxy's Basic auth, say).
    auth = request.headers.get("authorization") if request.url.path.startswith("/api/") else None

    def lookup() -> Principal | None:
        with db.session(write=False) as s:
            if auth is not None:
                scheme, _, raw = auth.partition(" ")
                if scheme.lower() != "bearer":
                    return None
                return selectors.principal_from_token(s, now=now, raw=raw.strip(), client_addr=addr)
            raw_cookie = request.cookies.get(SESSION_COOKIE, "")
            found = selectors.principal_from_session(s, now=now, raw=raw_cookie, client_addr=addr)
            return found if found is not None else Principal(role=ANONYMOUS.role, client_addr=addr)

    principal = await run_in_threadpool(lookup)
    if principal is None:
        raise Unauthenticated("API 令牌无效、已吊销或已过期", code="bad_token")
    if principal.token_to_touch is not None:
        token_id = principal.token_to_touch

        def touch() -> None:
            with db.transaction() as s:
                services.token_touch(session=s, now=now, token_id=token_id)

        await run_in_threadpool(touch)
    request.state.principal = principal
    return principal


async def _submitted_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()  # Starlette caches it for the route's own Form parameters
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request, principal: Principal) -> None:
    """Cookie-borne credentials need proof the request came from our own page."""
    if request.method in SAFE_METHODS or principal.via_token:
        return
    ctype = request.headers.get("content-type", "")
    if principal.is_authenticated:
        expected = principal.csrf_token
    elif ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        expected = request.cookies.get(CSRF_COOKIE, "")  # anonymous forms: double-submit cookie
    else:
        return  # anonymous JSON: no cookie credential to abuse; browsers cannot send it cross-site
    submitted = await _submitted_csrf(request)
    if not expected or not submitted or not constant_time_equal(expected, submitted):
        raise PermissionDenied("表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试", code="csrf_failed")


def permit(action: Action) -> Any:
    async def dependency(request: Request) -> Principal:
        principal = await resolve_principal(request)
        await check_csrf(request, principal)
        if not allows(principal, action):
            if not principal.is_authenticated:
                raise Unauthenticated("请先登录", code="login_required")
            raise PermissionDenied(f"当前角色（{principal.role.label}）无权执行此操作", code="forbidden")
        return principal

    dependency.ggzy_action = action  # type: ignore[attr-defined]
    return Depends(dependency)
