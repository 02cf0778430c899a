from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ggzy.common.orm import Base


class Speciality(Base):
    """A node of the expert speciality classification (发改法规〔2018〕316号), loaded as data."""

    __tablename__ = "expert_speciality"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    parent_code: Mapped[str | None] = mapped_column(String(20), index=True)


class Expert(Base):
    """An expert of the combined library (综合评标评审专家库)."""

    __tablename__ = "expert"
    __table_args__ = (Index("ix_expert_pool", "status", "region_code", "birth_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    birth_date: Mapped[date] = mapped_column(Date)
    employer_credit_code: Mapped[str] = mapped_column(String(18), index=True)
    title: Mapped[str] = mapped_column(String(40))
    years: Mapped[int]
    region_code: Mapped[str] = mapped_column(String(6))
    phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[str] = mapped_column(String(20))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    status_until: Mapped[date | None] = mapped_column(Date)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    admitted_at: Mapped[datetime | None]


class ExpertSpeciality(Base):
    __tablename__ = "expert_speciality_link"
    __table_args__ = (Index("ix_expert_speciality_code", "speciality_code", "expert_id"),)

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), primary_key=True)
    speciality_code: Mapped[str] = mapped_column(ForeignKey("expert_speciality.code"), primary_key=True)


class ExpertConflict(Base):
    """A declared conflict: an organisation the expert must not evaluate (relatives' employers,
    former employers, ...)."""

    __tablename__ = "expert_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(200), default="")


class ExpertBusy(Base):
    """A day the expert cannot serve: declared unavailable, or already on a committee."""

    __tablename__ = "expert_busy"

    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(100), default="")


class ExpertService(Base):
    """One evaluation served, for the limit on serving the same tenderer too often."""

    __tablename__ = "expert_service"
    __table_args__ = (Index("ix_expert_service_tenderer", "tenderer_credit_code", "served_on", "expert_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("expert.id"))
    tenderer_credit_code: Mapped[str] = mapped_column(String(18))
    served_on: Mapped[date] = mapped_column(Date)


class Extraction(Base):
    """A request for a committee and its verifiable draw (docs/draw.md)."""

    __tablename__ = "expert_extraction"

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("tender_section.id"), index=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime]
    evaluation_day: Mapped[date] = mapped_column(Date)
    site: Mapped[str] = mapped_column(String(100))
    regions: Mapped[list[str]] = mapped_column(JSON)
    needs: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{"speciality": code, "count": n}]
    status: Mapped[str] = mapped_column(String(20))  # committed, drawn
    candidates: Mapped[list[int]] = mapped_column(JSON)  # expert ids in list order (sealed until revealed)
    commitment: Mapped[dict[str, Any]] = mapped_column(JSON)
    sealed: Mapped[dict[str, Any]] = mapped_column(JSON)  # the secret and salts, until revealed
    public_value: Mapped[str] = mapped_column(String(100), default="")
    drawn_order: Mapped[list[int]] = mapped_column(JSON, default=list)
    drawn_at: Mapped[datetime | None]
    # expert id (as text) -> "accepted" or "declined"; a decline hands the seat to the next name
    responses: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
