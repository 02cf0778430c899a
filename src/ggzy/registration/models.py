from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ggzy.common.orm import Base
from ggzy.identity.models import Branch, Organization


class RuleTableVersion(Base):
    """One version of the entry catalogue or the threshold standards. Drafts are edited; an
    activated version is frozen and applies from ``effective_from`` until a later one does."""

    __tablename__ = "rule_table_version"
    __table_args__ = (UniqueConstraint("kind", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    basis: Mapped[str] = mapped_column(String(500))
    effective_from: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]

    catalogue_items: Mapped[list[CatalogueItem]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="CatalogueItem.code"
    )
    threshold_rules: Mapped[list[ThresholdRule]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="ThresholdRule.id"
    )


class CatalogueItem(Base):
    """An entry of 进场交易目录: a kind of deal that must be traded on the platform."""

    __tablename__ = "catalogue_item"
    __table_args__ = (UniqueConstraint("version_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rule_table_version.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(20))
    trading_type: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(Text, default="")
    # Below this estimate the deal need not be tendered by law (IS_TO_LAW = 0); None: always.
    mandatory_from: Mapped[Decimal | None]
    basis: Mapped[str] = mapped_column(String(500), default="")

    version: Mapped[RuleTableVersion] = relationship(back_populates="catalogue_items")


class ThresholdRule(Base):
    """A 限额标准 row: deals of this type at or above ``city_from`` go to the city centre."""

    __tablename__ = "threshold_rule"
    __table_args__ = (UniqueConstraint("version_id", "trading_type"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("rule_table_version.id", ondelete="CASCADE"))
    trading_type: Mapped[str] = mapped_column(String(30))
    city_from: Mapped[Decimal]
    basis: Mapped[str] = mapped_column(String(500), default="")

    version: Mapped[RuleTableVersion] = relationship(back_populates="threshold_rules")


class Project(Base):
    """A project registered for entry (进场登记)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(17), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    trading_type: Mapped[str] = mapped_column(String(30), index=True)
    catalogue_item_code: Mapped[str] = mapped_column(String(20))
    funding_source: Mapped[str] = mapped_column(String(20))
    estimated_amount: Mapped[Decimal]
    region_code: Mapped[str] = mapped_column(String(6))
    address: Mapped[str] = mapped_column(String(200), default="")
    scale: Mapped[str] = mapped_column(Text, default="")
    approval_document: Mapped[str] = mapped_column(String(300), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    tenderer_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    agency_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    regulator_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    jurisdiction: Mapped[str] = mapped_column(String(30))
    # Where the rules route it and why; recomputed on every submission.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"), index=True)
    must_tender: Mapped[bool] = mapped_column(default=True)
    routing_reasons: Mapped[str] = mapped_column(Text, default="")
    catalogue_version_id: Mapped[int | None] = mapped_column(ForeignKey("rule_table_version.id"))
    threshold_version_id: Mapped[int | None] = mapped_column(ForeignKey("rule_table_version.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)
    route: Mapped[str] = mapped_column(String(20))
    emergency_justification: Mapped[str] = mapped_column(Text, default="")
    emergency_awardee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    emergency_signed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    emergency_signed_at: Mapped[datetime | None]
    fast_track: Mapped[bool] = mapped_column(default=False)
    fast_track_reason: Mapped[str] = mapped_column(Text, default="")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))

    tenderer: Mapped[Organization] = relationship(foreign_keys=[tenderer_org_id], lazy="selectin")
    agency: Mapped[Organization | None] = relationship(foreign_keys=[agency_org_id], lazy="selectin")
    regulator: Mapped[Organization] = relationship(foreign_keys=[regulator_org_id], lazy="selectin")
    emergency_awardee: Mapped[Organization | None] = relationship(foreign_keys=[emergency_awardee_org_id])
    branch: Mapped[Branch | None] = relationship(lazy="selectin")

    @property
    def party_org_ids(self) -> set[int]:
        return {i for i in (self.tenderer_org_id, self.agency_org_id) if i is not None}
