"""The public portal and each role's workbench: pages that gather several domains, so they live
above them all."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ggzy.bidding import selectors as bidding_selectors
from ggzy.common import audit
from ggzy.evaluation import selectors as evaluation_selectors
from ggzy.experts import selectors as expert_selectors
from ggzy.http.deps import DbDep, permit
from ggzy.http.pages import render
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.enums import Role
from ggzy.identity.permissions import Action, Principal
from ggzy.portal import disclosure, selectors
from ggzy.registration import selectors as reg
from ggzy.tendering import selectors as tendering
from ggzy.tendering import web as tendering_web
from ggzy.tendering.enums import TenderStatus

router = APIRouter()


@router.get("/")
def home(request: Request, db: DbDep, _: Principal = permit(Action.PORTAL_VIEW)) -> Response:
    with db.session(write=False) as s:
        return render(
            request,
            "portal/home.html",
            {
                "counts": reg.public_counts(s),
                "latest": selectors.latest_public_projects(s, limit=12),
                "heads": audit.day_heads(s, days=7),
                "latest_notices": tendering.notices(s, limit=8),
                **tendering_web.labels(),
                "branches": identity_selectors.branches(s),
            },
        )


@router.get("/disclosure")
def disclosure_page(request: Request, db: DbDep, _: Principal = permit(Action.PORTAL_VIEW)) -> Response:
    groups: dict[str, list[disclosure.Entry]] = {}
    for e in disclosure.CATALOGUE:
        groups.setdefault(e.category, []).append(e)
    with db.session(write=False) as s:
        return render(
            request, "portal/disclosure.html", {"groups": list(groups.items()), "counts": disclosure.counts(s)}
        )


@router.get("/chain")
def chain(request: Request, db: DbDep, _: Principal = permit(Action.AUDIT_HEADS)) -> Response:
    with db.session(write=False) as s:
        return render(
            request, "portal/chain.html", {"heads": audit.day_heads(s, days=60), "total": audit.event_count(s)}
        )


@router.get("/entered")
def entered(
    request: Request, db: DbDep, branch: str = "", trading_type: str = "", _: Principal = permit(Action.PORTAL_VIEW)
) -> Response:
    with db.session(write=False) as s:
        return render(
            request,
            "portal/entered.html",
            {
                "projects": selectors.latest_public_projects(
                    s, limit=200, branch_code=branch[:6] or None, trading_type=trading_type[:30] or None
                ),
                "branches": identity_selectors.branches(s),
                "branch": branch,
                "trading_type": trading_type,
            },
        )


@router.get("/workbench")
def workbench(request: Request, db: DbDep, p: Principal = permit(Action.WORKBENCH)) -> Response:
    with db.session(write=False) as s:
        reads_projects = p.role not in (Role.BIDDER, Role.EXPERT, Role.ADMIN)
        return render(
            request,
            "portal/workbench.html",
            {
                "counts": reg.counts_by_status(s, p) if reads_projects else {},
                "queue": reg.review_queue(s, p) if p.role is Role.OPERATOR else [],
                "emergency": reg.emergency_queue(s, p),
                "recent": reg.projects(s, p, limit=10) if reads_projects else [],
                "public_latest": selectors.latest_public_projects(s, limit=10) if not reads_projects else [],
                "branch": identity_selectors.branch_by_id(s, p.branch_id),
                "tender_queue": tendering.review_queue(s, p),
                "my_tenders": tendering.tenders(s, p, limit=10) if p.role in (Role.TENDERER, Role.AGENCY) else [],
                "open_tenders": (
                    tendering.tenders(s, p, status=TenderStatus.BIDDING, limit=10) if p.role is Role.BIDDER else []
                ),
                "openings": bidding_selectors.openings_for(s, p) if p.role is not Role.EXPERT else [],
                "invitations": expert_selectors.invitations(s, p) if p.role is Role.EXPERT else [],
                "my_evaluations": evaluation_selectors.my_evaluations(s, p),
                "clarifications": [c for c in evaluation_selectors.clarifications_for(s, p) if c["answer"] is None]
                if p.role is Role.BIDDER
                else [],
                **tendering_web.labels(),
            },
        )
