from __future__ import annotations

from enum import StrEnum


class ExpertStatus(StrEnum):
    PENDING = "pending"  # applied, awaiting admission review
    ACTIVE = "active"
    SUSPENDED = "suspended"
    BLACKLISTED = "blacklisted"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return {"pending": "待审核", "active": "在库", "suspended": "暂停", "blacklisted": "禁入", "retired": "退出"}[
            self.value
        ]


class Avoidance(StrEnum):
    """Why an expert is not a candidate for a draw; the order is the order the rules are applied."""

    NOT_ACTIVE = "not_active"
    SPECIALITY = "speciality"
    REGION = "region"
    AGE = "age"
    TENDERER_STAFF = "tenderer_staff"
    SUPERVISOR_STAFF = "supervisor_staff"
    BIDDER_STAFF = "bidder_staff"
    DECLARED_CONFLICT = "declared_conflict"
    FREQUENT = "frequent"
    BUSY = "busy"

    @property
    def label(self) -> str:
        return {
            "not_active": "不在库（待审核、暂停、禁入或退出）",
            "speciality": "专业不符",
            "region": "不在抽取地区范围",
            "age": "超过年龄上限",
            "tenderer_staff": "招标人（采购人）的工作人员",
            "supervisor_staff": "项目主管或监督部门的工作人员",
            "bidder_staff": "投标人的工作人员",
            "declared_conflict": "申报的利害关系（亲属、原单位等）",
            "frequent": "12 个月内为同一招标人评标次数过多",
            "busy": "评标当日不能到场（已有安排或申报不便）",
        }[self.value]


AUDIT_ACTION_LABELS = {
    "expert.register": "专家入库申请",
    "expert.specialities_load": "载入或更正专家专业分类",
    "expert.active": "专家入库（或恢复）",
    "expert.suspended": "暂停专家",
    "expert.blacklisted": "专家列入禁入名单",
    "expert.retired": "专家退出",
    "expert.conflict_declare": "申报利害关系",
    "expert.busy_declare": "申报不便参加日期",
    "extraction.commit": "抽取专家：承诺候选名单",
    "extraction.draw": "抽取专家：随机抽取",
    "extraction.accept": "专家接受评标邀请",
    "extraction.decline": "专家谢绝评标邀请（由下一顺位补足）",
}
