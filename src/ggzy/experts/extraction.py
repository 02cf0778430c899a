"""Drawing an evaluation committee (抽取): the request fixes the eligible lists and commits to
them, the draw happens later with a seed nobody could foresee, and the result replays
(docs/draw.md). Names stay sealed: the candidate ids and the secret live only in the
extraction's sealed fields until the result is public.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding.enums import BidStatus, OpeningStatus
from ggzy.bidding.models import Bid, Opening
from ggzy.common import audit
from ggzy.common.audit import AuditHead
from ggzy.common.errors import Conflict, InvalidInput, NotFound, RuleViolation
from ggzy.experts import draw
from ggzy.experts.models import Expert, ExpertBusy, ExpertService, Extraction
from ggzy.experts.pool import PoolQuery, breakdown, eligible
from ggzy.experts.rules import AVOIDANCE_BASIS, Limits
from ggzy.identity.models import Organization
from ggzy.identity.permissions import Principal
from ggzy.identity.services import actor_of
from ggzy.registration.models import Project
from ggzy.tendering.models import Section, Tender


@dataclass(frozen=True)
class Need:
    speciality: str
    count: int


def _parties(session: Session, t: Tender, section_id: int) -> tuple[str, list[str], list[str]]:
    """The tenderer, the supervising department and the section's bidders, by credit code."""
    tenderer = session.get(Organization, t.tenderer_org_id)
    project = session.get(Project, t.project_id)
    supervisor = session.get(Organization, project.regulator_org_id) if project else None
    bidders = session.scalars(
        select(Organization.credit_code)
        .join(Bid, Bid.bidder_org_id == Organization.id)
        .where(Bid.section_id == section_id, Bid.status == BidStatus.ACCEPTED.value)
    ).all()
    assert tenderer is not None
    return tenderer.credit_code, [supervisor.credit_code] if supervisor else [], list(bidders)


def extraction_request(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    section_id: int,
    needs: Sequence[Need],
    regions: Sequence[str],
    day: date,
    site: str,
    limits: Limits,
) -> Extraction:
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    t = section.tender
    opening = session.scalar(select(Opening).where(Opening.section_id == section_id))
    if opening is None or opening.status == OpeningStatus.FAILED.value:
        # The bidders must be known, so their staff can be avoided.
        raise Conflict("开标后才能抽取评标专家（须回避投标人的工作人员）", code="opening_required")
    if not needs or any(n.count < 1 for n in needs):
        raise InvalidInput("请写明抽取的专业和人数", code="needs_invalid")
    tenderer, supervisors, bidders = _parties(session, t, section_id)
    lists: list[list[int]] = []
    for need in needs:
        # Needs may overlap (A01 and A0101): an expert drawn for one is passed over by the next.
        q = PoolQuery(need.speciality, regions, day, tenderer, supervisors, bidders)
        ids = eligible(session, q, limits)
        if len(ids) < need.count:
            removed = breakdown(session, q, limits)
            detail = "；".join(f"{rule.label} {n} 人" for rule, n in removed if n)
            raise RuleViolation(
                f"专业 {need.speciality} 符合条件的专家只有 {len(ids)} 人，不足 {need.count} 人（已回避：{detail}）",
                code="experts_insufficient",
                detail={
                    "basis": AVOIDANCE_BASIS,
                    "removed": {rule.value: n for rule, n in removed},
                    "eligible": len(ids),
                },
            )
        lists.append(ids)
    commitments, sealed = [], []
    for ids in lists:
        c, s = draw.commit([str(i) for i in ids])
        commitments.append(
            {"hashes": list(c.candidate_hashes), "list_commitment": c.list_commitment, "secret": c.secret_commitment}
        )
        sealed.append({"secret": s.secret, "salts": list(s.salts)})
    x = Extraction(
        section_id=section_id,
        requested_by=principal.user_id,
        requested_at=now,
        evaluation_day=day,
        site=site,
        regions=list(regions),
        needs=[{"speciality": n.speciality, "count": n.count} for n in needs],
        status="committed",
        candidates=[i for ids in lists for i in ids],
        commitment={"needs": commitments},
        sealed={"needs": sealed, "sizes": [len(ids) for ids in lists]},
    )
    session.add(x)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="extraction.commit",
        object_type="expert_extraction",
        object_id=x.id,
        after={"section": section_id, "needs": x.needs, "commitment": x.commitment},
    )
    return x


def extraction_draw(*, session: Session, now: datetime, principal: Principal, extraction_id: int) -> Extraction:
    """Draw with a seed mixing the committed secret and the audit chain head now (later than the
    commitment, and moved by everyone's actions since)."""
    x = session.get(Extraction, extraction_id, with_for_update=True)
    if x is None:
        raise NotFound("抽取请求不存在", code="extraction_not_found")
    if x.status != "committed":
        raise Conflict("已抽取", code="extraction_drawn")
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1))
    x.public_value = f"{head.seq}:{head.hash}" if head else "0"
    order: list[int] = []
    offset = 0
    for k, (size, secret) in enumerate(zip(x.sealed["sizes"], x.sealed["needs"], strict=True)):
        ids = [str(i) for i in x.candidates[offset : offset + size]]
        offset += size
        seed = draw.seed_of(secret["secret"], x.public_value, [f"need:{k}"])
        order += [int(i) for i in draw.order(ids, seed)]
    x.drawn_order, x.drawn_at, x.status = order, now, "drawn"
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="extraction.draw",
        object_type="expert_extraction",
        object_id=x.id,
        after={"public_value": x.public_value},  # the names stay sealed until the result is public
    )
    return x


def declines(x: Extraction) -> set[int]:
    return {int(k) for k, v in (x.responses or {}).items() if v == "declined"}


def committee(x: Extraction, declined: set[int] | None = None) -> list[list[int]]:
    """The members per need: the first ``count`` of each need's drawn order that did not decline
    and were not already chosen for an earlier need (the recorded declines unless ``declined`` is
    given)."""
    declined = declines(x) if declined is None else declined
    out: list[list[int]] = []
    chosen: set[int] = set()
    offset = 0
    for need, size in zip(x.needs, x.sealed["sizes"], strict=True):
        part = x.drawn_order[offset : offset + size]
        offset += size
        members = [i for i in part if i not in declined and i not in chosen][: need["count"]]
        chosen.update(members)
        out.append(members)
    return out


def publication(x: Extraction) -> dict[str, Any]:
    """What is published once the result is public: enough for anyone to replay the draw."""
    return {
        "commitment": x.commitment,
        "public_value": x.public_value,
        "candidates": x.candidates,
        "sizes": x.sealed["sizes"],
        "revealed": x.sealed["needs"],
    }


def respond(*, session: Session, now: datetime, principal: Principal, extraction_id: int, accept: bool) -> Extraction:
    """The drawn expert accepts or declines (the platform notifies; the expert answers). A decline
    hands the seat to the next name of the drawn order; an acceptance books the day and counts
    towards the limit on serving the same tenderer."""
    x = session.get(Extraction, extraction_id, with_for_update=True)
    expert = session.scalar(select(Expert).where(Expert.user_id == principal.user_id)) if principal.user_id else None
    if x is None or expert is None or x.status != "drawn":
        raise NotFound("没有给您的评标邀请", code="invitation_not_found")
    if not any(expert.id in members for members in committee(x)):
        raise NotFound("没有给您的评标邀请", code="invitation_not_found")
    if (x.responses or {}).get(str(expert.id)):
        raise Conflict("您已答复过该邀请", code="already_answered")
    x.responses = {**(x.responses or {}), str(expert.id): "accepted" if accept else "declined"}
    if accept:
        section = session.get(Section, x.section_id)
        assert section is not None
        tenderer = session.get(Organization, section.tender.tenderer_org_id)
        assert tenderer is not None
        session.add(ExpertBusy(expert_id=expert.id, day=x.evaluation_day, reason=f"评标：抽取 {x.id}"))
        session.add(
            ExpertService(expert_id=expert.id, tenderer_credit_code=tenderer.credit_code, served_on=x.evaluation_day)
        )
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="extraction.accept" if accept else "extraction.decline",
        object_type="expert_extraction",
        object_id=x.id,
        after={"expert": expert.id},
    )
    return x
