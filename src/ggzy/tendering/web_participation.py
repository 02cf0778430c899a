"""Pages for what happens while a tender is open: uploading and obtaining the documents, questions
and answers; and the public notices (电子招标投标办法第四十一条)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ggzy.common.errors import DomainError, NotFound
from ggzy.common.filestore import FileStore
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data, parse
from ggzy.http.pages import redirect, render
from ggzy.identity.permissions import Action, Principal
from ggzy.tendering import core, participation, selectors
from ggzy.tendering.enums import NoticeKind
from ggzy.tendering.models import Tender
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


@router.get("/notices")
def notice_list(request: Request, db: DbDep, kind: str = "", _: Principal = permit(Action.NOTICE_READ)) -> Response:
    k = kind if kind in {n.value for n in NoticeKind} else ""
    with db.session(write=False) as s:
        notices = selectors.notices(s, limit=100, kind=k or None)
        tenders = {i: s.get(Tender, i) for i in {n.tender_id for n in notices}}
        return render(
            request,
            "portal/notices.html",
            labels() | {"notices": notices, "tenders": tenders, "kind": k, "kinds": list(NoticeKind)},
        )


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
        return render(
            request,
            "portal/notice.html",
            labels() | {"notice": n, "tender": t, "versions": versions, "newer": newer[-1] if newer else None},
        )
