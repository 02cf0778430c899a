"""The information disclosure catalogue (信息公开目录): what the platform publishes, under which
rule, by when, and where to find it, with how many items it holds now.

The entries follow 国务院办公厅关于推进公共资源配置领域政府信息公开的意见（国办发〔2017〕97号）,
which asks each trading platform to publish such a catalogue, and the rules on each stage's
notices. An entry whose trading type the platform does not run yet says so rather than hiding.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ggzy.registration.enums import ProjectStatus
from ggzy.registration.models import Project
from ggzy.tendering.models import Notice
from ggzy.tendering.models_award import Contract


@dataclass(frozen=True)
class Entry:
    category: str
    item: str
    basis: str
    timing: str
    link: str  # where it is published on the portal ("" when not yet run here)
    count_of: str  # notice kind, or "projects"/"contracts"/"" (nothing counted)


CATALOGUE: tuple[Entry, ...] = (
    Entry(
        "交易项目",
        "进场交易项目（名称、编号、类型、规模、资金来源、招标人）",
        "电子招标投标办法第四十一条；公共资源交易平台管理暂行办法第二十条",
        "受理后即时",
        "/entered",
        "projects",
    ),
    Entry(
        "工程建设项目招标投标",
        "招标公告、资格预审公告",
        "招标公告和公示信息发布管理办法（国家发展改革委令第10号）第五、八条",
        "发布当日",
        "/notices?kind=tender",
        "tender",
    ),
    Entry(
        "工程建设项目招标投标",
        "投标邀请书（邀请招标项目的事实）",
        "电子招标投标办法第四十一条",
        "发出当日",
        "/notices?kind=invitation",
        "invitation",
    ),
    Entry(
        "工程建设项目招标投标",
        "招标文件澄清与修改",
        "招标投标法第二十三条；招标投标法实施条例第二十一条",
        "投标截止 15 日前（影响投标文件编制的）",
        "/notices?kind=clarification",
        "clarification",
    ),
    Entry(
        "工程建设项目招标投标",
        "开标记录（投标人名称、报价、工期等）",
        "招标投标法第三十六条；电子招标投标办法第三十条",
        "解密结束后公布",
        "/notices?kind=opening",
        "opening",
    ),
    Entry(
        "工程建设项目招标投标",
        "中标候选人公示（含评标委员会名单）",
        "招标投标法实施条例第五十四条；招标公告和公示信息发布管理办法第六条",
        "收到评标报告 3 日内，公示不少于 3 日",
        "/notices?kind=candidates",
        "candidates",
    ),
    Entry(
        "工程建设项目招标投标",
        "中标结果公示",
        "招标公告和公示信息发布管理办法第六条",
        "确定中标人后",
        "/notices?kind=result",
        "result",
    ),
    Entry(
        "工程建设项目招标投标",
        "流标、终止招标公告",
        "招标投标法实施条例第三十一条",
        "即时",
        "/notices?kind=failure",
        "failure",
    ),
    Entry(
        "政府采购",
        "采购公告、资格预审公告、更正公告",
        "政府采购信息发布管理办法（财政部令第101号）第三条；政府采购货物和服务招标投标管理办法第十三条",
        "发布当日",
        "/notices?type=government_procurement",
        "tender",
    ),
    Entry(
        "政府采购",
        "中标（成交）结果公告（含评审专家名单）",
        "政府采购法实施条例第四十三条",
        "确定后 2 个工作日内",
        "/notices?kind=result&type=government_procurement",
        "result",
    ),
    Entry(
        "政府采购",
        "合同公告",
        "政府采购法实施条例第五十条",
        "合同签订之日起 2 个工作日内",
        "/api/v1/changes?kind=contract.recorded",
        "contracts",
    ),
    Entry(
        "土地使用权和矿业权出让",
        "出让公告、成交公示",
        "招标拍卖挂牌出让国有建设用地使用权规定（国土资源部令第39号）第十、二十二条",
        "出让前 20 日；成交后 10 个工作日内",
        "",
        "",
    ),
    Entry(
        "国有产权交易",
        "挂牌披露信息、交易结果",
        "企业国有资产交易监督管理办法（国资委 财政部令第32号）第十三、三十条",
        "挂牌不少于 20 个工作日",
        "",
        "",
    ),
    Entry(
        "信用信息",
        "市场主体名录（名称、统一社会信用代码、角色）",
        "公共资源交易平台管理暂行办法第二十七条",
        "登记后即时",
        "/organizations",
        "",
    ),
    Entry(
        "平台运行", "审计日志每日链头（防篡改证明）", "电子招标投标办法第三十八条（交易过程记录）", "每日", "/chain", ""
    ),
    Entry(
        "开放数据",
        "开放合同数据标准（OCDS 1.1）发布包与变更流",
        "国办发〔2017〕97号（公共资源配置信息公开）",
        "随各阶段公开即时",
        "/api/v1/changes",
        "",
    ),
)


def counts(session: Session) -> dict[str, int]:
    out = {k: n for k, n in session.execute(select(Notice.kind, func.count()).group_by(Notice.kind))}
    out["projects"] = (
        session.scalar(
            select(func.count())
            .select_from(Project)
            .where(Project.status.in_((ProjectStatus.ACCEPTED.value, ProjectStatus.DIRECT_AWARDED.value)))
        )
        or 0
    )
    out["contracts"] = session.scalar(select(func.count()).select_from(Contract)) or 0
    return out
