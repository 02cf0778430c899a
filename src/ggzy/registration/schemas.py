from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator, model_validator

from ggzy.identity.enums import Jurisdiction
from ggzy.identity.schemas import Strict
from ggzy.registration.enums import FundingSource, ProjectStatus, Route, RuleTableKind, TradingType

AmountField = Field(ge=Decimal("0.01"), le=Decimal("99999999999999.99"), max_digits=16, decimal_places=2)


class ProjectIn(Strict):
    name: str = Field(min_length=4, max_length=300, description="项目名称")
    trading_type: TradingType
    catalogue_item_code: str = Field(min_length=1, max_length=20, description="进场交易目录项编号")
    funding_source: FundingSource
    estimated_amount: Decimal = AmountField
    region_code: str = Field(pattern=r"^\d{6}$", description="项目所在行政区划代码")
    address: str = Field(default="", max_length=200)
    scale: str = Field(default="", max_length=2000, description="项目规模")
    approval_document: str = Field(default="", max_length=300, description="项目审批文件")
    contact_name: str = Field(min_length=1, max_length=100)
    contact_phone: str = Field(min_length=5, max_length=40)
    tenderer_credit_code: str | None = Field(
        default=None, max_length=40, description="代理机构登记时填写招标人统一社会信用代码"
    )
    agency_credit_code: str | None = Field(default=None, max_length=40, description="委托代理机构；自行招标留空")
    regulator_org_id: int = Field(ge=1)
    jurisdiction: Jurisdiction
    route: Route = Route.NORMAL
    emergency_justification: str = Field(default="", max_length=4000)
    emergency_awardee_credit_code: str | None = Field(default=None, max_length=40)

    @field_validator("estimated_amount", mode="before")
    @classmethod
    def _no_float(cls, v: object) -> object:
        if isinstance(v, float):
            return str(v)  # JSON numbers arrive as float; go through their text, not binary
        return v

    @model_validator(mode="after")
    def _emergency_fields(self) -> ProjectIn:
        if self.route is Route.EMERGENCY_DIRECT:
            if len(self.emergency_justification) < 10:
                raise ValueError("应急直接发包须说明理由（不少于 10 字）")
            if not self.emergency_awardee_credit_code:
                raise ValueError("应急直接发包须填写承包单位的统一社会信用代码")
        return self


class RoutePreviewIn(Strict):
    trading_type: TradingType
    catalogue_item_code: str = Field(min_length=1, max_length=20)
    estimated_amount: Decimal = AmountField
    region_code: str = Field(pattern=r"^\d{6}$")


class RoutingOut(BaseModel):
    branch_code: str
    branch_name: str
    must_tender: bool
    reasons: list[str]


class ReasonIn(Strict):
    reason: str = Field(min_length=2, max_length=2000)


class ProjectOut(BaseModel):
    id: int
    code: str | None
    name: str
    trading_type: TradingType
    catalogue_item_code: str
    funding_source: FundingSource
    estimated_amount: Decimal
    region_code: str
    tenderer_org_id: int
    tenderer_name: str
    agency_org_id: int | None
    regulator_org_id: int
    jurisdiction: Jurisdiction
    branch_code: str | None
    branch_name: str | None
    must_tender: bool
    routing_reasons: list[str]
    status: ProjectStatus
    status_label: str
    route: Route
    fast_track: bool
    emergency_signed_at: datetime | None
    review_comment: str
    created_at: datetime
    submitted_at: datetime | None
    reviewed_at: datetime | None
    actions: list[str]


class CatalogueItemIn(Strict):
    code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9-]+$")
    trading_type: TradingType
    name: str = Field(min_length=2, max_length=200)
    scope: str = Field(default="", max_length=2000)
    mandatory_from: Decimal | None = Field(default=None, ge=0, max_digits=16, decimal_places=2)
    basis: str = Field(default="", max_length=500)


class ThresholdRuleIn(Strict):
    trading_type: TradingType
    city_from: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    basis: str = Field(default="", max_length=500)


class VersionCreateIn(Strict):
    kind: RuleTableKind
    title: str = Field(min_length=2, max_length=200)
    basis: str = Field(min_length=2, max_length=500)


class VersionActivateIn(Strict):
    effective_from: date


class VersionOut(BaseModel):
    id: int
    kind: RuleTableKind
    number: int
    title: str
    basis: str
    status: str
    effective_from: date | None
    catalogue_items: list[CatalogueItemIn] = []
    threshold_rules: list[ThresholdRuleIn] = []
