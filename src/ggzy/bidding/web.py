"""Pages for bidding and the remote opening: the bidder's bid page (upload a sealed file, receipts,
withdraw), the organisation's keys, and the opening room, which polls the opening's JSON for live
updates (a small script; the page works without it by reloading)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from ggzy.bidding import backup_route, opening, responses, submission
from ggzy.bidding.api import bid_store, platform_key, view
from ggzy.bidding.enums import BidStatus, Outcome, ResponseKind
from ggzy.bidding.upload import Upload
from ggzy.common import sm2
from ggzy.common.errors import DomainError, InvalidInput
from ggzy.http.deps import ClockDep, DbDep, IdPath, permit
from ggzy.http.forms import form_data
from ggzy.http.pages import redirect, render
from ggzy.identity import keys
from ggzy.identity.permissions import Action, Principal
from ggzy.tendering.web import labels

router = APIRouter()
CHUNK = 256 * 1024


def _back(url: str, e: DomainError) -> Response:
    if e.status == 404:
        raise e
    return redirect(url, e.message)


# --- keys ---------------------------------------------------------------------------------------


@router.get("/keys")
def keys_page(request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.KEY_MANAGE)) -> Response:
    with db.transaction() as s:
        rows = keys.org_keys(s, p.org_id) if p.org_id else []
        ch = keys.challenge_issue(session=s, now=clock.now(), purpose="register", user_id=p.user_id)
        challenge = {"nonce": ch.nonce, "text": keys.challenge_text("register", ch.nonce).decode()}
    return render(request, "bidding/keys.html", {"keys": rows, "challenge": challenge})


@router.post("/keys")
async def keys_register(
    request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.KEY_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        with db.transaction() as s:
            k = keys.key_register(
                session=s,
                now=clock.now(),
                principal=p,
                public_key=str(form.get("public_key", "")),
                nonce=str(form.get("nonce", "")),
                signature=str(form.get("signature", "")).strip(),
                label=str(form.get("label", "")),
            )
            fp = k.fingerprint
    except DomainError as e:
        return _back("/keys", e)
    return redirect("/keys", f"已登记密钥，指纹 {fp}")


@router.post("/keys/{key_id}/revoke")
async def keys_revoke(
    key_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.KEY_MANAGE)
) -> Response:
    form = await form_data(request)
    try:
        with db.transaction() as s:
            keys.key_revoke(session=s, now=clock.now(), principal=p, key_id=key_id, reason=str(form.get("reason", "")))
    except DomainError as e:
        return _back("/keys", e)
    return redirect("/keys", "密钥已吊销")


# --- the bidder's bid page ------------------------------------------------------------------------


@router.get("/sections/{section_id}/bid")
def bid_page(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.BID_OWN)
) -> Response:
    with db.session(write=False) as s:
        t, sec = submission.section_for(s, p, section_id)
        info = submission.sealing_info(s, p, section_id)
        mine = submission.my_bids(s, p, section_id)
        my_keys = [k for k in keys.org_keys(s, p.org_id) if k.revoked_at is None] if p.org_id else []
        return render(
            request,
            "bidding/bid.html",
            labels()
            | {
                "tender": t,
                "section": sec,
                "info": info,
                "bids": mine,
                "keys": my_keys,
                "status_labels_bid": {b.value: b.label for b in BidStatus},
                "receipt_json": {
                    b.id: json.dumps({"receipt": b.receipt, "signature": b.receipt_signature}, ensure_ascii=False)
                    for b in mine
                },
                "max_mb": request.app.state.settings.bid_max_bytes // (1024 * 1024),
                "server": str(request.base_url).rstrip("/"),
            },
        )


@router.post("/sections/{section_id}/bids")
async def bid_upload(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.BID_SUBMIT)
) -> Response:
    """Multipart upload of a file sealed with ``ggzy bidder seal``; the same checks as the API."""
    back = f"/sections/{section_id}/bid"
    try:
        await run_in_threadpool(lambda: _precheck(db, clock, p, section_id))
    except DomainError as e:
        return _back(back, e)
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return redirect(back, "请选择封装好的投标文件（.ggzy）")
    key = platform_key(request)

    def work() -> str:
        received = Upload(bid_store(request), request.app.state.settings.bid_max_bytes)
        try:
            upload.file.seek(0)
            while chunk := upload.file.read(CHUNK):
                received.feed(chunk)
        except BaseException:
            received.abort()
            raise
        bid, new = received.submit(db, now=clock.now, principal=p, section_id=section_id, platform_key=key)
        return f"{'已递交' if new else '该文件此前已递交'}：回执号 {bid.seq}，SM3 {bid.digest[:16]}…"

    try:
        msg = await run_in_threadpool(work)
    except DomainError as e:
        return _back(back, e)
    finally:
        await upload.close()
    return redirect(back, msg)


def _precheck(db: Any, clock: Any, p: Principal, section_id: int) -> None:
    with db.session(write=False) as s:
        submission.precheck(s, now=clock.now(), principal=p, section_id=section_id)


@router.post("/sections/{section_id}/bids/withdraw")
async def bid_withdraw(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.BID_SUBMIT)
) -> Response:
    await form_data(request)
    back = f"/sections/{section_id}/bid"
    try:
        with db.transaction() as s:
            bid, _, _ = submission.bid_withdraw(
                session=s, now=clock.now(), principal=p, section_id=section_id, platform_key=platform_key(request)
            )
            seq = bid.seq
    except DomainError as e:
        return _back(back, e)
    return redirect(back, f"已撤回回执号 {seq} 的投标文件")


# --- the opening room -----------------------------------------------------------------------------


@router.get("/sections/{section_id}/opening")
def opening_page(
    section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(Action.OPENING_VIEW)
) -> Response:
    now = clock.now()
    try:
        room = view(db, p, now, section_id).model_dump()
    except DomainError as e:
        if e.code != "opening_not_started":
            raise
        room = None
    with db.session(write=False) as s:
        t, sec = submission.section_for(s, p, section_id)
        return render(
            request,
            "bidding/opening.html",
            labels()
            | {
                "tender": t,
                "section": sec,
                "room": room,
                "outcome_labels": {o.value: o.label for o in Outcome},
                "platform_fp": sm2.fingerprint(platform_key(request).public_hex),
            },
        )


def _room_action(path: str, perm: Action, fn: Any) -> None:
    async def handler(
        section_id: IdPath, request: Request, db: DbDep, clock: ClockDep, p: Principal = permit(perm)
    ) -> Response:
        form = await form_data(request)
        back = f"/sections/{section_id}/opening"
        try:
            with db.transaction() as s:
                msg = fn(s, clock.now(), p, section_id, form, request)
        except DomainError as e:
            return _back(back, e)
        if isinstance(msg, DomainError):  # recorded and committed, but still a refusal to report
            return _back(back, msg)
        return redirect(back, msg)

    handler.__name__ = "opening_" + path.replace("/", "_").replace("{", "").replace("}", "")
    router.add_api_route(f"/sections/{{section_id}}/opening/{path}", handler, methods=["POST"], include_in_schema=False)


def _decrypt(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str | DomainError:
    bid, error = opening.key_submit(
        session=s,
        now=now,
        principal=p,
        section_id=sid,
        content_key=str(form.get("content_key", "")),
        store=bid_store(request),
    )
    if error is not None:
        return error
    return "解密成功" if bid.outcome == Outcome.OPENED.value else bid.outcome_reason


def _share(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str:
    backup_route.share_handin(
        session=s, now=now, principal=p, section_id=sid, share=str(form.get("share", "")), store=bid_store(request)
    )
    return "已提交备用解密份额"


def _close(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str:
    opening.window_close_early(session=s, now=now, principal=p, section_id=sid, store=bid_store(request))
    return "解密已结束，请各投标人确认开标记录"


def _backup(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str | DomainError:
    error = backup_route.backup_apply(session=s, now=now, principal=p, section_id=sid, store=bid_store(request))
    return error or "已执行备用解密"


def _classify(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str:
    try:
        seq, outcome = int(str(form.get("seq", ""))), Outcome(str(form.get("outcome", "")))
    except ValueError as e:
        raise InvalidInput("请选择投标文件和认定结果", code="classify_invalid") from e
    opening.entry_classify(
        session=s, now=now, principal=p, section_id=sid, seq=seq, outcome=outcome, reason=str(form.get("reason", ""))
    )
    return f"已认定回执号 {seq}：{outcome.label}"


def _respond(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str:
    kind = ResponseKind.OBJECTION if form.get("kind") == "objection" else ResponseKind.CONFIRM
    responses.record_respond(session=s, now=now, principal=p, section_id=sid, kind=kind, body=str(form.get("body", "")))
    return "已提出异议，待招标人答复" if kind is ResponseKind.OBJECTION else "已确认开标记录"


def _answer(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str:
    try:
        rid = int(str(form.get("response_id", "")))
    except ValueError as e:
        raise InvalidInput("请选择要答复的异议", code="answer_invalid") from e
    responses.objection_answer(
        session=s, now=now, principal=p, section_id=sid, response_id=rid, answer=str(form.get("answer", ""))
    )
    return "已答复异议"


def _publish(s: Any, now: Any, p: Principal, sid: int, form: Any, request: Request) -> str:
    opening.record_publish(session=s, now=now, principal=p, section_id=sid)
    return "开标记录已公布"


_room_action("decrypt", Action.OPENING_DECRYPT, _decrypt)
_room_action("shares", Action.BACKUP_HANDIN, _share)
_room_action("close", Action.OPENING_HOST, _close)
_room_action("backup", Action.OPENING_HOST, _backup)
_room_action("classify", Action.OPENING_HOST, _classify)
_room_action("responses", Action.OPENING_RESPOND, _respond)
_room_action("answer", Action.OPENING_ANSWER, _answer)
_room_action("publish", Action.OPENING_HOST, _publish)
