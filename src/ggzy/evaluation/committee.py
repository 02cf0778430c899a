"""Forming the committee and getting it seated: the scheme fixed with the documents, the
committee from the draw (its composition checked against the law), experts placed at the site of
their own region (远程异地评标), sign-in with the site's rotating code, the chair's election.

Names stay sealed: the operator forms the committee without seeing who was drawn; the system
places each expert. A member's name shows to the committee's parties once that member has signed
in at the site, and to the public with the result notice.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.bidding.enums import OpeningStatus
from ggzy.bidding.models import Opening
from ggzy.common import audit
from ggzy.common.clock import local_date
from ggzy.common.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RuleViolation,
    TooManyAttempts,
    WrongGuess,
)
from ggzy.evaluation import rules, scoring, state
from ggzy.evaluation.enums import EvalStatus, MemberKind
from ggzy.evaluation.models import Evaluation, Member, Scheme, Site
from ggzy.experts.extraction import committee as drawn_committee
from ggzy.experts.models import Expert, Extraction
from ggzy.identity.models import Branch, User
from ggzy.identity.permissions import Action, Principal, allows_object
from ggzy.identity.services import actor_of
from ggzy.tendering.core import tender_now
from ggzy.tendering.enums import TenderStatus
from ggzy.tendering.models import Section, Tender

CODE_WINDOW_SECONDS = 300
SIGN_IN_TRIES = 5  # wrong codes before a 15-minute pause


def record(
    session: Session, now: datetime, principal: Principal | None, ev: Evaluation, action: str, **after: Any
) -> None:
    audit.record(
        session,
        now=now,
        actor=actor_of(principal) if principal is not None else audit.SYSTEM,
        action=f"evaluation.{action}",
        object_type="evaluation",
        object_id=ev.id,
        after={"status": ev.status, **after},
    )


# --- the scheme -----------------------------------------------------------------------------


def scheme_of(session: Session, section: Section) -> scoring.Scheme:
    row = session.get(Scheme, section.id)
    if row is None:
        return scoring.default_scheme(section.evaluation_method)
    return scoring.parse_scheme(row.method, row.data)


def scheme_set(
    *, session: Session, now: datetime, principal: Principal, section_id: int, data: dict[str, Any]
) -> scoring.Scheme:
    """Criteria, weights and ranges are part of the tender documents (招标投标法第十九条), so they
    are fixed before publication and never changed afterwards."""
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    t = session.scalar(select(Tender).where(Tender.id == section.tender_id).with_for_update())
    assert t is not None
    if not allows_object(principal, Action.EVALUATION_SCHEME, t):
        raise PermissionDenied("该招标项目不在您的办理范围内", code="out_of_scope")
    if t.status not in (TenderStatus.DRAFT.value, TenderStatus.RETURNED.value):
        raise Conflict("评标办法随招标文件发布，发布后不能修改", code="scheme_fixed")
    parsed = scoring.parse_scheme(section.evaluation_method, data)
    row = session.get(Scheme, section_id) or Scheme(section_id=section_id)
    row.method, row.data = section.evaluation_method, scoring.scheme_to_dict(parsed)
    row.set_at, row.set_by = now, principal.user_id or 0
    session.add(row)
    audit.record(
        session,
        now=now,
        actor=actor_of(principal),
        action="evaluation.scheme_set",
        object_type="tender_section",
        object_id=section_id,
        after=row.data,
    )
    return parsed


# --- sites and sign-in codes ------------------------------------------------------------------


def site_code(site: Site, now: datetime, back: int = 0) -> str:
    """The six-digit code the site's screen shows; it changes every five minutes."""
    window = int(now.timestamp()) // CODE_WINDOW_SECONDS - back
    mac = hmac.new(bytes.fromhex(site.secret), str(window).encode(), "sm3").hexdigest()
    return f"{int(mac[:12], 16) % 1_000_000:06d}"


def _code_ok(site: Site, now: datetime, code: str) -> bool:
    # The current and the previous window, so a code read just before it changes still works.
    return any(hmac.compare_digest(site_code(site, now, back), code.strip()) for back in (0, 1))


def _site_for_region(sites: Sequence[Site], branches: dict[int, Branch], region: str, host: Site) -> Site:
    for s in sites:
        if region in (branches[s.branch_id].regions or {}) or branches[s.branch_id].code == region:
            return s
    return host


# --- forming the committee ---------------------------------------------------------------------


def evaluation_open(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    section_id: int,
    host_site: str,
    remote_sites: Sequence[str] = (),
    representatives: Sequence[str] = (),
) -> Evaluation:
    section = session.get(Section, section_id)
    if section is None:
        raise NotFound(f"标段 {section_id} 不存在", code="section_not_found")
    t = session.scalar(select(Tender).where(Tender.id == section.tender_id).with_for_update())
    assert t is not None
    if not allows_object(principal, Action.EVALUATION_MANAGE, t):
        raise PermissionDenied("该标段不在您的办理范围内", code="out_of_scope")
    if session.scalar(select(Evaluation.id).where(Evaluation.section_id == section_id)) is not None:
        raise Conflict("该标段的评标委员会已组建", code="evaluation_exists")
    opening = session.scalar(select(Opening).where(Opening.section_id == section_id))
    if opening is None or opening.status != OpeningStatus.PUBLISHED.value:
        raise Conflict("开标记录公布后才能开始评标", code="opening_not_published")
    x = session.scalar(
        select(Extraction)
        .where(Extraction.section_id == section_id, Extraction.status == "drawn")
        .order_by(Extraction.id.desc())
    )
    if x is None:
        raise Conflict("尚未抽取评标专家", code="extraction_required")
    members = [i for part in drawn_committee(x) for i in part]
    missing = [i for i in members if (x.responses or {}).get(str(i)) != "accepted"]
    if missing or sum(n["count"] for n in x.needs) > len(members):
        raise Conflict(
            f"还有 {len(missing)} 名专家未确认参加（或备选专家不足），请待专家答复后再组建",
            code="experts_unconfirmed",
        )
    codes = [host_site, *remote_sites]
    sites = list(session.scalars(select(Site).where(Site.code.in_(codes))))
    by_code = {s.code: s for s in sites}
    unknown = [c for c in codes if c not in by_code]
    if unknown:
        raise InvalidInput(f"评标场地 {'、'.join(unknown)} 不存在", code="site_unknown")
    host = by_code[host_site]
    reps = _representatives(session, t, representatives)
    rules.check_composition(t.method, len(members), len(reps))
    scheme = scheme_of(session, section)
    ev = Evaluation(
        tender_id=t.id,
        section_id=section_id,
        extraction_id=x.id,
        method=scheme.method,
        scheme=scoring.scheme_to_dict(scheme),
        k=_text(scoring.draw_k(scheme, opening.record_digest)),
        status=EvalStatus.SIGN_IN.value,
        created_at=now,
        created_by=principal.user_id or 0,
        review={},
        adjustments={},
    )
    session.add(ev)
    session.flush()
    branches = {b.id: b for b in session.scalars(select(Branch))}
    experts = {e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_(members)))}
    seated: dict[int, int] = {}
    for expert_id in members:
        e = experts[expert_id]
        if e.user_id is None:
            raise Conflict("有专家尚未开通平台账号，不能在线评标", code="expert_no_account")
        site = _site_for_region(sites, branches, e.region_code, host)
        session.add(_seat(session, ev, seated, site, MemberKind.EXPERT, e.user_id, expert_id))
    for u in reps:
        session.add(_seat(session, ev, seated, host, MemberKind.REPRESENTATIVE, u.id, None))
    session.flush()
    # Who sits where is the system's knowledge; the audit event counts, it does not name.
    record(session, now, principal, ev, "open", experts=len(members), representatives=len(reps), sites=codes)
    return ev


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def _representatives(session: Session, t: Tender, usernames: Sequence[str]) -> list[User]:
    out = []
    if len(set(usernames)) != len(usernames):
        raise InvalidInput("同一名代表只能列一次", code="representative_invalid")
    for name in usernames:
        u = session.scalar(select(User).where(User.username == name))
        if u is None or u.organization_id != t.tenderer_org_id or not u.is_active:
            raise InvalidInput(f"{name} 不是招标人（采购人）的在职用户，不能作为其代表", code="representative_invalid")
        out.append(u)
    return out


def _seat(
    session: Session,
    ev: Evaluation,
    seated: dict[int, int],
    site: Site,
    kind: MemberKind,
    user_id: int,
    expert_id: int | None,
) -> Member:
    taken = seated.get(site.id)
    if taken is None:
        taken = (
            session.scalar(select(func.count()).where(Member.site_id == site.id, Member.evaluation_id == ev.id)) or 0
        )
    if taken >= site.seats:
        raise RuleViolation(f"评标场地“{site.name}”席位不足（{site.seats} 席）", code="site_full")
    seated[site.id] = taken + 1
    return Member(
        evaluation_id=ev.id, kind=kind.value, expert_id=expert_id, user_id=user_id, site_id=site.id, seat=taken + 1
    )


# --- the member's own steps ------------------------------------------------------------------


def member_of(
    session: Session, principal: Principal, evaluation_id: int, *, lock: bool = True
) -> tuple[Evaluation, Member]:
    ev = session.get(Evaluation, evaluation_id, with_for_update=lock)
    m = (
        session.scalar(select(Member).where(Member.evaluation_id == evaluation_id, Member.user_id == principal.user_id))
        if ev is not None and principal.user_id is not None
        else None
    )
    if ev is None or m is None:
        raise NotFound("您不是该评标委员会的成员", code="not_a_member")
    return ev, m


def members_of(session: Session, evaluation_id: int) -> list[Member]:
    return list(session.scalars(select(Member).where(Member.evaluation_id == evaluation_id).order_by(Member.id)))


def sign_in(*, session: Session, now: datetime, principal: Principal, evaluation_id: int, code: str) -> Member:
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("sign_in", EvalStatus(ev.status))
    if m.signed_in_at is not None:
        raise Conflict("您已签到", code="already_signed_in")
    x = session.get(Extraction, ev.extraction_id)
    t = session.get(Tender, ev.tender_id)
    assert x is not None and t is not None
    if local_date(tender_now(t, now)) != x.evaluation_day:
        raise Conflict(f"评标日期为 {x.evaluation_day.isoformat()}，今天不能签到", code="not_evaluation_day")
    site = session.get(Site, m.site_id)
    assert site is not None
    if m.sign_in_locked_until is not None and now < m.sign_in_locked_until:
        raise TooManyAttempts("签到码错误次数过多，请 15 分钟后再试或请场地工作人员协助", code="sign_in_locked")
    if not _code_ok(site, now, code):
        # The count stays although the request fails (WrongGuess keeps the transaction's changes).
        m.sign_in_failures += 1
        if m.sign_in_failures >= SIGN_IN_TRIES:
            m.sign_in_failures, m.sign_in_locked_until = 0, now + timedelta(minutes=15)
        raise WrongGuess(f"签到码不正确：请输入“{site.name}”屏幕上显示的签到码", code="sign_in_code_invalid")
    m.signed_in_at, m.sign_in_failures = now, 0
    record(session, now, principal, ev, "sign_in", member=m.id, site=site.code, seat=m.seat)
    _maybe_start_review(session, now, ev)
    return m


def chair_vote(*, session: Session, now: datetime, principal: Principal, evaluation_id: int, member_id: int) -> Member:
    """评标委员会和评标方法暂行规定第九条: the chair is elected by the members; a member holding more
    than half of the votes is chair. Review starts once everyone has signed in and a chair is elected."""
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("chair_vote", EvalStatus(ev.status))
    if m.signed_in_at is None:
        raise Conflict("请先签到", code="sign_in_first")
    ms = members_of(session, ev.id)
    if member_id not in {x.id for x in ms}:
        raise InvalidInput("被推举人不是本委员会成员", code="member_unknown")
    m.chair_vote = member_id
    votes = sum(1 for x in ms if x.chair_vote == member_id)
    if votes * 2 > len(ms) and not any(x.is_chair for x in ms):
        next(x for x in ms if x.id == member_id).is_chair = True
    record(session, now, principal, ev, "chair_vote", member=m.id)
    _maybe_start_review(session, now, ev)
    return m


def _maybe_start_review(session: Session, now: datetime, ev: Evaluation) -> None:
    ms = members_of(session, ev.id)
    if all(x.signed_in_at for x in ms) and any(x.is_chair for x in ms):
        ev.status = state.transition("review_start", EvalStatus(ev.status)).value
        record(session, now, None, ev, "review_start")


def chair_of(ms: Sequence[Member]) -> Member | None:
    return next((x for x in ms if x.is_chair), None)
