"""Idempotent demo data: fictional but plausible organisations, a user for every role, the
2026 entry catalogue and threshold standards, and projects at every registration stage.

Everything goes through the real services under the role that would do it, so the demo also
produces a genuine audit chain. Running it again adds only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from ggzy import demo_tendering
from ggzy.common.audit import SYSTEM
from ggzy.common.clock import Clock, local_date
from ggzy.config import Settings
from ggzy.db import Database
from ggzy.demo_projects import CATALOGUE, PROJECTS, THRESHOLD_BASIS, THRESHOLDS, DemoProject, code
from ggzy.identity import selectors as identity_selectors
from ggzy.identity import services as identity_services
from ggzy.identity.enums import Jurisdiction, OrgRole, Role
from ggzy.identity.models import Branch, User
from ggzy.identity.permissions import Principal
from ggzy.identity.rules import make_id_number
from ggzy.identity.schemas import OrgCreateIn, UserCreateIn
from ggzy.registration import services as reg
from ggzy.registration import table_services
from ggzy.registration.enums import RuleTableKind
from ggzy.registration.models import Project, RuleTableVersion
from ggzy.registration.schemas import CatalogueItemIn, ProjectIn, ThresholdRuleIn

DEMO_PASSWORD = "Ggzy-demo-2026"  # noqa: S105  (demo only; the README says so; production never loads demo data)

BRANCHES = [
    (
        "220200",
        "市本级（吉林市公共资源交易中心）",
        True,
        {"220202": "昌邑区", "220203": "龙潭区", "220204": "船营区", "220211": "丰满区"},
    ),
    ("220221", "永吉县分中心", False, {"220221": "永吉县"}),
    ("220283", "舒兰市分中心", False, {"220283": "舒兰市"}),
    ("220284", "磐石市分中心", False, {"220284": "磐石市"}),
    ("220281", "蛟河市分中心", False, {"220281": "蛟河市"}),
    ("220282", "桦甸市分中心", False, {"220282": "桦甸市"}),
]

J = Jurisdiction
# (name, 17-character body of the credit code, roles, region, jurisdictions)
ORGS = [
    ("吉林市公共资源交易中心", "12220200MB0100001", [OrgRole.CENTRE], "220202", []),
    ("吉林市住房和城乡建设局", "11220200MB0200002", [OrgRole.REGULATOR], "220202", [J.CONSTRUCTION]),
    ("吉林市交通运输局", "11220200MB0200003", [OrgRole.REGULATOR], "220202", [J.TRANSPORT]),
    ("吉林市水利局", "11220200MB0200004", [OrgRole.REGULATOR], "220204", [J.WATER]),
    ("吉林市财政局", "11220200MB0200005", [OrgRole.REGULATOR], "220202", [J.FINANCE]),
    ("吉林市自然资源局", "11220200MB0200006", [OrgRole.REGULATOR], "220204", [J.NATURAL_RESOURCES]),
    ("吉林市国有资产监督管理委员会", "11220200MB0200007", [OrgRole.REGULATOR], "220202", [J.STATE_ASSETS]),
    ("吉林市发展和改革委员会", "11220200MB0200008", [OrgRole.REGULATOR], "220202", [J.DEVELOPMENT_REFORM]),
    ("吉林市审计局", "11220200MB0300009", [OrgRole.SUPERVISOR], "220202", []),
    ("吉林市城市建设投资集团有限公司", "91220200MA1000010", [OrgRole.TENDERER], "220204", []),
    ("吉林市教育局", "11220200MB0400011", [OrgRole.TENDERER], "220202", []),
    ("永吉县第一中学", "12220221MB0500012", [OrgRole.TENDERER], "220221", []),
    ("磐石市热力有限责任公司", "91220284MA1000013", [OrgRole.TENDERER], "220284", []),
    ("舒兰市交通运输局", "11220283MB0600014", [OrgRole.TENDERER], "220283", []),
    ("蛟河市水利局", "11220281MB0600015", [OrgRole.TENDERER], "220281", []),
    ("吉林市江城国有资本运营有限公司", "91220200MA1000016", [OrgRole.TENDERER], "220202", []),
    ("吉林市松江工程咨询有限公司", "91220202MA1000017", [OrgRole.AGENCY], "220202", []),
    ("吉林市北华招标代理有限公司", "91220203MA1000018", [OrgRole.AGENCY], "220203", []),
    ("吉林市松原建筑工程有限公司", "91220204MA1000019", [OrgRole.BIDDER], "220204", []),
    ("吉林市北山路桥工程有限公司", "91220211MA1000020", [OrgRole.BIDDER], "220211", []),
    ("蛟河市拉法水利建设有限公司", "91220281MA1000021", [OrgRole.BIDDER], "220281", []),
    ("吉林市江南办公设备有限公司", "91220202MA1000022", [OrgRole.BIDDER], "220202", []),
]


# (username, display name, role, organisation body, branch code, 17-digit ID body or None)
USERS = [
    ("admin", "系统管理员 王敏", Role.ADMIN, "12220200MB0100001", "220200", None),
    ("operator", "交易中心 李静", Role.OPERATOR, "12220200MB0100001", "220200", "22020219850312002"),
    ("yongji_op", "永吉县分中心 赵磊", Role.OPERATOR, "12220200MB0100001", "220221", None),
    ("panshi_op", "磐石市分中心 孙悦", Role.OPERATOR, "12220200MB0100001", "220284", None),
    ("tenderer", "城投集团 张伟", Role.TENDERER, "91220200MA1000010", None, None),
    ("purchaser", "市教育局 刘洋", Role.TENDERER, "11220200MB0400011", None, None),
    ("yongji_school", "永吉一中 陈红", Role.TENDERER, "12220221MB0500012", None, None),
    ("agency", "松江咨询 周杰", Role.AGENCY, "91220202MA1000017", None, None),
    ("bidder", "松原建筑 吴刚", Role.BIDDER, "91220204MA1000019", None, None),
    ("bidder2", "北山路桥 郑浩", Role.BIDDER, "91220211MA1000020", None, None),
    ("bidder3", "拉法水利 钱程", Role.BIDDER, "91220281MA1000021", None, None),
    ("bidder4", "江南办公 冯雪", Role.BIDDER, "91220202MA1000022", None, None),
    ("expert", "评标专家 黄志远", Role.EXPERT, None, None, "22020319700815003"),
    ("regulator", "市住建局 马骏", Role.REGULATOR, "11220200MB0200002", None, None),
    ("regulator_water", "市水利局 高原", Role.REGULATOR, "11220200MB0200004", None, None),
    ("regulator_finance", "市财政局 林晓", Role.REGULATOR, "11220200MB0200005", None, None),
    ("auditor", "市审计局 何平", Role.AUDITOR, "11220200MB0300009", None, None),
]


def _principal(session: Session, username: str, addr: str = "127.0.0.1") -> Principal:
    user = session.scalar(select(User).where(User.username == username))
    assert user is not None, username
    return identity_selectors.principal_of(user, client_addr=addr)


def _branches(session: Session) -> None:
    for i, (bcode, name, is_city, regions) in enumerate(BRANCHES):
        if session.scalar(select(Branch).where(Branch.code == bcode)) is None:
            session.add(Branch(code=bcode, name=name, is_city=is_city, regions=regions, sort=i))


def _orgs(session: Session, now: datetime) -> None:
    for name, body, roles, region, juris in ORGS:
        if identity_selectors.org_by_credit_code(session, code(body)) is None:
            identity_services.org_create(
                session=session,
                now=now,
                actor=SYSTEM,
                data=OrgCreateIn(
                    name=name,
                    credit_code=code(body),
                    roles=roles,
                    region_code=region,
                    jurisdictions=juris,
                    legal_representative="法定代表人",
                    contact_name="联系人",
                    contact_phone="0432-62000000",
                    email=f"contact@{code(body).lower()}.example.cn",
                    address="吉林省吉林市",
                ),
            )


def _users(session: Session, now: datetime) -> None:
    for username, display, role, org_body, branch, id_body in USERS:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        org = identity_selectors.org_by_credit_code(session, code(org_body)) if org_body else None
        identity_services.user_create(
            session=session,
            now=now,
            actor=SYSTEM,
            data=UserCreateIn(
                username=username,
                display_name=display,
                role=role,
                password=DEMO_PASSWORD,
                organization_id=org.id if org else None,
                branch_code=branch,
                id_number=make_id_number(id_body) if id_body else None,
            ),
        )


def _tables(session: Session, now: datetime) -> None:
    admin_actor = identity_services.actor_of(_principal(session, "operator"))
    for kind, title, basis in (
        (
            RuleTableKind.CATALOGUE,
            f"{local_date(now).year}年度吉林市公共资源交易目录",
            "国办发〔2015〕63号；吉林省公共资源交易目录（示例）",
        ),
        (RuleTableKind.THRESHOLD, f"{local_date(now).year}年度吉林市市本级进场交易限额标准", THRESHOLD_BASIS),
    ):
        if session.scalar(select(RuleTableVersion.id).where(RuleTableVersion.kind == kind.value)) is not None:
            continue
        v = table_services.version_create(
            session=session, now=now, actor=admin_actor, kind=kind, title=title, basis=basis
        )
        if kind is RuleTableKind.CATALOGUE:
            for c, tt, name, mf, b in CATALOGUE:
                table_services.catalogue_item_put(
                    session=session,
                    now=now,
                    actor=admin_actor,
                    version_id=v.id,
                    data=CatalogueItemIn(
                        code=c, trading_type=tt, name=name, basis=b, mandatory_from=Decimal(mf) if mf else None
                    ),
                )
        else:
            for tt, amount in THRESHOLDS:
                table_services.threshold_put(
                    session=session,
                    now=now,
                    actor=admin_actor,
                    version_id=v.id,
                    data=ThresholdRuleIn(trading_type=tt, city_from=Decimal(amount), basis=THRESHOLD_BASIS),
                )
        table_services.version_activate(
            session=session, now=now, actor=admin_actor, version_id=v.id, kind=kind, effective_from=local_date(now)
        )


def _project(session: Session, now: datetime, dp: DemoProject) -> None:
    if session.scalar(select(Project.id).where(Project.name == dp.data["name"])) is not None:
        return
    data = dict(dp.data)
    regulator = identity_selectors.org_by_credit_code(session, code(str(data.pop("regulator_credit"))))
    assert regulator is not None
    owner = _principal(session, dp.by)
    p = reg.project_create(
        session=session,
        now=now,
        principal=owner,
        data=ProjectIn.model_validate(data | {"regulator_org_id": regulator.id}),
    )
    if dp.stage == "draft":
        return
    reg.project_submit(session=session, now=now, principal=owner, project_id=p.id)
    reviewer = _principal(session, dp.reviewer)
    steps: dict[str, Callable[[], object]] = {
        "returned": lambda: reg.project_return(
            session=session,
            now=now,
            principal=reviewer,
            project_id=p.id,
            reason="项目审批文件缺失，请补充发改部门的可研批复后重新提交",
        ),
        "accepted": lambda: reg.project_accept(session=session, now=now, principal=reviewer, project_id=p.id),
    }
    if dp.stage in steps:
        steps[dp.stage]()
    elif dp.stage == "fast_track":
        reg.project_accept(session=session, now=now, principal=reviewer, project_id=p.id)
        reg.project_fast_track(
            session=session,
            now=now,
            principal=reviewer,
            project_id=p.id,
            reason="列入吉林省2026年重点建设项目，适用快速交易",
        )
    elif dp.stage == "direct_awarded":
        reg.project_emergency_signoff(
            session=session,
            now=now,
            principal=_principal(session, "regulator"),
            project_id=p.id,
            opinion="情况属实，同意应急直接发包",
        )
        reg.project_accept_direct_award(session=session, now=now, principal=reviewer, project_id=p.id)


def load(
    db: Database, clock: Clock, progress: Callable[[str], None] = lambda _m: None, settings: Settings | None = None
) -> None:
    now = clock.now()
    steps: list[tuple[str, Callable[[Session], None]]] = [
        ("分中心", _branches),
        ("单位", lambda s: _orgs(s, now)),
        ("用户", lambda s: _users(s, now)),
        ("进场目录与限额标准", lambda s: _tables(s, now)),
    ]
    for i, dp in enumerate(PROJECTS):
        steps.append((f"项目 {i + 1}/{len(PROJECTS)}", partial(_project, now=now + timedelta(seconds=i), dp=dp)))
    steps.append(("招标项目", lambda s: demo_tendering.load(s, now + timedelta(seconds=len(PROJECTS)), settings)))
    if settings is not None:  # sealed bids need the real file store and leave demo keys beside it
        from ggzy import demo_bidding

        steps.append(
            ("投标与开标", lambda s: demo_bidding.load(s, now + timedelta(seconds=len(PROJECTS) + 1), settings))
        )
        from ggzy import demo_experts

        steps.append(("专家库", lambda s: demo_experts.load(s, now + timedelta(seconds=len(PROJECTS) + 2))))
        from ggzy import demo_evaluation

        steps.append(
            ("评标场地", lambda s: demo_evaluation.load(s, now + timedelta(seconds=len(PROJECTS) + 3), DEMO_PASSWORD))
        )
    for label, step in steps:
        progress(label)
        with db.transaction() as s:
            step(s)
