"""The application factory."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from ggzy.common.clock import Clock, SystemClock
from ggzy.config import Settings, get_settings
from ggzy.db import Database, create_database
from ggzy.http import errors, openapi
from ggzy.http.middleware import BodyGuard, SecurityHeaders
from ggzy.http.pages import make_templates

STATIC_DIR = Path(__file__).resolve().parent / "web" / "static"
# Requests that would tie a client address to a section before opening (bids, keys, decryption).
BIDDER_PATHS = re.compile(
    r"^(/api/v1)?/(sections/\d+/(bids?|opening|sealing)|tenders/\d+/(obtain|documents/\d+)|keys|auth/cert-)"
)


class HideBidders(logging.Filter):
    """The access log keeps method, path and status but not the client address of bidding
    requests, nor of obtaining and downloading tender documents (which reveals potential
    bidders): who takes part is recorded only in the audit log (招标投标法第二十二条 keeps them
    secret before opening)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and BIDDER_PATHS.match(str(args[2]).split("?")[0]):
            record.args = ("-", *args[1:])
        return True


def create_app(settings: Settings | None = None, *, db: Database | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = None
        if settings.chronograph_seconds > 0:
            from ggzy.common.chronograph import Runner
            from ggzy.dated_events import HANDLERS
            from ggzy.exchange.runtime import tick as exchange_tick
            from ggzy.portal.search import catch_up_all

            runner = Runner(
                app.state.db,
                app.state.clock,
                HANDLERS,
                settings.chronograph_seconds,
                also=[
                    lambda: catch_up_all(app.state.db),
                    lambda: exchange_tick(app.state.db, app.state.clock, settings),
                ],
            )
            runner.start()
        yield
        if runner is not None:
            runner.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="ggzy 公共资源交易平台 API",
        version="0.1.0",
        description="电子交易平台、公共服务平台与行政监督平台的接口。错误统一返回 {code, message, detail}。",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db or create_database(settings.database_url)
    app.state.clock = clock or SystemClock()
    app.state.templates = make_templates()
    errors.install(app)
    openapi.install(app)

    from ggzy.audit_views import api as audit_api
    from ggzy.audit_views import web as audit_web
    from ggzy.bidding import api as bidding_api
    from ggzy.bidding import web as bidding_web
    from ggzy.evaluation import api as evaluation_api
    from ggzy.evaluation import web as evaluation_web
    from ggzy.exchange import api as exchange_api
    from ggzy.exchange import web as exchange_web
    from ggzy.experts import api as experts_api
    from ggzy.experts import web as experts_web
    from ggzy.identity import api as identity_api
    from ggzy.identity import keys_api
    from ggzy.identity import web as identity_web
    from ggzy.portal import feed as portal_feed
    from ggzy.portal import ocds_api as portal_ocds
    from ggzy.portal import search_api as portal_search
    from ggzy.portal import web as portal_web
    from ggzy.registration import api as registration_api
    from ggzy.registration import web as registration_web
    from ggzy.registration import web_tables as registration_web_tables
    from ggzy.tendering import api as tendering_api
    from ggzy.tendering import award_api, award_web, web_award
    from ggzy.tendering import web as tendering_web
    from ggzy.tendering import web_participation as tendering_web_participation
    from ggzy.workdays import api as workdays_api
    from ggzy.workdays import web as workdays_web

    for module in (
        identity_api,
        keys_api,
        registration_api,
        tendering_api,
        award_api,
        bidding_api,
        experts_api,
        evaluation_api,
        exchange_api,
        portal_feed,
        portal_search,
        portal_ocds,
        audit_api,
        workdays_api,
    ):
        app.include_router(module.router, prefix="/api/v1")
    for module in (
        portal_web,
        identity_web,
        registration_web,
        registration_web_tables,
        audit_web,
        workdays_web,
        award_web,
        tendering_web,
        tendering_web_participation,
        bidding_web,
        experts_web,
        evaluation_web,
        exchange_web,
        web_award,
    ):
        app.include_router(module.router, include_in_schema=False)
    app.include_router(portal_search.pages, include_in_schema=False)
    if settings.exchange_sandbox_receiver and settings.env != "production":
        # A stand-in provincial platform for demos (docs/exchange.md); never in production.
        from ggzy.exchange.receiver import Receiver
        from ggzy.exchange.receiver import router as receiver_router

        app.state.sandbox_receiver = Receiver(token=settings.exchange_token)
        app.include_router(
            receiver_router(app.state.sandbox_receiver), prefix="/sandbox/upstream", include_in_schema=False
        )
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes, bid_max_bytes=settings.bid_max_bytes)
    logging.getLogger("ggzy").setLevel(logging.INFO)
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideBidders) for f in access.filters):
        access.addFilter(HideBidders())
    return app
