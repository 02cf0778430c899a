"""The OCDS bulk export (``ggzy export ocds --out FILE``) of 100,000 procedures (issue 6):
throughput (procedures/s, releases/s, MB/s) and peak memory, at two sizes to show whether memory
stays bounded as the data grows, on SQLite and, given ``--database-url``, on PostgreSQL.

The world (``_ocds_world``) is generated from a fixed seed and bulk-loaded with SQLAlchemy Core
into a database migrated to head: exactly the rows ``ggzy.portal.ocds`` reads (tenders with their
projects, 1-3 sections, the notices of every stage, opening records, bids, candidates, award
notices, contracts, and the organisations). Worlds are cached: SQLite files in ``--workdir``,
PostgreSQL databases kept (``--database-url``'s database for ``--procedures``, ``<name>_<n>`` for
the small size) and reused when generator, seed, size and schema revision match.

Each measurement runs in its own child process, so its peak RSS (VmHWM) is its own:

- **export**: ``ggzy.cli.export_ocds`` (the function behind ``ggzy export ocds --out FILE``, which
  calls ``ocds.export(db, f, ...)``: batches of 200 procedures, the facts of a batch loaded with
  one statement per table, each batch in its own read transaction), timed around the call; RSS is
  sampled during the run;
- **read** (the baseline): the same rows the export reads (all columns of the same tables, bids
  joined to their organisations for the published openings), selected with Core in a few
  streamed statements and discarded;
- **json**: in the parent, ``json.dumps(release, ensure_ascii=False)`` of every release of the
  output (the encoding cost alone), timed while the output is checked.

The figures are ratios against the baseline measured in the same run: export / read, export /
(read + json), and the export's peak RSS at the small and the large size.

Checks (exit status 1 if one fails): the output is one JSON document (one release a line, the
package head first, ``]}`` last); it has exactly as many releases and procedures (ocids) as the
generator published (drafts are not exported), each procedure's releases together, unique
release ids, dates in order within a procedure, no bidder named before an opening record; and the
releases of the first ``--validate`` procedures plus as many spread over the rest validate
against the OCDS 1.1.5 release package schema (``../shared/ocds``, as
``tests/portal/test_ocds.py`` validates; ``--validate-all`` validates every release).

When the export costs more than 3x the read baseline or its memory grows (or with ``--profile
always``), the script profiles ``ocds.export`` over the first ``--profile-procedures``
procedures of the small world: SQL statements per procedure by table, and where the time goes
(cProfile) (docs/performance.md, "OCDS export (issue 6)").

    .venv/bin/python bench/ocds_export.py                        # 100,000 and 10,000 procedures, SQLite
    .venv/bin/python bench/ocds_export.py --procedures 5000      # a quick run (5,000 and 500)
    .venv/bin/python bench/ocds_export.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/ggzy_bench_ocds
    .venv/bin/python bench/ocds_export.py --database-url ... --skip-sqlite --json out.json

A PostgreSQL world lives in ``--database-url``'s database for ``--procedures`` and in
``<name>_<n>`` for the small size; a world of another size in the URL's database is dropped and
rebuilt, so give each large size its own URL (``.../ggzy_bench_ocds_100000 --procedures 100000
--small 0``) to keep the others.

``--fresh`` rebuilds the cached worlds; ``--drop`` removes them (files and databases) at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _ocds_world as ow

ROOT = Path(__file__).resolve().parents[1]
OCDS_SCHEMA = ROOT.parent / "shared" / "ocds"
PYTHON = sys.executable
SLOW_RATIO = 3.0  # export / read above this: profile (auto)
GROWTH = 1.25  # peak RSS large / small above this: profile (auto)


def load_avg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def log(msg: str) -> None:
    print(msg, flush=True)


# --- worlds -------------------------------------------------------------------------------------------


def schema_head() -> str:
    from alembic.script import ScriptDirectory

    from ggzy.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head() or "none"


def world_key(n: int, seed: int) -> str:
    return f"n{n}-s{seed}-g{ow.GENERATOR}-{schema_head()}"


def pg_admin_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url).set(drivername="postgresql", database="postgres")
    return u.render_as_string(hide_password=False)


def pg_dbname(url: str) -> str:
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    assert name, "the PostgreSQL URL names no database"
    return name


def pg_url_for(url: str, n: int, full: int) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if not u.drivername.startswith("postgresql+"):
        u = u.set(drivername="postgresql+psycopg")
    if n != full:
        u = u.set(database=f"{u.database}_{n}")
    return u.render_as_string(hide_password=False)


def pg_exec(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(pg_admin_url(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type,unused-ignore]


@dataclass
class WorldDb:
    backend: str
    url: str
    procedures: int
    expected: ow.Expected
    load_s: float
    cached: bool
    size_bytes: int = 0
    drop: Callable[[], None] = field(default=lambda: None, repr=False)


def sqlite_world(workdir: Path, n: int, seed: int, fresh: bool) -> WorldDb:
    key = world_key(n, seed)
    path, meta = workdir / f"ocds-world-{key}.db", workdir / f"ocds-world-{key}.json"

    def drop() -> None:
        for p in (path, meta, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)

    if fresh:
        drop()
    if path.exists() and meta.exists():
        d = json.loads(meta.read_text())
        log(f"sqlite: reusing the world of {n:,} procedures in {path}")
        return WorldDb("sqlite", f"sqlite:///{path}", n, ow.expected_from(d["expected"]), d["load_s"], True,
                       path.stat().st_size, drop)  # fmt: skip
    tmp = workdir / f"ocds-world-{key}.tmp.db"
    for p in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        p.unlink(missing_ok=True)
    log(f"sqlite: generating and loading {n:,} procedures into {tmp.name} (load {load_avg()})")
    expected, took = ow.load(f"sqlite:///{tmp}", n, seed=seed, log=log)
    for p in (tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
        p.unlink(missing_ok=True)
    tmp.rename(path)
    meta.write_text(json.dumps({"key": key, "expected": ow.expected_json(expected), "load_s": took}))
    log(f"sqlite: loaded in {took:.0f} s, {path.stat().st_size / 2**20:,.0f} MiB")
    return WorldDb("sqlite", f"sqlite:///{path}", n, expected, took, False, path.stat().st_size, drop)


def pg_world(base_url: str, n: int, full: int, seed: int, fresh: bool) -> WorldDb:
    import psycopg

    url = pg_url_for(base_url, n, full)
    name = pg_dbname(url)
    key = world_key(n, seed)
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)

    def drop() -> None:
        pg_exec(url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    if not fresh:
        try:
            with psycopg.connect(plain, connect_timeout=5) as conn:
                row = conn.execute("SELECT key, expected, load_s FROM bench_ocds_world").fetchone()
                size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
            if row and row[0] == key and size:
                log(f"postgresql: reusing the world of {n:,} procedures in database {name}")
                return WorldDb("postgresql", url, n, ow.expected_from(row[1]), row[2], True, int(size[0]), drop)
        except psycopg.Error:
            pass
    drop()
    pg_exec(url, f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    log(f"postgresql: generating and loading {n:,} procedures into database {name} (load {load_avg()})")
    expected, took = ow.load(url, n, seed=seed, log=log)
    with psycopg.connect(plain) as conn:
        conn.execute("CREATE TABLE bench_ocds_world (key text PRIMARY KEY, expected text, load_s float)")
        conn.execute("INSERT INTO bench_ocds_world VALUES (%s, %s, %s)", (key, ow.expected_json(expected), took))
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    log(f"postgresql: loaded in {took:.0f} s, {int(size[0]) / 2**20:,.0f} MiB" if size else "")
    return WorldDb("postgresql", url, n, expected, took, False, int(size[0]) if size else 0, drop)


# --- the child processes ----------------------------------------------------------------------------


def _status_kb(field_name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """RSS every ``every`` seconds in a thread, for the curve over a run."""

    def __init__(self, every: float = 0.25) -> None:
        import threading

        self.samples: list[tuple[float, int]] = []
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.perf_counter()

    def _run(self) -> None:
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        with open("/proc/self/statm") as f:
            while not self._stop.is_set():
                f.seek(0)
                rss = int(f.read().split()[1]) * page_kb
                self.samples.append((time.perf_counter() - self.t0, rss))
                self._stop.wait(self.every)

    def __enter__(self) -> RssSampler:
        self.t0 = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def at_fractions(self, fractions: tuple[float, ...] = (0.1, 0.25, 0.5, 0.75, 1.0)) -> list[int]:
        """The highest RSS seen up to each fraction of the run, in KiB."""
        if not self.samples:
            return []
        end = self.samples[-1][0] or 1.0
        return [max((r for t, r in self.samples if t <= f * end), default=self.samples[0][1]) for f in fractions]


def child_export(url: str, out: Path) -> dict[str, Any]:
    """The export exactly as ``ggzy export ocds --out FILE`` runs it: ``cli.export_ocds``, which
    calls ``ocds.export(db, f, ...)`` into ``FILE.part`` and renames it."""
    os.environ["GGZY_DATABASE_URL"] = url
    from ggzy import cli
    from ggzy.config import get_settings

    get_settings.cache_clear()
    rss0 = _status_kb("VmRSS")
    with RssSampler() as sampler:
        t0, c0 = time.perf_counter(), time.process_time()
        cli.export_ocds(out=out)
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "seconds": took,
        "cpu_s": cpu,
        "rss_before_kb": rss0,
        "hwm_kb": _status_kb("VmHWM"),
        "rss_curve_kb": sampler.at_fractions(),
        "bytes": out.stat().st_size,
    }


def read_statements() -> list[Any]:
    """The rows the export reads, as a few bulk Core statements: the floor of reading them."""
    from sqlalchemy import select

    from ggzy.bidding.models import Bid, Opening
    from ggzy.identity.models import Branch, Organization, OrganizationRole
    from ggzy.registration.models import Project
    from ggzy.tendering.models import Notice, Section, Tender
    from ggzy.tendering.models_award import AwardNotice, Candidate, Contract

    published = select(Tender.id).where(Tender.published_at.is_not(None))
    t, o = Tender.__table__, Organization.__table__
    opened = select(Opening.section_id).where(Opening.status == "published")
    return [
        select(t).where(t.c.published_at.is_not(None)).order_by(t.c.id),
        select(Project.__table__).where(Project.id.in_(select(Tender.project_id).where(Tender.id.in_(published)))),
        select(o),
        select(OrganizationRole.__table__),
        select(Branch.__table__),
        select(Section.__table__).where(Section.tender_id.in_(published)),
        select(Notice.__table__).where(Notice.tender_id.in_(published)),
        select(Opening.__table__).where(Opening.tender_id.in_(published)),
        select(Bid.section_id, o)
        .join(o, o.c.id == Bid.bidder_org_id)
        .where(Bid.status == "accepted", Bid.section_id.in_(opened)),
        select(Candidate.__table__).where(Candidate.tender_id.in_(published)),
        select(AwardNotice.__table__).where(AwardNotice.tender_id.in_(published)),
        select(Contract.__table__).where(Contract.tender_id.in_(published)),
    ]


def child_read(url: str) -> dict[str, Any]:
    from ggzy.db import create_database

    db = create_database(url)
    rss0 = _status_kb("VmRSS")
    rows = 0
    with RssSampler() as sampler:
        t0, c0 = time.perf_counter(), time.process_time()
        with db.read_engine.connect() as conn:
            conn = conn.execution_options(stream_results=True, yield_per=1000)
            for stmt in read_statements():
                for row in conn.execute(stmt):
                    tuple(row)
                    rows += 1
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
    db.dispose()
    return {
        "seconds": took,
        "cpu_s": cpu,
        "rows": rows,
        "rss_before_kb": rss0,
        "hwm_kb": _status_kb("VmHWM"),
        "rss_curve_kb": sampler.at_fractions(),
    }


class _Enough(Exception):
    """Raised from inside the export once the profiled procedures are done."""


def child_profile(url: str, out: Path, limit: int, top: int) -> dict[str, Any]:
    """``ocds.export`` of the first ``limit`` procedures (rounded up to whole batches of 200)
    under cProfile, counting SQL statements by table. The export has no limit of its own, so
    ``ocds._facts`` is wrapped to stop it (an exception) when the next batch would go past the
    limit; only that batch's tender query is then counted beyond the limit (4 statements)."""
    import cProfile
    import pstats
    import re
    from datetime import UTC, datetime

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from ggzy.db import create_database
    from ggzy.portal import ocds

    statements: Counter[str] = Counter()
    table = re.compile(r"\bFROM\s+\"?(\w+)", re.IGNORECASE)

    @event.listens_for(Engine, "before_cursor_execute")
    def _count(conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool) -> None:
        m = table.search(stmt)
        statements[m.group(1) if m else stmt.split()[0].upper()] += 1

    done = {"procedures": 0, "releases": 0}
    facts, rels = ocds._facts, ocds._releases

    def limited_facts(session: Any, tenders: Any, base_url: str) -> Any:
        if done["procedures"] >= limit:
            raise _Enough
        done["procedures"] += len(tenders)
        return facts(session, tenders, base_url)

    def counted_releases(f: Any, prefix: str) -> Any:
        r = rels(f, prefix)
        done["releases"] += len(r)
        return r

    ocds._facts = limited_facts
    ocds._releases = counted_releases
    db = create_database(url)
    prof = cProfile.Profile()
    with out.open("w", encoding="utf-8") as f:
        t0 = time.perf_counter()
        prof.enable()
        with contextlib.suppress(_Enough):
            ocds.export(db, f, prefix="ocds-ggzy00", base_url="http://x", name="x", now=datetime.now(UTC))
        prof.disable()
        took = time.perf_counter() - t0
    db.dispose()
    st = pstats.Stats(prof)
    total = max(st.total_tt, 1e-9)  # type: ignore[attr-defined]

    def cum(pred: Callable[[str, str], bool]) -> float:
        best = 0.0
        for (filename, _line, func), (_cc, _nc, _tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
            if pred(filename, func):
                best = max(best, ct)
        return best

    def own(pred: Callable[[str, str], bool]) -> float:
        return sum(
            tt
            for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in st.stats.items()  # type: ignore[attr-defined]
            if pred(filename, func)
        )

    def in_ocds(name: str) -> Callable[[str, str], bool]:
        return lambda f, fn: f.endswith("portal/ocds.py") and fn == name

    whole = cum(in_ocds("export"))
    facts_s = cum(lambda f, fn: fn == "limited_facts")
    release_s = cum(in_ocds("_release"))
    dumps_s = cum(lambda f, fn: f.endswith("json/__init__.py") and fn == "dumps")
    parts = {
        "the export (ocds.export)": whole,
        "facts of a batch (_facts: one statement per table)": facts_s,
        "building the releases (_release)": release_s,
        "json.dumps": dumps_s,
        "the rest: batches of tenders with their selectins, writing": whole - facts_s - release_s - dumps_s,
        "DBAPI execute + fetch (own time)": own(
            lambda f, fn: (f == "~" and ("execute" in fn or "fetch" in fn)) or ("psycopg" in f and "wait" in fn)
        ),
        "SQLAlchemy (own time)": own(lambda f, fn: "/sqlalchemy/" in f),
    }
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in sorted(
        st.stats.items(),  # type: ignore[attr-defined]
        key=lambda kv: kv[1][2],
        reverse=True,
    )[:top]:
        short = filename.split("site-packages/")[-1].split("/src/")[-1]
        rows.append({"function": f"{short}:{line}({func})", "calls": nc, "own_s": tt, "cum_s": ct})
    return {
        "procedures": done["procedures"],
        "releases": done["releases"],
        "seconds": took,
        "profiled_total_s": total,
        "statements": dict(statements.most_common()),
        "parts_s": parts,
        "top": rows,
    }


def run_child(mode: str, *args: str) -> tuple[dict[str, Any], float]:
    """Run this script in ``mode`` in a child process; returns its result and its wall time
    (interpreter start and imports included)."""
    cmd = [PYTHON, str(Path(__file__).resolve()), "--child", mode, *args]
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, check=False)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise RuntimeError(f"child {mode} failed ({p.returncode}):\n{p.stderr.decode()[-4000:]}")
    line = next(x for x in reversed(p.stdout.decode().splitlines()) if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT ")), wall


# --- checking the output ----------------------------------------------------------------------------


def validators() -> Any:
    """The OCDS 1.1.5 release package validator, built as tests/portal/test_ocds.py builds it."""
    if not (OCDS_SCHEMA / "release-schema.json").exists():
        return None
    import jsonschema_rs

    release = json.loads((OCDS_SCHEMA / "release-schema.json").read_text())
    with zipfile.ZipFile(OCDS_SCHEMA / "standard-1__1__5.zip") as z:
        versioned = json.loads(z.read("standard-1__1__5/schema/versioned-release-validation-schema.json"))

    def retrieve(uri: str) -> Any:
        if uri.endswith("/release-schema.json"):
            return release
        if uri.endswith("/versioned-release-validation-schema.json"):
            return versioned
        raise ValueError(f"no network: {uri}")

    package = json.loads((OCDS_SCHEMA / "release-package-schema.json").read_text())
    return jsonschema_rs.Draft4Validator(package, retriever=retrieve)


@dataclass
class Check:
    releases: int = 0
    procedures: int = 0
    json_ok: bool = True
    json_dumps_s: float = 0.0
    unique_ids: bool = True
    contiguous: bool = True
    dates_ordered: bool = True
    secrecy_ok: bool = True
    expected_releases: int = 0
    expected_procedures: int = 0
    validated_releases: int = 0
    validated_procedures: int = 0
    schema_error_count: int = 0
    schema_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.json_ok
            and self.unique_ids
            and self.contiguous
            and self.dates_ordered
            and self.secrecy_ok
            and self.releases == self.expected_releases
            and self.procedures == self.expected_procedures
            and self.schema_error_count == 0
            and (self.validated_releases > 0 or not OCDS_SCHEMA.exists())
        )


def releases_of(path: Path) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The package head, then each release with its line parsed. ``ocds.export`` writes the head
    and ``"releases": [`` on the first line, one release a line (each but the last followed by a
    comma) and ``]}`` on the last, so parsing every line proves the whole file is one JSON
    document without holding it in memory."""
    suffix = ', "releases": [\n'
    with path.open(encoding="utf-8") as f:
        first = f.readline()
        if not first.endswith(suffix):
            raise ValueError("the first line is not the package head")
        head = json.loads(first[: -len(suffix)] + "}")
        prev: str | None = None
        for line in f:
            if line == "]}\n":
                if prev is not None:
                    if prev.endswith(",\n"):
                        raise ValueError("a comma after the last release")
                    yield head, json.loads(prev)
                if f.read():
                    raise ValueError("text after the closing ']}'")
                return
            if prev is not None:
                if not prev.endswith(",\n"):
                    raise ValueError("a release line without its comma")
                yield head, json.loads(prev[:-2])
            prev = line
    raise ValueError("truncated output: no closing ']}'")


def check_output(path: Path, world: WorldDb, sample: int, validate_all: bool) -> Check:
    """Stream the output once: structure, counts, order, secrecy, schema on a sample, and the
    time of json.dumps alone (the baseline's encoding part)."""
    c = Check(expected_releases=world.expected.releases, expected_procedures=world.expected.procedures)
    validator = validators()
    seen_ocids: set[str] = set()
    ids: set[tuple[str, str]] = set()
    current: str | None = None
    last_date = ""
    every = max(1, (world.expected.procedures - sample) // max(sample, 1))
    pending: list[dict[str, Any]] = []
    head: dict[str, Any] = {}  # the package head, filled from the first line
    take = False

    def flush() -> None:
        if not pending or validator is None:
            pending.clear()
            return
        doc = dict(head) | {"releases": pending}
        errors = [f"{list(e.instance_path)}: {e.message}" for e in validator.iter_errors(doc)]
        c.schema_error_count += len(errors)
        c.schema_errors.extend(errors[: max(0, 20 - len(c.schema_errors))])
        c.validated_releases += len(pending)
        pending.clear()

    try:
        for h, r in releases_of(path):
            head = head or h
            t0 = time.process_time()
            json.dumps(r, ensure_ascii=False)
            c.json_dumps_s += time.process_time() - t0
            c.releases += 1
            ocid = r["ocid"]
            if ocid != current:
                if ocid in seen_ocids:
                    c.contiguous = False
                    c.problems.append(f"procedure {ocid} is split")
                seen_ocids.add(ocid)
                current, last_date = ocid, ""
                c.procedures += 1
                take = validate_all or c.procedures <= sample or (c.procedures - sample) % every == 0
                if take:
                    c.validated_procedures += 1
                if len(pending) >= 1000:
                    flush()
            if (ocid, r["id"]) in ids:
                c.unique_ids = False
            ids.add((ocid, r["id"]))
            if r["date"] < last_date:
                c.dates_ordered = False
            last_date = r["date"]
            opened = any(d["title"].endswith("（开标记录）") for d in r["tender"]["documents"])
            if "tenderers" in r["tender"] and not opened:
                c.secrecy_ok = False
                c.problems.append(f"{r['id']}: bidders named before the opening record")
            if take:
                pending.append(r)
        flush()
    except (ValueError, KeyError) as e:
        c.json_ok = False
        c.problems.append(f"{type(e).__name__}: {e}")
    if c.releases != c.expected_releases:
        c.problems.append(f"{c.releases:,} releases, expected {c.expected_releases:,}")
    if c.procedures != c.expected_procedures:
        c.problems.append(f"{c.procedures:,} procedures, expected {c.expected_procedures:,}")
    return c


# --- the run --------------------------------------------------------------------------------------------


@dataclass
class Measure:
    backend: str
    procedures: int
    releases: int
    output_mb: float
    export_s: float
    export_cpu_s: float
    export_wall_s: float
    export_hwm_mb: float
    export_rss_before_mb: float
    export_rss_curve_mb: list[float]
    read_s: float
    read_cpu_s: float
    read_rows: int
    read_hwm_mb: float
    json_s: float
    check: dict[str, Any]
    ok: bool
    load_avg: str

    @property
    def per_s(self) -> float:
        return self.procedures / self.export_s

    def row(self) -> str:
        cpu_ratio = self.export_cpu_s / self.read_cpu_s
        return (
            f"| {self.backend} | {self.procedures:,} | {self.releases:,} | {self.output_mb:,.0f} "
            f"| {self.export_s:.1f} ({self.export_cpu_s:.1f}) | {self.per_s:,.0f} "
            f"| {self.releases / self.export_s:,.0f} "
            f"| {self.output_mb / self.export_s:.2f} | {self.export_hwm_mb:.0f} "
            f"| {self.read_s:.1f} ({self.read_cpu_s:.1f}) | {self.read_hwm_mb:.0f} | {self.json_s:.1f} "
            f"| **{cpu_ratio:.1f}** ({self.export_s / self.read_s:.1f}) "
            f"| {self.export_cpu_s / (self.read_cpu_s + self.json_s):.1f} | {'yes' if self.ok else 'NO'} |"
        )


HEAD = (
    "| backend | procedures | releases | output MB | export s (CPU s) | procedures/s | releases/s | MB/s "
    "| export peak RSS MB | read s (CPU s) | read peak RSS MB | json CPU s | export/read CPU (wall) "
    "| export/(read+json) CPU | checks |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def measure(world: WorldDb, workdir: Path, args: argparse.Namespace) -> Measure:
    out = workdir / f"ocds-export-{world.backend}-{world.procedures}.json"
    load0 = load_avg()
    log(f"{world.backend} {world.procedures:,}: read baseline (load {load0})")
    read, _ = run_child("read", world.url)
    log(
        f"  read {read['rows']:,} rows in {read['seconds']:.1f} s ({read['cpu_s']:.1f} s CPU), "
        f"peak RSS {read['hwm_kb'] / 1024:.0f} MB"
    )
    log(f"{world.backend} {world.procedures:,}: export (load {load_avg()})")
    exp, wall = run_child("export", world.url, str(out))
    mb = exp["bytes"] / 1e6
    log(
        f"  exported in {exp['seconds']:.1f} s ({exp['cpu_s']:.1f} s CPU; {wall:.1f} s with the interpreter), "
        f"{mb:,.0f} MB, "
        f"peak RSS {exp['hwm_kb'] / 1024:.0f} MB (RSS before the export {exp['rss_before_kb'] / 1024:.0f} MB; "
        f"over the run {', '.join(f'{x / 1024:.0f}' for x in exp['rss_curve_kb'])} MB at 10/25/50/75/100%)"
    )
    log(f"{world.backend} {world.procedures:,}: checking the output")
    c = check_output(out, world, args.validate, args.validate_all)
    log(
        f"  {c.releases:,} releases of {c.procedures:,} procedures (expected {c.expected_releases:,} of "
        f"{c.expected_procedures:,}); schema: {c.validated_releases:,} releases of "
        f"{c.validated_procedures:,} procedures, "
        f"{c.schema_error_count} errors; json.dumps alone {c.json_dumps_s:.1f} s; "
        f"{'all checks pass' if c.ok else 'CHECK FAILED: ' + '; '.join(c.problems[:5] + c.schema_errors[:5])}"
    )
    if not args.keep_output:
        out.unlink(missing_ok=True)
    return Measure(
        backend=world.backend,
        procedures=c.procedures,
        releases=c.releases,
        output_mb=mb,
        export_s=exp["seconds"],
        export_cpu_s=exp["cpu_s"],
        export_wall_s=wall,
        export_hwm_mb=exp["hwm_kb"] / 1024,
        export_rss_before_mb=exp["rss_before_kb"] / 1024,
        export_rss_curve_mb=[x / 1024 for x in exp["rss_curve_kb"]],
        read_s=read["seconds"],
        read_cpu_s=read["cpu_s"],
        read_rows=read["rows"],
        read_hwm_mb=read["hwm_kb"] / 1024,
        json_s=c.json_dumps_s,
        check={k: v for k, v in asdict(c).items() if k not in ("problems",)} | {"problems": c.problems[:20]},
        ok=c.ok,
        load_avg=f"{load0} -> {load_avg()}",
    )


def investigate(world: WorldDb, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """Profile the export of the first procedures of the small world: statements and time."""
    found: dict[str, Any] = {}
    limit = min(args.profile_procedures, world.expected.procedures)
    log(f"\n{world.backend}: profiling the export of the first {limit:,} procedures (cProfile, statements counted)")
    prof, _ = run_child("profile", world.url, str(workdir / "ocds-profile.json"), str(limit), "25")
    (workdir / "ocds-profile.json").unlink(missing_ok=True)
    found["profile"] = prof
    done = max(prof["procedures"], 1)
    per = {k: v / done for k, v in prof["statements"].items()}
    log(
        f"  {prof['releases']:,} releases of {prof['procedures']:,} procedures in {prof['seconds']:.1f} s under "
        f"the profiler; {sum(prof['statements'].values()) / done:.3f} SQL statements per procedure "
        f"(per procedure, and per 200, the export's batch; BEGIN is SQLite's read transaction of a batch):"
    )
    for k, v in sorted(per.items(), key=lambda kv: -kv[1]):
        log(f"    {k:<22} {v:7.3f} {200 * v:7.1f}")
    log("  where the time goes (cumulative s, of the profiled run):")
    for k, v in prof["parts_s"].items():
        log(f"    {k:<62} {v:7.2f}  ({v / prof['profiled_total_s']:.0%})")
    log("  top functions by own time:")
    for r in prof["top"][:15]:
        log(f"    {r['own_s']:7.2f} s own {r['cum_s']:7.2f} s cum {r['calls']:>9,} calls  {r['function']}")

    return found


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--procedures", type=int, default=100_000, help="published procedures of the large world")
    p.add_argument("--small", type=int, help="published procedures of the small world (default: a tenth; 0: none)")
    p.add_argument("--database-url", help="also run on this PostgreSQL database (created, kept for reuse)")
    p.add_argument("--skip-sqlite", action="store_true", help="PostgreSQL only")
    p.add_argument("--workdir", type=Path, default=Path("/var/tmp/ggzy-bench-ocds"), help="cached SQLite worlds")
    p.add_argument("--fresh", action="store_true", help="rebuild the cached worlds")
    p.add_argument("--drop", action="store_true", help="remove the worlds (files, databases) at the end")
    p.add_argument("--keep-output", action="store_true", help="keep the exported files in --workdir")
    p.add_argument("--validate", type=int, default=200, help="procedures validated from the start (and as many spread)")
    p.add_argument("--validate-all", action="store_true", help="validate every release against the schema")
    p.add_argument("--profile", choices=["auto", "always", "never"], default="auto")
    p.add_argument("--profile-procedures", type=int, default=2000)
    p.add_argument("--seed", type=int, default=ow.SEED)
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        return child_main(args.child)
    small = args.procedures // 10 if args.small is None else args.small
    sizes = [n for n in (small, args.procedures) if n > 0]
    args.workdir.mkdir(parents=True, exist_ok=True)
    log(f"machine: {os.cpu_count()} cores, load {load_avg()}; worlds and outputs in {args.workdir}")
    try:
        if validators() is None:
            log(f"warning: no OCDS schema at {OCDS_SCHEMA}: the schema check is skipped")
    except ImportError:
        log("the schema check needs jsonschema-rs (.venv/bin/pip install jsonschema-rs), as tests/portal/test_ocds.py")
        return 2
    backends = ([] if args.skip_sqlite else ["sqlite"]) + (["postgresql"] if args.database_url else [])
    results: list[Measure] = []
    found: dict[str, Any] = {}
    worlds: list[WorldDb] = []
    failed = False
    try:
        for backend in backends:
            by_size: dict[int, Measure] = {}
            for n in sizes:
                if backend == "sqlite":
                    world = sqlite_world(args.workdir, n, args.seed, args.fresh)
                else:
                    world = pg_world(args.database_url, n, args.procedures, args.seed, args.fresh)
                worlds.append(world)
                m = measure(world, args.workdir, args)
                results.append(m)
                by_size[n] = m
                failed |= not m.ok
            ms = list(by_size.values())
            slow = any(m.export_cpu_s / m.read_cpu_s > SLOW_RATIO for m in ms)
            grows = len(ms) == 2 and ms[1].export_hwm_mb > GROWTH * ms[0].export_hwm_mb
            if args.profile == "always" or (args.profile == "auto" and (slow or grows)):
                smallest = next(w for w in worlds if w.backend == backend and w.procedures == sizes[0])
                found[backend] = investigate(smallest, args.workdir, args)
    finally:
        if args.drop:
            for w in worlds:
                w.drop()
    log("\n" + HEAD)
    for m in results:
        log(m.row())
    for backend in backends:
        ms = [m for m in results if m.backend == backend]
        if len(ms) == 2:
            a, b = ms
            log(
                f"{backend}: {b.procedures / a.procedures:.0f}x the procedures: "
                f"export CPU x{b.export_cpu_s / a.export_cpu_s:.1f}, "
                f"peak RSS {a.export_hwm_mb:.0f} -> {b.export_hwm_mb:.0f} MB "
                f"(x{b.export_hwm_mb / a.export_hwm_mb:.2f}; "
                f"after imports {a.export_rss_before_mb:.0f} / {b.export_rss_before_mb:.0f} MB): memory "
                f"{'bounded' if b.export_hwm_mb <= GROWTH * a.export_hwm_mb else 'GROWS with the data'}"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"results": [asdict(m) for m in results], "investigation": found, "sizes": sizes},
                indent=2,
                ensure_ascii=False,
            )
        )
    return 1 if failed or not results else 0


def child_main(argv: list[str]) -> int:
    mode, *rest = argv
    if mode == "export":
        result = child_export(rest[0], Path(rest[1]))
    elif mode == "read":
        result = child_read(rest[0])
    elif mode == "profile":
        result = child_profile(rest[0], Path(rest[1]), int(rest[2]), int(rest[3]))
    else:
        raise SystemExit(f"unknown child mode {mode}")
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
