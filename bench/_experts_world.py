"""The expert library of the extraction benchmark (``bench/extraction.py``): a realistic library
generated in memory from a fixed seed, bulk-loaded with SQLAlchemy Core, the extraction requests
to run against it, and a plain-Python oracle of the avoidance rules over the same data.

Not a benchmark by itself: running this file does nothing.

The library (defaults for 100,000 experts):

- a speciality tree: 4 top levels (A 工程, B 货物, C 服务, D 其他), 10 mid levels under each
  (A01 ... D10), 5 leaves under each mid (A0101 ... D1005): 200 leaves, popularity skewed;
- each expert has 1-3 leaf specialities (a second or third one usually in the same mid level);
- regions: the nine county-level codes of 吉林市 (2202xx), about 86%, and a few outside it;
- statuses about 85% active, the rest pending, suspended, blacklisted or retired;
- birth dates spread over 1950-1990 (so about one in six is over the age limit of 70);
- employers: 3,000 credit codes (18 characters, valid check character), sizes skewed, a tenth of
  them government bodies (11...) which are also the supervisors of the requests;
- about 5% of the experts declare 1-3 conflicts (with employers or tenderers);
- about 3% are busy on the evaluation day, a few more on the days around it;
- service history: 300,000 evaluations over the two years before the evaluation day, 400 tenderers
  with skewed volumes; the benchmark's main tenderer (吉林市城市建设投资集团, say) has about 5% of
  them, concentrated on 2,000 regulars, so many experts are at or over the limit of 3 services in
  12 months for it.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

DAY = date(2026, 12, 28)  # the evaluation day of every request (a Monday)
CITY = ["220202", "220203", "220204", "220211", "220221", "220281", "220282", "220283", "220284"]
CITY_WEIGHTS = [20, 12, 18, 10, 6, 5, 5, 5, 5]  # 昌邑, 龙潭, 船营 and 丰满 are the city proper
OUTSIDE = ["220102", "220104", "220105", "220302", "220402", "220502", "220602", "210102", "110105"]
OUTSIDE_WEIGHTS = [4, 3, 2, 1, 1, 1, 1, 0.6, 0.4]
STATUSES = ["active", "pending", "suspended", "blacklisted", "retired"]
STATUS_WEIGHTS = [85, 4, 4, 2, 5]
TOPS = [("A", "工程"), ("B", "货物"), ("C", "服务"), ("D", "其他")]
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
TITLES = ["高级工程师", "正高级工程师", "教授", "副教授", "高级会计师", "高级经济师", "主任医师"]


def _uscc(rng: random.Random, kind: str, region: str) -> str:
    from ggzy.identity.rules import make_uscc

    body = kind + region + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return make_uscc(body)


def _zipf_weights(n: int, s: float) -> list[float]:
    return [1.0 / (k**s) for k in range(1, n + 1)]


class Picker:
    """Weighted choice by bisection over cumulative weights (random.choices recomputes them)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(itertools.accumulate(weights))

    def __call__(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Library:
    day: date
    specialities: list[tuple[str, str, str | None]]  # code, name, parent
    leaves: list[str]
    mids: list[str]
    leaf_popularity: dict[str, int] = field(default_factory=dict)
    employers: list[str] = field(default_factory=list)
    governments: list[str] = field(default_factory=list)
    tenderers: list[str] = field(default_factory=list)  # index 0: the main tenderer, 1-9: heavy ones
    # One row per expert: id, region, status, birth, employer, specialities, conflicts, busy on day.
    experts: list[dict[str, Any]] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    conflicts: list[tuple[int, str]] = field(default_factory=list)
    busy: list[tuple[int, date]] = field(default_factory=list)
    services: list[tuple[int, str, date]] = field(default_factory=list)

    @property
    def main_tenderer(self) -> str:
        return self.tenderers[0]


def generate(n_experts: int, n_services: int, *, seed: int = 20261228, day: date = DAY) -> Library:
    from ggzy.identity.rules import make_id_number

    rng = random.Random(seed)
    specs: list[tuple[str, str, str | None]] = []
    mids, leaves = [], []
    for top, name in TOPS:
        specs.append((top, name, None))
        for m in range(1, 11):
            mid = f"{top}{m:02d}"
            mids.append(mid)
            specs.append((mid, f"{name}类第{m}专业组", top))
            for leaf_no in range(1, 6):
                leaf = f"{mid}{leaf_no:02d}"
                leaves.append(leaf)
                specs.append((leaf, f"{name}类专业 {leaf}", mid))
    lib = Library(day=day, specialities=specs, leaves=leaves, mids=mids)

    # Leaf popularity: Zipf over a shuffled order (A0101 堤防工程-like leaves are the big ones).
    order = leaves[:]
    rng.shuffle(order)
    leaf_pick = Picker(order, _zipf_weights(len(order), 0.7))
    by_mid = {m: [leaf for leaf in leaves if leaf.startswith(m)] for m in mids}

    region_pick = Picker(CITY + OUTSIDE, CITY_WEIGHTS + OUTSIDE_WEIGHTS)
    status_pick = Picker(STATUSES, STATUS_WEIGHTS)

    # Employers: 3,000 codes, a tenth of them government bodies (统一社会信用代码 starting 11).
    n_employers = 3000
    seen: set[str] = set()
    while len(lib.employers) < n_employers:
        gov = len(lib.employers) % 10 == 0
        code = _uscc(rng, "11" if gov else "91", region_pick(rng))
        if code not in seen:
            seen.add(code)
            lib.employers.append(code)
            if gov:
                lib.governments.append(code)
    employer_pick = Picker(lib.employers, _zipf_weights(n_employers, 0.8))

    # Tenderers: 400; a quarter of them also employ experts (hospitals, universities, institutes).
    tenderers = rng.sample(lib.employers, 100)
    while len(tenderers) < 400:
        code = _uscc(rng, "12" if rng.random() < 0.5 else "91", rng.choice(CITY))
        if code not in seen:
            seen.add(code)
            tenderers.append(code)
    rng.shuffle(tenderers)
    # The main tenderer is one of the employers, so its own staff are in the library too.
    main = next(t for t in tenderers if t in set(lib.employers[:300]))
    tenderers.remove(main)
    lib.tenderers = [main, *tenderers]

    ids_seen: dict[str, int] = defaultdict(int)
    start, span = date(1950, 1, 1), (date(1990, 12, 31) - date(1950, 1, 1)).days
    created = datetime(2020, 1, 1, tzinfo=UTC)
    for i in range(1, n_experts + 1):
        region = region_pick(rng)
        born = start + timedelta(days=rng.randrange(span + 1))
        prefix = f"{region}{born:%Y%m%d}"
        seq = ids_seen[prefix]
        ids_seen[prefix] += 1
        first = leaf_pick(rng)
        specs_of = [first]
        for _ in range(rng.choices([0, 1, 2], weights=[50, 35, 15])[0]):
            extra = rng.choice(by_mid[first[:3]]) if rng.random() < 0.7 else leaf_pick(rng)
            if extra not in specs_of:
                specs_of.append(extra)
        e = {
            "id": i,
            "name": f"专家{i:06d}",
            "id_number": make_id_number(f"{prefix}{seq:03d}"),
            "birth_date": born,
            "employer_credit_code": employer_pick(rng),
            "title": rng.choice(TITLES),
            "years": rng.randint(8, 40),
            "region_code": region,
            "phone": f"139{i:08d}",
            "status": status_pick(rng),
            "status_reason": "",
            "status_until": None,
            "user_id": None,
            "created_at": created,
            "admitted_at": created,
            "specialities": specs_of,
            "conflicts": [],
            "busy": False,
        }
        lib.experts.append(e)
        lib.links += [(i, s) for s in specs_of]
        for s in specs_of:
            lib.leaf_popularity[s] = lib.leaf_popularity.get(s, 0) + 1

    # Declared conflicts: about 5% of the experts, 1-3 each, with employers (mostly) or tenderers.
    for e in rng.sample(lib.experts, n_experts // 20):
        codes = set()
        for _ in range(rng.randint(1, 3)):
            codes.add(rng.choice(lib.employers) if rng.random() < 0.7 else rng.choice(lib.tenderers[:50]))
        e["conflicts"] = sorted(codes)
        lib.conflicts += [(e["id"], c) for c in e["conflicts"]]

    # Busy: about 3% on the evaluation day, and about 1% a day over the fortnight around it.
    for e in rng.sample(lib.experts, n_experts * 3 // 100):
        e["busy"] = True
        lib.busy.append((e["id"], day))
    for offset in [d for d in range(-7, 8) if d]:
        for e in rng.sample(lib.experts, n_experts // 100):
            lib.busy.append((e["id"], day + timedelta(days=offset)))
    lib.busy = sorted(set(lib.busy))

    # Service history over the two years before the day. Active experts serve; some more than others.
    active = [e["id"] for e in lib.experts if e["status"] in ("active", "suspended", "retired")]
    expert_pick = Picker(active, [rng.paretovariate(1.5) for _ in active])
    regulars = rng.sample(active, min(2000, len(active)))
    tenderer_pick = Picker(lib.tenderers[10:], _zipf_weights(len(lib.tenderers) - 10, 0.7))
    for _ in range(n_services):
        r = rng.random()
        if r < 0.05:  # the main tenderer: 60% of its evaluations go to its 2,000 regulars
            tenderer = main
            expert = rng.choice(regulars) if rng.random() < 0.6 else expert_pick(rng)
        elif r < 0.20:  # nine other heavy tenderers
            tenderer, expert = lib.tenderers[rng.randint(1, 9)], expert_pick(rng)
        else:
            tenderer, expert = tenderer_pick(rng), expert_pick(rng)
        lib.services.append((expert, tenderer, day - timedelta(days=rng.randint(1, 730))))
    return lib


def chunks(rows: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def load(url: str, lib: Library, *, batch: int = 5000, log: Callable[[str], None] = print) -> float:
    """Insert the library with Core ``insert`` in batches; returns the seconds taken."""
    from sqlalchemy import insert, text

    from ggzy.db import create_database
    from ggzy.experts.models import Expert, ExpertBusy, ExpertConflict, ExpertService, ExpertSpeciality, Speciality

    t0 = time.perf_counter()
    db = create_database(url)
    try:
        with db.transaction() as s:
            s.execute(insert(Speciality), [{"code": c, "name": n, "parent_code": p} for c, n, p in lib.specialities])
            cols = [c.key for c in Expert.__table__.columns]
            for part in chunks(lib.experts, batch):
                s.execute(insert(Expert), [{k: e[k] for k in cols if k in e} for e in part])
            for part in chunks(lib.links, batch):
                s.execute(insert(ExpertSpeciality), [{"expert_id": i, "speciality_code": c} for i, c in part])
            for part in chunks(lib.conflicts, batch):
                s.execute(
                    insert(ExpertConflict),
                    [{"expert_id": i, "credit_code": c, "kind": "relative", "note": ""} for i, c in part],
                )
            for part in chunks(lib.busy, batch):
                s.execute(insert(ExpertBusy), [{"expert_id": i, "day": d, "reason": ""} for i, d in part])
            for part in chunks(lib.services, batch):
                s.execute(
                    insert(ExpertService),
                    [{"expert_id": i, "tenderer_credit_code": t, "served_on": d} for i, t, d in part],
                )
            if db.dialect == "postgresql":  # explicit ids: move the sequences past them
                for table in ("expert", "expert_conflict", "expert_service"):
                    s.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                    )
        if db.dialect == "postgresql":
            # What autovacuum does soon after a bulk load (statistics, visibility map), done now so it
            # does not run in the middle of the measurements. SQLite gets no ANALYZE: the app never runs it.
            with db.write_engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
                conn.exec_driver_sql("VACUUM (ANALYZE)")
    finally:
        db.dispose()
    took = time.perf_counter() - t0
    log(
        f"loaded {len(lib.experts):,} experts, {len(lib.links):,} speciality links, {len(lib.conflicts):,} conflicts, "
        f"{len(lib.busy):,} busy days, {len(lib.services):,} services in {took:.1f} s"
    )
    return took


# --- the requests -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    speciality: str
    regions: tuple[str, ...]
    tenderer: str
    supervisors: tuple[str, ...]
    bidders: tuple[str, ...]
    # A second need of a two-need request excludes everyone on the first need's list.
    first_need: Request | None = None


def requests(lib: Library, n: int, *, seed: int = 7) -> list[Request]:
    """Varying specialities (70% leaves, 30% mid levels), region scopes, tenderers and bidders;
    a quarter are the second need of a two-need request (another leaf of the same mid level)."""
    rng = random.Random(seed)
    # Leaves are asked for roughly as often as they are populated.
    leaf_pick = Picker(list(lib.leaf_popularity), list(lib.leaf_popularity.values()))
    scopes: list[tuple[tuple[str, ...], float]] = [
        (("2202",), 50),  # the whole city
        ((), 5),  # no restriction (a provincial project drawing from the whole library)
        (("2202", "2201"), 10),  # the city and 长春
    ]
    scopes += [((c,), 3) for c in CITY[:4]]  # one district of the city proper
    scopes += [(tuple(sorted(random.Random(k).sample(CITY, 3))), 3) for k in range(5)]  # three districts
    scope_pick = Picker([s for s, _ in scopes], [w for _, w in scopes])

    def one(speciality: str) -> Request:
        r = rng.random()
        if r < 0.4:
            tenderer = lib.tenderers[0]
        elif r < 0.7:
            tenderer = lib.tenderers[rng.randint(1, 9)]
        else:
            tenderer = rng.choice(lib.tenderers)
        bidders = []
        for _ in range(rng.randint(3, 10)):
            if rng.random() < 0.5:  # a construction company or institute whose staff are experts
                bidders.append(rng.choice(lib.employers[:1500]))
            else:
                bidders.append(_uscc(rng, "91", rng.choice(CITY)))
        return Request(
            speciality=speciality,
            regions=scope_pick(rng),
            tenderer=tenderer,
            supervisors=(rng.choice(lib.governments),),
            bidders=tuple(dict.fromkeys(bidders)),
        )

    out = []
    for _ in range(n):
        leaf = leaf_pick(rng)
        speciality = leaf if rng.random() < 0.7 else leaf[:3]
        req = one(speciality)
        if len(speciality) == 5 and rng.random() < 0.35:
            sibling = rng.choice([x for x in lib.leaves if x.startswith(speciality[:3]) and x != speciality])
            first = Request(sibling, req.regions, req.tenderer, req.supervisors, req.bidders)
            req = Request(speciality, req.regions, req.tenderer, req.supervisors, req.bidders, first_need=first)
        out.append(req)
    return out


# --- the oracle ----------------------------------------------------------------------------------


class Oracle:
    """The avoidance rules written again in Python over the generated data (not from the query)."""

    def __init__(self, lib: Library) -> None:
        self.lib = lib
        self.services: dict[tuple[int, str], list[date]] = defaultdict(list)
        for i, t, d in lib.services:
            self.services[(i, t)].append(d)

    def eligible(
        self,
        *,
        speciality: str,
        regions: Sequence[str],
        day: date,
        tenderer: str,
        supervisors: Sequence[str],
        bidders: Sequence[str],
        exclude: Sequence[int],
        max_age: int,
        max_services: int,
    ) -> tuple[list[int], dict[int, str]]:
        """The eligible ids, and for everyone of the speciality who is not, one reason why."""
        # Born on or before this day: 70 or older on the evaluation day.
        try:
            oldest = day.replace(year=day.year - max_age)
        except ValueError:
            oldest = day.replace(year=day.year - max_age, day=28)
        try:
            year_ago = day.replace(year=day.year - 1)
        except ValueError:
            year_ago = day.replace(year=day.year - 1, day=28)
        staff_of = {tenderer, *supervisors, *bidders}
        parties = {tenderer, *bidders}
        skip = set(exclude)
        out, why = [], {}
        for e in self.lib.experts:
            if e["id"] in skip or not any(s.startswith(speciality) for s in e["specialities"]):
                continue
            reason = None
            if e["status"] != "active":
                reason = "status"
            elif regions and not any(e["region_code"].startswith(r) for r in regions):
                reason = "region"
            elif e["birth_date"] <= oldest:
                reason = "age"
            elif e["employer_credit_code"] in staff_of:
                reason = "staff"
            elif parties & set(e["conflicts"]):
                reason = "conflict"
            elif sum(1 for d in self.services.get((e["id"], tenderer), ()) if d > year_ago) >= max_services:
                reason = "frequent"
            elif e["busy"] and day == self.lib.day:
                reason = "busy"
            if reason is None:
                out.append(e["id"])
            else:
                why[e["id"]] = reason
        return out, why
