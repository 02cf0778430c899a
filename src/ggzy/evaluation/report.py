"""Scores, the report and its signatures.

Each member scores independently (评标委员会和评标方法暂行规定第十三条; 财政部令87号第六十二条:
members score on their own); nobody sees another member's scores until every member has submitted.
The chair then draws up the report from the scores (the figures come from ``scoring``, never from
anyone's typing); every member signs its SM3 digest with SM2, and a member who disagrees records
the dissent with the signature (第四十三条; 实施条例第五十三条).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy.bidding.models import Opening
from ggzy.common import sm2
from ggzy.common.crypto import canonical_json, sm3_hex
from ggzy.common.errors import Conflict, InvalidInput, PermissionDenied, TooManyAttempts, WrongGuess
from ggzy.evaluation import rules, scoring, state
from ggzy.evaluation.committee import member_of, members_of, record
from ggzy.evaluation.enums import EvalStatus, MemberKind
from ggzy.evaluation.models import Clarification, Evaluation, Fee, Member, Score, Signer, Site
from ggzy.evaluation.review import opened_bids
from ggzy.experts.models import Expert
from ggzy.identity.models import Organization, User
from ggzy.identity.permissions import Principal
from ggzy.tendering.models import Section, Tender

PIN_MIN = 6
PIN_TRIES = 5


def _scheme(ev: Evaluation) -> scoring.Scheme:
    return scoring.parse_scheme(ev.method, ev.scheme)


def valid_bid_ids(ev: Evaluation) -> list[int]:
    return sorted(int(k) for k, v in ev.review.items() if v["valid"])


def scores_submit(
    *,
    session: Session,
    now: datetime,
    principal: Principal,
    evaluation_id: int,
    scores: Mapping[int, Mapping[str, str]],
) -> Member:
    """All of a member's scores at once (bid id -> criterion code -> score); final once submitted."""
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("score", EvalStatus(ev.status))
    if m.scores_done_at is not None:
        raise Conflict("您已提交评分，不能再次提交", code="scores_already_submitted")
    scheme = _scheme(ev)
    subjective = {c.code: c for c in scheme.criteria if c.kind == "subjective"}
    valid = set(valid_bid_ids(ev))
    if set(scores) != (valid if subjective else set()):
        raise InvalidInput(f"请对全部 {len(valid)} 份有效投标逐项评分（无效投标不评分）", code="scores_incomplete")
    rows = []
    for bid_id, per in scores.items():
        if set(per) != set(subjective):
            raise InvalidInput(
                f"评分项应为：{'、'.join(c.name for c in subjective.values())}",
                code="score_unexpected",
                detail={"bid": bid_id},
            )
        for code, raw in per.items():
            try:
                value = Decimal(str(raw))
            except InvalidOperation:
                raise InvalidInput(f"“{subjective[code].name}”的分值应为数字", code="score_invalid") from None
            value = scoring.check_score(subjective[code], value)
            rows.append(
                Score(evaluation_id=ev.id, member_id=m.id, bid_id=bid_id, criterion=code, value=value, made_at=now)
            )
    session.add_all(rows)
    m.scores_done_at = now
    record(session, now, principal, ev, "scores_submit", member=m.id, count=len(rows))
    return m


def _inputs(session: Session, ev: Evaluation) -> tuple[list[scoring.BidIn], dict[tuple[str, int, str], Decimal]]:
    bids = []
    for b in opened_bids(session, ev.section_id):
        finding = ev.review.get(str(b.id)) or {"valid": False, "reasons": ["未审查"]}
        price = Decimal(str((b.sheet or {})["price"]))
        bids.append(scoring.BidIn(b.id, price, bool(finding["valid"]), "；".join(finding.get("reasons", []))))
    scores = {
        (str(s.member_id), s.bid_id, s.criterion): s.value
        for s in session.scalars(select(Score).where(Score.evaluation_id == ev.id))
    }
    return bids, scores


def preview(session: Session, ev: Evaluation) -> scoring.Result:
    """The figures as they stand (for the chair before drawing up the report: outliers show here)."""
    bids, scores = _inputs(session, ev)
    opening = session.scalar(select(Opening).where(Opening.section_id == ev.section_id))
    assert opening is not None
    adjustments = {int(k): Decimal(v["amount"]) for k, v in (ev.adjustments or {}).items()}
    return scoring.aggregate(
        _scheme(ev),
        bids,
        scores,
        adjustments=adjustments,
        k=None if ev.k is None else Decimal(ev.k),
        lot_seed=opening.record_digest,
        members=[str(m.id) for m in members_of(session, ev.id)] if ev.status != EvalStatus.REVIEW.value else (),
    )


def report_draw_up(*, session: Session, now: datetime, principal: Principal, evaluation_id: int) -> Evaluation:
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("report_draw_up", EvalStatus(ev.status))
    if not m.is_chair:
        raise PermissionDenied("由评标委员会负责人生成评标报告", code="chair_only")
    ms = members_of(session, ev.id)
    waiting = [x for x in ms if x.scores_done_at is None]
    if waiting:
        raise Conflict(f"还有 {len(waiting)} 名成员未提交评分", code="scores_pending")
    result = preview(session, ev)
    ev.result = result_json(result)
    ev.report = _report(session, ev, ms, result)
    ev.report_digest = sm3_hex(canonical_json(ev.report))
    ev.status = state.transition("report_draw_up", EvalStatus(ev.status)).value
    record(session, now, principal, ev, "report", digest=ev.report_digest)
    return ev


def _d(v: Decimal | None) -> str | None:
    return None if v is None else str(v)


def result_json(r: scoring.Result) -> dict[str, Any]:
    return {
        "rows": [
            {
                "bid": row.bid_id,
                "price": str(row.price),
                "valid": row.valid,
                "reject_reason": row.reject_reason,
                "criteria": {k: str(v) for k, v in row.criteria.items()},
                "total": _d(row.total),
                "evaluated_price": _d(row.evaluated_price),
                "rank": row.rank,
                "tie_note": row.tie_note,
            }
            for row in r.rows
        ],
        "candidates": list(r.candidates),
        "base_price": _d(r.base_price),
        "k": _d(r.k),
        "outliers": [
            {
                "member": o.member,
                "bid": o.bid_id,
                "criterion": o.criterion,
                "value": str(o.value),
                "median": str(o.median),
            }
            for o in r.outliers
        ],
        "failed": r.failed,
        "notes": list(r.notes),
    }


def _report(session: Session, ev: Evaluation, ms: list[Member], r: scoring.Result) -> dict[str, Any]:
    section = session.get(Section, ev.section_id)
    t = session.get(Tender, ev.tender_id)
    assert section is not None and t is not None
    bids = {b.id: b for b in opened_bids(session, ev.section_id)}
    orgs = {
        o.id: o
        for o in session.scalars(
            select(Organization).where(Organization.id.in_([b.bidder_org_id for b in bids.values()]))
        )
    }
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_([x.user_id for x in ms])))}
    sites = {s.id: s for s in session.scalars(select(Site))}
    experts = {
        e.id: e for e in session.scalars(select(Expert).where(Expert.id.in_([x.expert_id for x in ms if x.expert_id])))
    }

    def name(x: Member) -> str:
        return experts[x.expert_id].name if x.expert_id else users[x.user_id].display_name

    def bidder(bid_id: int) -> dict[str, str]:
        o = orgs[bids[bid_id].bidder_org_id]
        return {"name": o.name, "credit_code": o.credit_code}

    scores = session.scalars(select(Score).where(Score.evaluation_id == ev.id).order_by(Score.member_id, Score.bid_id))
    clar = session.scalars(select(Clarification).where(Clarification.evaluation_id == ev.id).order_by(Clarification.id))
    return {
        "tender": {"id": t.id, "name": t.name, "code": t.code},
        "section": {"id": section.id, "code": section.code, "name": section.name},
        "method": ev.method,
        "scheme": ev.scheme,
        "committee": [
            {
                "member": x.id,
                "name": name(x),
                "kind": x.kind,
                "chair": x.is_chair,
                "site": sites[x.site_id].name,
                "seat": x.seat,
            }
            for x in ms
        ],
        "bids": {
            str(i): {**bidder(i), "price": str((b.sheet or {})["price"]), "digest": b.digest} for i, b in bids.items()
        },
        "review": ev.review,
        "clarifications": [{"bid": c.bid_id, "question": c.question, "answer": c.answer} for c in clar],
        "adjustments": ev.adjustments,
        "scores": [
            {"member": s.member_id, "bid": s.bid_id, "criterion": s.criterion, "value": str(s.value)} for s in scores
        ],
        "result": ev.result,
        "candidates": [
            {"rank": n, "bid": bid_id, **bidder(bid_id), "price": str((bids[bid_id].sheet or {})["price"])}
            for n, bid_id in enumerate(r.candidates, start=1)
        ],
    }


# --- signatures (云签名) -----------------------------------------------------------------------


def _pin_key(pin: str, salt: str) -> bytes:
    return hash_secret_raw(
        pin.encode(), bytes.fromhex(salt), time_cost=2, memory_cost=19456, parallelism=1, hash_len=16, type=Type.ID
    )


def _sm4_gcm(key: bytes, nonce: bytes, data: bytes, *, encrypt: bool, tag: bytes = b"") -> bytes:
    if encrypt:
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        return enc.update(data) + enc.finalize() + enc.tag
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    return dec.update(data) + dec.finalize()


def _signing_key(session: Session, now: datetime, user_id: int, pin: str) -> tuple[str, str]:
    """The member's SM2 key, made at the first signature and sealed under the PIN (the platform
    never stores the PIN or the private key in clear)."""
    if len(pin) < PIN_MIN or not pin.isdigit():
        raise InvalidInput(f"签名口令为至少 {PIN_MIN} 位数字", code="pin_invalid")
    signer = session.get(Signer, user_id)
    if signer is None:
        public, private = sm2.generate()
        salt, nonce = secrets.token_hex(16), secrets.token_bytes(12)
        sealed = _sm4_gcm(_pin_key(pin, salt), nonce, bytes.fromhex(private), encrypt=True)
        session.add(
            Signer(user_id=user_id, public_key=public, sealed_private=(nonce + sealed).hex(), salt=salt, created_at=now)
        )
        return private, public
    if signer.locked_until is not None and now < signer.locked_until:
        raise TooManyAttempts("签名口令错误次数过多，请 30 分钟后再试", code="pin_locked")
    raw = bytes.fromhex(signer.sealed_private)
    try:
        private = _sm4_gcm(_pin_key(pin, signer.salt), raw[:12], raw[12:-16], encrypt=False, tag=raw[-16:]).hex()
    except InvalidTag:
        # Six digits are few: the wrong guesses are counted (and kept) and a run of them pauses signing.
        signer.failures += 1
        if signer.failures >= PIN_TRIES:
            signer.failures, signer.locked_until = 0, now + timedelta(minutes=30)
        raise WrongGuess("签名口令不正确", code="pin_wrong") from None
    signer.failures = 0
    return private, signer.public_key


def report_sign(
    *, session: Session, now: datetime, principal: Principal, evaluation_id: int, pin: str, dissent: str = ""
) -> Member:
    ev, m = member_of(session, principal, evaluation_id)
    state.transition("sign", EvalStatus(ev.status))
    if m.signed_at is not None:
        raise Conflict("您已签署评标报告，不能重复签署", code="already_signed")
    private, public = _signing_key(session, now, m.user_id, pin)
    m.dissent = dissent.strip()[:2000]
    m.signature = sm2.sign(private, public, signed_message(ev.report_digest, m.dissent))
    m.public_key, m.signed_at = public, now
    record(session, now, principal, ev, "sign", member=m.id, dissent=bool(m.dissent))
    ms = members_of(session, ev.id)
    if all(x.signed_at for x in ms):
        _complete(session, now, ev, ms)
    return m


def signed_message(report_digest: str, dissent: str) -> bytes:
    """What a member signs: the report's SM3 digest (hex), a newline, and its dissent (UTF-8,
    empty if none), so a dissent cannot be added or altered after the signature."""
    return f"{report_digest}\n{dissent}".encode()


def signature_valid(ev: Evaluation, m: Member) -> bool:
    return bool(m.signature) and sm2.verify(m.public_key, signed_message(ev.report_digest, m.dissent), m.signature)


def _complete(session: Session, now: datetime, ev: Evaluation, ms: list[Member]) -> None:
    ev.status = state.transition("report_complete", EvalStatus(ev.status)).value
    ev.finished_at = now
    std = rules.FeeStandard()
    for x in ms:
        if x.kind != MemberKind.EXPERT.value or x.expert_id is None or x.signed_in_at is None:
            continue
        hours = Decimal((now - x.signed_in_at).total_seconds()) / 3600
        hours = hours.quantize(Decimal("0.01"))
        session.add(
            Fee(
                evaluation_id=ev.id,
                expert_id=x.expert_id,
                hours=hours,
                amount=rules.fee_for(hours, std),
                basis=std.basis,
                computed_at=now,
            )
        )
    record(session, now, None, ev, "complete", candidates=(ev.result or {}).get("candidates", []))
