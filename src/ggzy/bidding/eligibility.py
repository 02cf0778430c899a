"""Who may bid on a section. Market bans and credit restrictions come from the credit domain,
which sits above this one: it registers its check in ``BAN_CHECKS`` (one function per kind of
restriction) and every submission runs them all, so adding the credit issue changes no code here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from ggzy.common.errors import PermissionDenied
from ggzy.identity.enums import OrgRole
from ggzy.identity.models import Organization
from ggzy.tendering.models import Tender
from ggzy.tendering.participation import has_obtained

# (session, org, tender, now) -> a Chinese reason the org may not bid, or None.
BanCheck = Callable[[Session, Organization, Tender, datetime], str | None]
BAN_CHECKS: list[BanCheck] = []


def check(session: Session, *, org: Organization, t: Tender, now: datetime) -> None:
    if OrgRole.BIDDER not in org.role_set:
        raise PermissionDenied("贵单位未登记为投标人/供应商", code="not_bidder")
    if t.invitees and org.id not in t.invitees:
        raise PermissionDenied("该项目为邀请方式，贵单位不在邀请名单中", code="not_invited")
    if not has_obtained(session, t.id, org.id):
        raise PermissionDenied("请先获取招标文件再投标", code="documents_not_obtained")
    for ban in BAN_CHECKS:
        reason = ban(session, org, t, now)
        if reason:
            raise PermissionDenied(reason, code="bidder_banned")
