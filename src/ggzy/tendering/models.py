from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ggzy.common.orm import Base
from ggzy.identity.models import Organization
from ggzy.registration.models import Project


class TenderRule(Base):
    """A dated minimum: a procedure runs under the rows in force on the day it is published."""

    __tablename__ = "tender_rule"
    __table_args__ = (UniqueConstraint("method", "key", "effective_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    method: Mapped[str] = mapped_column(String(30))
    key: Mapped[str] = mapped_column(String(30))
    amount: Mapped[int]
    unit: Mapped[str] = mapped_column(String(20))
    basis: Mapped[str] = mapped_column(String(300))
    effective_from: Mapped[date] = mapped_column(Date)
    verified: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str] = mapped_column(String(300), default="")


class Tender(Base):
    """A tender project (招标项目 / 采购项目) under a registered project."""

    __tablename__ = "tender"
    __table_args__ = (UniqueConstraint("project_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    seq: Mapped[int]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    method: Mapped[str] = mapped_column(String(30))
    is_ppp: Mapped[bool] = mapped_column(default=False)
    content: Mapped[str] = mapped_column(Text, default="")
    # Copied from the project when created: who may act, which branch, which regulator.
    tenderer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(30))
    invitees: Mapped[list[int]] = mapped_column(JSON, default=list)
    # The tender documents' backup decryption route (电子招标投标办法第三十一条): custodians'
    # organisations and how many of them must join to recover a bid; 0 means no backup route.
    backup_custodians: Mapped[list[int]] = mapped_column(JSON, default=list)
    backup_threshold: Mapped[int] = mapped_column(default=0)
    # How long bidders have to decrypt at the opening, as the tender documents set it.
    decryption_minutes: Mapped[int] = mapped_column(default=30)
    # The schedule, in the tender's own (nominal) time; see ``acceleration``.
    docs_start: Mapped[datetime | None]
    docs_end: Mapped[datetime | None]
    question_deadline: Mapped[datetime | None]
    bid_deadline: Mapped[datetime | None]
    # Sandbox only: statutory periods pass this many times faster than the wall clock.
    acceleration: Mapped[int] = mapped_column(default=1)
    published_at: Mapped[datetime | None]
    # Candidate publicity (nominal time, like the schedule).
    publicity_ends_at: Mapped[datetime | None]
    rules_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    round_no: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("tender.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    end_reason: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    project: Mapped[Project] = relationship(lazy="selectin")
    tenderer: Mapped[Organization] = relationship(foreign_keys=[tenderer_org_id], lazy="selectin")
    agency: Mapped[Organization | None] = relationship(foreign_keys=[agency_org_id], lazy="selectin")
    sections: Mapped[list[Section]] = relationship(
        back_populates="tender", cascade="all, delete-orphan", order_by="Section.seq", lazy="selectin"
    )

    @property
    def party_org_ids(self) -> set[int]:
        return {i for i in (self.tenderer_org_id, self.agency_org_id) if i is not None}


class Section(Base):
    """A section or lot (标段 / 包)."""

    __tablename__ = "tender_section"
    __table_args__ = (UniqueConstraint("tender_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    code: Mapped[str] = mapped_column(String(23), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    estimate: Mapped[Decimal]
    qualification: Mapped[str] = mapped_column(Text, default="")
    evaluation_method: Mapped[str] = mapped_column(String(30))
    # A section may close (and open) before the tender's last deadline; None: the tender's.
    bid_deadline: Mapped[datetime | None]

    tender: Mapped[Tender] = relationship(back_populates="sections")


class Notice(Base):
    """A published notice. Never updated: a change is a new notice that supersedes the old."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int]
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    published_at: Mapped[datetime] = mapped_column(index=True)
    digest: Mapped[str] = mapped_column(String(64))


class TenderDocument(Base):
    __tablename__ = "tender_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    filename: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    kind: Mapped[str] = mapped_column(String(10))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime]
    # A notice attachment (公告附件) anyone may download with the notice; otherwise a tender
    # document bidders obtain first, the obtaining recorded and secret (招标投标法第二十二条).
    public: Mapped[bool] = mapped_column(default=False)


class DocumentObtain(Base):
    """Who obtained the documents. Secret until opening (招标投标法 Art. 22): only the trading
    centre's staff and the audit log see it."""

    __tablename__ = "document_obtain"
    __table_args__ = (UniqueConstraint("tender_id", "org_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    obtained_at: Mapped[datetime]
    client_addr: Mapped[str] = mapped_column(String(64), default="")


class Question(Base):
    """A bidder's question. The answer is published to all without the asker's identity."""

    __tablename__ = "tender_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    tender_id: Mapped[int] = mapped_column(ForeignKey("tender.id"), index=True)
    asker_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    body: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
