"""Pages for what happens while a tender is open: uploading and obtaining the documents, questions
and answers; and the public notices (电子招标投标办法第四十一条)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ggzy.common.clock import SHANGHAI
from ggzy.common.errors import DomainError, NotFound
from ggzy.common.filestore import FileStore
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data, parse
from ggzy.http.pages import redirect, render
from ggzy.identity.models import Branch
from ggzy.identity.permissions import Action, Principal
from ggzy.registration.enums import TRADING_TYPE_LABELS
from ggzy.tendering import core, participation, selectors
from ggzy.tendering.enums import NoticeKind
from ggzy.tendering.models import Tender, TenderDocument
from ggzy.tendering.schemas import AnswerIn, QuestionIn
from ggzy.tendering.web import labels

router = APIRouter()

CHUNK = 256 * 1024


@router.post("/tenders/{tender_id}/documents")
async def document_upload(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> Response:
    """Multipart upload from the detail page. Page bodies are capped by GGZY_MAX_BODY_BYTES (the
    BodyGuard middleware); larger files go through the API's raw upload."""
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(f"/tenders/{tender_id}", "请选择要上传的招标文件")
    store = FileStore(request.app.state.settings.data_dir / "blobs")
    filename = upload.filename
    public = form.get("public") == "1"
    now = clock.now()

    def work() -> None:
        upload.file.seek(0)
        with db.transaction() as s:
            participation.document_upload(
                session=s,
                now=now,
                principal=p,
                store=store,
                tender_id=tender_id,
                filename=filename,
                chunks=iter(lambda: upload.file.read(CHUNK), b""),
                public=public,
            )

    try:
        await run_in_threadpool(work)
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect(f"/tenders/{tender_id}", e.message)
    finally:
        await upload.close()
    return redirect(f"/tenders/{tender_id}", f"已上传招标文件：{filename}")


@router.post("/tenders/{tender_id}/obtain")
async def document_obtain(
    tender_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_PARTICIPATE)
) -> Response:
    try:
        with db.transaction() as s:
            participation.document_obtain(session=s, now=clock.now(), principal=p, tender_id=tender_id)
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect(f"/tenders/{tender_id}", e.message)
    return redirect(f"/tenders/{tender_id}", "已获取招标文件，可以下载；获取记录开标前保密")


@router.post("/tenders/{tender_id}/questions")
async def question_ask(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_PARTICIPATE)
) -> Response:
    form = await form_data(request)
    try:
        body = parse(QuestionIn, {"body": form.get("body", "").strip()}).body
        with db.transaction() as s:
            participation.question_ask(session=s, now=clock.now(), principal=p, tender_id=tender_id, body=body)
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect(f"/tenders/{tender_id}", e.message)
    return redirect(f"/tenders/{tender_id}", "问题已提交；答复将向所有潜在投标人公开，不显示提问单位")


@router.post("/tenders/{tender_id}/questions/{question_id}/answer")
async def question_answer(
    tender_id: IdPath,
    question_id: IdPath,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.TENDER_MANAGE),
) -> Response:
    form = await form_data(request)
    try:
        answer = parse(AnswerIn, {"answer": form.get("answer", "").strip()}).answer
        with db.transaction() as s:
            participation.question_answer(
                session=s, now=clock.now(), principal=p, tender_id=tender_id, question_id=question_id, answer=answer
            )
    except DomainError as e:
        if e.status == 404:
            raise
        return redirect(f"/tenders/{tender_id}", e.message)
    return redirect(f"/tenders/{tender_id}", "已答复并向所有潜在投标人公开")


PAGE = 50


def _listing(kind: str, type_: str, region: str, since: str, until: str) -> dict[str, Any]:
    """The listing's filters, cleaned: unknown values are ignored rather than refused, so a shared
    link with a stale filter still shows the portal."""

    def day(value: str, plus: int = 0) -> datetime | None:
        try:
            return datetime.combine(date.fromisoformat(value), time(0), tzinfo=SHANGHAI) + timedelta(days=plus)
        except ValueError:
            return None

    return {
        "kind": kind if kind in {n.value for n in NoticeKind} else "",
        "trading_type": type_ if type_ in TRADING_TYPE_LABELS else "",
        "region": region if region.isdigit() and len(region) == 6 else "",
        "since": day(since),
        "until": day(until, 1),
    }


def _query(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": f["kind"] or None,
        "trading_type": f["trading_type"] or None,
        "region": f["region"] or None,
        "since": f["since"],
        "until": f["until"],
    }


@router.get("/notices")
def notice_list(
    request: Request,
    db: DbDep,
    kind: str = "",
    type: str = "",
    region: str = "",
    since: str = "",
    until: str = "",
    page: int = 1,
    _: Principal = permit(Action.NOTICE_READ),
) -> Response:
    f = _listing(kind, type, region, since, until)
    page = max(1, min(page, 1000))
    pairs = (("kind", f["kind"]), ("type", f["trading_type"]), ("region", f["region"]), ("since", since))
    query = urlencode({k: v for k, v in (*pairs, ("until", until)) if v})
    with db.session(write=False) as s:
        notices = selectors.notices(s, limit=PAGE + 1, offset=(page - 1) * PAGE, **_query(f))
        more, notices = len(notices) > PAGE, notices[:PAGE]
        tenders = {i: s.get(Tender, i) for i in {n.tender_id for n in notices}}
        branches = list(s.scalars(select(Branch).order_by(Branch.sort)))
        return render(
            request,
            "portal/notices.html",
            labels()
            | {
                "notices": notices, "tenders": tenders, "kinds": list(NoticeKind), "branches": branches,
                "types": TRADING_TYPE_LABELS, "f": f, "since": since, "until": until, "page": page, "more": more,
                "query": query,
            },
        )  # fmt: skip


@router.get("/notices.atom")
def notice_feed(
    request: Request,
    db: DbDep,
    kind: str = "",
    type: str = "",
    region: str = "",
    _: Principal = permit(Action.NOTICE_READ),
) -> Response:
    """An Atom feed of the listing (the same filters), newest 50."""
    f = _listing(kind, type, region, "", "")
    base = request.app.state.settings.public_base_url.rstrip("/")
    with db.session(write=False) as s:
        notices = selectors.notices(s, limit=PAGE, **_query(f))
    updated = notices[0].published_at if notices else datetime(2026, 1, 1, tzinfo=UTC)
    entries = "".join(
        f"<entry><id>{base}/notices/{n.id}</id><title>{escape(n.title)}</title>"
        f'<link rel="alternate" href="{base}/notices/{n.id}"/>'
        f"<updated>{n.published_at.isoformat()}</updated>"
        f"<summary>{escape(n.body[:200])}</summary>"
        f'<category term="{escape(n.kind)}" label="{escape(NoticeKind(n.kind).label)}"/></entry>'
        for n in notices
    )
    self_url = f"{base}/notices.atom" + (f"?{request.url.query}" if request.url.query else "")
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{escape(self_url)}</id><title>{escape(request.app.state.settings.centre_name)} 交易公告</title>"
        f'<link rel="self" href="{escape(self_url)}"/><updated>{updated.isoformat()}</updated>'
        f"<author><name>{escape(request.app.state.settings.centre_name)}</name></author>{entries}</feed>"
    )
    return Response(xml, media_type="application/atom+xml; charset=utf-8")


@router.get("/notices/{notice_id}")
def notice_detail(
    notice_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.NOTICE_READ)
) -> Response:
    with db.session(write=False) as s:
        n = selectors.notice(s, notice_id)
        if n is None:
            raise NotFound(f"公告 {notice_id} 不存在", code="notice_not_found")
        t = core.tender_for(s, p, n.tender_id)
        versions = selectors.tender_notices(s, t.id)
        # A later notice replaces this one only if it is of the same kind, or changes a tender notice.
        changes = {n.kind} | ({"clarification"} if n.kind in ("tender", "invitation") else set())
        section = n.facts.get("section")  # a section's notice is replaced only by that section's
        newer = [
            v for v in versions if v.version > n.version and v.kind in changes and v.facts.get("section") == section
        ]
        attachments = [d for d in selectors.documents(s, t.id) if d.notice_id == n.id]
        return render(
            request,
            "portal/notice.html",
            labels()
            | {
                "notice": n, "tender": t, "versions": versions, "newer": newer[-1] if newer else None,
                "attachments": attachments,
            },
        )  # fmt: skip


@router.get("/notices/{notice_id}/attachments/{document_id}")
def notice_attachment(
    notice_id: IdPath, document_id: IdPath, request: Request, db: DbDep, _: Principal = permit(Action.NOTICE_READ)
) -> Response:
    """A notice's public attachment, for anyone. Tender documents proper are not served here:
    they are obtained by bidders, and who obtained them stays secret (招标投标法第二十二条)."""
    with db.session(write=False) as s:
        d = s.get(TenderDocument, document_id)
        n = selectors.notice(s, notice_id)
        if d is None or n is None or d.notice_id != n.id or not d.public:
            raise NotFound("附件不存在或不公开", code="attachment_not_found")
        digest, filename = d.digest, d.filename
    handle = FileStore(request.app.state.settings.data_dir / "blobs").open(digest)
    return StreamingResponse(
        handle,
        media_type="application/pdf" if filename.lower().endswith(".pdf") else "application/octet-stream",
        headers={"content-disposition": f"attachment; filename*=UTF-8''{quote(filename)}", "x-sm3-digest": digest},
    )
