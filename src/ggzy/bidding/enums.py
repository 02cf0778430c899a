from __future__ import annotations

from enum import StrEnum


class BidStatus(StrEnum):
    ACCEPTED = "accepted"  # the bidder's current bid for the section
    REPLACED = "replaced"  # superseded by a later bid before the deadline; never opened
    WITHDRAWN = "withdrawn"  # withdrawn before the deadline (招标投标法 Art. 29); never opened

    @property
    def label(self) -> str:
        return {"accepted": "有效", "replaced": "已被替换", "withdrawn": "已撤回"}[self.value]


class Outcome(StrEnum):
    """What became of a bid at opening (电子招标投标办法 Art. 31)."""

    OPENED = "opened"
    REVOKED = "revoked"  # not decrypted through the bidder's fault: deemed 撤销
    WITHDRAWN = "withdrawn"  # not decrypted through anyone else's fault: deemed 撤回

    @property
    def label(self) -> str:
        return {"opened": "解密成功", "revoked": "解密失败，视为撤销", "withdrawn": "解密失败，视为撤回"}[self.value]


class OpeningStatus(StrEnum):
    DECRYPTING = "decrypting"  # the decryption window is open
    REVIEW = "review"  # the record is built; participants confirm or object
    PUBLISHED = "published"  # the record is public
    FAILED = "failed"  # too few bids at the deadline: no opening

    @property
    def label(self) -> str:
        return {
            "decrypting": "解密中",
            "review": "开标记录确认中",
            "published": "开标记录已公布",
            "failed": "投标人不足，不予开标",
        }[self.value]


class ResponseKind(StrEnum):
    CONFIRM = "confirm"
    OBJECTION = "objection"
