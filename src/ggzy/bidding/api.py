"""Sealed bids, receipts and the remote opening over HTTP. Thin: parse, call a service, answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ggzy.bidding import backup_route, opening, responses, selectors, submission
from ggzy.bidding.enums import BidStatus, Outcome, ResponseKind
from ggzy.bidding.schemas import (
    AnswerIn,
    ClassifyIn,
    ContentKeyIn,
    MyBidOut,
    OpeningOut,
    PlatformKeyOut,
    ReceiptOut,
    ReceiptVerifyIn,
    ReceiptVerifyOut,
    RespondIn,
    SealingOut,
    ShareIn,
    WrappedShareOut,
)
from ggzy.bidding.store import BidStore
from ggzy.bidding.upload import Upload
from ggzy.common import sm2
from ggzy.common.crypto import canonical_json
from ggzy.common.errors import Conflict, NotFound
from ggzy.common.signing import PlatformKey, load_or_create
from ggzy.db import Database
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.identity.permissions import Action, Principal

router = APIRouter(tags=["投标与开标"])


def platform_key(request: Request) -> PlatformKey:
    """Read once per application (every receipt needs it; the file does not change while running)."""
    key: PlatformKey | None = getattr(request.app.state, "platform_key", None)
    if key is None:
        key = request.app.state.platform_key = load_or_create(request.app.state.settings.data_dir / "keys")
    return key


def bid_store(request: Request) -> BidStore:
    return BidStore(request.app.state.settings.data_dir / "bids")


def receipt_out(receipt: dict[str, Any], signature: str, status: str) -> ReceiptOut:
    return ReceiptOut(receipt=receipt, signature=signature, status=status, status_label=BidStatus(status).label)


@router.get("/sections/{section_id}/sealing", response_model=SealingOut, summary="封装投标文件所需的参数")
def sealing(section_id: IdPath, request: Request, db: DbDep, p: Principal = permit(Action.NOTICE_READ)) -> SealingOut:
    with db.session(write=False) as s:
        info = submission.sealing_info(s, p, section_id)
    return SealingOut(**info, max_bytes=request.app.state.settings.bid_max_bytes)


@router.get("/platform-key", response_model=PlatformKeyOut, summary="平台 SM2 公钥（验证回执与通知书签名）")
def platform_public_key(request: Request, _: Principal = permit(Action.PORTAL_VIEW)) -> PlatformKeyOut:
    key = platform_key(request)
    return PlatformKeyOut(
        public_key=key.public_hex, fingerprint=sm2.fingerprint(key.public_hex), pem=sm2.public_to_pem(key.public_hex)
    )


@router.post(
    "/sections/{section_id}/bids",
    response_model=ReceiptOut,
    status_code=201,
    summary="递交（或替换）投标文件：请求体为封装好的投标文件本身（application/octet-stream）",
    responses={200: {"description": "同一投标文件重复提交：返回原回执"}},
)
async def submit(
    section_id: IdPath,
    request: Request,
    response: Response,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.BID_SUBMIT),
) -> ReceiptOut:
    def precheck() -> None:
        with db.session(write=False) as s:
            submission.precheck(s, now=clock.now(), principal=p, section_id=section_id)

    await run_in_threadpool(precheck)  # refuse a late or ineligible bid before reading its bytes
    upload = Upload(bid_store(request), request.app.state.settings.bid_max_bytes)
    try:
        async for chunk in request.stream():
            upload.feed(chunk)
    except BaseException:
        upload.abort()
        raise
    key = platform_key(request)

    def work() -> tuple[ReceiptOut, bool]:
        bid, new = upload.submit(db, now=clock.now, principal=p, section_id=section_id, platform_key=key)
        return receipt_out(bid.receipt, bid.receipt_signature, bid.status), new

    out, new = await run_in_threadpool(work)
    if not new:
        response.status_code = 200
    return out


@router.post("/sections/{section_id}/bids/withdraw", response_model=ReceiptOut, summary="撤回投标文件（截止前）")
def withdraw(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.BID_SUBMIT)
) -> ReceiptOut:
    with db.transaction() as s:
        bid, receipt, signature = submission.bid_withdraw(
            session=s, now=clock.now(), principal=p, section_id=section_id, platform_key=platform_key(request)
        )
        return receipt_out(receipt, signature, bid.status)


@router.get("/sections/{section_id}/bids/mine", response_model=list[MyBidOut], summary="本单位在该标段的投标文件与回执")
def mine(section_id: IdPath, db: DbDep, p: Principal = permit(Action.BID_OWN)) -> list[MyBidOut]:
    with db.session(write=False) as s:
        return [
            MyBidOut(
                receipt=b.receipt,
                signature=b.receipt_signature,
                status=b.status,
                status_label=BidStatus(b.status).label,
                seq=b.seq,
                digest=b.digest,
                size=b.size,
                received_at=b.received_at,
                outcome=b.outcome,
                outcome_label=Outcome(b.outcome).label if b.outcome else None,
            )
            for b in submission.my_bids(s, p, section_id)
        ]


@router.post("/receipts/verify", response_model=ReceiptVerifyOut, summary="验证投标回执的平台签名及该投标文件的现状")
def verify_receipt(
    data: ReceiptVerifyIn, request: Request, db: DbDep, _: Principal = permit(Action.RECEIPT_VERIFY)
) -> ReceiptVerifyOut:
    key = platform_key(request)
    if not sm2.verify(key.public_hex, canonical_json(data.receipt), data.signature):
        return ReceiptVerifyOut(valid=False, message="签名无效：回执不是本平台签发的，或内容已被改动")
    with db.session(write=False) as s:
        status = submission.receipt_status(s, data.receipt)
    if status is None:
        return ReceiptVerifyOut(valid=False, message="签名有效，但平台没有这份投标文件的记录")
    label = BidStatus(status).label
    return ReceiptVerifyOut(valid=True, message=f"回执有效；该投标文件现状：{label}", status=status)


# --- the opening ----------------------------------------------------------------------------------


def _ensure(db: Database, now: datetime, section_id: int) -> None:
    with db.session(write=False) as s:
        due = selectors.needs_ensure(s, now, section_id)
    if due:
        with db.transaction() as s:
            from ggzy.tendering.models import Section

            sec = s.get(Section, section_id)
            if sec is not None:
                opening.ensure(s, now=now, t=sec.tender)


def view(db: Database, p: Principal, now: datetime, section_id: int) -> OpeningOut:
    _ensure(db, now, section_id)
    with db.session(write=False) as s:
        return OpeningOut(**selectors.opening_view(s, p, now, section_id))


@router.get("/sections/{section_id}/opening", response_model=OpeningOut, summary="开标现场（实时）")
def opening_get(
    section_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_VIEW)
) -> OpeningOut:
    return view(db, p, clock.now(), section_id)


@router.post(
    "/sections/{section_id}/opening/decrypt", response_model=OpeningOut, summary="提交内容密钥解密本单位投标文件"
)
def decrypt(
    section_id: IdPath,
    data: ContentKeyIn,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.OPENING_DECRYPT),
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        _, error = opening.key_submit(
            session=s,
            now=now,
            principal=p,
            section_id=section_id,
            content_key=data.content_key,
            store=bid_store(request),
        )
    if error is not None:  # the failed attempt is on record; the caller hears why
        raise error
    return view(db, p, now, section_id)


@router.get(
    "/sections/{section_id}/opening/my-share",
    response_model=WrappedShareOut,
    summary="本单位保管的备用解密份额（加密）",
)
def my_share(section_id: IdPath, db: DbDep, p: Principal = permit(Action.BACKUP_HANDIN)) -> WrappedShareOut:
    with db.session(write=False) as s:
        row = selectors.custodian_share(s, p, section_id)
        if row is None:
            raise NotFound("贵单位不是本标段备用解密密钥的保管单位", code="not_custodian")
        if not selectors.opening_started(s, section_id):
            # Released only after the deadline, so custodians cannot pool their shares early.
            raise Conflict("投标截止、开标开始后才能取得备用解密份额", code="opening_not_started")
        from ggzy.tendering.backup import BackupKey

        bk = s.get(BackupKey, row.backup_key_id)
        assert bk is not None
        return WrappedShareOut(
            backup_key_fingerprint=bk.fingerprint,
            custodian_key=row.custodian_key,
            wrapped=row.wrapped,
            handed_in=row.handed_in is not None,
        )


@router.post("/sections/{section_id}/opening/shares", response_model=OpeningOut, summary="提交备用解密份额（截止后）")
def share_handin(
    section_id: IdPath,
    data: ShareIn,
    request: Request,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.BACKUP_HANDIN),
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        backup_route.share_handin(
            session=s, now=now, principal=p, section_id=section_id, share=data.share, store=bid_store(request)
        )
    return view(db, p, now, section_id)


@router.post("/sections/{section_id}/opening/close", response_model=OpeningOut, summary="全部解密后结束解密")
def close(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_HOST)
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        opening.window_close_early(session=s, now=now, principal=p, section_id=section_id, store=bid_store(request))
    return view(db, p, now, section_id)


@router.post("/sections/{section_id}/opening/backup", response_model=OpeningOut, summary="执行备用解密")
def backup_apply(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_HOST)
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        error = backup_route.backup_apply(
            session=s, now=now, principal=p, section_id=section_id, store=bid_store(request)
        )
    if error is not None:  # the failed attempt is on record; the caller hears why
        raise error
    return view(db, p, now, section_id)


@router.post(
    "/sections/{section_id}/opening/classify", response_model=OpeningOut, summary="认定未解密投标文件：撤销或撤回"
)
def classify(
    section_id: IdPath, data: ClassifyIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_HOST)
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        opening.entry_classify(
            session=s,
            now=now,
            principal=p,
            section_id=section_id,
            seq=data.seq,
            outcome=Outcome(data.outcome),
            reason=data.reason,
        )
    return view(db, p, now, section_id)


@router.post(
    "/sections/{section_id}/opening/responses",
    response_model=OpeningOut,
    status_code=201,
    summary="确认开标记录或提出异议",
)
def respond(
    section_id: IdPath, data: RespondIn, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_RESPOND)
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        responses.record_respond(
            session=s, now=now, principal=p, section_id=section_id, kind=ResponseKind(data.kind), body=data.body
        )
    return view(db, p, now, section_id)


@router.post(
    "/sections/{section_id}/opening/responses/{response_id}/answer", response_model=OpeningOut, summary="答复开标异议"
)
def answer(
    section_id: IdPath,
    response_id: IdPath,
    data: AnswerIn,
    db: DbDep,
    clock: ClockDep,
    p: Principal = permit(Action.OPENING_ANSWER),
) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        responses.objection_answer(
            session=s, now=now, principal=p, section_id=section_id, response_id=response_id, answer=data.answer
        )
    return view(db, p, now, section_id)


@router.post("/sections/{section_id}/opening/publish", response_model=OpeningOut, summary="公布开标记录")
def publish(section_id: IdPath, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_HOST)) -> OpeningOut:
    now = clock.now()
    with db.transaction() as s:
        opening.record_publish(session=s, now=now, principal=p, section_id=section_id)
    return view(db, p, now, section_id)
