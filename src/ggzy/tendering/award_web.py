"""The public page that checks an award notice: what a scanned QR code opens."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ggzy.common.errors import NotFound
from ggzy.http.deps import DbDep, permit
from ggzy.http.pages import render
from ggzy.identity.permissions import Action, Principal
from ggzy.tendering.award_api import award_by_code, check_award

router = APIRouter()


@router.get("/verify")
def verify_form(request: Request, code: str = "", _: Principal = permit(Action.NOTICE_READ)) -> Response:
    if code:
        from ggzy.http.pages import redirect

        return redirect(f"/verify/{code.strip().upper()[:24]}")
    return render(request, "verify/award.html", {"result": None, "code": ""})


@router.get("/verify/{code}")
def verify_page(code: str, request: Request, db: DbDep, _: Principal = permit(Action.NOTICE_READ)) -> Response:
    with db.session(write=False) as s:
        try:
            result = check_award(award_by_code(s, code))
        except NotFound as e:
            return render(
                request, "verify/award.html", {"result": None, "code": code[:24], "error": e.message}, status=404
            )
    return render(request, "verify/award.html", {"result": result, "code": result.verify_code})
