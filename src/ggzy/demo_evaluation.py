"""Demo evaluation: the sites of the city centre and two county branches, and accounts for the
four other experts drawn for the 防汛道路 section, who have accepted. The demo "expert" still has
to accept on the workbench; then the centre forms the committee on /evaluations and the five
experts sign in with the site screens' codes, elect the chair, review, score and sign (README).
Loaded after the expert demo; idempotent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common.audit import SYSTEM
from ggzy.demo_tendering import _principal
from ggzy.evaluation import sites
from ggzy.evaluation.models import Site
from ggzy.experts import extraction
from ggzy.experts.models import Expert, Extraction
from ggzy.identity import services as identity_services
from ggzy.identity.enums import Role
from ggzy.identity.models import User
from ggzy.identity.schemas import UserCreateIn

SITES = (
    ("220200", "CITY-1", "市中心第一评标室", 9),
    ("220221", "YJ-1", "永吉分中心评标室", 5),
    ("220284", "PS-1", "磐石分中心评标室", 5),
)


def load(session: Session, now: datetime, password: str) -> None:
    if session.scalar(select(Site.id).limit(1)) is not None:
        return
    operator = _principal(session, "operator")
    for branch, code, name, seats in SITES:
        sites.site_create(
            session=session, now=now, principal=operator, branch_code=branch, code=code, name=name, seats=seats
        )
    x = session.scalar(select(Extraction).where(Extraction.status == "drawn").order_by(Extraction.id))
    if x is None:
        return
    n = 1
    for expert_id in extraction.committee(x)[0]:
        e = session.get(Expert, expert_id)
        assert e is not None
        if e.user_id is None:
            n += 1
            data = UserCreateIn(
                username=f"expert{n}", display_name=f"评标专家 {e.name}", role=Role.EXPERT, password=password
            )
            u = identity_services.user_create(session=session, now=now, actor=SYSTEM, data=data)
            e.user_id = u.id
            session.flush()
            user = session.get(User, u.id)
            assert user is not None
            extraction.respond(
                session=session, now=now, principal=_principal(session, user.username), extraction_id=x.id, accept=True
            )
