"""After evaluation: candidates, objections, award notices and contracts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ggzy.common.orm import Base
from ggzy.identity.models import Organization


class Candidate(Base):
    """A recommended candidate of a section, in the committee's order (up to three)."""

    __tablename__ = "tender_candidate"
    __table_args__ = (
        UniqueConstraint("section_id", "rank", name="uq_tender_candidate_rank"),
        UniqueConstraint("section_id", "org_id", name="uq_tender_candidate_org"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"))
    rank: Mapped[int]
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    price: Mapped[Decimal]
    recorded_at: Mapped[datetime]

    org: Mapped[Organization] = relationship(lazy="selectin")


class Objection(Base):
    """An objection (异议 / 质疑) to the candidates. While any is unanswered the procedure is paused
    (招标投标法实施条例 Art. 54). The objector's identity is not published."""

    __tablename__ = "tender_objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    body: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime]
    answer_due: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class AwardNotice(Base):
    """中标通知书 / 成交通知书: its facts are signed with the platform's SM2 key; the PDF and the
    public verification page are rendered from these facts."""

    __tablename__ = "award_notice"
    __table_args__ = (UniqueConstraint("section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"))
    winner_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    price: Mapped[Decimal]
    verify_code: Mapped[str] = mapped_column(String(24), unique=True)
    issued_at: Mapped[datetime]
    facts_digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(130))
    # Exactly what was signed (canonical JSON of these facts), so anyone can check it again.
    facts: Mapped[dict[str, object]] = mapped_column(JSON)

    winner: Mapped[Organization] = relationship(lazy="selectin")


class Contract(Base):
    __tablename__ = "tender_contract"
    __table_args__ = (UniqueConstraint("section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"))
    award_id: Mapped[int] = mapped_column(ForeignKey("award_notice.id"))
    signed_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal]
    term: Mapped[str] = mapped_column(String(200), default="")
    recorded_at: Mapped[datetime]
    # Signed later than the statutory days after the award notice (招标投标法 Art. 46).
    late: Mapped[bool] = mapped_column(default=False)
