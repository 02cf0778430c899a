from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ggzy.identity.schemas import Strict


class SealingOut(BaseModel):
    tender: str
    section: str
    section_name: str
    bid_deadline: datetime | None
    backup_key: str | None = Field(description="备用解密公钥（十六进制）；为空表示不设备用解密")
    backup_key_fingerprint: str | None
    backup_threshold: int
    max_bytes: int


class ReceiptOut(BaseModel):
    receipt: dict[str, Any] = Field(description="回执内容；签名覆盖其规范化 JSON（键排序、无空格、UTF-8）")
    signature: str = Field(description="平台 SM2 签名（DER，十六进制），签名者标识 1234567812345678")
    status: str
    status_label: str


class MyBidOut(ReceiptOut):
    seq: int
    digest: str
    size: int
    received_at: datetime
    outcome: str | None
    outcome_label: str | None


class ReceiptVerifyIn(Strict):
    receipt: dict[str, Any]
    signature: str = Field(min_length=16, max_length=200, pattern=r"^[0-9a-fA-F]+$")


class ReceiptVerifyOut(BaseModel):
    valid: bool
    message: str
    status: str | None = None


class PlatformKeyOut(BaseModel):
    public_key: str
    fingerprint: str
    pem: str


class ContentKeyIn(Strict):
    content_key: str = Field(
        min_length=32, max_length=32, pattern=r"^[0-9a-fA-F]{32}$", description="内容密钥（32 位十六进制）"
    )


class ShareIn(Strict):
    share: str = Field(min_length=3, max_length=200, description="解开后的份额，形如 序号:十六进制")


class WrappedShareOut(BaseModel):
    backup_key_fingerprint: str
    custodian_key: str
    wrapped: str = Field(description="以保管单位 SM2 公钥加密的份额；用 ggzy bidder unwrap-share 在本机解开")
    handed_in: bool


class ClassifyIn(Strict):
    seq: int = Field(ge=1, le=2_147_483_647)
    outcome: Literal["revoked", "withdrawn"]
    reason: str = Field(min_length=1, max_length=300)


class RespondIn(Strict):
    kind: Literal["confirm", "objection"]
    body: str = Field(default="", max_length=2000)


class AnswerIn(Strict):
    answer: str = Field(min_length=1, max_length=2000)


class OpeningOut(BaseModel):
    section_id: int
    tender_id: int
    status: str
    status_label: str
    started_at: datetime | None
    decrypt_until: datetime | None
    seconds_left: int
    bid_count: int
    failure_reason: str
    record: dict[str, Any] | None
    record_digest: str
    responses: list[dict[str, Any]]
    backup: dict[str, Any] | None
    mine: dict[str, Any] | None
    actions: list[str]
