"""Evaluation (评标/评审): sites and seats, the committee, reviews, scores, the signed report,
ratings and fees."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.common.orm import Base


class Site(Base):
    """An evaluation site (评标场地) of the city centre or a county branch, with its seats. Experts
    prove they sit there with the site's rotating sign-in code, shown only on the site's screen."""

    __tablename__ = "eval_site"

    id: Mapped[int] = mapped_column(primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branch.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    seats: Mapped[int]
    secret: Mapped[str] = mapped_column(String(64))  # HMAC-SM3 key of the sign-in code


class Scheme(Base):
    """A section's evaluation scheme (criteria, weights, ranges), fixed with the tender documents."""

    __tablename__ = "eval_scheme"

    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"), primary_key=True)
    method: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    set_at: Mapped[datetime]
    set_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))


class Evaluation(Base):
    """One section's evaluation by its committee."""

    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"), unique=True)
    extraction_id: Mapped[int] = mapped_column(ForeignKey("expert_extraction.id"))
    method: Mapped[str] = mapped_column(String(30))
    scheme: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The base-price coefficient, fixed by the opening record's digest; text, because coefficients
    # may carry more decimals than money does (0.955).
    k: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20), index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    # The decisions of the review (bid id as text -> {"valid": bool, "reasons": [...]}) and the
    # price adjustments of the lowest-price methods (bid id as text -> {"amount", "reason"}).
    review: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    adjustments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report_digest: Mapped[str] = mapped_column(String(64), default="")
    finished_at: Mapped[datetime | None]


class Member(Base):
    """A committee member: a drawn expert or a representative of the tenderer."""

    __tablename__ = "eval_member"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "user_id"),
        UniqueConstraint("site_id", "seat", "evaluation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # expert, representative
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("expert.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("eval_site.id"))
    seat: Mapped[int]
    signed_in_at: Mapped[datetime | None]
    chair_vote: Mapped[int | None]  # the member id this member votes for as chair
    is_chair: Mapped[bool] = mapped_column(default=False)
    review_done_at: Mapped[datetime | None]
    scores_done_at: Mapped[datetime | None]
    signature: Mapped[str] = mapped_column(String(200), default="")
    public_key: Mapped[str] = mapped_column(String(130), default="")
    signed_at: Mapped[datetime | None]
    dissent: Mapped[str] = mapped_column(Text, default="")
    # Wrong site codes in a row: a code is six digits, so guessing one from afar is stopped.
    sign_in_failures: Mapped[int] = mapped_column(default=0)
    sign_in_locked_until: Mapped[datetime | None]


class ReviewVote(Base):
    """A member's qualification and compliance finding on one bid (资格审查 / 符合性审查)."""

    __tablename__ = "eval_review"
    __table_args__ = (UniqueConstraint("member_id", "bid_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("eval_member.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    passed: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text, default="")
    made_at: Mapped[datetime]


class Score(Base):
    """One member's score of one bid on one subjective criterion, entered independently."""

    __tablename__ = "eval_score"
    __table_args__ = (Index("ix_eval_score_member", "member_id", "bid_id", "criterion", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("eval_member.id"))
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    criterion: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal]
    made_at: Mapped[datetime]


class Clarification(Base):
    """A committee's request to a bidder to clarify an obscure point (澄清); the answer may not
    change the substance of the bid (招标投标法 Art. 39)."""

    __tablename__ = "eval_clarification"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    bid_id: Mapped[int] = mapped_column(ForeignKey("bid.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[int] = mapped_column(ForeignKey("eval_member.id"))
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]


class Signer(Base):
    """An expert's signing key for reports (云签名): SM2, the private half sealed under a key
    derived from a PIN only the expert knows."""

    __tablename__ = "eval_signer"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(130))
    sealed_private: Mapped[str] = mapped_column(Text)
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)  # wrong PINs in a row
    locked_until: Mapped[datetime | None]


class Rating(Base):
    """The tenderer's or the centre's rating of an expert's work on one evaluation."""

    __tablename__ = "eval_rating"
    __table_args__ = (UniqueConstraint("evaluation_id", "expert_id", "rater_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    rater_kind: Mapped[str] = mapped_column(String(20))  # tenderer, centre
    rater_user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    score: Mapped[int]  # 1 (poor) .. 5 (excellent)
    comment: Mapped[str] = mapped_column(Text, default="")
    misconduct: Mapped[bool] = mapped_column(default=False)
    made_at: Mapped[datetime]


class Fee(Base):
    """An expert's fee for one evaluation, computed from the configured standard."""

    __tablename__ = "eval_fee"
    __table_args__ = (UniqueConstraint("evaluation_id", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id"), index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    hours: Mapped[Decimal]
    amount: Mapped[Decimal]
    basis: Mapped[str] = mapped_column(String(200))
    computed_at: Mapped[datetime]
