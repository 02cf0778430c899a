from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ggzy.identity.enums import Jurisdiction, OrgRole, Role


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LoginIn(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class TokenCreateIn(Strict):
    name: str = Field(min_length=1, max_length=100)
    days: int = Field(default=90, ge=1, le=366, description="有效天数（1 至 366）；令牌不设永久有效")


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    token: str = Field(description="只显示一次，请妥善保存")


class PasswordChangeIn(Strict):
    old_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class OrgCreateIn(Strict):
    name: str = Field(min_length=2, max_length=200)
    credit_code: str = Field(min_length=1, max_length=40, description="统一社会信用代码（GB 32100-2015）")
    roles: list[OrgRole] = Field(min_length=1, max_length=6)
    region_code: str = Field(pattern=r"^\d{6}$")
    legal_representative: str = Field(default="", max_length=100)
    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=100, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", description="电子邮箱")
    address: str = Field(default="", max_length=200)
    jurisdictions: list[Jurisdiction] = Field(default_factory=list, max_length=10)


class OrgContactIn(Strict):
    """An organisation keeps its contact details current (they go into notices and the exchange)."""

    contact_name: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=100, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", description="电子邮箱")
    address: str = Field(default="", max_length=200)


class OrgOut(BaseModel):
    id: int
    name: str
    credit_code: str
    region_code: str
    roles: list[OrgRole]
    jurisdictions: list[Jurisdiction]


class SignupIn(Strict):
    """A market entity registers itself with its first user (电子招标投标办法 Art. 44)."""

    org_name: str = Field(min_length=2, max_length=200)
    credit_code: str = Field(min_length=1, max_length=40)
    org_role: OrgRole
    region_code: str = Field(pattern=r"^\d{6}$")
    legal_representative: str = Field(default="", max_length=100)
    contact_phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=100, pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", description="电子邮箱")
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    id_number: str = Field(min_length=1, max_length=40, description="经办人公民身份号码（GB 11643-1999）")
    password: str = Field(min_length=1, max_length=128)


class UserCreateIn(Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=100)
    role: Role
    organization_id: int | None = None
    branch_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    id_number: str | None = Field(default=None, max_length=40)
    phone: str = Field(default="", max_length=40)
    password: str = Field(min_length=1, max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    organization_id: int | None
    branch_id: int | None
    is_active: bool
    locked_until: datetime | None


class MeOut(BaseModel):
    user_id: int | None
    username: str
    display_name: str
    role: Role
    role_label: str
    organization_id: int | None
    organization_name: str
    branch_id: int | None
    jurisdictions: list[Jurisdiction]


class BranchOut(BaseModel):
    id: int
    code: str
    name: str
    is_city: bool
    regions: dict[str, str]
