"""The one permission table: role x action, plus object rules.

Every HTTP route declares exactly one ``Action`` (``ggzy.http.deps.permit``); a test walks every
route with every role against this table. An action's ``kind`` says whether it writes business
data; regulators and auditors hold no ``WRITE`` action (they supervise, they never edit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from ggzy.identity.enums import Jurisdiction, Role


class Scope(StrEnum):
    ANY = "any"  # every object
    CITY = "city"  # only staff of the city centre (city-wide configuration)
    OWN_BRANCH = "own_branch"  # objects of the user's branch; city staff see every branch
    OWN_ORG = "own_org"  # objects the user's organisation is party to
    JURISDICTION = "jurisdiction"  # objects in the regulator's sectors
    SELF = "self"  # the user's own account


class Kind(StrEnum):
    READ = "read"
    WRITE = "write"  # changes business data
    SUPERVISE = "supervise"  # a regulator's or auditor's own act (sign-off, verification)
    ACCOUNT = "account"  # the user's own session, password, tokens


class Action(StrEnum):
    PORTAL_VIEW = "portal.view"
    LOGIN = "auth.login"
    SELF_VIEW = "self.view"
    SELF_TOKENS = "self.tokens"
    SELF_PASSWORD = "self.password"  # noqa: S105  (an action name, not a secret)
    ORG_SIGNUP = "org.signup"
    ORG_READ = "org.read"
    ORG_CREATE = "org.create"
    ORG_CONTACT = "org.contact"
    USER_READ = "user.read"
    USER_MANAGE = "user.manage"
    BRANCH_READ = "branch.read"
    WORKBENCH = "workbench.view"
    PROJECT_CREATE = "project.create"
    PROJECT_EDIT = "project.edit"
    PROJECT_READ = "project.read"
    PROJECT_ROUTE_PREVIEW = "project.route_preview"
    PROJECT_REVIEW = "project.review"
    PROJECT_FAST_TRACK = "project.fast_track"
    PROJECT_EMERGENCY_SIGNOFF = "project.emergency_signoff"
    CATALOGUE_READ = "catalogue.read"
    CATALOGUE_MANAGE = "catalogue.manage"
    CALENDAR_READ = "calendar.read"
    CALENDAR_MANAGE = "calendar.manage"
    AUDIT_HEADS = "audit.heads"
    AUDIT_READ = "audit.read"
    AUDIT_VERIFY = "audit.verify"
    TENDER_MANAGE = "tender.manage"
    TENDER_READ = "tender.read"
    TENDER_REVIEW = "tender.review"
    TENDER_PARTICIPATE = "tender.participate"
    TENDER_OBTAINERS = "tender.obtainers"
    NOTICE_READ = "notice.read"
    DOCUMENT_DOWNLOAD = "document.download"
    RULES_READ = "rules.read"
    RULES_MANAGE = "rules.manage"
    KEY_MANAGE = "key.manage"
    BID_SUBMIT = "bid.submit"
    BID_OWN = "bid.own"
    RECEIPT_VERIFY = "receipt.verify"
    OPENING_VIEW = "opening.view"
    OPENING_DECRYPT = "opening.decrypt"
    OPENING_RESPOND = "opening.respond"
    OPENING_ANSWER = "opening.answer"
    OPENING_HOST = "opening.host"
    BACKUP_HANDIN = "backup.handin"
    EXPERT_READ = "expert.read"
    EXPERT_MANAGE = "expert.manage"
    EXPERT_REVIEW = "expert.review"
    EXTRACTION_MANAGE = "extraction.manage"
    EXPERT_RESPOND = "expert.respond"
    EVALUATION_SCHEME = "evaluation.scheme"
    EVALUATION_MANAGE = "evaluation.manage"
    EVALUATION_READ = "evaluation.read"
    EVALUATION_MEMBER = "evaluation.member"
    EVALUATION_CLARIFY = "evaluation.clarify"
    EVALUATION_RATE = "evaluation.rate"
    SITE_MANAGE = "site.manage"
    EXCHANGE_READ = "exchange.read"
    EXCHANGE_MANAGE = "exchange.manage"


EVERYONE: dict[Role, Scope] = dict.fromkeys(Role, Scope.ANY)
SIGNED_IN: dict[Role, Scope] = {r: Scope.SELF for r in Role if r is not Role.PUBLIC}


@dataclass(frozen=True)
class Rule:
    kind: Kind
    roles: dict[Role, Scope] = field(default_factory=dict)
    basis: str = ""


TABLE: dict[Action, Rule] = {
    # The upward exchange is the city centre's (公共资源交易平台管理暂行办法第二十四条: data to the
    # provincial and national platforms); auditors and regulators may see what was sent and held.
    Action.EXCHANGE_READ: Rule(Kind.READ, {Role.OPERATOR: Scope.CITY, Role.AUDITOR: Scope.ANY, Role.ADMIN: Scope.ANY}),
    Action.EXCHANGE_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.CITY}, "公共资源交易平台管理暂行办法第二十四条"),
    Action.PORTAL_VIEW: Rule(Kind.READ, EVERYONE, "电子招标投标办法 Art. 44: 公共服务平台 free to read for all"),
    Action.LOGIN: Rule(Kind.ACCOUNT, EVERYONE),
    Action.SELF_VIEW: Rule(Kind.ACCOUNT, SIGNED_IN),
    Action.SELF_TOKENS: Rule(Kind.ACCOUNT, SIGNED_IN),
    Action.SELF_PASSWORD: Rule(Kind.ACCOUNT, SIGNED_IN),
    Action.ORG_SIGNUP: Rule(Kind.WRITE, {Role.PUBLIC: Scope.ANY}, "电子招标投标办法 Art. 44: anyone may register"),
    Action.ORG_READ: Rule(Kind.READ, EVERYONE),
    Action.ORG_CREATE: Rule(Kind.WRITE, {Role.ADMIN: Scope.ANY, Role.OPERATOR: Scope.ANY}),
    # An organisation's own users keep its contacts current; the centre may correct them.
    Action.ORG_CONTACT: Rule(
        Kind.WRITE,
        {
            Role.TENDERER: Scope.OWN_ORG,
            Role.AGENCY: Scope.OWN_ORG,
            Role.BIDDER: Scope.OWN_ORG,
            Role.OPERATOR: Scope.ANY,
            Role.ADMIN: Scope.ANY,
        },
    ),
    Action.USER_READ: Rule(Kind.READ, {Role.ADMIN: Scope.ANY, Role.AUDITOR: Scope.ANY}),
    Action.USER_MANAGE: Rule(Kind.ACCOUNT, {Role.ADMIN: Scope.ANY}),
    Action.BRANCH_READ: Rule(Kind.READ, EVERYONE),
    Action.WORKBENCH: Rule(Kind.READ, SIGNED_IN),
    Action.PROJECT_CREATE: Rule(Kind.WRITE, {Role.TENDERER: Scope.OWN_ORG, Role.AGENCY: Scope.OWN_ORG}),
    Action.PROJECT_EDIT: Rule(Kind.WRITE, {Role.TENDERER: Scope.OWN_ORG, Role.AGENCY: Scope.OWN_ORG}),
    Action.PROJECT_READ: Rule(
        Kind.READ,
        {
            Role.OPERATOR: Scope.OWN_BRANCH,
            Role.TENDERER: Scope.OWN_ORG,
            Role.AGENCY: Scope.OWN_ORG,
            Role.REGULATOR: Scope.JURISDICTION,
            Role.AUDITOR: Scope.ANY,
        },
    ),
    Action.PROJECT_ROUTE_PREVIEW: Rule(
        Kind.READ, {Role.TENDERER: Scope.ANY, Role.AGENCY: Scope.ANY, Role.OPERATOR: Scope.ANY}
    ),
    Action.PROJECT_REVIEW: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}, "公共资源交易平台管理暂行办法 Art. 20"),
    Action.PROJECT_FAST_TRACK: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}),
    Action.PROJECT_EMERGENCY_SIGNOFF: Rule(
        Kind.SUPERVISE, {Role.REGULATOR: Scope.JURISDICTION}, "招标投标法 Art. 66; 政府采购法 Art. 85"
    ),
    Action.CATALOGUE_READ: Rule(Kind.READ, EVERYONE, "国办发〔2015〕63号: the catalogue is public"),
    Action.CATALOGUE_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.CITY}),
    Action.CALENDAR_READ: Rule(Kind.READ, EVERYONE),
    Action.CALENDAR_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.CITY}),
    Action.AUDIT_HEADS: Rule(Kind.READ, EVERYONE),
    Action.AUDIT_READ: Rule(
        Kind.READ, {Role.AUDITOR: Scope.ANY, Role.REGULATOR: Scope.JURISDICTION, Role.ADMIN: Scope.ANY}
    ),
    Action.AUDIT_VERIFY: Rule(Kind.SUPERVISE, {Role.AUDITOR: Scope.ANY, Role.ADMIN: Scope.ANY}),
    Action.TENDER_MANAGE: Rule(Kind.WRITE, {Role.TENDERER: Scope.OWN_ORG, Role.AGENCY: Scope.OWN_ORG}),
    Action.TENDER_READ: Rule(
        Kind.READ,
        {
            Role.OPERATOR: Scope.OWN_BRANCH,
            Role.TENDERER: Scope.OWN_ORG,
            Role.AGENCY: Scope.OWN_ORG,
            Role.REGULATOR: Scope.JURISDICTION,
            Role.AUDITOR: Scope.ANY,
        },
    ),
    Action.TENDER_REVIEW: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}, "公共资源交易平台管理暂行办法"),
    # Obtaining documents and asking questions; invited procedures admit only the invitees.
    Action.TENDER_PARTICIPATE: Rule(Kind.WRITE, {Role.BIDDER: Scope.ANY}),
    # Who obtained the documents is secret before opening (招标投标法 Art. 22).
    Action.TENDER_OBTAINERS: Rule(Kind.READ, {Role.OPERATOR: Scope.OWN_BRANCH}, "招标投标法第二十二条"),
    Action.NOTICE_READ: Rule(Kind.READ, EVERYONE, "电子招标投标办法第四十一条"),
    # Parties and supervisors read the documents; a bidder once it has obtained them (checked per object).
    Action.DOCUMENT_DOWNLOAD: Rule(
        Kind.READ,
        {
            Role.OPERATOR: Scope.OWN_BRANCH,
            Role.TENDERER: Scope.OWN_ORG,
            Role.AGENCY: Scope.OWN_ORG,
            Role.REGULATOR: Scope.JURISDICTION,
            Role.AUDITOR: Scope.ANY,
            Role.BIDDER: Scope.ANY,
        },
    ),
    Action.RULES_READ: Rule(Kind.READ, EVERYONE),
    Action.RULES_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.CITY}),
    # An organisation's own SM2 keys (certificates): bidders, and custodians of backup keys.
    Action.KEY_MANAGE: Rule(
        Kind.ACCOUNT,
        {r: Scope.OWN_ORG for r in (Role.BIDDER, Role.TENDERER, Role.AGENCY, Role.OPERATOR, Role.REGULATOR)},
    ),
    Action.BID_SUBMIT: Rule(Kind.WRITE, {Role.BIDDER: Scope.ANY}, "招标投标法第二十八、二十九条"),
    Action.BID_OWN: Rule(Kind.READ, {Role.BIDDER: Scope.ANY}),
    Action.RECEIPT_VERIFY: Rule(Kind.READ, EVERYONE),
    # The live opening: its parties, the host, supervisors, and the bidders of the section (checked per object).
    Action.OPENING_VIEW: Rule(
        Kind.READ,
        {
            Role.OPERATOR: Scope.OWN_BRANCH,
            Role.TENDERER: Scope.OWN_ORG,
            Role.AGENCY: Scope.OWN_ORG,
            Role.REGULATOR: Scope.JURISDICTION,
            Role.AUDITOR: Scope.ANY,
            Role.BIDDER: Scope.ANY,
        },
    ),
    Action.OPENING_DECRYPT: Rule(Kind.WRITE, {Role.BIDDER: Scope.ANY}, "电子招标投标办法第三十一条"),
    Action.OPENING_RESPOND: Rule(Kind.WRITE, {Role.BIDDER: Scope.ANY}, "招标投标法实施条例第四十四条"),
    # 实施条例第四十四条: the tenderer (or its agency) answers objections at the opening.
    Action.OPENING_ANSWER: Rule(
        Kind.WRITE, {Role.TENDERER: Scope.OWN_ORG, Role.AGENCY: Scope.OWN_ORG}, "招标投标法实施条例第四十四条"
    ),
    # The trading centre hosts the opening (close the window early, the backup route, publish the record).
    Action.OPENING_HOST: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}, "电子招标投标办法第二十九至三十一条"),
    # A custodian hands in its share of a backup opening key (checked per object: only named custodians).
    Action.BACKUP_HANDIN: Rule(
        Kind.SUPERVISE,
        {r: Scope.ANY for r in (Role.TENDERER, Role.AGENCY, Role.OPERATOR, Role.REGULATOR)},
        "电子招标投标办法第三十一条",
    ),
    # The combined expert library (综合评标评审专家库): kept by the centre, reviewed by regulators.
    Action.EXPERT_READ: Rule(
        Kind.READ, {Role.OPERATOR: Scope.ANY, Role.REGULATOR: Scope.ANY, Role.AUDITOR: Scope.ANY, Role.ADMIN: Scope.ANY}
    ),
    Action.EXPERT_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.CITY}, "评标专家和评标专家库管理办法"),
    Action.EXPERT_REVIEW: Rule(
        Kind.SUPERVISE, {Role.REGULATOR: Scope.ANY}, "评标专家和评标专家库管理办法：入库审核、考核、暂停、禁入"
    ),
    # The centre runs the draw for a section of its branch (checked per object).
    # A drawn expert accepts or declines its own invitation (checked per object: only the drawn).
    Action.EXPERT_RESPOND: Rule(Kind.WRITE, {Role.EXPERT: Scope.SELF}),
    Action.EXTRACTION_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}, "评标委员会和评标方法暂行规定第十条"),
    # The evaluation scheme goes with the tender documents: its parties set it before publication.
    Action.EVALUATION_SCHEME: Rule(
        Kind.WRITE, {Role.TENDERER: Scope.OWN_ORG, Role.AGENCY: Scope.OWN_ORG}, "招标投标法第十九条"
    ),
    # The centre forms the committee from the draw and hosts the evaluation across its sites.
    Action.EVALUATION_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}, "评标委员会和评标方法暂行规定第九条"),
    # Who may follow an evaluation (the members' names stay sealed until they sign in).
    Action.EVALUATION_READ: Rule(
        Kind.READ,
        {
            Role.OPERATOR: Scope.OWN_BRANCH,
            Role.TENDERER: Scope.OWN_ORG,
            Role.AGENCY: Scope.OWN_ORG,
            Role.REGULATOR: Scope.JURISDICTION,
            Role.AUDITOR: Scope.ANY,
            Role.EXPERT: Scope.SELF,
        },
    ),
    # A committee member's own work: sign in, vote, review, score, sign (checked per object: members only).
    Action.EVALUATION_MEMBER: Rule(
        Kind.WRITE, {Role.EXPERT: Scope.SELF, Role.TENDERER: Scope.SELF}, "评标委员会和评标方法暂行规定第十三条"
    ),
    # A bidder answers the committee's request for clarification (checked per object: the bid's own).
    Action.EVALUATION_CLARIFY: Rule(Kind.WRITE, {Role.BIDDER: Scope.ANY}, "招标投标法第三十九条"),
    # The tenderer and the centre rate each expert's work.
    Action.EVALUATION_RATE: Rule(
        Kind.WRITE,
        {Role.TENDERER: Scope.OWN_ORG, Role.AGENCY: Scope.OWN_ORG, Role.OPERATOR: Scope.OWN_BRANCH},
        "评标专家和评标专家库管理办法：评价与考核",
    ),
    Action.SITE_MANAGE: Rule(Kind.WRITE, {Role.OPERATOR: Scope.OWN_BRANCH}, "发改办法规〔2025〕807号：共享评标席位"),
}


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or the anonymous public."""

    role: Role
    user_id: int | None = None
    username: str = ""
    display_name: str = "社会公众"
    org_id: int | None = None
    org_name: str = ""
    branch_id: int | None = None
    is_city_staff: bool = False
    jurisdictions: frozenset[Jurisdiction] = frozenset()
    client_addr: str = ""
    csrf_token: str = ""
    via_token: bool = False
    token_to_touch: int | None = None  # an API token whose last use should be recorded

    @property
    def is_authenticated(self) -> bool:
        return self.role is not Role.PUBLIC


ANONYMOUS = Principal(role=Role.PUBLIC)


class ScopedObject(Protocol):
    """What an object exposes so the table's object rules can be checked against it."""

    @property
    def party_org_ids(self) -> set[int]: ...

    @property
    def branch_id(self) -> int | None: ...

    @property
    def jurisdiction(self) -> str | None: ...


def scope_for(principal: Principal, action: Action) -> Scope | None:
    return TABLE[action].roles.get(principal.role)


def allows(principal: Principal, action: Action) -> bool:
    """May this role perform the action at all (before looking at any object)?"""
    scope = scope_for(principal, action)
    if scope is None:
        return False
    return not (scope is Scope.CITY and not principal.is_city_staff)


def allows_object(principal: Principal, action: Action, obj: ScopedObject) -> bool:
    scope = scope_for(principal, action)
    if scope is None or not allows(principal, action):
        return False
    if scope in (Scope.ANY, Scope.CITY):
        return True
    if scope is Scope.OWN_BRANCH:
        return principal.is_city_staff or obj.branch_id == principal.branch_id
    if scope is Scope.OWN_ORG:
        return principal.org_id is not None and principal.org_id in obj.party_org_ids
    if scope is Scope.JURISDICTION:
        return obj.jurisdiction is not None and Jurisdiction(obj.jurisdiction) in principal.jurisdictions
    return False
