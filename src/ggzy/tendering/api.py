from __future__ import annotations

import tempfile
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import ensure_aware, local_date
from ggzy.common.errors import InvalidInput, NotFound
from ggzy.common.filestore import FileStore
from ggzy.http.deps import ClockDep, DbDep, IdPath, SettingsDep, permit
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.tendering import core, participation, rules, selectors, services
from ggzy.tendering.enums import EvaluationMethod, Method, NoticeKind, TenderStatus
from ggzy.tendering.models import Notice, Tender
from ggzy.tendering.schemas import (
    AnswerIn,
    ClarifyIn,
    DocumentOut,
    EarliestOut,
    NoticeOut,
    ObtainOut,
    QuestionIn,
    QuestionOut,
    ReasonIn,
    SectionOut,
    TenderIn,
    TenderOut,
)

router = APIRouter(tags=["招标采购"])


def tender_out(t: Tender, principal: Principal) -> TenderOut:
    return TenderOut(
        id=t.id,
        code=t.code,
        project_id=t.project_id,
        project_code=t.project.code,
        name=t.name,
        method=Method(t.method),
        method_label=Method(t.method).label,
        is_ppp=t.is_ppp,
        status=TenderStatus(t.status),
        status_label=TenderStatus(t.status).label,
        round_no=t.round_no,
        previous_id=t.previous_id,
        docs_start=t.docs_start,
        docs_end=t.docs_end,
        question_deadline=t.question_deadline,
        bid_deadline=t.bid_deadline,
        acceleration=t.acceleration,
        decryption_minutes=t.decryption_minutes,
        backup_threshold=t.backup_threshold,
        backup_custodians=len(t.backup_custodians),
        published_at=t.published_at,
        review_comment=t.review_comment,
        end_reason=t.end_reason,
        sections=[
            SectionOut(
                id=s.id,
                seq=s.seq,
                code=s.code,
                name=s.name,
                estimate=s.estimate,
                qualification=s.qualification,
                evaluation_method=EvaluationMethod(s.evaluation_method),
                bid_deadline=core.section_deadline(t, s),
            )
            for s in t.sections
        ],
        actions=services.actions_for(principal, t),
    )


def notice_out(n: Notice) -> NoticeOut:
    return NoticeOut(
        id=n.id,
        tender_id=n.tender_id,
        kind=NoticeKind(n.kind),
        kind_label=NoticeKind(n.kind).label,
        version=n.version,
        supersedes_id=n.supersedes_id,
        title=n.title,
        body=n.body,
        published_at=n.published_at,
        digest=n.digest,
        facts=n.facts,
    )


def sandbox(settings: SettingsDep) -> bool:
    return settings.env == "sandbox"


@router.get("/tenders", response_model=list[TenderOut], summary="招标项目（按权限范围）")
def list_tenders(
    db: DbDep, status: TenderStatus | None = None, p: Principal = permit(Action.TENDER_READ)
) -> list[TenderOut]:
    with db.session(write=False) as s:
        return [tender_out(t, p) for t in selectors.tenders(s, p, status=status)]


@router.post("/tenders", response_model=TenderOut, status_code=201, summary="设立招标项目（草稿）")
def create(
    data: TenderIn, db: DbDep, clock: ClockDep, settings: SettingsDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> TenderOut:
    with db.transaction() as s:
        return tender_out(
            services.tender_create(session=s, now=clock.now(), principal=p, data=data, sandbox=sandbox(settings)), p
        )


@router.get("/tenders/earliest", response_model=EarliestOut, summary="按现行规则计算最早合法时间")
def earliest(
    db: DbDep,
    clock: ClockDep,
    method: Method,
    docs_start: Annotated[datetime, Query(description="文件开始发出时间（带时区）")],
    _: Principal = permit(Action.RULES_READ),
) -> EarliestOut:
    if docs_start.tzinfo is None:
        raise InvalidInput("时间须带时区", code="naive_datetime")
    with db.session(write=False) as s:
        in_force = rules.in_force(core.rule_rows(s), method, local_date(clock.now()))
        out = rules.earliest_schedule(ensure_aware(docs_start), in_force, WorkCalendar.load(s))
    return EarliestOut(
        method=method,
        docs_start=docs_start,
        earliest_docs_end=out.get("docs_end"),
        earliest_bid_deadline=out.get("bid_deadline"),
        rules=[r.describe() for r in in_force.values()],
    )


@router.get("/tenders/{tender_id}", response_model=TenderOut, summary="招标项目详情")
def get(tender_id: IdPath, db: DbDep, p: Principal = permit(Action.NOTICE_READ)) -> TenderOut:
    with db.session(write=False) as s:
        return tender_out(core.tender_for(s, p, tender_id), p)


@router.put("/tenders/{tender_id}", response_model=TenderOut, summary="修改（草稿或已退回）")
def edit(
    tender_id: IdPath,
    data: TenderIn,
    db: DbDep,
    clock: ClockDep,
    settings: SettingsDep,
    p: Principal = permit(Action.TENDER_MANAGE),
) -> TenderOut:
    with db.transaction() as s:
        return tender_out(
            services.tender_edit(
                session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data, sandbox=sandbox(settings)
            ),
            p,
        )


def _reason_route(slug: str, perm: Action, service: Any, summary: str) -> None:
    def handler(
        tender_id: IdPath, data: ReasonIn, db: DbDep, clock: ClockDep, p: Principal = permit(perm)
    ) -> TenderOut:
        with db.transaction() as s:
            t = service(session=s, now=clock.now(), principal=p, tender_id=tender_id, reason=data.reason)
            return tender_out(t, p)

    router.add_api_route(
        f"/tenders/{{tender_id}}/{slug}",
        handler,
        methods=["POST"],
        response_model=TenderOut,
        summary=summary,
        name=f"tender_{slug}_api",
    )


def _plain_route(slug: str, perm: Action, service: Any, summary: str) -> None:
    def handler(tender_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(perm)) -> TenderOut:
        with db.transaction() as s:
            return tender_out(service(session=s, now=clock.now(), principal=p, tender_id=tender_id), p)

    router.add_api_route(
        f"/tenders/{{tender_id}}/{slug}",
        handler,
        methods=["POST"],
        response_model=TenderOut,
        summary=summary,
        name=f"tender_{slug}_api",
    )


for _slug, _perm, _svc, _reason, _summary in (
    ("submit", Action.TENDER_MANAGE, services.tender_submit, False, "提交交易中心审核（检查法定期限）"),
    ("return", Action.TENDER_REVIEW, services.tender_return, True, "退回"),
    ("publish", Action.TENDER_REVIEW, services.tender_publish, False, "审核通过并发布公告"),
    ("fail", Action.TENDER_REVIEW, services.tender_fail, True, "流标"),
    ("terminate", Action.TENDER_MANAGE, services.tender_terminate, True, "终止并发布终止公告"),
    ("retender", Action.TENDER_MANAGE, services.tender_retender, False, "流标后重新招标（复制设置）"),
):
    (_reason_route if _reason else _plain_route)(_slug, _perm, _svc, _summary)


@router.post("/tenders/{tender_id}/clarify", response_model=TenderOut, summary="澄清或变更（必要时顺延截止）")
def clarify(
    tender_id: IdPath, data: ClarifyIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> TenderOut:
    with db.transaction() as s:
        return tender_out(
            services.tender_clarify(session=s, now=clock.now(), principal=p, tender_id=tender_id, data=data), p
        )


@router.get("/tenders/{tender_id}/notices", response_model=list[NoticeOut], summary="该项目的公告（含历史版本）")
def tender_notices(tender_id: IdPath, db: DbDep, p: Principal = permit(Action.NOTICE_READ)) -> list[NoticeOut]:
    with db.session(write=False) as s:
        return [notice_out(n) for n in selectors.tender_notices(s, core.tender_for(s, p, tender_id).id)]


@router.get("/notices", response_model=list[NoticeOut], summary="公告列表（公开）")
def notices(db: DbDep, kind: NoticeKind | None = None, _: Principal = permit(Action.NOTICE_READ)) -> list[NoticeOut]:
    with db.session(write=False) as s:
        return [notice_out(n) for n in selectors.notices(s, kind=kind.value if kind else None)]


@router.get("/tenders/{tender_id}/documents", response_model=list[DocumentOut], summary="招标文件列表")
def documents(tender_id: IdPath, db: DbDep, p: Principal = permit(Action.NOTICE_READ)) -> list[DocumentOut]:
    with db.session(write=False) as s:
        t = core.tender_for(s, p, tender_id)  # a draft's documents are the parties' business
        return [
            DocumentOut(
                id=d.id,
                filename=d.filename,
                digest=d.digest,
                size=d.size,
                kind=d.kind,
                uploaded_at=d.uploaded_at,
                public=d.public,
            )
            for d in selectors.documents(s, t.id)
        ]


@router.get("/tenders/{tender_id}/documents/{document_id}", summary="下载招标文件（须先获取）")
def download(
    tender_id: IdPath, document_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.DOCUMENT_DOWNLOAD)
) -> StreamingResponse:
    store = FileStore(request.app.state.settings.data_dir / "blobs")
    with db.session(write=False) as s:
        doc = participation.document_for_download(s, p, tender_id, document_id)
    handle = store.open(doc.digest)
    return StreamingResponse(
        handle,
        media_type="application/octet-stream",
        headers={
            "content-disposition": f"attachment; filename*=UTF-8''{quote(doc.filename)}",
            "x-sm3-digest": doc.digest,
        },
    )


@router.post(
    "/tenders/{tender_id}/documents",
    response_model=DocumentOut,
    status_code=201,
    summary="上传招标文件（请求体为文件本身，application/octet-stream；文件名放在 X-Filename，URL 编码；"
    "X-Public: 1 表示公告附件，随公告公开下载）",
)
async def upload(
    tender_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_MANAGE)
) -> DocumentOut:
    filename = unquote(request.headers.get("x-filename", ""))
    public = request.headers.get("x-public", "") in ("1", "true")
    store = FileStore(request.app.state.settings.data_dir / "blobs")
    # The body is spooled to a temporary file as it arrives, then stored; never held whole in memory.
    with tempfile.SpooledTemporaryFile(max_size=1024 * 1024) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)

        def work() -> DocumentOut:
            with db.transaction() as s:
                d = participation.document_upload(
                    session=s,
                    now=clock.now(),
                    principal=p,
                    store=store,
                    tender_id=tender_id,
                    filename=filename,
                    chunks=iter(lambda: spool.read(1024 * 1024), b""),
                    public=public,
                )
                return DocumentOut(
                    id=d.id, filename=d.filename, digest=d.digest, size=d.size, kind=d.kind,
                    uploaded_at=d.uploaded_at, public=d.public,
                )  # fmt: skip

        return await run_in_threadpool(work)


@router.post("/tenders/{tender_id}/obtain", status_code=204, summary="获取招标文件（记录保密）")
def obtain(tender_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_PARTICIPATE)) -> None:
    with db.transaction() as s:
        participation.document_obtain(session=s, now=clock.now(), principal=p, tender_id=tender_id)


@router.get("/tenders/{tender_id}/obtainers", response_model=list[ObtainOut], summary="获取文件的单位（开标前保密）")
def obtainers(tender_id: IdPath, db: DbDep, p: Principal = permit(Action.TENDER_OBTAINERS)) -> list[ObtainOut]:
    with db.session(write=False) as s:
        t = core.tender_for(s, p, tender_id)
        if not allows_object(p, Action.TENDER_OBTAINERS, t):
            raise NotFound(f"招标项目 {tender_id} 不存在", code="tender_not_found")
        return [
            ObtainOut(org_id=o.id, org_name=o.name, credit_code=o.credit_code, obtained_at=d.obtained_at)
            for d, o in selectors.obtainers(s, t.id)
        ]


@router.get("/tenders/{tender_id}/questions", response_model=list[QuestionOut], summary="问题与答复（不含提问人）")
def questions(tender_id: IdPath, db: DbDep, p: Principal = permit(Action.NOTICE_READ)) -> list[QuestionOut]:
    with db.session(write=False) as s:
        t = s.get(Tender, tender_id)
        if t is None or (t.status not in selectors.PUBLISHED and not allows_object(p, Action.TENDER_READ, t)):
            raise NotFound(f"招标项目 {tender_id} 不存在", code="tender_not_found")
        return [
            QuestionOut(id=q.id, body=q.body, asked_at=q.asked_at, answer=q.answer, answered_at=q.answered_at)
            for q in selectors.questions(s, t.id)
        ]


@router.post("/tenders/{tender_id}/questions", response_model=QuestionOut, status_code=201, summary="提问")
def ask(
    tender_id: IdPath, data: QuestionIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.TENDER_PARTICIPATE)
) -> QuestionOut:
    with db.transaction() as s:
        q = participation.question_ask(session=s, now=clock.now(), principal=p, tender_id=tender_id, body=data.body)
        return QuestionOut(id=q.id, body=q.body, asked_at=q.asked_at, answer=None, answered_at=None)


@router.post(
    "/tenders/{tender_id}/questions/{question_id}/answer", response_model=QuestionOut, summary="答复（向所有人公开）"
)
def answer(
    tender_id: IdPath,
    question_id: IdPath,
    data: AnswerIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.TENDER_MANAGE),
) -> QuestionOut:
    with db.transaction() as s:
        q = participation.question_answer(
            session=s, now=clock.now(), principal=p, tender_id=tender_id, question_id=question_id, answer=data.answer
        )
        return QuestionOut(id=q.id, body=q.body, asked_at=q.asked_at, answer=q.answer, answered_at=q.answered_at)
