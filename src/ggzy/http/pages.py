"""Server-rendered pages: one ``render`` that hands every template the principal, the CSRF token
for its forms, and the display helpers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ggzy.bidding.enums import AUDIT_ACTION_LABELS as BIDDING_ACTIONS
from ggzy.common.clock import format_local
from ggzy.common.crypto import new_secret
from ggzy.common.errors import DomainError
from ggzy.common.money import format_wan, format_yuan
from ggzy.evaluation.enums import AUDIT_ACTION_LABELS as EVALUATION_ACTIONS
from ggzy.experts.enums import AUDIT_ACTION_LABELS as EXPERT_ACTIONS
from ggzy.http.deps import CSRF_COOKIE
from ggzy.identity.enums import AUDIT_ACTION_LABELS as IDENTITY_ACTIONS
from ggzy.identity.enums import JURISDICTION_LABELS, ORG_ROLE_LABELS, ROLE_LABELS
from ggzy.identity.permissions import ANONYMOUS, Action, Principal, allows
from ggzy.registration.enums import AUDIT_ACTION_LABELS as REGISTRATION_ACTIONS
from ggzy.registration.enums import FUNDING_LABELS, STATUS_LABELS, TRADING_TYPE_LABELS
from ggzy.tendering.state import TRANSITIONS as TENDER_TRANSITIONS

# The audit log names tender actions after their transitions ("tender_close" -> "tender.close").
TENDER_ACTIONS = {name.replace("tender_", "tender.", 1): t.label for name, t in TENDER_TRANSITIONS.items()}

FLASH_COOKIE = "ggzy_flash"
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
        action_labels=IDENTITY_ACTIONS
        | REGISTRATION_ACTIONS
        | TENDER_ACTIONS
        | BIDDING_ACTIONS
        | EXPERT_ACTIONS
        | EVALUATION_ACTIONS,
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
        "flash": unquote(request.cookies.get(FLASH_COOKIE, ""))[:300],
    }
    ctx.update(context or {})
    response = request.app.state.templates.TemplateResponse(request, name, ctx, status_code=status)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")  # shown once
    if new_cookie:
        response.set_cookie(
            CSRF_COOKIE, new_cookie, httponly=True, samesite="strict", secure=request.app.state.settings.cookie_secure
        )
    return response


def redirect(url: str, msg: str = "") -> Response:
    """Redirect after a form; the message travels in a short-lived cookie only this site sets
    (never in the URL, where anyone could put text on the official site's pages)."""
    response = RedirectResponse(url, status_code=303)
    if msg:
        response.set_cookie(FLASH_COOKIE, quote(msg[:300]), max_age=60, httponly=True, samesite="strict", path="/")
    return response


def act_or_flash(back: str, fn: Callable[[], str]) -> Response:
    """Run a form's action and go back with its message; a refusal goes back with the refusal's
    message (nothing was written), except "not found", which stays a 404 so nothing leaks."""
    try:
        msg = fn()
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect(back, e.message)
    return redirect(back, msg)
