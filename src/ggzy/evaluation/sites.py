"""Evaluation sites and seats of the city centre and the county branches (发改办法规〔2025〕807号:
trading centres publish their shared evaluation seats)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common import audit
from ggzy.common.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from ggzy.evaluation.committee import site_code
from ggzy.evaluation.models import Site
from ggzy.identity.models import Branch
from ggzy.identity.permissions import Principal
from ggzy.identity.services import actor_of

CODE = re.compile(r"^[A-Za-z0-9-]{2,20}$")


def site_create(
    *, session: Session, now: datetime, principal: Principal, branch_code: str, code: str, name: str, seats: int
) -> Site:
    branch = session.scalar(select(Branch).where(Branch.code == branch_code))
    if branch is None:
        raise NotFound(f"分中心 {branch_code} 不存在", code="branch_not_found")
    if not principal.is_city_staff and principal.branch_id != branch.id:
        raise PermissionDenied("只能登记本中心的评标场地", code="out_of_scope")
    if not CODE.match(code) or not name.strip() or not 1 <= seats <= 200:
        raise InvalidInput("场地编号为 2–20 位字母数字，名称必填，席位 1–200", code="site_invalid")
    if session.scalar(select(Site.id).where(Site.code == code)) is not None:
        raise Conflict(f"场地编号 {code} 已存在", code="site_exists")
    s = Site(branch_id=branch.id, code=code, name=name.strip()[:100], seats=seats, secret=secrets.token_hex(32))
    session.add(s)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="evaluation.site_create",
        object_type="eval_site",
        object_id=s.id,
        after={"code": code, "name": s.name, "seats": seats, "branch": branch_code},
    )
    return s


def site_screen(session: Session, principal: Principal, site_id: int, now: datetime) -> tuple[Site, str]:
    """What the site's screen shows: the current sign-in code. Only the site's own centre."""
    s = session.get(Site, site_id)
    if s is None:
        raise NotFound("评标场地不存在", code="site_not_found")
    if not principal.is_city_staff and principal.branch_id != s.branch_id:
        raise PermissionDenied("只能查看本中心场地的签到码", code="out_of_scope")
    return s, site_code(s, now)


def sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.branch_id, Site.code)))
