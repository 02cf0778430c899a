"""The world of the OCDS export benchmark (``bench/ocds_export.py``): published procedures of a
city's trading centre generated from a fixed seed and bulk-loaded with SQLAlchemy Core, with
exactly the rows ``ggzy.portal.ocds`` reads (tenders and their projects, sections, notices,
openings, bids, candidates, award notices, contracts, and the organisations behind them).

Not a benchmark by itself: running this file does nothing.

The world (defaults of the benchmark; every count below scales with the procedures):

- 6 branches (the city centre and five county branches, as in the demo), 8 regulators, 1,500
  tendering bodies, 150 agencies and 4,000 bidders (bidding volume Zipf-like), each with its roles;
- one project per procedure; procedures published every 50 minutes from 2017-01-02 on (so 100,000
  span about 9.5 years), construction about 55% (E) and government procurement 45% (Z), 1-3
  sections (55/30/15%), an agency on 70%;
- stages: bidding 6%, opened 3%, candidates under publicity 3%, awarded 7%, contracted 63% (one
  in ten of them with a section still without its contract), failed 11% (too few bids at the
  deadline, half of them retendered), terminated 4%; plus about 3% unpublished drafts on top,
  which the export must skip;
- notices as the services write them: the tender notice (invitation for invited methods), a
  clarification on 30%, an opening record per section with the record in its facts, the
  candidates' publicity, the result notice, failure and termination notices; versions in order;
- 3-12 accepted bids per section (1-2 on failed ones), 8% of bidders with a replaced earlier bid
  and some withdrawn ones (neither may appear as a tenderer); bids exist but stay secret on
  procedures still in bidding; candidates 1-3 per section, the first one awarded, contracts at
  the award's price or a little below.

Procedure i is the same in every world whatever its size (one random stream, organisations first,
in a fixed number): the world of 10,000 procedures is the first 10,000 of the world of 100,000.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

SEED = 20261201
GENERATOR = 1  # bump when the generated world changes, so cached worlds are rebuilt
START = datetime(2017, 1, 2, 1, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=50)
N_TENDERERS, N_AGENCIES, N_BIDDERS, N_REGULATORS = 1500, 150, 4000, 8
BATCH = 2000  # procedures generated and inserted at a time

BRANCHES = [
    ("220200", "市本级（吉林市公共资源交易中心）", True,
     {"220202": "昌邑区", "220203": "龙潭区", "220204": "船营区", "220211": "丰满区"}),
    ("220221", "永吉县分中心", False, {"220221": "永吉县"}),
    ("220283", "舒兰市分中心", False, {"220283": "舒兰市"}),
    ("220284", "磐石市分中心", False, {"220284": "磐石市"}),
    ("220281", "蛟河市分中心", False, {"220281": "蛟河市"}),
    ("220282", "桦甸市分中心", False, {"220282": "桦甸市"}),
]  # fmt: skip
REGIONS = {
    "220202": "昌邑区", "220203": "龙潭区", "220204": "船营区", "220211": "丰满区", "220221": "永吉县",
    "220281": "蛟河市", "220282": "桦甸市", "220283": "舒兰市", "220284": "磐石市",
}  # fmt: skip
REGION_WEIGHTS = [18, 12, 20, 10, 8, 8, 8, 8, 8]
BRANCH_OF = {"220202": 1, "220203": 1, "220204": 1, "220211": 1, "220221": 2, "220283": 3, "220284": 4,
             "220281": 5, "220282": 6}  # fmt: skip
STREETS = ["松江东路", "解放大路", "吉林大街", "北京路", "珲春街", "遵义东路", "长春路", "越山路", "深圳街",
           "重庆街", "黄河路", "华山路", "徐州路", "奋斗路", "中兴街", "新华街", "滨江南路", "吉林大桥"]  # fmt: skip
WORKS = ["道路改造工程", "排水管网改造工程", "老旧小区改造工程", "教学楼新建工程", "河道综合治理工程",
         "堤防加固工程", "供热管网改造工程", "桥梁维修加固工程", "污水处理厂提标改造工程", "高标准农田建设项目",
         "农村公路提升工程", "公园绿化提升工程", "卫生院迁建工程", "棚户区改造配套基础设施工程"]  # fmt: skip
WORK_KINDS = [("施工", 70), ("监理", 15), ("设计", 8), ("勘察", 7)]
GOODS = ["教学设备", "医疗设备", "办公家具", "信息化系统建设", "物业管理服务", "食堂食材", "公务用车", "学生校服",
         "园林绿化养护服务", "财务审计服务", "安防监控设备", "图书", "除雪设备", "污水检测服务",
         "电梯维保服务"]  # fmt: skip
BODIES = ["第一中学", "第十二中学", "实验小学", "中心医院", "妇幼保健院", "住房和城乡建设局", "水利局", "交通运输局",
          "教育局", "城市管理局", "农业农村局", "卫生健康局", "市政设施管理处", "城市建设投资集团有限公司",
          "水务集团有限公司", "热力有限公司", "人民医院", "职业技术学校", "林业局", "自然资源局"]  # fmt: skip
SYLLABLES = "江城松花雾凇北山龙潭丰满船营昌邑长白鸿泰恒信宏远盛达金源华宇建安通力鑫海宝德瑞祥中正利民永安"
FIRM_KINDS = ["建设工程有限公司", "建筑工程有限公司", "市政工程有限公司", "水利水电工程有限公司", "路桥工程有限公司",
              "工程监理有限公司", "工程设计有限公司", "勘察设计研究院有限公司", "科技有限公司", "医疗器械有限公司",
              "商贸有限公司", "物业服务有限公司", "家具制造有限公司", "信息技术有限公司",
              "会计师事务所有限公司"]  # fmt: skip
# (method, weight, notice kind of the first notice, trading type)
METHODS = [
    ("construction_open", 48, "tender", "construction"),
    ("construction_invited", 5, "invitation", "construction"),
    ("gp_open", 24, "tender", "government_procurement"),
    ("gp_invited", 3, "invitation", "government_procurement"),
    ("gp_negotiation", 6, "tender", "government_procurement"),
    ("gp_consultation", 8, "tender", "government_procurement"),
    ("gp_rfq", 6, "tender", "government_procurement"),
]
STAGES = [("bidding", 6), ("opened", 3), ("publicity", 3), ("awarded", 7), ("contracted", 63), ("failed", 11),
          ("terminated", 4)]  # fmt: skip
STATUS = {"bidding": "bidding", "opened": "opened", "publicity": "publicity", "awarded": "awarded",
          "contracted": "contracted", "terminated": "terminated"}  # fmt: skip
CLARIFICATIONS = [
    "工程量清单第3章第12项数量更正",
    "评分标准第2.1条表述澄清",
    "投标保证金缴纳账户变更",
    "技术参数第5项修改",
]
SCOPE = ["土方开挖", "基础处理", "主体结构", "给排水", "电气照明", "道路铺装", "绿化", "设备供货及安装", "调试及培训",
         "售后服务", "质量保修"]  # fmt: skip
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
HEX = "0123456789abcdef"


class Picker:
    """Weighted choice by bisection over cumulative weights."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _uscc(rng: random.Random, kind: str, region: str, seen: set[str]) -> str:
    from ggzy.identity.rules import make_uscc

    while True:
        code = make_uscc(kind + region + "".join(rng.choice(USCC_CHARS) for _ in range(9)))
        if code not in seen:
            seen.add(code)
            return code


def _yuan(x: float) -> Decimal:
    return Decimal(f"{x:.2f}")


def _fmt_yuan(d: Decimal) -> str:
    return f"{d:,.2f} 元"


def _local(dt: datetime) -> str:
    return (dt + timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


@dataclass
class Expected:
    """What the export must produce, counted while generating."""

    procedures: int = 0  # published
    drafts: int = 0
    releases: int = 0
    sections: int = 0
    notices: int = 0
    openings: int = 0
    bids: int = 0
    candidates: int = 0
    awards: int = 0
    contracts: int = 0
    stages: dict[str, int] = field(default_factory=dict)

    def add(self, other: Expected) -> None:
        for k, v in asdict(other).items():
            if k == "stages":
                for s, c in v.items():
                    self.stages[s] = self.stages.get(s, 0) + c
            else:
                setattr(self, k, getattr(self, k) + v)


class World:
    """Generates the rows of procedures 0 .. n-1, a batch at a time, with explicit ids."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.ids: dict[str, int] = {}
        self.seq = 0  # bid receipt numbers
        self.code_seq: dict[tuple[str, str, int], int] = {}
        self.orgs: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self._parties()

    def next_id(self, table: str) -> int:
        self.ids[table] = self.ids.get(table, 0) + 1
        return self.ids[table]

    # --- the market -------------------------------------------------------------------------------

    def _org(self, name: str, code: str, region: str, roles: list[str], juris: list[str] | None = None) -> int:
        oid = self.next_id("organization")
        self.orgs.append(
            {
                "id": oid,
                "name": name,
                "credit_code": code,
                "region_code": region,
                "branch_id": BRANCH_OF.get(region) if self.rng.random() < 0.5 else None,
                "legal_representative": "法定代表人",
                "contact_name": "联系人",
                "contact_phone": f"0432-6{self.rng.randrange(10**7):07d}",
                "address": f"吉林省吉林市{REGIONS.get(region, '')}{self.rng.choice(STREETS)}{self.rng.randrange(999)}",
                "jurisdictions": juris or [],
                "created_at": START - timedelta(days=self.rng.randint(30, 900)),
            }
        )
        self.roles += [{"id": self.next_id("organization_role"), "organization_id": oid, "role": r} for r in roles]
        return oid

    def _parties(self) -> None:
        rng, seen = self.rng, set()
        region_pick = Picker(list(REGIONS), REGION_WEIGHTS)
        self.centre = self._org("吉林市公共资源交易中心", _uscc(rng, "12", "220200", seen), "220200", ["centre"])
        juris = ["construction", "transport", "water", "finance", "natural_resources", "state_assets",
                 "development_reform", "construction"]  # fmt: skip
        names = ["住房和城乡建设局", "交通运输局", "水利局", "财政局", "自然资源局", "国有资产监督管理委员会",
                 "发展和改革委员会", "城市管理局"]  # fmt: skip
        self.regulators = [
            self._org(f"吉林市{n}", _uscc(rng, "11", "220200", seen), "220200", ["regulator"], [j])
            for n, j in zip(names, juris, strict=True)
        ][:N_REGULATORS]
        self.tenderers = []
        for i in range(N_TENDERERS):
            region = region_pick(rng)
            body = BODIES[i % len(BODIES)]
            kind = "91" if body.endswith("公司") else ("12" if body.endswith(("学", "院", "校")) else "11")
            name = f"吉林市{REGIONS[region]}{body}" if i >= len(BODIES) else f"吉林市{body}"
            if i >= len(BODIES) * len(REGIONS):
                name = f"{name}（{i // (len(BODIES) * len(REGIONS)) + 1}）"
            self.tenderers.append(self._org(name, _uscc(rng, kind, region, seen), region, ["tenderer"]))
        self.agencies = [
            self._org(
                f"吉林省{rng.choice(SYLLABLES)}{rng.choice(SYLLABLES)}招标代理有限公司（{i + 1}）",
                _uscc(rng, "91", region_pick(rng), seen),
                region_pick(rng),
                ["agency"],
            )
            for i in range(N_AGENCIES)
        ]
        self.bidders = []
        self.bidder_kind: dict[int, str] = {}
        for i in range(N_BIDDERS):
            kind = FIRM_KINDS[i % len(FIRM_KINDS)]
            region = region_pick(rng) if rng.random() < 0.8 else rng.choice(["220102", "220104", "210102", "110105"])
            name = f"吉林省{''.join(rng.choice(SYLLABLES) for _ in range(2))}{kind}（{i + 1}）"
            oid = self._org(name, _uscc(rng, "91", region, seen), region, ["bidder"])
            self.bidders.append(oid)
            self.bidder_kind[oid] = "construction" if "工程" in kind or "设计" in kind else "government_procurement"
        zipf = [1.0 / (k**0.8) for k in range(1, N_BIDDERS + 1)]
        self.bidder_pick = {
            tt: Picker([b for b in self.bidders if self.bidder_kind[b] == tt],
                       [z for b, z in zip(self.bidders, zipf, strict=True) if self.bidder_kind[b] == tt])
            for tt in ("construction", "government_procurement")
        }  # fmt: skip
        self.tenderer_pick = Picker(self.tenderers, [1.0 / (k**0.7) for k in range(1, N_TENDERERS + 1)])
        self.agency_pick = Picker(self.agencies, [1.0 / (k**0.6) for k in range(1, N_AGENCIES + 1)])
        self.org_by_id = {o["id"]: o for o in self.orgs}
        self.method_pick = Picker(METHODS, [m[1] for m in METHODS])
        self.stage_pick = Picker([s for s, _ in STAGES], [w for _, w in STAGES])
        self.region_pick = region_pick

    def static_rows(self) -> dict[str, list[dict[str, Any]]]:
        now = START - timedelta(days=1000)
        return {
            "branch": [
                {"id": i, "code": c, "name": n, "is_city": city, "regions": r, "sort": i}
                for i, (c, n, city, r) in enumerate(BRANCHES, start=1)
            ],
            "organization": self.orgs,
            "organization_role": self.roles,
            "app_user": [
                {
                    "id": 1,
                    "username": "bench_operator",
                    "display_name": "交易中心业务员",
                    "role": "operator",
                    "organization_id": self.centre,
                    "branch_id": 1,
                    "password_hash": "!",
                    "password_changed_at": now,
                    "created_at": now,
                }
            ],
        }

    # --- the procedures ---------------------------------------------------------------------------

    def procedures(self, start: int, stop: int) -> tuple[dict[str, list[dict[str, Any]]], Expected]:
        rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        exp = Expected()
        for i in range(start, stop):
            if self.rng.random() < 0.03:
                self._procedure(i, rows, exp, draft=True)
            self._procedure(i, rows, exp, draft=False)
        return rows, exp

    def _procedure(self, i: int, rows: dict[str, list[dict[str, Any]]], exp: Expected, *, draft: bool) -> None:
        rng = self.rng
        method, _, first_kind, tt = self.method_pick(rng)
        stage = "draft" if draft else self.stage_pick(rng)
        region = self.region_pick(rng)
        at = START + INTERVAL * i + timedelta(seconds=rng.randrange(int(INTERVAL.total_seconds())))
        year = (at + timedelta(hours=8)).year
        letter = "E" if tt == "construction" else "Z"
        branch_code = "220200" if BRANCH_OF[region] == 1 else region
        key = (letter, branch_code, year)
        self.code_seq[key] = self.code_seq.get(key, 0) + 1
        pcode = f"{letter}{branch_code}{year:04d}{self.code_seq[key]:06d}"
        tcode = pcode + "001"
        tenderer = self.tenderer_pick(rng)
        agency = self.agency_pick(rng) if rng.random() < 0.7 else None
        place = f"吉林市{REGIONS[region]}"
        if tt == "construction":
            work, wkind = rng.choice(WORKS), Picker([k for k, _ in WORK_KINDS], [w for _, w in WORK_KINDS])(rng)
            name = f"{place}{rng.choice(STREETS)}{work}{wkind}"
            total = rng.lognormvariate(15.2, 1.0)  # median about 4 million yuan
        else:
            goods = rng.choice(GOODS)
            name = f"{self.org_by_id[tenderer]['name']}{goods}采购项目"
            total = rng.lognormvariate(13.5, 1.0)  # median about 730 thousand yuan
        n_sections = rng.choices([1, 2, 3], weights=[55, 30, 15])[0]
        total = max(total, 50_000.0 * n_sections)
        content = (
            f"本项目位于{place}{rng.choice(STREETS)}一带，{name}，主要内容包括"
            + "、".join(rng.sample(SCOPE, 4))
            + f"等。项目总投资约{total / 10000:.2f}万元，资金来源为财政性资金，已落实。"
            f"本项目划分为{n_sections}个标段（包），投标人可对全部标段（包）投标。"
            f"计划工期（服务期）：{rng.choice([30, 60, 90, 120, 180, 365])}日历天。质量要求：合格。"
            "投标人须具备独立法人资格和相应资质，近三年内无重大违法记录，未被列入失信被执行人名单。"
        )
        pid = self.next_id("project")
        tid = self.next_id("tender")
        created = at - timedelta(days=rng.randint(3, 20))
        rows["project"].append(
            {
                "id": pid,
                "code": pcode,
                "name": name,
                "trading_type": tt,
                "catalogue_item_code": "GC-01" if tt == "construction" else "ZC-02",
                "funding_source": "fiscal",
                "estimated_amount": _yuan(total),
                "region_code": region,
                "address": f"{place}{rng.choice(STREETS)}",
                "tenderer_org_id": tenderer,
                "agency_org_id": agency,
                "regulator_org_id": self.regulators[0 if tt == "construction" else 3],
                "jurisdiction": "construction" if tt == "construction" else "finance",
                "branch_id": BRANCH_OF[region],
                "status": "accepted",
                "route": "normal",
                "created_by": 1,
                "created_at": created - timedelta(days=5),
                "updated_at": created,
                "submitted_at": created - timedelta(days=4),
                "reviewed_at": created - timedelta(days=2),
                "reviewed_by": 1,
            }
        )
        published = None if draft else at
        deadline = at + timedelta(days=20 if tt == "construction" else rng.choice([10, 15, 20]))
        invited = first_kind == "invitation"
        status = "draft" if draft else STATUS.get(stage, "failed")
        if stage == "failed" and rng.random() < 0.5:
            status = "retendered"
        tender = {
            "id": tid,
            "project_id": pid,
            "seq": 1,
            "code": tcode,
            "name": name,
            "method": method,
            "content": content,
            "tenderer_org_id": tenderer,
            "agency_org_id": agency,
            "branch_id": BRANCH_OF[region],
            "jurisdiction": "construction" if tt == "construction" else "finance",
            "invitees": [],
            "docs_start": at,
            "docs_end": at + timedelta(days=5),
            "question_deadline": deadline - timedelta(days=10 if tt == "construction" else 3),
            "bid_deadline": deadline,
            "published_at": published,
            "publicity_ends_at": None,
            "rules_date": (at + timedelta(hours=8)).date(),
            "status": status,
            "created_by": 1,
            "created_at": created,
            "updated_at": at,
        }
        rows["tender"].append(tender)
        sections = []
        left = total
        for k in range(1, n_sections + 1):
            share = left if k == n_sections else total * rng.uniform(0.2, 0.6) / (n_sections - 1)
            left -= share
            sid = self.next_id("tender_section")
            label = f"第{k}标段" if tt == "construction" else f"第{k}包"
            sections.append(
                {
                    "id": sid,
                    "tender_id": tid,
                    "seq": k,
                    "code": f"{tcode}{k:03d}",
                    "name": label,
                    "estimate": _yuan(max(share, 10_000.0)),
                    "qualification": "具备相应资质",
                    "evaluation_method": "comprehensive" if tt == "construction" else "gp_comprehensive",
                    "bid_deadline": None,
                }
            )
        rows["tender_section"] += sections
        if draft:
            exp.drafts += 1
            return
        exp.procedures += 1
        exp.sections += n_sections
        exp.stages[stage] = exp.stages.get(stage, 0) + 1

        # Bids: who bid on each section (kept secret until the opening record).
        bid_pick = self.bidder_pick[tt]
        section_bids: dict[int, list[tuple[int, Decimal, datetime, dict[str, Any]]]] = {}
        for s in sections:
            n = rng.randint(1, 2) if stage == "failed" else rng.randint(3, 12)
            if stage == "terminated":
                n = rng.randint(0, 4)
            chosen: list[int] = []
            while len(chosen) < n:
                b = bid_pick(rng)
                if b not in chosen:
                    chosen.append(b)
            accepted = []
            for b in chosen:
                when = deadline - timedelta(minutes=rng.expovariate(1 / 600))
                if rng.random() < 0.08:  # an earlier envelope this bidder replaced
                    self._bid(rows, tid, s, b, when - timedelta(hours=rng.randint(1, 48)), "replaced", None, exp)
                price = _yuan(float(s["estimate"]) * rng.uniform(0.82, 0.995))
                opened = stage not in ("bidding", "failed", "terminated")
                row = self._bid(rows, tid, s, b, when, "accepted", price if opened else None, exp)
                accepted.append((b, price, when, row))
            if stage != "failed" and rng.random() < 0.05:  # withdrawn before the deadline: no tender
                b = bid_pick(rng)
                if b not in chosen:
                    self._bid(rows, tid, s, b, deadline - timedelta(hours=5), "withdrawn", None, exp)
            section_bids[s["id"]] = sorted(accepted, key=lambda x: x[2])
        if invited:
            tender["invitees"] = sorted({x[0] for v in section_bids.values() for x in v})

        contracts = 0
        # The public events, in time order: (time, kind, title, body, facts, extra action).
        events: list[tuple[datetime, str, str, str, dict[str, Any], Callable[[int], None] | None]] = []
        label = {"tender": "招标（采购）公告", "invitation": "投标邀请书"}[first_kind]
        events.append(
            (at, first_kind, f"{name}（{label}）", content,
             {"docs_start": at.isoformat(), "docs_end": (at + timedelta(days=5)).isoformat(),
              "question_deadline": tender["question_deadline"].isoformat(), "bid_deadline": deadline.isoformat(),
              "method": method, "sections": [s["code"] for s in sections]}, None)
        )  # fmt: skip
        if rng.random() < 0.3:
            what = rng.choice(CLARIFICATIONS)
            when = at + timedelta(days=rng.randint(2, 6), hours=rng.randint(0, 8))
            body = f"关于{name}招标文件的澄清：{what}。投标截止时间不变。"
            events.append((when, "clarification", f"{name}（澄清或变更公告）", body, {}, None))
        if stage == "terminated":
            when = at + timedelta(days=rng.randint(2, 15))
            body = "因项目建设内容发生重大变化，经招标人研究决定，终止本次招标活动。"
            events.append((when, "termination", f"{name}（终止公告）", body, {}, None))
        elif stage == "failed":
            for s in sections:
                self._opening(rows, tid, s, deadline, section_bids[s["id"]], None, exp)
            body = f"{name}投标截止时提交投标文件的投标人少于三个，依法不予开标，本次招标失败。"
            events.append((deadline + timedelta(minutes=10), "failure", f"{name}（流标公告）", body, {}, None))
        elif stage != "bidding":
            for k, s in enumerate(sections):
                when = deadline + timedelta(minutes=40 + 5 * k)
                record = self._record(tender, s, deadline, section_bids[s["id"]])
                body = "\n".join(
                    f"回执号 {r['seq']} {r['bidder']}：报价 {_fmt_yuan(Decimal(r['price']))}，"
                    f"工期 {r['duration_days']} 天，解密成功"
                    for r in record["rows"]
                )
                digest = _hex(rng, 64)
                facts = {
                    "section": s["code"],
                    "record": record,
                    "record_digest": digest,
                    "rows": record["rows"],
                    "digests": [{"seq": r["seq"], "digest": r["digest"], "received_at": r["received_at"]}
                                for r in record["rows"]],
                }  # fmt: skip

                def link(
                    notice_id: int,
                    s: dict[str, Any] = s,
                    when: datetime = when,
                    record: Any = record,
                    digest: str = digest,
                ) -> None:
                    self._opening(rows, tid, s, deadline, section_bids[s["id"]], (when, notice_id, record, digest), exp)

                events.append((when, "opening", f"{name} {s['name']}（开标记录）", body, facts, link))
        if stage in ("publicity", "awarded", "contracted"):
            when = deadline + timedelta(days=rng.randint(3, 8), hours=rng.randint(0, 6))
            tender["publicity_ends_at"] = when + timedelta(days=3)
            lines, cands = [], {}
            for s in sections:
                ranked = sorted(section_bids[s["id"]], key=lambda x: x[1])[: rng.randint(1, 3)]
                cands[s["id"]] = ranked
                for rank, (b, price, _, _) in enumerate(ranked, start=1):
                    rows["tender_candidate"].append(
                        {"id": self.next_id("tender_candidate"), "tender_id": tid, "section_id": s["id"],
                         "rank": rank, "org_id": b, "price": price, "recorded_at": when}
                    )  # fmt: skip
                    exp.candidates += 1
                    lines.append(
                        f"{s['code']} {s['name']}：第{rank}名 {self.org_by_id[b]['name']}，投标报价 {_fmt_yuan(price)}"
                    )
            body = (
                "\n".join(lines)
                + f"\n公示期至 {_local(when + timedelta(days=3))}。对评标结果有异议的，应当在公示期间提出。"
            )
            facts = {"publicity_ends_at": (when + timedelta(days=3)).isoformat(),
                     "basis": "招标投标法实施条例第五十四条"}  # fmt: skip
            events.append((when, "candidates", f"{name}（中标候选人公示）", body, facts, None))
            if stage in ("awarded", "contracted"):
                when = when + timedelta(days=rng.randint(4, 10))
                codes, lines = [], []
                for s in sections:
                    b, price, _, _ = cands[s["id"]][0]
                    aid = self.next_id("award_notice")
                    code = f"{rng.getrandbits(96):024X}"[:24]
                    codes.append(code)
                    winner = self.org_by_id[b]
                    facts_a = {
                        "document": "中标（成交）通知书", "tender_code": tcode, "tender_name": name,
                        "section_code": s["code"], "section_name": s["name"],
                        "tenderer": self.org_by_id[tenderer]["name"],
                        "tenderer_code": self.org_by_id[tenderer]["credit_code"], "winner": winner["name"],
                        "winner_code": winner["credit_code"], "price": str(price), "issued_at": when.isoformat(),
                        "verify_code": code,
                    }  # fmt: skip
                    rows["award_notice"].append(
                        {"id": aid, "tender_id": tid, "section_id": s["id"], "winner_org_id": b, "price": price,
                         "verify_code": code, "issued_at": when, "facts_digest": _hex(rng, 64),
                         "signature": _hex(rng, 128), "public_key": "04" + _hex(rng, 128), "facts": facts_a}
                    )  # fmt: skip
                    exp.awards += 1
                    lines.append(
                        f"{s['code']} {s['name']}：中标（成交）人 {winner['name']}，中标（成交）价 {_fmt_yuan(price)}"
                    )
                    if stage == "contracted" and (s["seq"] == 1 or rng.random() < 0.9):
                        signed = when + timedelta(days=rng.randint(5, 30))
                        rows["tender_contract"].append(
                            {"id": self.next_id("tender_contract"), "tender_id": tid, "section_id": s["id"],
                             "award_id": aid, "signed_on": (signed + timedelta(hours=8)).date(),
                             "amount": price if rng.random() < 0.8 else _yuan(float(price) * 0.99),
                             "term": "按招标文件", "recorded_at": signed + timedelta(days=rng.randint(0, 5), hours=2),
                             "late": False}
                        )  # fmt: skip
                        exp.contracts += 1
                        contracts += 1
                events.append(
                    (when, "result", f"{name}（中标（成交）结果公告）", "\n".join(lines), {"awards": codes}, None)
                )
        events.sort(key=lambda e: e[0])
        previous = None
        for version, (when, kind, title, body, facts, action) in enumerate(events, start=1):
            nid = self.next_id("notice")
            content_digest = _hex(rng, 64)
            rows["notice"].append(
                {"id": nid, "tender_id": tid, "kind": kind, "version": version, "supersedes_id": previous,
                 "title": title, "body": body, "facts": facts, "published_at": when, "digest": content_digest}
            )  # fmt: skip
            previous = nid
            if action is not None:
                action(nid)
        exp.notices += len(events)
        exp.releases += len(events) + contracts

    def _bid(
        self,
        rows: dict[str, list[dict[str, Any]]],
        tid: int,
        s: dict[str, Any],
        org: int,
        when: datetime,
        status: str,
        price: Decimal | None,
        exp: Expected,
    ) -> dict[str, Any]:
        rng = self.rng
        self.seq += 1
        digest = _hex(rng, 64)
        code = self.org_by_id[org]["credit_code"]
        rows["bid"].append(
            {
                "id": self.next_id("bid"),
                "tender_id": tid,
                "section_id": s["id"],
                "bidder_org_id": org,
                "submitted_by": 1,
                "status": status,
                "seq": self.seq,
                "digest": digest,
                "size": rng.randint(200_000, 40_000_000),
                "received_at": when,
                "header": {"format": "ggzy-envelope/1", "section": s["code"], "bidder": code, "cipher": "SM4-GCM",
                           "ciphertext_sm3": _hex(rng, 64), "signed_at": when.isoformat(), "key": _hex(rng, 16)},
                "signer_key": _hex(rng, 16),
                "device": {"cpu": _hex(rng, 16), "disk": _hex(rng, 16), "mac": _hex(rng, 12)},
                "client_addr": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}",
                "receipt": {"seq": self.seq, "section": s["code"], "bidder": code, "digest": digest,
                            "received_at": when.isoformat(), "size": 0},
                "receipt_signature": _hex(rng, 128),
                "ended_at": when if status != "accepted" else None,
                "outcome": "opened" if price is not None else None,
                "decrypted_via": "bidder" if price is not None else "",
                "sheet": {"price": str(price), "duration_days": rng.choice([60, 90, 120, 180]), "quality": "合格",
                          "project_manager": "项目经理", "deposit": "已缴纳"} if price is not None else None,
            }
        )  # fmt: skip
        exp.bids += 1
        return rows["bid"][-1]

    def _record(
        self, t: dict[str, Any], s: dict[str, Any], deadline: datetime, bids: list[tuple[int, Decimal, datetime, Any]]
    ) -> dict[str, Any]:
        rows = []
        for org, price, when, b in bids:
            o = self.org_by_id[org]
            rows.append(
                {"seq": b["seq"], "bidder": o["name"], "credit_code": o["credit_code"],
                 "price": str(price), "duration_days": b["sheet"]["duration_days"], "quality": "合格",
                 "project_manager": "项目经理", "deposit": "已缴纳", "outcome": "opened", "outcome_label": "解密成功",
                 "reason": "", "decrypted_via": "bidder", "digest": b["digest"],
                 "received_at": when.isoformat(timespec="milliseconds")}
            )  # fmt: skip
        return {"tender": t["code"], "tender_name": t["name"], "section": s["code"], "section_name": s["name"],
                "started_at": deadline.isoformat(), "bid_count": len(bids), "rows": rows}  # fmt: skip

    def _opening(
        self,
        rows: dict[str, list[dict[str, Any]]],
        tid: int,
        s: dict[str, Any],
        deadline: datetime,
        bids: list[tuple[int, Decimal, datetime, Any]],
        published: tuple[datetime, int, dict[str, Any], str] | None,
        exp: Expected,
    ) -> None:
        when, notice_id, record, digest = published if published else (None, None, None, "")
        rows["bid_opening"].append(
            {
                "id": self.next_id("bid_opening"),
                "tender_id": tid,
                "section_id": s["id"],
                "status": "published" if published else "failed",
                "started_at": deadline,
                "decrypt_until": deadline + timedelta(minutes=30),
                "bid_count": len(bids),
                "failure_reason": "" if published else "投标人少于三个",
                "record": record,
                "record_digest": digest,
                "closed_at": deadline + timedelta(minutes=35) if published else deadline,
                "published_at": when,
                "notice_id": notice_id,
            }
        )
        exp.openings += 1


TABLES = ["project", "tender", "tender_section", "notice", "bid_opening", "bid", "tender_candidate", "award_notice",
          "tender_contract"]  # fmt: skip


def _models() -> dict[str, Any]:
    from ggzy import models_all  # noqa: F401  (every mapped table)
    from ggzy.common.orm import Base

    return Base.metadata.tables


def generate(
    n: int, seed: int = SEED, batch: int = BATCH
) -> Iterator[tuple[dict[str, list[dict[str, Any]]], Expected]]:
    """The static rows first (with an empty Expected), then batches of procedures."""
    w = World(seed)
    yield w.static_rows(), Expected()
    for start in range(0, n, batch):
        rows, exp = w.procedures(start, min(n, start + batch))
        yield rows, exp


def load(url: str, n: int, *, seed: int = SEED, log: Callable[[str], None] = print) -> tuple[Expected, float]:
    """Migrate ``url`` (an empty database) to head and insert the world in batches with Core
    ``insert``; returns what the export must produce and the seconds taken."""
    from sqlalchemy import create_engine, event, insert, text

    from ggzy.migrate import upgrade

    t0 = time.perf_counter()
    upgrade(url)
    tables = _models()
    if url.startswith("sqlite"):
        engine = create_engine(url)

        @event.listens_for(engine, "connect")
        def _pragmas(conn: Any, _: Any) -> None:
            for p in ("journal_mode=WAL", "synchronous=OFF", "foreign_keys=ON", "cache_size=-200000"):
                conn.execute(f"PRAGMA {p}")

    else:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    total = Expected()
    try:
        for k, (rows, exp) in enumerate(generate(n, seed)):
            with engine.begin() as conn:
                for table, part in rows.items():
                    for j in range(0, len(part), 5000):
                        conn.execute(insert(tables[table]), part[j : j + 5000])
            total.add(exp)
            if k and (k % 10 == 0 or total.procedures >= n):
                log(f"  {total.procedures:,} procedures loaded, {time.perf_counter() - t0:.0f} s")
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                for table in ("organization", "organization_role", "app_user", "branch", *TABLES):
                    conn.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                    )
        # Fresh statistics, as `ggzy db upgrade` / `ggzy db analyze` leave them (docs/operators.md).
        if engine.dialect.name == "postgresql":
            with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE)")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return total, time.perf_counter() - t0


def expected_json(e: Expected) -> str:
    return json.dumps(asdict(e), sort_keys=True)


def expected_from(s: str) -> Expected:
    return Expected(**json.loads(s))
