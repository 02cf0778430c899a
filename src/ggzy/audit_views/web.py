from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ggzy.audit_views import selectors
from ggzy.common import audit
from ggzy.http.deps import DbDep, SeqQuery, permit
from ggzy.http.pages import render
from ggzy.identity.permissions import Action, Principal

router = APIRouter()


@router.get("/audit")
def audit_page(
    request: Request, db: DbDep, before: SeqQuery = None, p: Principal = permit(Action.AUDIT_READ)
) -> Response:
    with db.session(write=False) as s:
        rows = selectors.events(s, p, before_seq=before, limit=100)
        return render(request, "audit/events.html", {"events": rows, "verify": None})


@router.get("/audit/verify")
def audit_verify_page(request: Request, db: DbDep, p: Principal = permit(Action.AUDIT_VERIFY)) -> Response:
    with db.session(write=False) as s:
        result = audit.verify_chain(s)
        rows = selectors.events(s, p, limit=100)
        return render(request, "audit/events.html", {"events": rows, "verify": result})
