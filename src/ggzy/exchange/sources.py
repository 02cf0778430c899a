"""What one procedure holds that the datasets draw on, loaded once per change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding.models import Bid
from ggzy.common.clock import SHANGHAI
from ggzy.identity.models import Organization, User
from ggzy.registration.codes import unified_deal_code
from ggzy.registration.models import Project
from ggzy.tendering.models import Notice, Section, Tender


def ts(value: datetime | None) -> str | None:
    """The specification's dates: yyyyMMddHHmmss, Beijing time."""
    return None if value is None else value.astimezone(SHANGHAI).strftime("%Y%m%d%H%M%S")


def day_ts(value: Any) -> str | None:
    return None if value is None else datetime.combine(value, time(0), SHANGHAI).strftime("%Y%m%d%H%M%S")


def yuan(value: Decimal | str | None) -> str | None:
    return None if value is None else f"{Decimal(value):.2f}"


@dataclass
class Procedure:
    t: Tender
    p: Project
    tenderer: Organization
    agency: Organization | None
    regulator: Organization
    place: str  # 交易发生行政区域代码: the branch that runs it
    platform_no: int
    base_url: str
    centre: str
    session: Session

    @property
    def gp(self) -> bool:
        return self.t.method.startswith("gp_")

    @property
    def sections(self) -> list[Section]:
        return list(self.t.sections)

    def deal_code(self, s: Section) -> str | None:
        if self.t.published_at is None:
            return None
        return unified_deal_code(
            place_region=self.place,
            platform_no=self.platform_no,
            section=s.code,
            round_no=max(self.t.round_no, 1),
            on=self.t.published_at.astimezone(SHANGHAI).date(),
        )

    def deal_codes(self) -> str:
        return ";".join(c for c in (self.deal_code(s) for s in self.sections) if c)

    def url(self, n: Notice) -> str:
        return f"{self.base_url.rstrip('/')}/notices/{n.id}"

    def user_name(self, user_id: int | None) -> str | None:
        u = self.session.get(User, user_id) if user_id else None
        return u.display_name if u else None

    @property
    def organiser(self) -> Organization:
        """Who organises the procedure: the agency, or the tenderer itself (自行招标)."""
        return self.agency or self.tenderer

    def bid_sheet(self, section_id: int, org_id: int) -> dict[str, Any]:
        bid = self.session.scalar(
            select(Bid).where(Bid.section_id == section_id, Bid.bidder_org_id == org_id, Bid.sheet.is_not(None))
        )
        return dict(bid.sheet or {}) if bid else {}


def procedure(session: Session, tender_id: int, *, platform_no: int, base_url: str, centre: str) -> Procedure:
    t = session.get(Tender, tender_id)
    assert t is not None
    p = t.project
    branch_code = t.project.branch.code if t.project.branch is not None else ""
    place = branch_code if len(branch_code) == 6 and branch_code.isdigit() else p.region_code
    return Procedure(
        t=t,
        p=p,
        tenderer=t.tenderer,
        agency=t.agency,
        regulator=p.regulator,
        place=place,
        platform_no=platform_no,
        base_url=base_url,
        centre=centre,
        session=session,
    )
