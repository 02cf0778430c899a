"""ASGI guards that run before any route: body size and API content type."""

from __future__ import annotations

import json
import re
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# File uploads: their own size limit and raw bytes instead of JSON.
UPLOAD_PATH = re.compile(r"^(/api/v1)?/tenders/\d+/documents$")
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
# Sealed bids: raw envelope bytes, with the platform's bid size limit (GGZY_BID_MAX_BYTES).
BID_PATH = re.compile(r"^(/api/v1)?/sections/\d+/bids$")


def _error(status: int, code: str, message: str) -> tuple[Message, Message]:
    body = json.dumps({"code": code, "message": message, "detail": None}, ensure_ascii=False).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    return start, {"type": "http.response.body", "body": body}


async def _reject(send: Send, status: int, code: str, message: str) -> None:
    start, body = _error(status, code, message)
    await send(start)
    await send(body)


class BodyTooLarge(Exception):
    """Raised from the request stream when a body without Content-Length passes the limit, so no
    route ever sees a truncated body as if it were complete."""


class BodyGuard:
    """Refuse bodies over the limit and API writes that are not JSON, before anything is written.

    With a Content-Length the answer comes before the body is read. A streamed body without one
    raises ``BodyTooLarge`` inside the route's read at the limit, before the route has done
    anything with it; whatever the app then answers is replaced by the 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, bid_max_bytes: int = 200 * 1024 * 1024) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.bid_max_bytes = bid_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        bid = bool(BID_PATH.match(scope["path"]))
        upload = bid or bool(UPLOAD_PATH.match(scope["path"]))
        limit = self.bid_max_bytes if bid else UPLOAD_MAX_BYTES if upload else self.max_bytes
        too_large = f"请求内容过大（上限 {limit // 1000} KB）"
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _reject(send, 413, "too_large", too_large)
            return
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        expected = "application/octet-stream" if upload else "application/json"  # for /api/ paths
        has_body = (length is not None and length != "0") or "transfer-encoding" in headers
        if scope["path"].startswith("/api/") and ctype != expected and (ctype or has_body):
            await _reject(send, 415, "unsupported_media_type", f"请求内容类型不受支持，请使用 {expected}")
            return
        seen = 0
        overflow = False

        async def counted() -> Message:
            nonlocal seen, overflow
            message = await receive()
            if message["type"] == "http.request" and not overflow:
                seen += len(message.get("body", b""))
                if seen > limit:
                    overflow = True
                    raise BodyTooLarge
            return message

        replaced = False

        async def guarded_send(message: MutableMapping[str, Any]) -> None:
            nonlocal replaced
            if not overflow:
                await send(message)
                return
            if not replaced:
                replaced = True
                await _reject(send, 413, "too_large", too_large)

        await self.app(scope, counted, guarded_send)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        static = scope["path"].startswith("/static/")

        async def add_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                if not static:  # pages carry personal data and one-time secrets: never cached
                    message["headers"].append((b"cache-control", b"no-store"))
                message["headers"] += [
                    (b"strict-transport-security", b"max-age=31536000"),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (
                        b"content-security-policy",
                        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                        b"frame-ancestors 'none'; form-action 'self'",
                    ),
                ]
            await send(message)

        await self.app(scope, receive, add_headers)
