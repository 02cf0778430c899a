from __future__ import annotations

from enum import StrEnum

from ggzy.identity.enums import Jurisdiction


class TradingType(StrEnum):
    CONSTRUCTION = "construction"
    GOVERNMENT_PROCUREMENT = "government_procurement"
    LAND_USE = "land_use"
    MINING_RIGHTS = "mining_rights"
    STATE_PROPERTY = "state_property"
    OTHER = "other"

    @property
    def label(self) -> str:
        return TRADING_TYPE_LABELS[self]

    @property
    def letter(self) -> str:
        """First character of the project code (docs/codes.md)."""
        return TRADING_TYPE_LETTERS[self]


TRADING_TYPE_LABELS = {
    TradingType.CONSTRUCTION: "工程建设",
    TradingType.GOVERNMENT_PROCUREMENT: "政府采购",
    TradingType.LAND_USE: "土地使用权",
    TradingType.MINING_RIGHTS: "矿业权",
    TradingType.STATE_PROPERTY: "国有产权",
    TradingType.OTHER: "其他",
}
TRADING_TYPE_LETTERS = {
    TradingType.CONSTRUCTION: "E",
    TradingType.GOVERNMENT_PROCUREMENT: "Z",
    TradingType.LAND_USE: "T",
    TradingType.MINING_RIGHTS: "K",
    TradingType.STATE_PROPERTY: "C",
    TradingType.OTHER: "Q",
}

# The sectors that may supervise each trading type (国办发〔2015〕63号: supervision stays with the
# sector departments; 招标投标法实施条例 Art. 4 for construction's sector split).
ALLOWED_JURISDICTIONS: dict[TradingType, tuple[Jurisdiction, ...]] = {
    TradingType.CONSTRUCTION: (
        Jurisdiction.CONSTRUCTION,
        Jurisdiction.TRANSPORT,
        Jurisdiction.WATER,
        Jurisdiction.DEVELOPMENT_REFORM,
    ),
    TradingType.GOVERNMENT_PROCUREMENT: (Jurisdiction.FINANCE,),
    TradingType.LAND_USE: (Jurisdiction.NATURAL_RESOURCES,),
    TradingType.MINING_RIGHTS: (Jurisdiction.NATURAL_RESOURCES,),
    TradingType.STATE_PROPERTY: (Jurisdiction.STATE_ASSETS,),
    TradingType.OTHER: tuple(Jurisdiction),
}


class FundingSource(StrEnum):
    FISCAL = "fiscal"
    STATE_OWNED = "state_owned"
    SELF_RAISED = "self_raised"
    FOREIGN = "foreign"
    MIXED = "mixed"

    @property
    def label(self) -> str:
        return FUNDING_LABELS[self]


FUNDING_LABELS = {
    FundingSource.FISCAL: "财政性资金",
    FundingSource.STATE_OWNED: "国有资金",
    FundingSource.SELF_RAISED: "自筹资金",
    FundingSource.FOREIGN: "国际组织或外国政府贷款、援助资金",
    FundingSource.MIXED: "混合资金",
}


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"
    DIRECT_AWARDED = "direct_awarded"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    ProjectStatus.DRAFT: "草稿",
    ProjectStatus.SUBMITTED: "待审核",
    ProjectStatus.RETURNED: "已退回",
    ProjectStatus.ACCEPTED: "已进场",
    ProjectStatus.DIRECT_AWARDED: "应急直接发包",
    ProjectStatus.WITHDRAWN: "已撤回",
}


class Route(StrEnum):
    """How the project will be traded after entry."""

    NORMAL = "normal"
    EMERGENCY_DIRECT = "emergency_direct"

    @property
    def label(self) -> str:
        return {"normal": "常规交易", "emergency_direct": "应急直接发包"}[self.value]


class RuleTableKind(StrEnum):
    CATALOGUE = "catalogue"
    THRESHOLD = "threshold"

    @property
    def label(self) -> str:
        return {"catalogue": "进场交易目录", "threshold": "限额标准"}[self.value]


class VersionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"


AUDIT_ACTION_LABELS = {
    "project.create": "新建进场登记",
    "project.edit": "修改登记",
    "project.submit": "提交审核",
    "project.withdraw": "撤回",
    "project.return": "退回",
    "project.accept": "受理进场并赋码",
    "project.accept_direct_award": "受理应急直接发包",
    "project.emergency_signoff": "签批应急直接发包",
    "project.emergency_reject": "不予签批",
    "project.fast_track": "标记快速交易",
    "ruletable.create": "新建目录/限额草稿",
    "ruletable.item_put": "修改目录项",
    "ruletable.item_remove": "删除目录项",
    "ruletable.threshold_put": "设置限额",
    "ruletable.activate": "发布生效",
    "ruletable.discard": "删除草稿",
}
