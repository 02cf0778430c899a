from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role on the platform. Anonymous visitors are ``PUBLIC``."""

    OPERATOR = "operator"
    TENDERER = "tenderer"
    AGENCY = "agency"
    BIDDER = "bidder"
    EXPERT = "expert"
    REGULATOR = "regulator"
    AUDITOR = "auditor"
    ADMIN = "admin"
    PUBLIC = "public"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OPERATOR: "交易中心工作人员",
    Role.TENDERER: "招标人/采购人",
    Role.AGENCY: "招标代理机构",
    Role.BIDDER: "投标人/供应商/竞买人",
    Role.EXPERT: "评标专家",
    Role.REGULATOR: "行政监督部门",
    Role.AUDITOR: "监察/审计",
    Role.ADMIN: "系统管理员",
    Role.PUBLIC: "社会公众",
}


class OrgRole(StrEnum):
    """What an organisation is on the market; one organisation may hold several."""

    TENDERER = "tenderer"
    AGENCY = "agency"
    BIDDER = "bidder"
    REGULATOR = "regulator"
    CENTRE = "centre"
    SUPERVISOR = "supervisor"

    @property
    def label(self) -> str:
        return ORG_ROLE_LABELS[self]


ORG_ROLE_LABELS = {
    OrgRole.TENDERER: "招标人/采购人",
    OrgRole.AGENCY: "招标代理机构",
    OrgRole.BIDDER: "投标人/供应商/竞买人",
    OrgRole.REGULATOR: "行政监督部门",
    OrgRole.CENTRE: "公共资源交易中心",
    OrgRole.SUPERVISOR: "监察/审计机关",
}

# Which organisation role a user role needs: a bidder user works for a bidder organisation, etc.
USER_ROLE_NEEDS_ORG_ROLE: dict[Role, OrgRole | None] = {
    Role.OPERATOR: OrgRole.CENTRE,
    Role.TENDERER: OrgRole.TENDERER,
    Role.AGENCY: OrgRole.AGENCY,
    Role.BIDDER: OrgRole.BIDDER,
    Role.REGULATOR: OrgRole.REGULATOR,
    Role.AUDITOR: OrgRole.SUPERVISOR,
    Role.EXPERT: None,
    Role.ADMIN: OrgRole.CENTRE,
}


class Jurisdiction(StrEnum):
    """A regulator's sector (行业监管); 国办发〔2015〕63号 keeps supervision with the sector departments."""

    CONSTRUCTION = "construction"
    TRANSPORT = "transport"
    WATER = "water"
    FINANCE = "finance"
    NATURAL_RESOURCES = "natural_resources"
    STATE_ASSETS = "state_assets"
    DEVELOPMENT_REFORM = "development_reform"

    @property
    def label(self) -> str:
        return JURISDICTION_LABELS[self]


JURISDICTION_LABELS = {
    Jurisdiction.CONSTRUCTION: "住房和城乡建设",
    Jurisdiction.TRANSPORT: "交通运输",
    Jurisdiction.WATER: "水利",
    Jurisdiction.FINANCE: "财政（政府采购）",
    Jurisdiction.NATURAL_RESOURCES: "自然资源",
    Jurisdiction.STATE_ASSETS: "国有资产监督管理",
    Jurisdiction.DEVELOPMENT_REFORM: "发展和改革",
}


AUDIT_ACTION_LABELS = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "user.create": "创建用户",
    "user.password_reset": "重置密码并解锁",
    "user.password_change": "修改密码",
    "org.create": "登记单位",
    "token.create": "创建 API 令牌",
    "token.revoke": "吊销 API 令牌",
    "calendar.override": "修正工作日历",
    "calendar.override_remove": "取消日历修正",
}
