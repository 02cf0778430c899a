"""Server-rendered pages: one ``render`` that hands every template the principal, the CSRF token
for its forms, and the display helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ggzy.common.clock import format_local
from ggzy.common.crypto import new_secret
from ggzy.common.money import format_wan, format_yuan
from ggzy.http.deps import CSRF_COOKIE
from ggzy.identity.enums import AUDIT_ACTION_LABELS as IDENTITY_ACTIONS
from ggzy.identity.enums import JURISDICTION_LABELS, ORG_ROLE_LABELS, ROLE_LABELS
from ggzy.identity.permissions import ANONYMOUS, Action, Principal, allows
from ggzy.registration.enums import AUDIT_ACTION_LABELS as REGISTRATION_ACTIONS
from ggzy.registration.enums import FUNDING_LABELS, STATUS_LABELS, TRADING_TYPE_LABELS

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "web" / "templates"


def make_templates() -> Jinja2Templates:
    t = Jinja2Templates(directory=str(TEMPLATE_DIR))
    t.env.globals.update(
        local_time=format_local,
        yuan=format_yuan,
        wan=format_wan,
        role_labels=ROLE_LABELS,
        org_role_labels=ORG_ROLE_LABELS,
        jurisdiction_labels=JURISDICTION_LABELS,
        trading_type_labels=TRADING_TYPE_LABELS,
        funding_labels=FUNDING_LABELS,
        status_labels=STATUS_LABELS,
        action_labels=IDENTITY_ACTIONS | REGISTRATION_ACTIONS,
        allows=allows,
        Action=Action,
    )
    return t


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200) -> Response:
    principal: Principal = getattr(request.state, "principal", None) or ANONYMOUS
    new_cookie = None
    csrf = principal.csrf_token or request.cookies.get(CSRF_COOKIE, "")
    if not csrf:
        csrf = new_cookie = new_secret(24)
    ctx = {
        "principal": principal,
        "csrf_token": csrf,
        "settings": request.app.state.settings,
        "flash": request.query_params.get("msg", "")[:200],
    }
    ctx.update(context or {})
    response = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
    if new_cookie:
        response.set_cookie(
            CSRF_COOKIE, new_cookie, httponly=True, samesite="strict", secure=request.app.state.settings.cookie_secure
        )
    return response


def redirect(url: str, msg: str = "") -> Response:
    from urllib.parse import quote

    sep = "&" if "?" in url else "?"
    return RedirectResponse(url + (f"{sep}msg={quote(msg)}" if msg else ""), status_code=303)
