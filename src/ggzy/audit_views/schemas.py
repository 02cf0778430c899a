from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class EventOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor_name: str
    actor_role: str
    actor_org_id: int | None
    client_addr: str
    action: str
    object_type: str
    object_id: str
    before_digest: str | None
    after_digest: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class DayHeadOut(BaseModel):
    day: date
    seq: int
    hash: str
    events: int


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
