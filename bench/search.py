"""Chinese full-text search over a million generated notices (issue 6): p50/p99 of typical queries
through ``ggzy.portal.search.search`` and the ratio to the bare index query, on SQLite and
PostgreSQL, in the same run. The target is p99 under 100 ms on SQLite.

The notices are generated from a fixed seed (templates of 吉林市 and its nine counties: 施工,
监理, 采购, 土地挂牌出让, 采矿权, 国有资产 ... in every stage from 招标公告 to 中标结果公告,
published over three years) and cut into words with ``search.index_words``, in worker processes,
into two tab-separated files in a temporary directory. For each backend the script creates a
fresh migrated database and fills the index tables directly from those files (search_doc,
search_term with each posting's copy of its notice's date and filter columns, search_vocab,
search_state: no notice, tender or change-feed rows, which ``search`` does not read). SQLite
gets ``ANALYZE`` and PostgreSQL ``VACUUM (ANALYZE)`` after the load.

Each query is run ``--runs`` times after a warm-up through ``search()`` and through the bare index
query (the doc ids having all the words, ``GROUP BY doc_id HAVING count(*) = k`` on search_term's
primary key, ``LIMIT 20``, no filters, no ranking), alternately, each in an already open read
transaction. The table gives p50/p99 of both and search p99 / bare p99.

Correctness: the total of every query must equal the count computed while generating (up to
``search.CAP``, flagged as capped beyond), the bare query's ids must contain all the words, the
first page must equal what the exhaustive way (``reference``: every match counted and sorted,
as search worked before migration 0011) returns, and SQLite and PostgreSQL must return the same
total and the same hits in the same order.

When p99 misses the target (or with ``--profile always``) the script times the parts of search
(the statistics, the candidates with every word's counts, the count, the ranking in Python,
the page) on the slowest queries and prints the plans of the slowest one's statements and of a
query of two words (docs/performance.md, "Chinese full-text search").

    .venv/bin/python bench/search.py                          # 1,000,000 notices, SQLite then PostgreSQL
    .venv/bin/python bench/search.py --quick                  # 20,000 notices, 50 runs a query: a smoke run
    .venv/bin/python bench/search.py --db sqlite --notices 300000 --runs 100 --json out.json
    .venv/bin/python bench/search.py --workdir /var/tmp/s     # keep the generated files and the SQLite file

PostgreSQL: the database ``ggzy_bench_search`` on GGZY_TEST_PG_URL's server (default
postgres@127.0.0.1:5432), dropped afterwards (``--keep`` leaves it). Exit status 1 if a
correctness check fails or a backend could not run; the latency target is reported, not enforced.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _surge_world as w

TARGET_P99_MS = 100.0
WARMUP = 5
BATCH = 10_000  # notices per generated batch (one worker task)
PG_DB = "ggzy_bench_search"
START = datetime(2024, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
SEED = 20261206
VERIFY_SAMPLE = 200  # notices per batch whose words are also cut whole (the memo must agree)


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (0-1), linear between the closest ranks."""
    xs = sorted(values)
    if len(xs) == 1:
        return xs[0]
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


class Picker:
    """Weighted choice by bisection over cumulative weights."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


# --- the notices ---------------------------------------------------------------------------------

# region code -> (name, towns and streets)
REGIONS: dict[str, tuple[str, list[str]]] = {
    "220200": ("吉林市", ["吉林经济技术开发区", "吉林高新技术产业开发区", "中国吉林北大湖体育旅游经济开发区"]),
    "220202": (
        "昌邑区",
        [
            "孤店子镇",
            "桦皮厂镇",
            "左家镇",
            "两家子满族乡",
            "土城子满族朝鲜族乡",
            "莲花街道",
            "延安街道",
            "通江街道",
            "兴华街道",
            "东局子街道",
        ],
    ),
    "220203": (
        "龙潭区",
        [
            "乌拉街满族镇",
            "缸窑镇",
            "江密峰镇",
            "大口钦镇",
            "金珠镇",
            "承德街道",
            "新吉林街道",
            "泡子沿街道",
            "龙华街道",
            "遵义街道",
        ],
    ),
    "220204": (
        "船营区",
        [
            "搜登站镇",
            "越北镇",
            "大绥河镇",
            "欢喜乡",
            "北山街道",
            "德胜街道",
            "向阳街道",
            "致和街道",
            "大东街道",
            "青岛街道",
        ],
    ),
    "220211": (
        "丰满区",
        ["旺起镇", "江南乡", "前二道乡", "小白山乡", "丰满街道", "江南街道", "红旗街道", "泰山街道", "沿丰街道"],
    ),
    "220221": (
        "永吉县",
        ["口前镇", "岔路河镇", "西阳镇", "北大湖镇", "双河镇", "一拉溪镇", "万昌镇", "金家满族乡", "黄榆乡"],
    ),
    "220281": (
        "蛟河市",
        ["新站镇", "天岗镇", "白石山镇", "漂河镇", "黄松甸镇", "天北镇", "松江镇", "庆岭镇", "前进乡", "乌林朝鲜族乡"],
    ),
    "220282": (
        "桦甸市",
        [
            "红石砬子镇",
            "夹皮沟镇",
            "二道甸子镇",
            "八道河子镇",
            "常山镇",
            "金沙镇",
            "横道河子镇",
            "桦郊乡",
            "公吉乡",
            "北台子乡",
        ],
    ),
    "220283": (
        "舒兰市",
        ["平安镇", "法特镇", "溪河镇", "上营镇", "水曲柳镇", "白旗镇", "朝阳镇", "小城镇", "开原镇", "天德乡"],
    ),
    "220284": (
        "磐石市",
        ["烟筒山镇", "红旗岭镇", "明城镇", "石嘴镇", "吉昌镇", "松山镇", "黑石镇", "朝阳山镇", "富太镇", "驿马镇"],
    ),
}
REGION_PICK = Picker(list(REGIONS), [25, 12, 8, 12, 8, 8, 7, 6, 7, 7])
STREETS = [
    "吉林大街",
    "松江东路",
    "解放大路",
    "北京路",
    "重庆路",
    "长春路",
    "珲春街",
    "越山路",
    "遵义东路",
    "深圳街",
    "徐州路",
    "沈阳街",
    "华山路",
    "中兴街",
    "江湾路",
    "吉丰东路",
    "吉林大桥",
    "滨江南路",
    "天津街",
    "合肥路",
]
RIVERS = [
    "松花江",
    "温德河",
    "鳌龙河",
    "牤牛河",
    "饮马河",
    "拉林河",
    "辉发河",
    "蛟河",
    "卡岔河",
    "岔路河",
    "细鳞河",
    "团山子河",
    "沐石河",
    "漂河",
    "色洛河",
]
VILLAGE_HEAD = [
    "东兴",
    "长岭",
    "榆树",
    "太平",
    "永安",
    "新立",
    "胜利",
    "红星",
    "和平",
    "三合",
    "双山",
    "前进",
    "富强",
    "四合",
    "大屯",
    "北沟",
    "南岗",
    "靠山",
    "柳树",
    "杨木",
]
VILLAGE_TAIL = ["村", "屯", "沟", "村", "村"]
SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "林",
    "何",
    "郭",
    "马",
    "罗",
    "梁",
    "宋",
    "郑",
    "谢",
    "韩",
    "唐",
    "冯",
    "于",
    "董",
    "萧",
    "程",
    "曹",
    "袁",
    "邓",
    "许",
    "傅",
    "沈",
    "曾",
    "彭",
    "吕",
]
GIVEN = [
    "建国",
    "国华",
    "海涛",
    "志强",
    "秀英",
    "丽娟",
    "永刚",
    "晓东",
    "春雨",
    "宏伟",
    "玉兰",
    "文博",
    "子涵",
    "天宇",
    "雪梅",
    "立新",
    "振华",
    "桂芝",
    "明轩",
    "佳怡",
    "德胜",
    "长青",
    "淑珍",
    "俊杰",
    "金凤",
    "洪波",
    "铁柱",
    "凤霞",
    "树林",
    "艳秋",
]
CORE = [
    "宏达",
    "永盛",
    "鑫源",
    "华信",
    "金诚",
    "博远",
    "恒泰",
    "盛隆",
    "昌瑞",
    "祥通",
    "广安",
    "建福",
    "兴嘉",
    "合润",
    "海东",
    "北天",
    "中力",
    "吉达",
    "松原",
    "长白",
    "东方",
    "瑞丰",
    "天成",
    "润德",
    "鼎盛",
    "众合",
    "宇通",
    "华夏",
    "信诚",
    "新纪元",
    "利民",
    "圣泰",
    "隆基",
    "嘉禾",
    "正阳",
    "万通",
    "通达",
    "远洋",
    "聚源",
    "江城",
]
INDUSTRY_BUILD = [
    "建筑工程",
    "路桥建设",
    "水利水电工程",
    "市政工程",
    "建设集团",
    "园林绿化工程",
    "土木工程",
    "安装工程",
]
INDUSTRY_SUPERVISE = ["建设工程监理", "工程咨询", "工程项目管理", "勘察设计研究院", "工程造价咨询"]
INDUSTRY_GOODS = ["医疗器械", "科技", "商贸", "信息技术", "电子设备", "办公用品", "汽车销售", "环保设备"]
INDUSTRY_SERVICE = ["物业服务", "保安服务", "会计师事务所", "印务", "餐饮管理", "人力资源服务"]
INDUSTRY_OTHER = ["置业", "房地产开发", "矿业", "实业", "投资", "农业发展"]
AGENCIES = [
    "交通运输局",
    "水利局",
    "住房和城乡建设局",
    "教育局",
    "卫生健康局",
    "农业农村局",
    "自然资源局",
    "城市管理局",
    "民政局",
    "公安局",
    "生态环境局",
    "文化广播电视和旅游局",
    "市场监督管理局",
    "财政局",
    "应急管理局",
]
INSTITUTIONS = [
    "人民医院",
    "中医院",
    "妇幼保健院",
    "第一中学",
    "第二中学",
    "第三中学",
    "实验小学",
    "职业技术学校",
    "疾病预防控制中心",
    "图书馆",
    "档案馆",
    "社会福利院",
    "人民政府",
    "城市建设投资有限公司",
    "供水有限公司",
]
FUNDS = ["财政资金", "中央预算内资金", "地方政府专项债券资金", "自筹资金", "省级财政补助资金", "车购税资金"]
APPROVERS = ["发展和改革局", "发展和改革委员会", "行政审批局"]
WORKS = [  # (object, scale template, qualification), the three share the kind of work
    ("农村公路建设", "新建道路{x}公里，路面宽度{y}米", "公路工程施工总承包三级"),
    ("道路改造", "改造道路{x}公里，含雨水管线及人行道", "市政公用工程施工总承包三级"),
    ("危桥改造", "改建桥梁{n}座，全长{z}米", "公路工程施工总承包二级"),
    ("桥梁维修加固", "维修加固桥梁{n}座", "桥梁工程专业承包二级"),
    ("堤防加固", "堤防加固长度{x}公里，新建护岸{z}米", "水利水电工程施工总承包三级"),
    ("中小河流治理", "治理河道{x}公里，新建堤防{y}公里", "水利水电工程施工总承包三级"),
    ("水库除险加固", "大坝加固、溢洪道改造及管理设施建设", "水利水电工程施工总承包二级"),
    ("河道清淤疏浚", "清淤疏浚河道{x}公里", "河湖整治工程专业承包三级"),
    ("供水管网改造", "改造供水管网{x}公里", "市政公用工程施工总承包三级"),
    ("污水管网建设", "新建污水管网{x}公里，提升泵站{n}座", "市政公用工程施工总承包二级"),
    ("雨污分流改造", "改造雨污管网{x}公里", "市政公用工程施工总承包三级"),
    ("老旧小区改造", "改造小区{n}个，建筑面积{a}平方米", "建筑工程施工总承包三级"),
    ("供热管网改造", "改造供热管网{x}公里", "市政公用工程施工总承包三级"),
    ("教学楼新建", "建筑面积{a}平方米，地上{n}层", "建筑工程施工总承包二级"),
    ("卫生院改扩建", "改扩建面积{a}平方米", "建筑工程施工总承包三级"),
    ("养老服务中心建设", "建筑面积{a}平方米，床位{z}张", "建筑工程施工总承包三级"),
    ("保障性住房建设", "建设住房{z}套，建筑面积{a}平方米", "建筑工程施工总承包二级"),
    ("高标准农田建设", "建设高标准农田{z}亩", "水利水电工程施工总承包三级"),
    ("土地整理", "整理土地{z}亩，新建田间道路{x}公里", "水利水电工程施工总承包三级"),
    ("村屯绿化", "绿化面积{a}平方米", "园林绿化工程专业承包"),
    ("路灯亮化", "安装路灯{z}盏", "城市及道路照明工程专业承包三级"),
    ("排水防涝设施建设", "新建排水管线{x}公里", "市政公用工程施工总承包三级"),
    ("体育场馆维修", "维修面积{a}平方米", "建筑装修装饰工程专业承包二级"),
    ("文化广场建设", "广场面积{a}平方米", "市政公用工程施工总承包三级"),
    ("垃圾转运站建设", "日转运能力{z}吨", "环保工程专业承包三级"),
    ("校舍抗震加固", "加固校舍{n}栋，建筑面积{a}平方米", "建筑工程施工总承包三级"),
    ("燃气管道改造", "改造燃气管道{x}公里", "市政公用工程施工总承包三级"),
]
WORK_WEIGHTS = [8, 8, 3, 3, 2, 3, 1, 2, 4, 4, 3, 6, 4, 3, 3, 2, 3, 6, 3, 3, 3, 3, 2, 2, 1, 2, 3]
SCOPES = [("施工", 70), ("监理", 15), ("勘察设计", 8), ("工程总承包", 7)]
GOODS = [  # (item, unit, industry)
    ("医疗设备", "台（套）", INDUSTRY_GOODS[0]),
    ("教学设备", "台（套）", INDUSTRY_GOODS[1]),
    ("办公家具", "件", INDUSTRY_GOODS[5]),
    ("计算机及网络设备", "台", INDUSTRY_GOODS[3]),
    ("视频监控设备", "套", INDUSTRY_GOODS[4]),
    ("消防设备", "套", INDUSTRY_GOODS[7]),
    ("环卫车辆", "辆", INDUSTRY_GOODS[6]),
    ("图书", "册", INDUSTRY_GOODS[2]),
    ("食堂食材", "批", INDUSTRY_GOODS[2]),
    ("取暖用煤", "吨", INDUSTRY_GOODS[2]),
    ("药品及耗材", "批", INDUSTRY_GOODS[0]),
    ("实验室设备", "台（套）", INDUSTRY_GOODS[1]),
    ("信息化系统建设", "项", INDUSTRY_GOODS[3]),
    ("物业管理服务", "项", INDUSTRY_SERVICE[0]),
    ("保洁服务", "项", INDUSTRY_SERVICE[0]),
    ("安保服务", "项", INDUSTRY_SERVICE[1]),
    ("审计服务", "项", INDUSTRY_SERVICE[2]),
    ("印刷服务", "项", INDUSTRY_SERVICE[3]),
    ("车辆维修保养服务", "项", INDUSTRY_GOODS[6]),
    ("食堂托管服务", "项", INDUSTRY_SERVICE[4]),
    ("劳务派遣服务", "项", INDUSTRY_SERVICE[5]),
]
LAND_USES = ["城镇住宅用地", "商务金融用地", "零售商业用地", "工业用地", "仓储用地", "商服用地", "公共设施用地"]
MINERALS = [
    "建筑用安山岩",
    "建筑用玄武岩",
    "建筑用砂",
    "砖瓦用粘土",
    "水泥用石灰岩",
    "饰面用花岗岩",
    "金矿",
    "铁矿",
    "钼矿",
    "铜矿",
    "萤石矿",
    "硅灰石矿",
]
MINERAL_WEIGHTS = [30, 15, 25, 10, 6, 5, 3, 3, 0.35, 1.5, 1, 0.5]
ASSETS = [
    "闲置办公用房出租",
    "公务用车拍卖",
    "国有股权转让",
    "废旧设备处置",
    "商铺租赁经营权",
    "临街门市房出租",
    "报废车辆处置",
]
OTHERS = [
    "林地经营权流转",
    "农村集体土地承包经营权流转",
    "户外广告位经营权出让",
    "停车泊位经营权出让",
    "排污权交易",
    "农村集体经营性建设用地入市",
]
TYPES = ["construction", "government_procurement", "land_use", "mining_rights", "state_property", "other"]
TYPE_PICK = Picker(TYPES, [45, 30, 10, 3, 7, 5])
# The stages a tender goes through, each with the probability it is published (in order).
STAGES: dict[str, list[tuple[str, float]]] = {
    "construction": [
        ("invitation", 0.03),
        ("tender", 0.97),
        ("clarification", 0.3),
        ("opening", 0.9),
        ("candidates", 0.85),
        ("result", 0.85),
        ("failure", 0.08),
        ("termination", 0.02),
    ],
    "government_procurement": [
        ("tender", 1.0),
        ("clarification", 0.2),
        ("result", 0.9),
        ("failure", 0.1),
        ("termination", 0.03),
    ],
    "land_use": [("tender", 1.0), ("clarification", 0.05), ("result", 0.85), ("failure", 0.12)],
    "mining_rights": [("tender", 1.0), ("result", 0.8), ("failure", 0.15)],
    "state_property": [("tender", 1.0), ("result", 0.8), ("failure", 0.15), ("termination", 0.05)],
    "other": [("tender", 1.0), ("result", 0.8), ("failure", 0.1)],
}


@dataclass(frozen=True)
class Notice:
    tender_id: int
    trading_type: str
    region: str
    stage: str
    title: str
    body: str


class Maker:
    """One tender's notices from templates; the same ``rng`` gives the same notices."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # small pieces
    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def phone(self, region: str) -> str:
        return f"0432-{6 + int(region[-1]) % 3}{self.rng.randint(1000000, 1000300)}"

    def company(self, industries: Sequence[str]) -> str:
        r = self.rng
        prefix = r.choice(["吉林省", "吉林市", "吉林省", "长春市", "", "辽宁省", "黑龙江省"])
        return f"{prefix}{r.choice(CORE)}{r.choice(industries)}{r.choice(['有限公司', '有限责任公司', '股份有限公司'])}"

    def agency(self) -> str:
        r = self.rng
        kind = r.choice(["招标代理", "工程项目管理", "工程咨询"])
        return f"{r.choice(['吉林省', '吉林市'])}{r.choice(CORE)}{kind}有限公司"

    def money(self, lo: float, hi: float) -> str:
        return f"{self.rng.uniform(lo, hi):.2f}万元"

    def day(self, at: datetime, days: int) -> str:
        d = at + timedelta(days=days)
        return f"{d.year}年{d.month}月{d.day}日"

    def place(self, region: str) -> tuple[str, str]:
        """(the region's name for titles, a location for bodies)"""
        r = self.rng
        name, towns = REGIONS[region]
        if region == "220200":
            where = r.choice([r.choice(STREETS), r.choice(towns), f"{r.choice(STREETS)}与{r.choice(STREETS)}交汇处"])
            return name, f"吉林市{where}"
        town = r.choice(towns)
        village = f"{r.choice(VILLAGE_HEAD)}{r.choice(VILLAGE_TAIL)}" if r.random() < 0.6 else ""
        return (name if r.random() < 0.7 else f"吉林市{name}"), f"{name}{town}{village}"

    def owner(self, region: str) -> str:
        name = REGIONS[region][0]
        return f"{name}{self.rng.choice(AGENCIES if self.rng.random() < 0.6 else INSTITUTIONS)}"

    # one tender
    def tender(self, tender_id: int, at: datetime) -> list[Notice]:
        r = self.rng
        kind = TYPE_PICK(r)
        region = REGION_PICK(r)
        title_place, location = self.place(region)
        year = at.year
        facts: dict[str, str] = {}
        if kind == "construction":
            obj, scale, qual = Picker(WORKS, WORK_WEIGHTS)(r)
            if obj in ("堤防加固", "中小河流治理", "河道清淤疏浚"):
                obj = (
                    r.choice(RIVERS)
                    + ("（" + location[len(REGIONS[region][0]) :] + "段）" if r.random() < 0.5 else "")
                    + obj
                )
            scope = Picker([s for s, _ in SCOPES], [n for _, n in SCOPES])(r)
            lot = f"（第{r.choice('一二三四五')}标段）" if r.random() < 0.25 else ""
            project = f"{title_place}{year}年{obj}工程{lot}"
            x, y = f"{r.uniform(0.5, 30):.1f}", f"{r.choice([4.5, 5, 6, 7, 9, 12, 16, 20])}"
            facts = {
                "project": project,
                "scope": scope,
                "scale": scale.format(x=x, y=y, n=r.randint(1, 12), z=r.randint(20, 3000), a=r.randint(800, 40000)),
                "qual": {"监理": "工程监理综合资质或相应专业乙级", "勘察设计": "工程勘察、工程设计相应专业乙级"}.get(
                    scope, qual
                ),
                "owner": self.owner(region),
                "winner": self.company(INDUSTRY_BUILD if scope in ("施工", "工程总承包") else INDUSTRY_SUPERVISE),
                "price": self.money(30, 9000) if scope in ("施工", "工程总承包") else self.money(5, 300),
            }
        elif kind == "government_procurement":
            item, unit, industry = r.choice(GOODS)
            buyer = self.owner(region)
            project = f"{buyer}{item}采购项目"
            facts = {"project": project, "item": item, "unit": unit, "owner": buyer, "winner": self.company([industry])}
            facts["price"] = self.money(3, 800)
        elif kind == "land_use":
            code = f"{REGIONS[region][0][:2]}{year}-{r.randint(1, 120):02d}号"
            facts = {"project": f"{title_place}{code}地块国有建设用地使用权挂牌出让", "code": code}
            facts["use"] = r.choice(LAND_USES)
            facts["winner"] = self.company(INDUSTRY_OTHER)
        elif kind == "mining_rights":
            mineral = Picker(MINERALS, MINERAL_WEIGHTS)(r)
            facts = {"project": f"{location}{mineral}矿采矿权挂牌出让".replace("矿矿", "矿"), "mineral": mineral}
            facts["winner"] = self.company(["矿业", "建材", "实业"])
        elif kind == "state_property":
            asset = r.choice(ASSETS)
            owner = self.owner(region)
            facts = {
                "project": f"{owner}{asset}项目",
                "asset": asset,
                "owner": owner,
                "winner": self.company(INDUSTRY_OTHER),
            }
        else:
            what = r.choice(OTHERS)
            facts = {"project": f"{location}{what}项目", "what": what, "winner": self.company(INDUSTRY_OTHER)}
        facts["location"] = location
        facts["region_name"] = REGIONS[region][0]
        facts["agency"] = self.agency()
        facts["contact"] = self.person()
        facts["phone"] = self.phone(region)
        stages = [s for s, p in STAGES[kind] if r.random() < p]
        if "failure" in stages:  # a failed procedure has no candidates or result
            stages = [s for s in stages if s not in ("candidates", "result", "termination")]
        elif "termination" in stages:
            stages = [s for s in stages if s in ("tender", "clarification", "termination")]
        stages = stages or ["tender"]
        return [
            Notice(tender_id, kind, region, stage, self.title(kind, stage, facts), self.body(kind, stage, facts, at))
            for stage in stages
        ]

    def title(self, kind: str, stage: str, f: dict[str, str]) -> str:
        p = f["project"]
        if kind == "construction":
            s = f["scope"]
            return {
                "invitation": f"{p}{s}投标邀请书",
                "tender": f"{p}{s}招标公告",
                "clarification": f"{p}{s}招标澄清公告",
                "opening": f"{p}{s}开标记录",
                "candidates": f"{p}{s}中标候选人公示",
                "result": f"{p}{s}中标结果公告",
                "failure": f"{p}{s}招标失败公告",
                "termination": f"{p}{s}招标终止公告",
            }[stage]
        if kind == "government_procurement":
            return {
                "tender": f"{p}{self.rng.choice(['公开招标公告', '竞争性磋商公告', '询价公告'])}",
                "clarification": f"{p}更正公告",
                "result": f"{p}中标（成交）结果公告",
                "failure": f"{p}废标公告",
                "termination": f"{p}终止公告",
            }[stage]
        suffix = {"tender": "公告", "clarification": "补充公告", "result": "成交结果公示", "failure": "流拍公告"}
        suffix["termination"] = "终止公告"
        return p + suffix[stage]

    def body(self, kind: str, stage: str, f: dict[str, str], at: datetime) -> str:
        r = self.rng
        p, loc = f["project"], f["location"]
        contact = f"联系人：{f['contact']}，电话：{f['phone']}。"
        agency = f"代理机构：{f['agency']}。"
        deadline = self.day(at, r.randint(20, 30))
        clauses: list[str]
        if kind == "construction":
            s = f["scope"]
            if stage in ("tender", "invitation"):
                clauses = [
                    f"本招标项目{p}已由{f['region_name']}{r.choice(APPROVERS)}批准建设，项目业主为{f['owner']}，建设资金来自{r.choice(FUNDS)}。",
                    f"项目已具备招标条件，现对该项目的{s}进行公开招标。",
                    f"建设地点：{loc}。建设规模：{f['scale']}。",
                    f"计划工期：{r.choice([60, 90, 120, 150, 180, 240, 365])}日历天。",
                    f"投标人须具备{f['qual']}及以上资质，并在人员、设备、资金等方面具备相应的能力。",
                    "本次招标不接受联合体投标。" if r.random() < 0.7 else "本次招标接受联合体投标。",
                    f"投标截止时间：{deadline}9时30分，开标地点：吉林市公共资源交易中心第{r.randint(1, 8)}开标室。",
                    f"招标人：{f['owner']}，{contact}",
                    agency,
                ]
                if stage == "invitation":
                    clauses[1] = f"{f['winner']}：你单位已通过资格预审，现邀请你单位参加{s}投标。"
            elif stage == "clarification":
                clauses = [
                    f"现对{p}{s}招标文件作如下澄清和修改：",
                    r.choice(
                        [
                            f"投标截止时间及开标时间延期至{deadline}9时30分。",
                            f"工程量清单第{r.randint(2, 60)}项数量更正。",
                            "投标人资格要求中项目经理须具备二级注册建造师执业资格。",
                        ]
                    ),
                    "其他内容不变，本澄清是招标文件的组成部分，对所有投标人具有约束力。",
                    f"招标人：{f['owner']}，{contact}",
                    agency,
                ]
            elif stage == "opening":
                bidders = [self.company(INDUSTRY_BUILD) for _ in range(r.randint(3, 6))]
                clauses = [
                    f"{p}{s}于{self.day(at, 0)}在吉林市公共资源交易中心开标，共有{len(bidders)}家投标人递交投标文件："
                ]
                clauses += [f"{b}，投标报价{self.money(30, 9000)}；" for b in bidders]
                clauses.append("开标过程经监督人员现场监督，投标人对开标过程无异议。")
            elif stage == "candidates":
                clauses = [
                    f"{p}{s}评标工作已经结束，现将中标候选人公示如下：",
                    f"第一中标候选人：{f['winner']}，投标报价：{f['price']}，项目负责人：{self.person()}；",
                    f"第二中标候选人：{self.company(INDUSTRY_BUILD)}，投标报价：{self.money(30, 9000)}；",
                    f"第三中标候选人：{self.company(INDUSTRY_BUILD)}，投标报价：{self.money(30, 9000)}。",
                    f"公示期：{self.day(at, 0)}至{self.day(at, 3)}。投标人或者其他利害关系人对评标结果有异议的，应当在公示期内向招标人提出。",  # noqa: E501
                    contact,
                ]
            elif stage == "result":
                clauses = [
                    f"{p}{s}已按规定程序完成招标，经评标委员会评审及招标人确定，中标人为{f['winner']}。",
                    f"中标价：{f['price']}，工期：{r.choice([60, 90, 120, 180, 240])}日历天，"
                    f"项目负责人：{self.person()}。",
                    f"招标人：{f['owner']}，{contact}",
                    agency,
                    "特此公告。",
                ]
            else:
                why = r.choice(
                    [
                        "递交投标文件的投标人少于三个",
                        "经评标委员会评审，有效投标不足三个",
                        "招标文件存在重大缺陷",
                        "项目建设计划调整",
                    ]
                )
                clauses = [
                    f"{p}{s}因{why}，本次招标{'失败' if stage == 'failure' else '终止'}。",
                    "招标人将依法重新组织招标，请各潜在投标人关注后续公告。"
                    if stage == "failure"
                    else "已缴纳的投标保证金将原路退还。",
                    f"招标人：{f['owner']}，{contact}",
                    agency,
                ]
        elif kind == "government_procurement":
            qty = f"{r.randint(1, 500)}{f['unit']}"
            if stage == "tender":
                clauses = [
                    f"{f['agency']}受{f['owner']}委托，对{p}进行公开采购，欢迎合格的供应商参加。",
                    f"采购需求：{f['item']}{qty}，预算金额：{f['price']}，最高限价：{f['price']}。",
                    "供应商资格要求：符合《中华人民共和国政府采购法》第二十二条规定；本项目专门面向中小企业采购。",
                    f"获取采购文件时间：{self.day(at, 1)}至{self.day(at, 6)}，通过吉林市公共资源交易平台免费下载。",
                    f"响应文件提交截止时间：{deadline}9时整。",
                    f"采购人：{f['owner']}，{contact}",
                ]
            elif stage == "result":
                clauses = [
                    f"{p}经评审，确定中标（成交）供应商为{f['winner']}，中标（成交）金额：{self.money(3, 800)}。",
                    f"主要标的：{f['item']}{qty}。评审专家：{'、'.join(self.person() for _ in range(r.choice([3, 5])))}。",  # noqa: E501
                    f"公告期限为{self.day(at, 0)}起一个工作日。",
                    f"采购人：{f['owner']}，{contact}",
                    agency,
                ]
            else:
                clauses = [
                    f"{p}{'更正事项' if stage == 'clarification' else '因有效供应商不足三家，本项目废标' if stage == 'failure' else '因采购需求变更，本项目终止'}。",  # noqa: E501
                    f"原公告中提交响应文件截止时间变更为{deadline}9时整。"
                    if stage == "clarification"
                    else "采购人将重新组织采购。",
                    f"采购人：{f['owner']}，{contact}",
                    agency,
                ]
        elif kind == "land_use":
            area = f"{r.uniform(2000, 90000):.2f}平方米"
            if stage in ("tender", "clarification"):
                clauses = [
                    f"经{f['region_name']}人民政府批准，自然资源部门决定以挂牌方式出让一宗国有建设用地使用权。",
                    f"宗地编号：{f['code']}，土地位置：{f['location']}，土地面积：{area}，土地用途：{f['use']}。",
                    f"出让年限：{r.choice([40, 50, 70])}年，容积率：{r.choice(['1.0', '1.5', '2.0', '2.5'])}至{r.choice(['2.8', '3.0', '3.5'])}。",  # noqa: E501
                    f"挂牌起始价：{self.money(50, 20000)}，竞买保证金：{self.money(10, 4000)}。",
                    f"申请人可于{self.day(at, 1)}至{self.day(at, 20)}登录吉林市公共资源交易平台获取挂牌出让文件并提交竞买申请。",  # noqa: E501
                    contact,
                ]
                if stage == "clarification":
                    clauses.insert(0, "现对该宗地挂牌出让公告补充说明如下：")
            elif stage == "result":
                clauses = [
                    f"{f['code']}宗地已于{self.day(at, -1)}在吉林市公共资源交易中心挂牌成交。",
                    f"土地位置：{f['location']}，土地面积：{area}，土地用途：{f['use']}，竞得人：{f['winner']}，成交价：{self.money(50, 30000)}。",  # noqa: E501
                    "公示期为十个工作日。",
                    contact,
                ]
            else:
                clauses = [
                    f"{f['code']}宗地挂牌期满，因无人报价，本次挂牌出让流拍。",
                    f"土地位置：{f['location']}，土地用途：{f['use']}。",
                    contact,
                ]
        elif kind == "mining_rights":
            if stage == "tender":
                clauses = [
                    f"经自然资源部门批准，以挂牌方式出让{f['location']}{f['mineral']}采矿权。",
                    f"矿区面积{r.uniform(0.02, 2.5):.4f}平方公里，开采规模{r.randint(1, 60)}万吨/年，出让年限{r.randint(3, 15)}年。",  # noqa: E501
                    f"挂牌起始价：{self.money(20, 5000)}，竞买保证金：{self.money(5, 1000)}。",
                    "竞买人须为依法设立的企业法人，具备相应的资金能力，且无违法违规开采记录。",
                    contact,
                ]
            else:
                clauses = [
                    f"{f['project']}{'已挂牌成交，竞得人为' + f['winner'] + '，成交价' + self.money(20, 8000) if stage == 'result' else '挂牌期满无人竞买，本次出让流拍'}。",  # noqa: E501
                    f"矿区位于{f['location']}，开采矿种：{f['mineral']}。",
                    "公示期为十个工作日，公示期内对结果有异议的可向自然资源部门反映。",
                    contact,
                ]
        else:
            what = f.get("asset") or f.get("what", "")
            if stage == "tender":
                clauses = [
                    f"受{f.get('owner', '产权持有人')}委托，{f['agency']}对{what}项目进行公开挂牌交易。",
                    f"标的位于{f['location']}，面积{r.uniform(20, 5000):.2f}平方米，挂牌底价：{self.money(1, 2000)}，交易保证金：{self.money(0.5, 200)}。",  # noqa: E501
                    f"挂牌期自{self.day(at, 0)}至{self.day(at, 20)}，意向受让方须在挂牌期内提交申请。",
                    contact,
                ]
            else:
                clauses = [
                    f"{f['project']}{'已成交，受让方为' + f['winner'] + '，成交价' + self.money(1, 3000) if stage == 'result' else '因无人应价流拍' if stage == 'failure' else '终止交易'}。",  # noqa: E501
                    f"标的位于{f['location']}。",
                    contact,
                ]
        target = r.randint(100, 300)
        out = ""
        for c in clauses:
            if len(out) >= target:
                break
            out += c
        while len(out) < 100:  # short templates: the platform's standard closing lines
            out += r.choice(
                [
                    "本公告在吉林市公共资源交易网、中国招标投标公共服务平台同时发布。",
                    "各方主体应遵守国家和吉林省有关公共资源交易的法律法规。",
                    "对本公告内容有疑问的，请与代理机构联系。",
                ]
            )
        return out[:320]


# --- the words (jieba through search.index_words) ---------------------------------------------------

_memo: dict[str, Counter[str]] = {}


def words_of(text: str) -> Counter[str]:
    """``search.index_words(text)``, computed per block: jieba cuts each run of Han characters,
    letters and digits on its own (``jieba.re_han_default``), and the words of the punctuation
    between are all dropped by ``search._keep``, so the sum over the blocks is the same Counter.
    Blocks repeat a lot (the standard clauses), so they are cut once."""
    import jieba

    from ggzy.portal.search import index_words

    out: Counter[str] = Counter()
    for block in jieba.re_han_default.findall(text):
        got = _memo.get(block)
        if got is None:
            got = index_words(block)
            if len(_memo) > 500_000:
                _memo.clear()
            _memo[block] = got
        out.update(got)
    return out


def dt_text(d: datetime) -> str:
    """How SQLAlchemy stores a DateTime on SQLite (UTC, no zone); PostgreSQL reads it as UTC."""
    return d.strftime("%Y-%m-%d %H:%M:%S.%f")


@dataclass(frozen=True)
class Query:
    label: str
    text: str
    trading_type: str | None = None
    region: str | None = None
    stage: str | None = None

    def filters(self) -> Any:
        from ggzy.portal.search import Filters

        return Filters(trading_type=self.trading_type, region=self.region, stage=self.stage)

    def words(self) -> list[str]:
        from ggzy.portal.search import query_words

        return query_words(self.text)


RARE = "钼矿"
REGION = "220221"  # 永吉县, about 8% of the notices
QUERIES = [
    Query("招标", "招标"),
    Query("招标 + region", "招标", region=REGION),
    Query("土地", "土地"),
    Query("土地 + region", "土地", region=REGION),
    Query("中标", "中标"),
    Query("中标 + region", "中标", region=REGION),
    Query(f"{RARE} (rare)", RARE),
    Query(f"{RARE} (rare) + region", RARE, region="220282"),
    Query("堤防加固 (2 words)", "堤防加固"),
    Query("堤防加固 + region", "堤防加固", region=REGION),
    Query("施工 + construction/result", "施工", trading_type="construction", stage="result"),
    Query("设备 + procurement/tender", "设备", trading_type="government_procurement", stage="tender"),
]


@dataclass
class Batch:
    index: int
    docs: str
    terms: str
    df: Counter[str]
    words: int
    term_rows: int
    body_chars: list[int]
    counts: dict[str, int]  # per query: notices matching it
    kinds: Counter[str]
    mismatches: int
    cut_s: float


def make_batch(args: tuple[int, int, int, int, list[tuple[list[str], str | None, str | None, str | None]]]) -> Batch:
    """Notices ``index*BATCH+1 ...`` (ids, times increasing), their words, and their TSV lines."""
    from ggzy.portal.search import index_words

    index, n_total, size, seed, queries = args
    rng = random.Random(seed * 1_000_003 + index)
    maker = Maker(rng)
    first = index * BATCH
    lo = START + SPAN * (first / n_total)
    hi = START + SPAN * ((first + size) / n_total)
    notices: list[Notice] = []
    tender_id = first + 1  # unique across batches: a batch has fewer tenders than notices
    while len(notices) < size:
        notices += maker.tender(tender_id, lo)
        tender_id += 1
    notices = notices[:size]
    # Random times in the batch's window, a tender's notices in stage order, then all by time: ids
    # follow the publication order, as when the index follows the change feed.
    window = (hi - lo).total_seconds()
    secs = [rng.uniform(0, window) for _ in notices]
    by_tender: dict[int, list[int]] = {}
    for k, n in enumerate(notices):
        by_tender.setdefault(n.tender_id, []).append(k)
    for ks in by_tender.values():
        for k, sec in zip(ks, sorted(secs[k] for k in ks), strict=True):
            secs[k] = sec
    order = sorted(range(size), key=secs.__getitem__)
    notices, secs = [notices[k] for k in order], [secs[k] for k in order]
    doc_lines: list[str] = []
    term_lines: list[str] = []
    df: Counter[str] = Counter()
    words = 0
    counts = dict.fromkeys(range(len(queries)), 0)
    kinds: Counter[str] = Counter()
    mismatches = 0
    cut = 0.0
    for k, (n, sec) in enumerate(zip(notices, secs, strict=True)):
        doc_id = first + k + 1
        at = (lo + timedelta(seconds=int(sec))).replace(microsecond=0)
        t0 = time.perf_counter()
        title, body = words_of(n.title), words_of(n.body)
        cut += time.perf_counter() - t0
        if k < VERIFY_SAMPLE and (title != index_words(n.title) or body != index_words(n.body)):
            mismatches += 1
        length = sum(title.values()) + sum(body.values())
        words += length
        terms = set(title) | set(body)
        df.update(terms)
        kinds[f"{n.trading_type}/{n.stage}"] += 1
        for qi, (qwords, qtype, qregion, qstage) in enumerate(queries):
            if (
                all(x in terms for x in qwords)
                and (qtype is None or qtype == n.trading_type)
                and (qregion is None or qregion == n.region)
                and (qstage is None or qstage == n.stage)
            ):
                counts[qi] += 1
        doc_lines.append(
            f"{doc_id}\t{doc_id}\t{n.tender_id}\t{n.title}\t{n.body}\t{n.trading_type}\t{n.region}\t{n.stage}\t"
            f"{dt_text(at)}\t{length}\n"
        )
        term_lines.extend(f"{t}\t{doc_id}\t{title[t]}\t{body[t]}\n" for t in terms)
    return Batch(
        index=index,
        docs="".join(doc_lines),
        terms="".join(term_lines),
        df=df,
        words=words,
        term_rows=len(term_lines),
        body_chars=[len(n.body) for n in notices],
        counts={QUERIES[q].label: c for q, c in counts.items()},
        kinds=kinds,
        mismatches=mismatches,
        cut_s=cut,
    )


@dataclass
class Corpus:
    dir: Path
    notices: int
    term_rows: int
    vocab: int
    words: int
    df: Counter[str]
    counts: dict[str, int]
    kinds: dict[str, int]
    body_chars: dict[str, float]
    generate_s: float
    mismatches: int

    @property
    def docs_file(self) -> Path:
        return self.dir / "search_doc.tsv"

    @property
    def terms_file(self) -> Path:
        return self.dir / "search_term.tsv"

    @property
    def vocab_file(self) -> Path:
        return self.dir / "search_vocab.tsv"


def generate(n: int, workdir: Path, *, workers: int, seed: int = SEED, log: Callable[[str], None] = print) -> Corpus:
    """Generate the notices and their words into TSV files under ``workdir`` (reused if there)."""
    meta = workdir / f"corpus-{n}-{seed}.json"
    if meta.exists():
        d = json.loads(meta.read_text())
        d["dir"] = workdir
        d["df"] = Counter(json.loads((workdir / "df.json").read_text()))
        log(f"reusing the generated notices in {workdir}")
        return Corpus(**d)
    from ggzy.portal.search import _cutter

    _cutter()  # load jieba's dictionary once, before the workers fork
    t0 = time.perf_counter()
    queries = [(q.words(), q.trading_type, q.region, q.stage) for q in QUERIES]
    tasks = [(b, n, min(BATCH, n - b * BATCH), seed, queries) for b in range((n + BATCH - 1) // BATCH)]
    df: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    bodies: list[int] = []
    words = rows = mismatches = 0
    cut = 0.0
    ctx = multiprocessing.get_context("fork")
    with (
        ctx.Pool(workers) as pool,
        (workdir / "search_doc.tsv").open("w", encoding="utf-8") as docs,
        (workdir / "search_term.tsv").open("w", encoding="utf-8") as terms,
    ):
        for b in pool.imap(make_batch, tasks):
            docs.write(b.docs)
            terms.write(b.terms)
            df.update(b.df)
            counts.update(b.counts)
            kinds.update(b.kinds)
            bodies += b.body_chars
            words += b.words
            rows += b.term_rows
            mismatches += b.mismatches
            cut += b.cut_s
            done = min((b.index + 1) * BATCH, n)
            if b.index % 10 == 9 or done == n:
                log(f"  generated {done:,} notices, {rows:,} index rows, {time.perf_counter() - t0:.0f} s")
    with (workdir / "search_vocab.tsv").open("w", encoding="utf-8") as f:
        f.writelines(f"{t}\t{c}\n" for t, c in sorted(df.items()))
    took = time.perf_counter() - t0
    corpus = Corpus(
        dir=workdir,
        notices=n,
        term_rows=rows,
        vocab=len(df),
        words=words,
        df=df,
        counts={q.label: counts[q.label] for q in QUERIES},
        kinds=dict(kinds.most_common()),
        body_chars={"min": min(bodies), "mean": statistics.mean(bodies), "max": max(bodies)},
        generate_s=took,
        mismatches=mismatches,
    )
    log(
        f"generated {n:,} notices in {took:.0f} s ({workers} workers, jieba {cut:.0f} s of CPU): {rows:,} index rows "
        f"({rows / n:.1f} words a notice), {len(df):,} distinct words; body {min(bodies)}-{max(bodies)} characters, "
        f"mean {statistics.mean(bodies):.0f}; memoised words differ from index_words on {mismatches} of "
        f"{min(n, VERIFY_SAMPLE * len(tasks)):,} notices cut whole"
    )
    d = asdict(corpus)
    del d["dir"], d["df"]
    (workdir / "df.json").write_text(json.dumps(dict(df), ensure_ascii=False))
    meta.write_text(json.dumps(d, ensure_ascii=False, indent=1))
    return corpus


# --- loading -----------------------------------------------------------------------------------------


def _tsv(path: Path, convert: Callable[[list[str]], tuple[Any, ...]], size: int = 50_000) -> Iterator[list[Any]]:
    with path.open(encoding="utf-8") as f:
        batch: list[Any] = []
        for line in f:
            batch.append(convert(line.rstrip("\n").split("\t")))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def _doc_row(x: list[str]) -> tuple[Any, ...]:
    return (int(x[0]), int(x[1]), int(x[2]), x[3], x[4], x[5], x[6], x[7], x[8], int(x[9]))


def _vocab_row(x: list[str]) -> tuple[Any, ...]:
    return (x[0], int(x[1]))


DOC_COLS = "id, notice_id, tender_id, title, body, trading_type, region, stage, published_at, length"
# A posting carries copies of its notice's published_at, trading_type, region, stage and length
# (migration 0011); the generated file holds the first four columns, the rest come from the doc.
TERM_COLS = "term, doc_id, in_title, in_body, published_at, trading_type, region, stage, length"


def _posting_copies(corpus: Corpus) -> dict[int, tuple[str, str, str, str, str]]:
    """doc id -> (published_at, trading_type, region, stage, length) as text, from search_doc.tsv."""
    out: dict[int, tuple[str, str, str, str, str]] = {}
    with corpus.docs_file.open(encoding="utf-8") as f:
        for line in f:
            x = line.rstrip("\n").split("\t")
            out[int(x[0])] = (x[8], x[5], x[6], x[7], x[9])
    return out


def _term_rows(corpus: Corpus, copies: dict[int, tuple[str, str, str, str, str]]) -> Iterator[list[Any]]:
    def row(x: list[str]) -> tuple[Any, ...]:
        doc = int(x[1])
        at, trading_type, region, stage, length = copies[doc]
        return (x[0], doc, int(x[2]), int(x[3]), at, trading_type, region, stage, int(length))

    return _tsv(corpus.terms_file, row, 200_000)


def load_sqlite(path: Path, corpus: Corpus, log: Callable[[str], None]) -> float:
    """executemany in batches on one connection without foreign keys, journal or fsync, then
    ANALYZE and back to WAL (the mode ``ggzy.db`` opens the file in). search_term's two secondary
    indexes are dropped first and built after the rows, from sorted data: faster, and packed,
    where an index grown notice by notice, as ``catch_up`` grows it, has part-filled pages
    (docs/performance.md gives both sizes); its primary key fills as the rows go in."""
    t0 = time.perf_counter()
    copies = _posting_copies(corpus)
    con = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("foreign_keys=OFF", "journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000"):
            con.execute(f"PRAGMA {pragma}")
        con.execute("DROP INDEX ix_search_term_recent")
        con.execute("DROP INDEX ix_search_term_doc")
        con.execute("BEGIN")
        for rows in _tsv(corpus.docs_file, _doc_row):
            con.executemany(f"INSERT INTO search_doc ({DOC_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        log(f"  search_doc: {corpus.notices:,} rows, {time.perf_counter() - t0:.0f} s")
        done = 0
        for rows in _term_rows(corpus, copies):
            con.executemany(f"INSERT INTO search_term ({TERM_COLS}) VALUES (?,?,?,?,?,?,?,?,?)", rows)
            done += len(rows)
            if done % 10_000_000 < len(rows):
                log(f"  search_term: {done:,} rows, {time.perf_counter() - t0:.0f} s")
        del copies
        for rows in _tsv(corpus.vocab_file, _vocab_row):
            con.executemany("INSERT INTO search_vocab (term, df) VALUES (?,?)", rows)
        con.execute(
            "INSERT INTO search_state (id, cursor, docs, words) VALUES (1, 0, ?, ?)", (corpus.notices, corpus.words)
        )
        con.execute("COMMIT")
        for sql in (RECENT_INDEX, "CREATE INDEX ix_search_term_doc ON search_term (doc_id)"):
            con.execute(sql)
            log(f"  {sql.split(' (')[0]}: {time.perf_counter() - t0:.0f} s")
        t1 = time.perf_counter()
        con.execute("ANALYZE")
        log(f"  ANALYZE {time.perf_counter() - t1:.0f} s")
        con.execute("PRAGMA journal_mode=WAL")
    finally:
        con.close()
    return time.perf_counter() - t0


RECENT_INDEX = (
    "CREATE INDEX ix_search_term_recent ON search_term "
    "(term, published_at DESC, doc_id DESC, region, trading_type, stage, length, in_title, in_body)"
)


def load_postgresql(url: str, corpus: Corpus, log: Callable[[str], None]) -> float:
    """COPY from the files (each posting line completed with its notice's copied columns on the
    way). Before: search_doc's foreign keys to notice and tender are dropped for good (there are no
    notices), search_term's primary key, indexes and foreign key are dropped and built again after
    the COPY (each index from sorted data, the key validated in one pass)."""
    import psycopg

    t0 = time.perf_counter()
    suffix = {doc: "\t" + "\t".join(c) + "\n" for doc, c in _posting_copies(corpus).items()}
    with psycopg.connect(url) as conn:
        for sql in (
            "SET TIME ZONE 'UTC'",
            "SET maintenance_work_mem = '1GB'",
            "ALTER TABLE search_doc DROP CONSTRAINT fk_search_doc_notice_id_notice",
            "ALTER TABLE search_doc DROP CONSTRAINT fk_search_doc_tender_id_tender",
            "ALTER TABLE search_term DROP CONSTRAINT fk_search_term_doc_id_search_doc",
            "ALTER TABLE search_term DROP CONSTRAINT pk_search_term",
            "DROP INDEX ix_search_term_doc",
            "DROP INDEX ix_search_term_recent",
        ):
            conn.execute(sql)
        for table, cols, path in (
            ("search_doc", DOC_COLS, corpus.docs_file),
            ("search_vocab", "term, df", corpus.vocab_file),
        ):
            with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy, path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    copy.write(chunk)
            log(f"  COPY {table}: {time.perf_counter() - t0:.0f} s")
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY search_term ({TERM_COLS}) FROM STDIN") as copy,
            corpus.terms_file.open(encoding="utf-8") as f,
        ):
            lines: list[str] = []
            for line in f:
                lines.append(line[:-1] + suffix[int(line.split("\t", 2)[1])])
                if len(lines) >= 50_000:
                    copy.write("".join(lines))
                    lines = []
            copy.write("".join(lines))
        del suffix
        log(f"  COPY search_term: {time.perf_counter() - t0:.0f} s")
        conn.execute(
            "INSERT INTO search_state (id, cursor, docs, words) VALUES (1, 0, %s, %s)", (corpus.notices, corpus.words)
        )
        conn.execute("SELECT setval(pg_get_serial_sequence('search_doc', 'id'), (SELECT max(id) FROM search_doc))")
        for sql in (
            "ALTER TABLE search_term ADD CONSTRAINT pk_search_term PRIMARY KEY (term, doc_id)",
            "CREATE INDEX ix_search_term_doc ON search_term (doc_id)",
            RECENT_INDEX,
            "ALTER TABLE search_term ADD CONSTRAINT fk_search_term_doc_id_search_doc "
            "FOREIGN KEY (doc_id) REFERENCES search_doc (id)",
        ):
            conn.execute(sql)
            log(f"  {sql.split(' (')[0]}: {time.perf_counter() - t0:.0f} s")
        conn.commit()
    t1 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    log(f"  VACUUM (ANALYZE) {time.perf_counter() - t1:.0f} s")
    return time.perf_counter() - t0


def db_size(db: Any) -> str:
    from sqlalchemy import text

    with db.read_engine.connect() as conn:
        if db.dialect == "sqlite":
            pages = conn.execute(text("PRAGMA page_count")).scalar() or 0
            size = pages * (conn.execute(text("PRAGMA page_size")).scalar() or 0)
        else:
            size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar() or 0
    return f"{size / 2**30:.1f} GiB"


# --- timing --------------------------------------------------------------------------------------------


@dataclass
class Timing:
    ms: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        return pct(self.ms, q)

    def summary(self) -> dict[str, float]:
        return {"p50_ms": self.p(0.5), "p99_ms": self.p(0.99), "max_ms": max(self.ms), "runs": len(self.ms)}


@dataclass
class Result:
    query: str
    words: list[str]
    filters: str
    matches: int  # counted while generating the notices
    total: int  # search's total (exact up to search.CAP)
    capped: bool
    search: dict[str, float]
    bare: dict[str, float]
    ratio_p99: float
    reference_ms: float  # one run of the exhaustive reference (see ``reference``)
    same_as_reference: bool
    ok: bool


def bare_statement(words: list[str]) -> Any:
    """The bare index query: the doc ids having every word (GROUP BY/HAVING on search_term's
    primary key), LIMIT 20, no filter, no ranking: the first answer the index tables give. The same
    statement as in the measurement before migration 0011, so the ratios compare."""
    from sqlalchemy import func, select

    from ggzy.portal.models import SearchTerm

    return (
        select(SearchTerm.doc_id)
        .where(SearchTerm.term.in_(words))
        .group_by(SearchTerm.doc_id)
        .having(func.count() == len(words))
        .limit(20)
    )


Runner = tuple[str, Callable[[Any], Any]]


def alternate(session: Any, runners: list[Runner], runs: int, budget_s: float) -> tuple[dict[str, Timing], list[Any]]:
    """``runs`` rounds of every runner, the order rotating each round, each call in an already open
    read transaction (ended after the call, outside the timing). Stops early, after at least 30
    rounds, once ``budget_s`` is spent. Returns the timings and the first round's results."""
    from sqlalchemy import text

    timings = {name: Timing() for name, _ in runners}
    first: dict[str, Any] = {}
    start = time.perf_counter()
    for i in range(runs):
        k = i % len(runners)
        for name, fn in runners[k:] + runners[:k]:
            session.execute(text("SELECT 1"))
            t0 = time.perf_counter()
            out = fn(session)
            took = (time.perf_counter() - t0) * 1000
            session.rollback()
            timings[name].ms.append(took)
            first.setdefault(name, out)
        if i >= 29 and time.perf_counter() - start > budget_s:
            break
    return timings, [first[name] for name, _ in runners]


def describe(q: Query) -> str:
    parts = [f"{k}={v}" for k, v in (("type", q.trading_type), ("region", q.region), ("stage", q.stage)) if v]
    return ", ".join(parts) or "none"


def reference(session: Any, q: Query) -> Any:
    """What ``search`` must return, found the exhaustive way search took before migration 0011:
    every match (the doc ids having all the words by GROUP BY/HAVING, search_doc for the filters),
    counted exactly and sorted by date; the newest CANDIDATES are ranked by search's own ``rank``
    and the first page built by its ``page``. Only how the candidates and the total are found
    differs from search, and that is what the comparison checks."""
    from sqlalchemy import func, select

    from ggzy.portal import search as m
    from ggzy.portal.models import SearchDoc, SearchTerm

    words, f = q.words(), q.filters()
    has_all = (
        select(SearchTerm.doc_id)
        .where(SearchTerm.term.in_(words))
        .group_by(SearchTerm.doc_id)
        .having(func.count() == len(words))
    )
    d = SearchDoc
    conds = [d.id.in_(has_all)]
    conds += [getattr(d, k) == getattr(f, k) for k in ("trading_type", "region", "stage") if getattr(f, k)]
    conds += [d.published_at >= f.since] if f.since else []
    conds += [d.published_at < f.until] if f.until else []
    total = session.scalar(select(func.count()).select_from(select(d.id).where(*conds).subquery())) or 0
    newest = session.execute(
        select(d.id, d.length).where(*conds).order_by(d.published_at.desc(), d.id.desc()).limit(m.CANDIDATES)
    ).all()
    tf: dict[int, dict[str, tuple[int, int]]] = {doc_id: {} for doc_id, _ in newest}
    for r in session.execute(
        select(SearchTerm.doc_id, SearchTerm.term, SearchTerm.in_title, SearchTerm.in_body).where(
            SearchTerm.term.in_(words), SearchTerm.doc_id.in_(list(tf) or [0])
        )
    ):
        tf[r.doc_id][r.term] = (r.in_title, r.in_body)
    rows = [(doc_id, length, *(n for w in words for n in tf[doc_id][w])) for doc_id, length in newest]
    ranked = m.rank(rows, words, m.stats(session, words), words)
    return m.Found(min(total, m.CAP), total > m.CAP, m.page(session, ranked[:20], words))


def time_queries(db: Any, corpus: Corpus, args: argparse.Namespace, kind: str) -> tuple[list[Result], dict[str, Any]]:
    from sqlalchemy import func, select

    from ggzy.portal.models import SearchTerm
    from ggzy.portal.search import CAP, search

    results: list[Result] = []
    answers: dict[str, Any] = {}
    s = db.session(write=False)
    try:
        for q in QUERIES:
            words, f = q.words(), q.filters()

            def run_search(session: Any, q: Query = q, f: Any = f) -> Any:
                return search(session, q.text, f, offset=0, limit=20)

            def run_bare(session: Any, words: list[str] = words) -> list[int]:
                return list(session.scalars(bare_statement(words)))

            runners: list[Runner] = [("search", run_search), ("bare", run_bare)]
            alternate(s, runners, WARMUP, 1e9)
            t, (found, ids) = alternate(s, runners, args.runs, args.budget)
            s.rollback()
            t0 = time.perf_counter()
            want = reference(s, q)
            reference_ms = (time.perf_counter() - t0) * 1000
            s.rollback()
            expected = corpus.counts[q.label]
            have_all = s.scalar(
                select(func.count()).where(SearchTerm.term.in_(words), SearchTerm.doc_id.in_(ids or [0]))
            )
            s.rollback()
            # The bare query has no filters: it finds min(20, matches) ids without them, at least as many with.
            bare_ok = len(ids) == min(20, expected) if describe(q) == "none" else len(ids) >= min(20, expected)
            total_ok = found.total == min(expected, CAP) and found.capped == (expected > CAP)
            same = found == want
            ok = total_ok and same and len(found.hits) == min(20, expected) and have_all == len(ids) * len(words)
            ok &= bare_ok
            if not ok:
                print(
                    f"  CHECK FAILED: {q.label}: total {found.total} capped {found.capped} (matches {expected}), "
                    f"{len(found.hits)} hits, same as the reference: {same}; bare {len(ids)} ids of which "
                    f"{have_all / max(len(words), 1):.0f} have all the words",
                    flush=True,
                )
            r = Result(
                query=q.label,
                words=words,
                filters=describe(q),
                matches=expected,
                total=found.total,
                capped=found.capped,
                search=t["search"].summary(),
                bare=t["bare"].summary(),
                ratio_p99=t["search"].p(0.99) / t["bare"].p(0.99),
                reference_ms=reference_ms,
                same_as_reference=same,
                ok=ok,
            )
            results.append(r)
            answers[q.label] = found
            print(row(kind, r), flush=True)
    finally:
        s.close()
    return results, answers


def row(kind: str, r: Result) -> str:
    s, b = r.search, r.bare
    meets = "yes" if s["p99_ms"] < TARGET_P99_MS else "no"
    shown = f"{r.total:,}+" if r.capped else f"{r.total:,}"
    return (
        f"| {r.query} | {kind} | {r.matches:,} | {shown} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} "
        f"| {b['p50_ms']:.2f}/{b['p99_ms']:.2f} | {r.ratio_p99:.0f} | {int(s['runs'])} | {meets} "
        f"| {r.reference_ms:.0f} | {'yes' if r.same_as_reference else 'NO'} |"
    )


TABLE_HEAD = (
    "| query | backend | matches | total shown | p50 ms | p99 ms | bare p50/p99 ms | p99 / bare p99 | runs "
    "| p99 < 100 ms | exhaustive ms | same as exhaustive |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|"
)


# --- one backend -----------------------------------------------------------------------------------


@dataclass
class Figures:
    backend: str
    notices: int
    term_rows: int
    migrate_s: float
    load_s: float
    size: str
    load_avg_start: str
    load_avg_end: str
    results: list[Result]
    profile: list[dict[str, Any]] = field(default_factory=list)
    plans: dict[str, list[str]] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return all(r.ok for r in self.results) and all(p["same"] for p in self.profile)


def run_backend(kind: str, args: argparse.Namespace, corpus: Corpus, tmp: Path) -> tuple[Figures, dict[str, Any]]:
    from ggzy.db import create_database
    from ggzy.migrate import upgrade

    print(f"\n== {kind}: {corpus.notices:,} notices, {corpus.term_rows:,} index rows; load {load()} ==", flush=True)
    start_load = load()
    if kind == "sqlite":
        path = tmp / "ggzy-search.db"
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)
        url = f"sqlite:///{path}"

        def drop() -> None:
            if not args.keep:
                path.unlink(missing_ok=True)

    else:
        w.pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        w.pg_admin(f"CREATE DATABASE {PG_DB} ENCODING 'UTF8' TEMPLATE template0")
        url = w.pg_url(PG_DB)

        def drop() -> None:
            if not args.keep:
                w.pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")

    db = None
    try:
        t0 = time.perf_counter()
        upgrade(url)
        migrated = time.perf_counter() - t0
        log = lambda m: print(m, flush=True)  # noqa: E731
        load_s = load_sqlite(path, corpus, log) if kind == "sqlite" else load_postgresql(url, corpus, log)
        db = create_database(url)
        size = db_size(db)
        print(f"loaded in {load_s:.0f} s (migration {migrated:.1f} s), database {size}", flush=True)
        print(TABLE_HEAD, flush=True)
        results, answers = time_queries(db, corpus, args, kind)
        f = Figures(kind, corpus.notices, corpus.term_rows, migrated, load_s, size, start_load, "", results)
        slow = [r for r in results if r.search["p99_ms"] >= TARGET_P99_MS]
        if args.profile == "always" or (args.profile == "auto" and slow):
            chosen = {r.query for r in (results if args.profile == "always" else slow)}
            investigate(f, db, args, [q for q in QUERIES if q.label in chosen])
        f.load_avg_end = load()
        return f, answers
    finally:
        if db is not None:
            db.dispose()
        try:
            drop()
        except Exception as e:  # report, but do not hide the run's own error
            print(f"warning: could not drop the database: {e}", file=sys.stderr)


# --- where the time goes --------------------------------------------------------------------------------

STEPS = ["cut", "stats", "candidates", "count", "rank", "page"]


def profiled(session: Any, text: str, f: Any, marks: dict[str, float]) -> Any:
    """``search.search`` step by step (its own functions, in its order), adding each step's ms to
    ``marks``. Its result must equal search's."""
    from ggzy.portal import search as m

    t = time.perf_counter()

    def mark(step: str) -> None:
        nonlocal t
        now = time.perf_counter()
        marks[step] = marks.get(step, 0.0) + (now - t) * 1000
        t = now

    words = m.parse(text)
    mark("cut")
    st = m.stats(session, words)
    mark("stats")
    if any(st.df.get(w, 0) == 0 for w in words):
        return m.Found(0, False, [])
    driver = min(words, key=lambda w: (st.df[w], w))
    rows = m.candidates(session, words, driver, f)
    mark("candidates")
    if not rows:
        return m.Found(0, False, [])
    total = len(rows)
    if total == m.CANDIDATES and total <= m.CAP:
        total += m.count_after(session, words, driver, f, rows[-1][0], m.CAP + 1 - total)
    mark("count")
    ranked = m.rank(rows, m.in_row_order(words, driver), st, words)
    mark("rank")
    hits = m.page(session, ranked[:20], words)
    mark("page")
    return m.Found(min(total, m.CAP), total > m.CAP, hits)


def statements(session: Any, q: Query) -> dict[str, Any]:
    """search's candidate and count statements for ``q`` (the count's bound from a real run)."""
    from sqlalchemy import select

    from ggzy.portal import search as m
    from ggzy.portal.models import SearchTerm

    words, f = q.words(), q.filters()
    st = m.stats(session, words)
    driver = min(words, key=lambda w: (st.df.get(w, 0), w))
    rows = m.candidates(session, words, driver, f)
    out = {"candidates": m.candidates_query(words, driver, f)}
    if rows:
        last_id = rows[-1][0]
        last = session.scalar(select(SearchTerm.published_at).where(SearchTerm.doc_id == last_id).limit(1))
        out["count"] = m.count_after_query(words, driver, f, last, last_id, m.CAP + 1 - len(rows))
    session.rollback()
    return out


def explain(session: Any, stmt: Any, dialect: str) -> list[str]:
    sql = str(stmt.compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True}))
    conn = session.connection()
    if dialect == "sqlite":
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql).all()
        depth = {0: 0}
        out = []
        for node, parent, _, detail in rows:
            depth[node] = depth.get(parent, 0) + 1
            out.append("  " * (depth[node] - 1) + detail)
    else:
        out = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql)]
    session.rollback()
    return out


def investigate(f: Figures, db: Any, args: argparse.Namespace, queries: list[Query]) -> None:
    """The parts of search on the given queries (mean ms over ``args.profile_runs`` runs), and the
    plans of the statements of the slowest query and of the first one of several words."""
    from sqlalchemy import text

    from ggzy.portal.search import search

    s = db.session(write=False)
    n = args.profile_runs
    print(f"\nwhere the time goes (mean ms over {n} runs of search step by step):", flush=True)
    print("| query | " + " | ".join(STEPS) + " | sum | same as search |", flush=True)
    print("|---|" + "---|" * (len(STEPS) + 2), flush=True)
    try:
        for q in queries:
            marks: dict[str, float] = {}
            same = True
            for i in range(n):
                s.execute(text("SELECT 1"))
                got = profiled(s, q.text, q.filters(), marks)
                s.rollback()
                if i == 0:
                    same = got == search(s, q.text, q.filters(), offset=0, limit=20)
                    s.rollback()
            means = {k: marks.get(k, 0.0) / n for k in STEPS}
            f.profile.append({"query": q.label, **means, "same": same})
            print(
                f"| {q.label} | " + " | ".join(f"{means[k]:.1f}" for k in STEPS) + f" | {sum(means.values()):.1f} "
                f"| {'yes' if same else 'NO'} |",
                flush=True,
            )
        worst = max(f.results, key=lambda r: r.search["p99_ms"]).query
        several = next(q.label for q in QUERIES if len(q.words()) > 1)  # the join's plan too
        for q in [q for q in QUERIES if q.label in (worst, several)]:
            for name, stmt in statements(s, q).items():
                f.plans[f"{q.label}: {name}"] = explain(s, stmt, db.dialect)
                print(f"plan of {q.label}, {name}:\n  " + "\n  ".join(f.plans[f"{q.label}: {name}"]), flush=True)
    finally:
        s.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--notices", type=int, help="how many notices (default 1,000,000; --quick: 20,000)")
    p.add_argument("--runs", type=int, help="timed runs of each query (default 200; --quick: 50)")
    p.add_argument("--budget", type=float, default=300.0, help="seconds per query after which runs stop (min 30 runs)")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="a smoke run: 20,000 notices, 50 runs a query")
    p.add_argument(
        "--profile",
        choices=["auto", "always", "never"],
        default="auto",
        help="time search's parts and print its plans: when a p99 misses the target (auto), always, never",
    )
    p.add_argument("--profile-runs", type=int, default=10, help="runs of each query when profiling")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="processes cutting words")
    p.add_argument("--workdir", type=Path, help="keep the generated files (and reuse them) and the SQLite file here")
    p.add_argument("--keep", action="store_true", help="keep the SQLite file and the PostgreSQL database")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    args.notices = args.notices or (20_000 if args.quick else 1_000_000)
    args.runs = args.runs or (50 if args.quick else 200)
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
    tmp = args.workdir or Path(tempfile.mkdtemp(prefix="ggzy-search-"))
    print(f"machine: {os.cpu_count()} cores, load {load()}; files in {tmp}", flush=True)
    figures: list[Figures] = []
    answers: dict[str, dict[str, Any]] = {}
    failed = False
    try:
        corpus = generate(args.notices, tmp, workers=args.workers, seed=args.seed)
        failed |= corpus.mismatches > 0
        print("matches per query: " + ", ".join(f"{k} {v:,}" for k, v in corpus.counts.items()), flush=True)
        for kind in backends:
            if kind == "postgresql" and (why := w.pg_unavailable()):
                print(f"\n== postgresql: skipped: {why}")
                failed = True
                continue
            try:
                fig, answers[kind] = run_backend(kind, args, corpus, tmp)
                figures.append(fig)
            except Exception as e:
                import traceback

                traceback.print_exc()
                print(f"\n{kind}: failed: {type(e).__name__}: {e}", file=sys.stderr)
                failed = True
    finally:
        if not args.workdir:
            shutil.rmtree(tmp, ignore_errors=True)
    if not figures:
        return 1
    same = True
    if len(answers) == 2:
        a, b = answers["sqlite"], answers["postgresql"]
        for q in QUERIES:
            if a[q.label] != b[q.label]:
                same = False
                print(f"CHECK FAILED: {q.label}: SQLite and PostgreSQL return different results")
        print(f"\nSQLite and PostgreSQL return the same total and hits in the same order: {'yes' if same else 'NO'}")
    print("\n" + TABLE_HEAD)
    for fig in figures:
        for r in fig.results:
            print(row(fig.backend, r))
    for fig in figures:
        worst = max(fig.results, key=lambda r: r.search["p99_ms"])
        verdict = "meets" if worst.search["p99_ms"] < TARGET_P99_MS else "MISSES"
        print(
            f"{fig.backend}: {fig.notices:,} notices, load {fig.load_s:.0f} s, {fig.size}; worst p99 "
            f"{worst.search['p99_ms']:.1f} ms ({worst.query}): {verdict} the {TARGET_P99_MS:.0f} ms target; "
            f"{'all correctness checks pass' if fig.correct else 'A CORRECTNESS CHECK FAILED'}"
        )
        failed |= not fig.correct
    failed |= not same
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
