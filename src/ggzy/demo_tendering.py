"""Demo tenders, through the real services as the users who would act: an open construction tender
in bidding (documents obtained, a question answered), a procurement tender awaiting the county
centre's review, a failed tender with its re-tender draft, and, in the sandbox only, an
accelerated tender. Idempotent: a tender that exists (by name) is left alone.

The failed tender has to have run its whole course, so its history is dated in the past
(published 24 days before ``now``, closed at its deadline, failed the next day); everything else
happens at ``now`` or minutes after it. Bid deadlines are 30 days out, after the lifecycle tests' own deadlines.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding import opening
from ggzy.common.calendar import WorkCalendar
from ggzy.common.clock import local_date
from ggzy.common.filestore import FileStore
from ggzy.config import Settings
from ggzy.identity import selectors as identity_selectors
from ggzy.identity.models import User
from ggzy.identity.permissions import Principal
from ggzy.registration.models import Project
from ggzy.tendering import core, participation, rules, services
from ggzy.tendering.enums import EvaluationMethod, Method
from ggzy.tendering.models import Tender
from ggzy.tendering.schemas import SectionIn, TenderIn

RIVER = "松花江南岸（船营段）堤防加固工程"
SCHOOL = "永吉县第一中学理化生实验室设备采购"
OPEN_NAME = "松花江南岸（船营段）堤防加固工程施工招标"
GP_NAME = "永吉县第一中学理化生实验室设备采购（竞争性磋商）"
FAILED_NAME = "松花江南岸（船营段）堤防加固工程监理招标"
SANDBOX_NAME = "【沙箱演练】松花江南岸堤防加固工程护岸材料采购招标"
QUESTION = "第二标段是否接受联合体投标？联合体各方资质如何认定？"
ANSWER = "本项目不接受联合体投标，投标人须具备水利水电工程施工总承包二级及以上资质。"


def tender_pdf(title: str) -> bytes:
    """A small but well-formed one-page PDF (ASCII text only: no embedded CJK font)."""
    text = f"BT /F1 14 Tf 72 760 Td ({title}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(text), text),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (i, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _principal(session: Session, username: str) -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return identity_selectors.principal_of(user, client_addr="127.0.0.1")


def _project_id(session: Session, name: str) -> int:
    pid = session.scalar(select(Project.id).where(Project.name == name))
    assert pid is not None, name
    return pid


def _exists(session: Session, name: str) -> bool:
    return session.scalar(select(Tender.id).where(Tender.name == name).limit(1)) is not None


def _schedule(session: Session, method: Method, start: datetime, extra_days: int) -> dict[str, datetime]:
    """The earliest lawful schedule for ``method`` from ``start``, with ``extra_days`` to spare."""
    in_force = rules.in_force(core.rule_rows(session), method, local_date(start))
    earliest = rules.earliest_schedule(start, in_force, WorkCalendar.load(session))
    docs_end = earliest.get("docs_end", start + timedelta(days=5))
    bid = max(earliest.get("bid_deadline", docs_end), docs_end) + timedelta(days=extra_days)
    return {
        "docs_start": start,
        "docs_end": docs_end,
        "question_deadline": bid - timedelta(days=3),
        "bid_deadline": bid,
    }


def _river_sections(prefix: str = "") -> list[SectionIn]:
    return [
        SectionIn(
            name=f"{prefix}第一标段（K0+000～K3+200）",
            estimate=Decimal("20000000.00"),
            evaluation_method=EvaluationMethod.COMPREHENSIVE,
            qualification="水利水电工程施工总承包二级及以上",
        ),
        SectionIn(
            name=f"{prefix}第二标段（K3+200～K6+500）",
            estimate=Decimal("18600000.00"),
            evaluation_method=EvaluationMethod.COMPREHENSIVE,
            qualification="水利水电工程施工总承包二级及以上",
        ),
    ]


def _open_tender(session: Session, now: datetime, store: FileStore) -> None:
    """Published and open: documents uploaded, obtained by a bidder, one question answered."""
    if _exists(session, OPEN_NAME):
        return
    owner, operator, bidder = (_principal(session, u) for u in ("tenderer", "operator", "bidder"))
    schedule = _schedule(session, Method.CONSTRUCTION_OPEN, now + timedelta(minutes=1), 10)
    sections = _river_sections()
    # The second section has its own schedule: it closes and opens two hours before the first
    # (staggered openings on one day, so the opening rooms are not all busy at once).
    sections[1] = sections[1].model_copy(update={"bid_deadline": schedule["bid_deadline"] - timedelta(hours=2)})
    data = TenderIn.model_validate(
        schedule
        | dict(
            project_id=_project_id(session, RIVER),
            name=OPEN_NAME,
            method=Method.CONSTRUCTION_OPEN,
            content="堤防加固 6.5 公里、护岸及附属工程施工，分两个标段；第二标段先行截标、开标。",
            sections=sections,
        )
    )
    t = services.tender_create(session=session, now=now, principal=owner, data=data, sandbox=False)
    participation.document_upload(
        session=session,
        now=now,
        principal=owner,
        store=store,
        tender_id=t.id,
        filename="招标文件（施工）.pdf",
        chunks=iter([tender_pdf("Songhua River south bank levee reinforcement - tender documents")]),
    )
    participation.document_upload(  # a public attachment of the notice, for anyone to download
        session=session,
        now=now,
        principal=owner,
        store=store,
        tender_id=t.id,
        filename="工程位置示意图.pdf",
        chunks=iter([tender_pdf("Songhua River south bank levee reinforcement - site map")]),
        public=True,
    )
    services.tender_submit(session=session, now=now, principal=owner, tender_id=t.id)
    services.tender_publish(session=session, now=now, principal=operator, tender_id=t.id)
    at = now + timedelta(minutes=2)  # after the documents start to be issued
    participation.document_obtain(session=session, now=at, principal=bidder, tender_id=t.id)
    q = participation.question_ask(session=session, now=at, principal=bidder, tender_id=t.id, body=QUESTION)
    participation.question_answer(
        session=session, now=at + timedelta(minutes=3), principal=owner, tender_id=t.id, question_id=q.id, answer=ANSWER
    )


def _pending_procurement(session: Session, now: datetime) -> None:
    """A consultation procurement submitted to the county centre (yongji_op reviews it)."""
    if _exists(session, GP_NAME):
        return
    school = _principal(session, "yongji_school")
    data = TenderIn.model_validate(
        _schedule(session, Method.GP_CONSULTATION, now + timedelta(days=1), 3)
        | dict(
            project_id=_project_id(session, SCHOOL),
            name=GP_NAME,
            method=Method.GP_CONSULTATION,
            content="物理、化学、生物实验室成套设备的供货、安装与培训。",
            sections=[
                SectionIn(
                    name="第1包：物理实验室设备",
                    estimate=Decimal("520000.00"),
                    evaluation_method=EvaluationMethod.GP_COMPREHENSIVE,
                ),
                SectionIn(
                    name="第2包：化学、生物实验室设备",
                    estimate=Decimal("680000.00"),
                    evaluation_method=EvaluationMethod.GP_COMPREHENSIVE,
                ),
            ],
        )
    )
    t = services.tender_create(session=session, now=now, principal=school, data=data, sandbox=False)
    services.tender_submit(session=session, now=now, principal=school, tender_id=t.id)


def _failed_tender(session: Session, now: datetime) -> None:
    """Run a whole procedure in the past: published, closed at its deadline, failed; then re-tendered now."""
    if _exists(session, FAILED_NAME):
        return
    owner, operator = _principal(session, "tenderer"), _principal(session, "operator")
    start = now - timedelta(days=24)
    sched = _schedule(session, Method.CONSTRUCTION_OPEN, start + timedelta(hours=1), 0)
    data = TenderIn.model_validate(
        sched
        | dict(
            project_id=_project_id(session, RIVER),
            name=FAILED_NAME,
            method=Method.CONSTRUCTION_OPEN,
            content="堤防加固工程施工阶段监理。",
            sections=[
                SectionIn(
                    name="监理标段",
                    estimate=Decimal("980000.00"),
                    evaluation_method=EvaluationMethod.COMPREHENSIVE,
                    qualification="水利工程施工监理乙级及以上",
                )
            ],
        )
    )
    t = services.tender_create(session=session, now=start, principal=owner, data=data, sandbox=False)
    services.tender_submit(session=session, now=start, principal=owner, tender_id=t.id)
    services.tender_publish(session=session, now=start + timedelta(minutes=30), principal=operator, tender_id=t.id)
    # The deadline passes with no bid: no opening, and the tender fails by itself (实施条例第四十四条).
    # Applied by hand here; the pending dated event is then skipped as already applied.
    opening.ensure(session, now=sched["bid_deadline"], t=t)
    services.tender_retender(session=session, now=now, principal=owner, tender_id=t.id)


def _sandbox_tender(session: Session, now: datetime) -> None:
    """Sandbox only: a day of statutory time passes in a minute (acceleration 1440)."""
    if _exists(session, SANDBOX_NAME):
        return
    owner, operator = _principal(session, "tenderer"), _principal(session, "operator")
    data = TenderIn.model_validate(
        _schedule(session, Method.CONSTRUCTION_OPEN, now + timedelta(hours=1), 0)
        | dict(
            project_id=_project_id(session, RIVER),
            name=SANDBOX_NAME,
            method=Method.CONSTRUCTION_OPEN,
            content="沙箱演练用：法定期间加速 1440 倍（1 天 = 1 分钟）。",
            sections=_river_sections("演练"),
            acceleration=1440,
        )
    )
    t = services.tender_create(session=session, now=now, principal=owner, data=data, sandbox=True)
    services.tender_submit(session=session, now=now, principal=owner, tender_id=t.id)
    services.tender_publish(session=session, now=now, principal=operator, tender_id=t.id)


@contextmanager
def _store(settings: Settings | None) -> Iterator[FileStore]:
    if settings is not None:
        yield FileStore(Path(settings.data_dir) / "blobs")
        return
    with tempfile.TemporaryDirectory(prefix="ggzy-demo-blobs-") as tmp:  # tests: the row matters, not the blob
        yield FileStore(Path(tmp))


def load(session: Session, now: datetime, settings: Settings | None = None) -> None:
    """Add the demo tenders that are missing. ``settings`` gives the blob directory and the
    environment (the accelerated tender is added only in the sandbox)."""
    with _store(settings) as store:
        _open_tender(session, now, store)
    _pending_procurement(session, now)
    _failed_tender(session, now)
    if settings is not None and settings.env == "sandbox":
        _sandbox_tender(session, now)
