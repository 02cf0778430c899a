from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ggzy.common.orm import Base
from ggzy.identity.enums import Jurisdiction, OrgRole, Role


class Branch(Base):
    """The city centre (市本级) or a county branch (分中心); one set of rules for all."""

    __tablename__ = "branch"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6), unique=True)  # its administrative region code
    name: Mapped[str] = mapped_column(String(60))
    is_city: Mapped[bool] = mapped_column(default=False)
    # Administrative regions (GB/T 2260 code -> name) whose projects this branch hosts when below
    # the city threshold; the city centre's are the city districts.
    regions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    sort: Mapped[int] = mapped_column(default=0)


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    legal_representative: Mapped[str] = mapped_column(String(100), default="")
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    # The data specification requires it of tenderers in notices (dataset 503 TENDERER_EMAIL).
    email: Mapped[str] = mapped_column(String(100), default="", server_default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # Sectors a regulator supervises; empty for others.
    jurisdictions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]

    roles: Mapped[list[OrganizationRole]] = relationship(
        back_populates="organization", cascade="all, delete-orphan", lazy="selectin"
    )
    branch: Mapped[Branch | None] = relationship(lazy="selectin")

    @property
    def role_set(self) -> set[OrgRole]:
        return {OrgRole(r.role) for r in self.roles}

    @property
    def jurisdiction_set(self) -> set[Jurisdiction]:
        return {Jurisdiction(j) for j in self.jurisdictions}


class OrganizationRole(Base):
    __tablename__ = "organization_role"
    __table_args__ = (UniqueConstraint("organization_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))

    organization: Mapped[Organization] = relationship(back_populates="roles")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    # Trading-centre staff work for one branch; the city centre's staff see all branches.
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branch.id"))
    id_number: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]

    organization: Mapped[Organization | None] = relationship(lazy="selectin")
    branch: Mapped[Branch | None] = relationship(lazy="selectin")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class WebSession(Base):
    """A browser login. The cookie carries a random token; only its SM3 digest is stored."""

    __tablename__ = "web_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    client_addr: Mapped[str] = mapped_column(String(64), default="")
    ended_at: Mapped[datetime | None]


class ApiToken(Base):
    """A machine credential, accepted only in the Authorization header; stored as a digest."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
