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


AUDIT_ACTION_LABELS = {
    "key.register": "登记 SM2 密钥",
    "key.revoke": "吊销 SM2 密钥",
    "auth.cert_login": "证书登录",
    "backup_key.create": "生成备用解密密钥并分发份额",
    "bid.submit": "递交投标文件",
    "bid.replace": "替换投标文件",
    "bid.withdraw": "撤回投标文件",
    "opening.start": "开标（开始解密）",
    "opening.fail": "投标人不足，不予开标",
    "opening.decrypt": "解密投标文件",
    "opening.decrypt_failed": "解密失败（可重试）",
    "opening.storage_fault": "平台存储故障",
    "opening.window_close": "解密结束",
    "opening.share_handin": "提交备用解密份额",
    "opening.backup_decrypt": "备用解密",
    "opening.backup_failed": "备用解密失败",
    "opening.classify": "认定解密失败原因",
    "opening.confirm": "确认开标记录",
    "opening.objection": "对开标提出异议",
    "opening.objection_answer": "答复开标异议",
    "opening.publish": "公布开标记录",
}
