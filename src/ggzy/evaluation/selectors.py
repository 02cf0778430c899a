"""What each viewer of an evaluation may see.

Members' names show once that member has signed in at the site; a member sees only its own
scores until every member has submitted (independent scoring); the chair sees the outliers
before drawing up the report. Regulators and auditors follow everything; the public sees nothing
here (the committee becomes public with the result notice, ``after.public_committee``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.common.errors import NotFound
from ggzy.evaluation import report as report_mod
from ggzy.evaluation import scoring
from ggzy.evaluation.committee import members_of
from ggzy.evaluation.enums import EvalStatus, MemberKind
from ggzy.evaluation.models import Clarification, Evaluation, Member, ReviewVote, Score, Site
from ggzy.evaluation.review import opened_bids
from ggzy.experts.models import Expert
from ggzy.identity.enums import Role
from ggzy.identity.models import Organization, User
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.tendering.models import Section, Tender


def viewable(session: Session, principal: Principal, evaluation_id: int) -> tuple[Evaluation, Member | None]:
    ev = session.get(Evaluation, evaluation_id)
    t = session.get(Tender, ev.tender_id) if ev is not None else None
    if ev is None or t is None:
        raise NotFound("评标不存在", code="evaluation_not_found")
    me = (
        session.scalar(select(Member).where(Member.evaluation_id == ev.id, Member.user_id == principal.user_id))
        if principal.user_id is not None
        else None
    )
    if me is None and not allows_object(principal, Action.EVALUATION_READ, t):
        raise NotFound("评标不存在", code="evaluation_not_found")
    return ev, me


def view(session: Session, principal: Principal, evaluation_id: int) -> dict[str, Any]:
    ev, me = viewable(session, principal, evaluation_id)
    status = EvalStatus(ev.status)
    section = session.get(Section, ev.section_id)
    assert section is not None
    ms = members_of(session, ev.id)
    sites = {s.id: s for s in session.scalars(select(Site))}
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([m.user_id for m in ms])))}
    experts = {
        e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_([m.expert_id for m in ms if m.expert_id])))
    }
    all_scored = all(m.scores_done_at for m in ms) and bool(ms)
    # A member reads the bids only once seated; parties and supervisors follow throughout.
    sees_bids = me is None or me.signed_in_at is not None

    def name(m: Member) -> str | None:
        if m.signed_in_at is None and (me is None or me.id != m.id):
            return None
        return experts[m.expert_id].name if m.expert_id else users[m.user_id].display_name

    bids = opened_bids(session, ev.section_id) if sees_bids else []
    orgs = {
        o.id: o
        for o in session.scalars(select(Organization).where(Organization.id.in_([b.bidder_org_id for b in bids])))
    }
    score_rows = session.scalars(select(Score).where(Score.evaluation_id == ev.id))
    scores = [
        {"member": s.member_id, "bid": s.bid_id, "criterion": s.criterion, "value": str(s.value)}
        for s in score_rows
        if all_scored or (me is not None and s.member_id == me.id)
    ]
    my_review = (
        {
            v.bid_id: {"passed": v.passed, "reason": v.reason}
            for v in session.scalars(select(ReviewVote).where(ReviewVote.member_id == me.id))
        }
        if me is not None
        else {}
    )
    preview: dict[str, Any] | None = None
    # The summary before the report is the chair's to check (and the supervisors' to watch); the
    # tenderer and the centre get the figures with the report.
    supervisor = principal.role in (Role.REGULATOR, Role.AUDITOR)
    if status is EvalStatus.SCORING and all_scored and ((me is not None and me.is_chair) or supervisor):
        preview = report_mod.result_json(report_mod.preview(session, ev))
    clar = session.scalars(select(Clarification).where(Clarification.evaluation_id == ev.id).order_by(Clarification.id))
    scheme = scoring.parse_scheme(ev.method, ev.scheme)
    return {
        "id": ev.id,
        "tender_id": ev.tender_id,
        "section": {"id": section.id, "code": section.code, "name": section.name},
        "method": ev.method,
        "scheme": ev.scheme,
        "criteria": [{"code": c.code, "name": c.name, "max": str(c.max), "kind": c.kind} for c in scheme.criteria],
        "k": ev.k,
        "status": status.value,
        "status_label": status.label,
        "me": None if me is None else me.id,
        "members": [
            {
                "id": m.id,
                # Who the expert is in the library, for the ratings once the report is signed.
                "expert_id": m.expert_id if status is EvalStatus.SIGNED and me is None else None,
                "kind": m.kind,
                "kind_label": MemberKind(m.kind).label,
                "name": name(m),
                "site": sites[m.site_id].name,
                "seat": m.seat,
                "signed_in": m.signed_in_at is not None,
                "chair": m.is_chair,
                "review_done": m.review_done_at is not None,
                "scores_done": m.scores_done_at is not None,
                "signed": m.signed_at is not None,
                "dissent": m.dissent if m.signed_at else "",
                "signature_valid": report_mod.signature_valid(ev, m) if m.signed_at else None,
                # Published with the report, so anyone can check each signature (docs/evaluation.md).
                "public_key": m.public_key if m.signed_at else None,
                "signature": m.signature if m.signed_at else None,
            }
            for m in ms
        ],
        "bids": [
            {
                "id": b.id,
                "bidder": orgs[b.bidder_org_id].name,
                "price": str((b.sheet or {}).get("price", "")),
                "review": ev.review.get(str(b.id)),
            }
            for b in bids
        ],
        "my_review": my_review,
        "scores": scores,
        "preview": preview,
        "adjustments": ev.adjustments,
        "clarifications": [{"id": c.id, "bid": c.bid_id, "question": c.question, "answer": c.answer} for c in clar],
        "result": ev.result,
        "report_digest": ev.report_digest,
        "report": ev.report if status in (EvalStatus.SIGNING, EvalStatus.SIGNED) else None,
    }


def my_evaluations(session: Session, principal: Principal) -> list[dict[str, Any]]:
    if principal.user_id is None:
        return []
    rows = session.execute(
        select(Evaluation, Member, Site)
        .join(Member, Member.evaluation_id == Evaluation.id)
        .join(Site, Site.id == Member.site_id)
        .where(Member.user_id == principal.user_id)
        .order_by(Evaluation.id.desc())
    ).all()
    out = []
    for ev, m, site in rows:
        section = session.get(Section, ev.section_id)
        assert section is not None
        out.append(
            {
                "id": ev.id,
                "section": f"{section.code} {section.name}",
                "status_label": EvalStatus(ev.status).label,
                "site": site.name,
                "seat": m.seat,
                "signed_in": m.signed_in_at is not None,
            }
        )
    return out


def clarifications_for(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """A bidder's own clarification requests (its bids only)."""
    from ggzy.bidding.models import Bid

    if principal.org_id is None:
        return []
    rows = session.execute(
        select(Clarification, Bid)
        .join(Bid, Bid.id == Clarification.bid_id)
        .where(Bid.bidder_org_id == principal.org_id)
        .order_by(Clarification.id.desc())
    ).all()
    return [
        {"id": c.id, "section_id": b.section_id, "question": c.question, "answer": c.answer, "asked_at": c.asked_at}
        for c, b in rows
    ]


def evaluations_for(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """The evaluations a centre, tenderer or supervisor follows (their scope), newest first."""
    out = []
    for ev, section, t in session.execute(
        select(Evaluation, Section, Tender)
        .join(Section, Section.id == Evaluation.section_id)
        .join(Tender, Tender.id == Evaluation.tender_id)
        .order_by(Evaluation.id.desc())
        .limit(200)
    ).all():
        if allows_object(principal, Action.EVALUATION_READ, t):
            out.append(
                {
                    "id": ev.id,
                    "tender": t.name,
                    "section": f"{section.code} {section.name}",
                    "status_label": EvalStatus(ev.status).label,
                }
            )
    return out


def ready_sections(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Sections whose opening record is public and whose committee has been drawn, not yet formed."""
    from ggzy.bidding.enums import OpeningStatus
    from ggzy.bidding.models import Opening
    from ggzy.experts.models import Extraction

    formed = select(Evaluation.section_id)
    rows = session.execute(
        select(Section, Tender, Extraction)
        .join(Tender, Tender.id == Section.tender_id)
        .join(Opening, Opening.section_id == Section.id)
        .join(Extraction, Extraction.section_id == Section.id)
        .where(
            Opening.status == OpeningStatus.PUBLISHED.value,
            Extraction.status == "drawn",
            Section.id.not_in(formed),
        )
        .order_by(Section.id)
    ).all()
    return [
        {"section_id": sec.id, "tender": t.name, "section": f"{sec.code} {sec.name}", "day": x.evaluation_day}
        for sec, t, x in rows
        if allows_object(principal, Action.EVALUATION_MANAGE, t)
    ]
