from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, field_validator

from ggzy.identity.schemas import Strict
from ggzy.tendering.enums import EvaluationMethod, Method, NoticeKind, PeriodUnit, RuleKey, TenderStatus


def _aware(v: datetime | None) -> datetime | None:
    if v is not None and (v.tzinfo is None or v.utcoffset() is None):
        raise ValueError("时间须带时区，例如 2026-12-21T09:00:00+08:00")
    return v


class SectionIn(Strict):
    name: str = Field(min_length=2, max_length=300)
    estimate: Decimal = Field(ge=Decimal("0.01"), le=Decimal("99999999999999.99"), max_digits=16, decimal_places=2)
    qualification: str = Field(default="", max_length=4000)
    evaluation_method: EvaluationMethod
    bid_deadline: datetime | None = Field(
        default=None, description="本标段（包）自己的投标截止时间（早于或等于项目的投标截止时间）；不填则同项目"
    )

    _tz = field_validator("bid_deadline")(_aware)


class TenderIn(Strict):
    project_id: int = Field(ge=1, le=2_147_483_647)
    name: str = Field(min_length=4, max_length=300)
    method: Method
    is_ppp: bool = False
    content: str = Field(default="", max_length=8000, description="招标内容与范围")
    sections: list[SectionIn] = Field(min_length=1, max_length=50)
    invitee_credit_codes: list[str] = Field(
        default_factory=list, max_length=50, description="邀请招标、单一来源的受邀单位统一社会信用代码"
    )
    backup_custodian_credit_codes: list[str] = Field(
        default_factory=list,
        max_length=9,
        description="备用解密（电子招标投标办法第三十一条）保管单位的统一社会信用代码；为空表示不设备用解密",
    )
    backup_threshold: int = Field(default=0, ge=0, le=9, description="恢复备用解密密钥所需保管单位数（k）")
    decryption_minutes: int = Field(default=30, ge=10, le=240, description="开标解密时限（分钟），招标文件载明")
    docs_start: datetime | None = None
    docs_end: datetime | None = None
    question_deadline: datetime | None = None
    bid_deadline: datetime | None = None
    acceleration: int = Field(default=1, ge=1, le=100_000, description="仅沙箱环境：法定期间加速倍数")

    _tz = field_validator("docs_start", "docs_end", "question_deadline", "bid_deadline")(_aware)


class ReasonIn(Strict):
    reason: str = Field(min_length=2, max_length=4000)


class ClarifyIn(Strict):
    title: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=2, max_length=20000)
    changes_bid_content: bool = Field(description="是否影响投标文件编制（招标投标法第二十三条）")
    new_bid_deadline: datetime | None = None

    _tz = field_validator("new_bid_deadline")(_aware)


class QuestionIn(Strict):
    body: str = Field(min_length=4, max_length=4000)


class AnswerIn(Strict):
    answer: str = Field(min_length=2, max_length=8000)


class RuleRowIn(Strict):
    method: Method
    key: RuleKey
    amount: int = Field(ge=0, le=365)
    unit: PeriodUnit
    basis: str = Field(min_length=2, max_length=300)
    effective_from: date
    verified: bool = False
    note: str = Field(default="", max_length=300)


class SectionOut(BaseModel):
    id: int
    seq: int
    code: str
    name: str
    estimate: Decimal
    qualification: str
    evaluation_method: EvaluationMethod
    bid_deadline: datetime | None = Field(description="本标段（包）的投标截止时间（即开标时间）")


class TenderOut(BaseModel):
    id: int
    code: str
    project_id: int
    project_code: str | None
    name: str
    method: Method
    method_label: str
    is_ppp: bool
    status: TenderStatus
    status_label: str
    round_no: int
    previous_id: int | None
    docs_start: datetime | None
    docs_end: datetime | None
    question_deadline: datetime | None
    bid_deadline: datetime | None
    acceleration: int
    decryption_minutes: int = Field(description="开标解密时限（分钟）")
    backup_threshold: int = Field(description="备用解密门限 k；0 表示不设备用解密")
    backup_custodians: int = Field(description="备用解密保管单位数 n")
    published_at: datetime | None
    sections: list[SectionOut]
    review_comment: str
    end_reason: str
    actions: list[str]


class NoticeOut(BaseModel):
    id: int
    tender_id: int
    kind: NoticeKind
    kind_label: str
    version: int
    supersedes_id: int | None
    title: str
    body: str
    published_at: datetime
    digest: str
    facts: dict[str, Any] = Field(default_factory=dict, description="公告所载事实（如开标记录、投标文件摘要清单）")


class DocumentOut(BaseModel):
    id: int
    filename: str
    digest: str
    size: int
    kind: str
    uploaded_at: datetime
    public: bool = Field(default=False, description="公告附件：随公告公开下载；否则为须获取的招标文件")


class QuestionOut(BaseModel):
    """Questions as everyone sees them: no asker."""

    id: int
    body: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None


class ObtainOut(BaseModel):
    org_id: int
    org_name: str
    credit_code: str
    obtained_at: datetime


class EarliestOut(BaseModel):
    method: Method
    docs_start: datetime
    earliest_docs_end: datetime | None
    earliest_bid_deadline: datetime | None
    rules: list[str]


class CandidateIn(Strict):
    section_seq: int = Field(ge=1, le=999)
    rank: int = Field(ge=1, le=3)
    credit_code: str = Field(min_length=1, max_length=40)
    price: Decimal = Field(ge=Decimal("0.01"), le=Decimal("99999999999999.99"), max_digits=16, decimal_places=2)


class CandidatesIn(Strict):
    """The committee's recommended candidates, from its signed evaluation report."""

    report_received_at: datetime
    candidates: list[CandidateIn] = Field(min_length=1, max_length=150)

    _tz = field_validator("report_received_at")(_aware)


class ObjectionIn(Strict):
    body: str = Field(min_length=10, max_length=8000)


class ContractIn(Strict):
    section_seq: int = Field(ge=1, le=999)
    signed_on: date
    amount: Decimal = Field(ge=Decimal("0.01"), le=Decimal("99999999999999.99"), max_digits=16, decimal_places=2)
    term: str = Field(default="", max_length=200)


class CandidateOut(BaseModel):
    section_code: str
    rank: int
    org_name: str
    price: Decimal


class ObjectionOut(BaseModel):
    id: int
    body: str
    raised_at: datetime
    answer_due: datetime
    answer: str | None
    answered_at: datetime | None


class AwardOut(BaseModel):
    section_code: str
    winner_name: str
    price: Decimal
    verify_code: str
    issued_at: datetime
    facts_digest: str
    signature: str


class ContractOut(BaseModel):
    section_code: str
    signed_on: date
    amount: Decimal
    late: bool
    warning: str


class VerifyOut(BaseModel):
    genuine: bool
    verify_code: str
    facts: dict[str, object]
    facts_digest: str
    signature: str
    public_key: str
    reason: str
