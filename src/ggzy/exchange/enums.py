from __future__ import annotations

from enum import StrEnum


class DeliveryStatus(StrEnum):
    HELD = "held"
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {
            "held": "未通过校验，暂缓报送",
            "pending": "待报送",
            "sent": "已报送",
            "failed": "报送失败",
            "superseded": "已被新版本取代",
        }[self.value]
