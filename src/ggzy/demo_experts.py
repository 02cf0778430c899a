"""Demo expert library: a sample of the speciality tree, thirty experts (two awaiting admission,
one suspended), the demo user "expert" as one of them, and a committee drawn for the opened
防汛道路 section, so that "expert" finds an invitation on the workbench. Loaded with a data
directory only (``ggzy demo``), after the bidding demo; idempotent.

The tree is a sample shaped like 发改法规〔2018〕316号 (works / goods / services at the top); the
full classification is loaded as data by the operators.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common.audit import SYSTEM
from ggzy.common.clock import local_date
from ggzy.demo_bidding import DONE_NAME
from ggzy.demo_tendering import _principal
from ggzy.experts import extraction, library, specialities
from ggzy.experts.enums import ExpertStatus
from ggzy.experts.models import Expert, Extraction
from ggzy.experts.rules import Limits
from ggzy.identity.models import User
from ggzy.identity.rules import make_id_number, make_uscc
from ggzy.tendering.models import Tender

SAMPLE_TREE = Path(__file__).parent / "experts" / "data" / "specialities-sample.csv"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
# (speciality, how many); the five 堤防 experts are exactly a committee for the demo draw.
PLAN = [("A0101", 5), ("A0102", 4), ("A0201", 5), ("A03", 4), ("B01", 4), ("B02", 3), ("C01", 3), ("C02", 2)]


def _tree(session: Session, now: datetime) -> None:
    # The same loader the operators use for the published tree (ggzy experts load-specialities).
    specialities.upsert(session, now=now, actor=SYSTEM, rows=specialities.parse_csv(SAMPLE_TREE.read_text("utf-8")))


def load(session: Session, now: datetime) -> None:
    if session.scalar(select(Expert.id).limit(1)) is not None:
        return
    _tree(session, now)
    operator, regulator = _principal(session, "operator"), _principal(session, "regulator")
    limits, n = Limits(), 0
    experts: list[Expert] = []
    for code, count in PLAN:
        for _ in range(count):
            n += 1
            e = library.expert_register(
                session=session, now=now, principal=operator, name=f"{SURNAMES[n % len(SURNAMES)]}专家{n:02d}",
                id_number=make_id_number(f"220204{1960 + n % 25}0{1 + n % 9}1{n % 9}{n:03d}"),
                employer_credit_code=make_uscc(f"912202{n:02d}MA19{n:05d}"), title="高级工程师",
                years=10 + n % 20, region_code="220204" if n % 3 else "220221", phone="",
                specialities=[code], limits=limits,
            )  # fmt: skip
            experts.append(e)
    for i, e in enumerate(experts):
        if i in (28, 29):
            continue  # awaiting the regulator's admission review
        library.expert_set_status(
            session=session, now=now, principal=regulator, expert_id=e.id, status=ExpertStatus.ACTIVE, reason=""
        )
    library.expert_set_status(
        session=session, now=now, principal=regulator, expert_id=experts[27].id, status=ExpertStatus.SUSPENDED,
        reason="年度考核不合格，暂停六个月", until=(now + timedelta(days=180)).date(),
    )  # fmt: skip
    # The demo user "expert" is the first 堤防 expert.
    user = session.scalar(select(User).where(User.username == "expert"))
    if user is not None:
        experts[0].user_id = user.id
    _draw(session, now, operator)


def _draw(session: Session, now: datetime, operator: object) -> None:
    t = session.scalar(select(Tender).where(Tender.name == DONE_NAME))
    if t is None:
        return
    x = extraction.extraction_request(
        session=session, now=now, principal=operator, section_id=t.sections[0].id,  # type: ignore[arg-type]
        needs=[extraction.Need("A0101", 5)], regions=["2202"], day=local_date(now),
        site="吉林市公共资源交易中心 第 3 评标室", limits=Limits(),
    )  # fmt: skip
    extraction.extraction_draw(session=session, now=now + timedelta(minutes=5), principal=operator, extraction_id=x.id)  # type: ignore[arg-type]
    session.flush()
    assert session.get(Extraction, x.id) is not None
