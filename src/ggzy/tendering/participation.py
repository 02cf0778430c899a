"""Documents, obtaining them, and questions: what bidders do while a tender is open.

Who obtained the documents and who asked is kept from everyone but the trading centre and the
audit log until opening (招标投标法 Art. 22); answers go to all, without the asker's identity.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.errors import Conflict, NotFound, PermissionDenied
from ggzy.common.filestore import FileStore
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.services import actor_of
from ggzy.tendering import state
from ggzy.tendering.core import answer_once, locked, tender_now, visible
from ggzy.tendering.enums import TenderStatus
from ggzy.tendering.models import DocumentObtain, Question, Tender, TenderDocument

DOCUMENT_KINDS = frozenset({"pdf", "docx", "doc", "xlsx", "xls", "zip", "ofd"})
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024


def document_upload(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    store: FileStore,
    tender_id: int,
    filename: str,
    chunks: Iterable[bytes],
    max_bytes: int = MAX_DOCUMENT_BYTES,
    public: bool = False,
) -> TenderDocument:
    """Tender documents are set before publication; afterwards only a clarification changes them."""
    t = locked(session, principal, tender_id, Action.TENDER_MANAGE)
    if t.status not in (TenderStatus.DRAFT.value, TenderStatus.RETURNED.value):
        raise Conflict("招标文件只能在发布前上传；发布后请通过澄清或变更公告", code="documents_frozen")
    stored = store.put(chunks, max_bytes=max_bytes, filename=filename, allowed=DOCUMENT_KINDS)
    doc = TenderDocument(
        tender_id=t.id,
        filename=stored.filename,
        digest=stored.digest,
        size=stored.size,
        kind=stored.kind,
        uploaded_by=principal.user_id,
        uploaded_at=now,
        public=public,
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.document_upload",
        object_type="tender",
        object_id=t.id,
        after={"document": doc.id, "digest": doc.digest, "size": doc.size, "public": public},
    )
    return doc


def participating(session: Session, principal: Principal, tender_id: int, action: str) -> Tender:
    """Lock a tender for a bidder's own act: only bidders, only invitees of invited procedures."""
    t = locked(session, principal, tender_id, None)
    if not allows_object(principal, Action.TENDER_PARTICIPATE, t) or principal.org_id is None:
        raise PermissionDenied("只有投标人/供应商可以参与", code="forbidden")
    if t.invitees and principal.org_id not in t.invitees:
        raise PermissionDenied("该项目为邀请方式，贵单位不在邀请名单中", code="not_invited")
    state.transition(action, TenderStatus(t.status))
    return t


def document_obtain(*, session: Session, now: datetime, principal: Principal, tender_id: int) -> DocumentObtain:
    t = participating(session, principal, tender_id, "document_obtain")
    assert t.docs_start is not None and t.docs_end is not None
    nominal = tender_now(t, now)
    if nominal < t.docs_start:
        raise Conflict("招标文件尚未开始发出", code="docs_not_started")
    if nominal >= t.docs_end:
        raise Conflict("招标文件发出期已结束", code="docs_closed")
    existing = session.scalar(
        select(DocumentObtain).where(DocumentObtain.tender_id == t.id, DocumentObtain.org_id == principal.org_id)
    )
    if existing is not None:
        return existing  # obtaining twice is the same as once
    row = DocumentObtain(
        tender_id=t.id,
        org_id=principal.org_id or 0,
        user_id=principal.user_id or 0,
        obtained_at=now,
        client_addr=principal.client_addr,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return session.scalars(
            select(DocumentObtain).where(DocumentObtain.tender_id == t.id, DocumentObtain.org_id == principal.org_id)
        ).one()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.document_obtain",
        object_type="tender",
        object_id=t.id,
        detail={"org_id": principal.org_id},
    )
    return row


def has_obtained(session: Session, tender_id: int, org_id: int | None) -> bool:
    return (
        org_id is not None
        and session.scalar(
            select(DocumentObtain.id).where(DocumentObtain.tender_id == tender_id, DocumentObtain.org_id == org_id)
        )
        is not None
    )


def document_for_download(session: Session, principal: Principal, tender_id: int, document_id: int) -> TenderDocument:
    """Parties of the tender and the centre may always read; a bidder after obtaining them."""
    doc = session.get(TenderDocument, document_id)
    t = session.get(Tender, tender_id)
    if doc is None or t is None or doc.tender_id != t.id or not visible(principal, t):
        raise NotFound("文件不存在", code="document_not_found")
    if allows_object(principal, Action.TENDER_READ, t):
        return doc
    if has_obtained(session, t.id, principal.org_id):
        return doc
    raise PermissionDenied("请先获取招标文件", code="obtain_first")


def question_ask(*, session: Session, now: datetime, principal: Principal, tender_id: int, body: str) -> Question:
    t = participating(session, principal, tender_id, "question_ask")
    assert t.question_deadline is not None
    if tender_now(t, now) >= t.question_deadline:
        raise Conflict("提问截止时间已过", code="questions_closed")
    if not has_obtained(session, t.id, principal.org_id):
        raise PermissionDenied("获取招标文件后才能提问", code="obtain_first")
    q = Question(tender_id=t.id, asker_org_id=principal.org_id or 0, body=body, asked_at=now)
    session.add(q)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.question_ask",
        object_type="tender",
        object_id=t.id,
        detail={"question": q.id},
    )
    return q


def question_answer(
    *, session: Session, now: datetime, principal: Principal, tender_id: int, question_id: int, answer: str
) -> Question:
    t, q = answer_once(
        session,
        now=now,
        principal=principal,
        tender_id=tender_id,
        model=Question,
        row_id=question_id,
        text=answer,
        action="question_answer",
        what="问题",
        already="该问题已答复；如需变更请发布澄清公告",
    )
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="tender.question_answer",
        object_type="tender",
        object_id=t.id,
        detail={"question": q.id},
    )
    return q
