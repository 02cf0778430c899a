"""The demo's registration data: the 2026 entry catalogue and threshold standards, and the
projects at every registration stage (loaded by ``ggzy.demo``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ggzy.identity.enums import Jurisdiction
from ggzy.identity.rules import make_uscc
from ggzy.registration.enums import FundingSource, Route, TradingType

J = Jurisdiction


def code(body: str) -> str:
    """A demo unified social credit code: the body and its GB 32100 check character."""
    return make_uscc(body)


CATALOGUE = [
    ("GC-01", TradingType.CONSTRUCTION, "房屋建筑和市政基础设施工程施工", "4000000", "发改委令第16号第五条"),
    ("GC-02", TradingType.CONSTRUCTION, "交通运输工程施工", "4000000", "发改委令第16号第五条"),
    ("GC-03", TradingType.CONSTRUCTION, "水利工程施工", "4000000", "发改委令第16号第五条"),
    ("GC-04", TradingType.CONSTRUCTION, "与工程建设有关的重要设备、材料采购", "2000000", "发改委令第16号第五条"),
    ("GC-05", TradingType.CONSTRUCTION, "勘察、设计、监理等服务", "1000000", "发改委令第16号第五条"),
    ("ZC-01", TradingType.GOVERNMENT_PROCUREMENT, "集中采购目录以内的货物和服务", None, "政府采购法第七条、第十八条"),
    (
        "ZC-02",
        TradingType.GOVERNMENT_PROCUREMENT,
        "采购限额标准以上的分散采购货物和服务",
        "1000000",
        "政府采购法第八条（限额为示例，可配置）",
    ),
    ("ZC-03", TradingType.GOVERNMENT_PROCUREMENT, "政府采购工程", "4000000", "政府采购法实施条例第七条"),
    ("TD-01", TradingType.LAND_USE, "国有建设用地使用权招标拍卖挂牌出让", None, "国土资源部令第39号"),
    ("KY-01", TradingType.MINING_RIGHTS, "探矿权、采矿权招标拍卖挂牌出让", None, "矿业权出让交易规则"),
    ("CQ-01", TradingType.STATE_PROPERTY, "企业国有产权转让", None, "国资委 财政部令第32号"),
    ("CQ-02", TradingType.STATE_PROPERTY, "企业增资", None, "国资委 财政部令第32号"),
    ("QT-01", TradingType.OTHER, "特许经营权、广告经营权等其他公共资源", None, "国办发〔2015〕63号"),
]

THRESHOLDS = [
    (TradingType.CONSTRUCTION, "10000000"),
    (TradingType.GOVERNMENT_PROCUREMENT, "2000000"),
    (TradingType.LAND_USE, "50000000"),
    (TradingType.MINING_RIGHTS, "0"),
    (TradingType.STATE_PROPERTY, "10000000"),
    (TradingType.OTHER, "5000000"),
]
THRESHOLD_BASIS = "2026年度吉林市公共资源交易限额标准（示例，可配置）"


@dataclass
class DemoProject:
    by: str  # username that registers it
    data: dict[str, object]
    stage: str  # draft, submitted, returned, accepted, fast_track, signed, direct_awarded
    reviewer: str = "operator"


def _p(
    name: str, tt: TradingType, cat: str, amount: str, region: str, regulator: str, j: Jurisdiction, **extra: object
) -> dict[str, object]:
    d: dict[str, object] = dict(
        name=name,
        trading_type=tt,
        catalogue_item_code=cat,
        funding_source=FundingSource.FISCAL,
        estimated_amount=Decimal(amount),
        region_code=region,
        contact_name="项目联系人",
        contact_phone="0432-62000000",
        regulator_credit=regulator,
        jurisdiction=j,
        address="吉林省吉林市",
        scale="详见项目审批文件",
        approval_document="吉市发改审批〔2026〕示例号",
    )
    d.update(extra)
    return d


ZJJ, SLJ, CZJ, ZRZY, GZW = (
    "11220200MB0200002",
    "11220200MB0200004",
    "11220200MB0200005",
    "11220200MB0200006",
    "11220200MB0200007",
)
C, G = TradingType.CONSTRUCTION, TradingType.GOVERNMENT_PROCUREMENT
PROJECTS = [
    DemoProject(
        "tenderer", _p("松花江南岸（船营段）堤防加固工程", C, "GC-03", "38600000", "220204", SLJ, J.WATER), "fast_track"
    ),
    DemoProject(
        "yongji_school",
        _p("永吉县第一中学理化生实验室设备采购", G, "ZC-02", "1200000", "220221", CZJ, J.FINANCE),
        "accepted",
        reviewer="yongji_op",
    ),
    DemoProject(
        "agency",
        _p(
            "磐石市城区供热管网改造工程",
            C,
            "GC-01",
            "18500000",
            "220284",
            ZJJ,
            J.CONSTRUCTION,
            tenderer_credit_code=code("91220284MA1000013"),
            agency_credit_code=code("91220202MA1000017"),
        ),
        "submitted",
    ),
    DemoProject(
        "purchaser",
        _p("吉林市教育局2027年度校园安保服务采购", G, "ZC-01", "2800000", "220202", CZJ, J.FINANCE),
        "submitted",
    ),
    DemoProject(
        "agency",
        _p(
            "舒兰市平安镇至溪河镇公路改建工程",
            C,
            "GC-02",
            "8600000",
            "220283",
            ZJJ,
            J.CONSTRUCTION,
            tenderer_credit_code=code("11220283MB0600014"),
        ),
        "returned",
    ),
    DemoProject(
        "tenderer",
        _p("吉林市江北污水处理厂提标改造工程监理", C, "GC-05", "1650000", "220203", ZJJ, J.CONSTRUCTION),
        "draft",
    ),
    DemoProject(
        "tenderer",
        _p(
            "丰满区吉丰东路排水管网抢修工程",
            C,
            "GC-01",
            "3200000",
            "220211",
            ZJJ,
            J.CONSTRUCTION,
            route=Route.EMERGENCY_DIRECT,
            emergency_justification="2026年汛期强降雨致吉丰东路排水管网塌陷，危及周边居民安全，需立即抢修，"
            "依据招标投标法第六十六条属抢险救灾不适宜招标的情形。",
            emergency_awardee_credit_code=code("91220211MA1000020"),
        ),
        "submitted",
    ),
    DemoProject(
        "tenderer",
        _p(
            "船营区北京路地下通道防汛应急排涝工程",
            C,
            "GC-01",
            "2600000",
            "220204",
            ZJJ,
            J.CONSTRUCTION,
            route=Route.EMERGENCY_DIRECT,
            emergency_justification="地下通道积水严重影响通行安全，需立即实施应急排涝，"
            "属招标投标法第六十六条规定的抢险救灾情形。",
            emergency_awardee_credit_code=code("91220204MA1000019"),
        ),
        "direct_awarded",
    ),
    DemoProject(
        "tenderer",
        _p(
            "船营区JL2026-07号地块国有建设用地使用权挂牌出让",
            TradingType.LAND_USE,
            "TD-01",
            "46000000",
            "220204",
            ZRZY,
            J.NATURAL_RESOURCES,
            funding_source=FundingSource.STATE_OWNED,
        ),
        "accepted",
    ),
    DemoProject(
        "tenderer",
        _p(
            "吉林市江城国有资本运营有限公司所持某物业公司40%股权转让",
            TradingType.STATE_PROPERTY,
            "CQ-01",
            "12800000",
            "220202",
            GZW,
            J.STATE_ASSETS,
            funding_source=FundingSource.STATE_OWNED,
        ),
        "submitted",
    ),
]
