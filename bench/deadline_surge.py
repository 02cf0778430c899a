"""The deadline surge: N bidders submit sealed bids in the last minute before the bid deadline.

Each bidder's bid is sealed beforehand (timed separately), then all of them are POSTed to
``/api/v1/sections/{id}/bids`` by ``--clients`` concurrent clients against one app process
(uvicorn running ``ggzy.main:create_app``). In the same run, the same clients send the same
envelopes to a bare endpoint on the same server stack that only streams the body to disk and
fsyncs it (``_surge_world.ceiling_app``): the ceiling the figures are given against.

Afterwards every receipt is checked against the database and the bid store: zero lost bids
(a receipt without its row, a row without its file, a file that is not what its SM3 says),
zero duplicated ones, one accepted bid per bidder.

    .venv/bin/python bench/deadline_surge.py                 # 500 bidders x 1 MiB, 64 clients, both backends
    .venv/bin/python bench/deadline_surge.py --quick         # 40 x 100 KiB, 8 clients: a smoke run
    .venv/bin/python bench/deadline_surge.py --db sqlite --bidders 200 --size 512KiB --clients 32

PostgreSQL: a fresh database on GGZY_TEST_PG_URL's server (default postgres@127.0.0.1:5432),
dropped afterwards. Temporary files go under $TMPDIR and are removed. Exit status 1 if a bid was
lost or duplicated (or a backend could not run); the throughput target is reported, not enforced.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _surge_world as w

TARGET = 0.5  # the app should reach at least half the ceiling's throughput


def parse_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)(i?[bB])?\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 1048576, 100KiB, 1MiB)")
    factor = {"": 1, "k": 1024, "m": 1024 * 1024}[m.group(2).lower()]
    return int(float(m.group(1)) * factor)


def human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


@dataclass
class Figures:
    backend: str
    bidders: int
    size: int
    envelope_size: float
    clients: int
    setup_s: float
    seal_s: float
    seal_cpu_ms: float
    app_bids_s: float
    app_mib_s: float
    app_p50_ms: float
    app_p99_ms: float
    app_wall_s: float
    app_errors: int
    ceil_bids_s: float
    ceil_p50_ms: float
    ceil_p99_ms: float
    ceil_errors: int
    app_cpu_ms: float
    ceil_cpu_ms: float
    ceil_before_bids_s: float
    ceil_after_bids_s: float
    load_end: str
    ratio: float
    accepted: int
    lost: int
    duplicated: int
    bad_rows: int
    orphan_files: int
    temp_files: int

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.bad_rows == 0 and self.accepted == self.bidders


def load() -> str:
    """The machine's load averages (1, 5, 15 min): other work on the same cores skews every figure."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def warm_up(base: str, token: str, section_id: int) -> None:
    """One authenticated read so the first bid does not pay for imports, connections and caches."""
    import httpx

    with httpx.Client(base_url=base, timeout=60) as http:
        http.get(f"/api/v1/sections/{section_id}/sealing", headers={"authorization": f"Bearer {token}"})


def warm_up_ceiling(base: str) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=60) as http:
        http.post("/upload", content=b"x" * 1024, headers={"content-type": "application/octet-stream"})


def errors_of(run: w.SurgeRun) -> list[str]:
    out = []
    for r in run.results:
        if r.status not in (200, 201):
            detail = r.error or json.dumps(r.body, ensure_ascii=False)[:200]
            out.append(f"bidder {r.bidder}: HTTP {r.status} {detail}")
    return out


def run_backend(kind: str, args: argparse.Namespace) -> Figures:
    print(
        f"\n== {kind}: {args.bidders} bidders x {human(args.size)}, {args.clients} clients; load {load()} ==",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix=f"ggzy-surge-{kind}-") as tmp_name:
        tmp = Path(tmp_name)
        url, drop = w.fresh_database(kind, tmp)
        servers: list[w.Server] = []
        try:
            deadline = w.now_utc() + timedelta(minutes=args.deadline_minutes)
            t0 = time.perf_counter()
            w.migrate_and_seed(url, deadline - timedelta(days=22))
            seeded = time.perf_counter() - t0
            world = w.build_world(url, tmp / "data", bidders=args.bidders, deadline=deadline)
            print(
                f"setup: migrate + demo {seeded:.1f} s, {args.bidders} bidders and the tender "
                f"{world.setup_seconds:.1f} s; bid deadline {deadline:%H:%M:%S} UTC",
                flush=True,
            )
            sealed, seal_wall = w.seal_all(world, size=args.size, out_dir=tmp / "sealed")
            seal_cpu = statistics.mean(s.seconds for s in sealed) * 1000
            envelope = statistics.mean(s.size for s in sealed)
            print(
                f"sealing: {len(sealed)} envelopes of {human(envelope)} in {seal_wall:.1f} s "
                f"({seal_cpu:.0f} ms each, on {os.cpu_count()} cores)",
                flush=True,
            )
            jobs = [(b.index, b.token, s.path) for b, s in zip(world.bidders, sealed, strict=True)]

            # The ceiling (same clients, same envelopes) just before and just after the app, so a
            # change in the machine's load during the run shows; the better of the two counts.
            ceiling = w.start_ceiling(tmp / "ceiling", tmp / "ceiling.log")
            servers.append(ceiling)
            warm_up_ceiling(ceiling.base)

            def ceiling_run(label: str) -> w.SurgeRun:
                cpu = ceiling.cpu_seconds()
                out = w.surge(ceiling.base, "/upload", jobs, clients=args.clients)
                out.server_cpu = ceiling.cpu_seconds() - cpu
                for f in (tmp / "ceiling").iterdir():
                    f.unlink()
                print(
                    f"ceiling ({label}): {out.rate():.1f} uploads/s, p50 {out.latency(0.5) * 1000:.0f} ms, "
                    f"p99 {out.latency(0.99) * 1000:.0f} ms ({out.wall:.1f} s), "
                    f"server CPU {out.server_cpu / len(jobs) * 1000:.1f} ms per upload, load {load()}",
                    flush=True,
                )
                return out

            before = ceiling_run("before")

            # The app.
            left = (deadline - w.now_utc()).total_seconds()
            if left < 60:
                raise RuntimeError(f"only {left:.0f} s left before the deadline; raise --deadline-minutes")
            app = w.start_app(url, tmp / "data", tmp / "app.log")
            servers.append(app)
            warm_up(app.base, world.bidders[0].token, world.section_id)
            cpu = app.cpu_seconds()
            run = w.surge(app.base, f"/api/v1/sections/{world.section_id}/bids", jobs, clients=args.clients)
            run.server_cpu = app.cpu_seconds() - cpu
            app.stop()
            if w.now_utc() >= deadline:
                print("warning: the surge ran past the bid deadline; raise --deadline-minutes", flush=True)
            errs = errors_of(run)
            for line in errs[:10]:
                print("  error:", line)
            if errs and "error" in app.log_tail():
                print(app.log_tail(20))
            print(
                f"app: {run.rate():.1f} bids/s, p50 {run.latency(0.5) * 1000:.0f} ms, "
                f"p99 {run.latency(0.99) * 1000:.0f} ms ({run.wall:.1f} s), {len(errs)} refused or failed, "
                f"server CPU {run.server_cpu / len(jobs) * 1000:.1f} ms per bid "
                f"({run.server_cpu / run.wall * 100:.0f}% of a core), load {load()}",
                flush=True,
            )
            after = ceiling_run("after")
            ceiling.stop()
            ceil = max(before, after, key=lambda r: r.rate())

            # Zero lost, zero duplicated.
            receipts = [r.body for r in run.ok if r.body is not None]
            digest_of = {s.bidder: s.digest for s in sealed}
            mismatched = [r.bidder for r in run.ok if r.body and r.body["receipt"]["digest"] != digest_of[r.bidder]]
            audit = w.audit_bids(
                url, tmp / "data", world.section_id, receipts, expect_bidders={b.org_id for b in world.bidders}
            )
            for problem in (audit.lost + audit.duplicated + audit.bad_rows)[:10]:
                print("  integrity:", problem)
            print(
                f"integrity: {audit.receipts} receipts, {audit.rows} rows, {audit.accepted} accepted "
                f"({audit.accepted_bidders} bidders), lost {len(audit.lost) + len(mismatched)}, "
                f"duplicated {len(audit.duplicated)}, bad rows {len(audit.bad_rows)}, "
                f"orphan files {audit.orphan_files}, temp files {audit.temp_files}",
                flush=True,
            )
            ratio = run.rate() / ceil.rate() if ceil.rate() else float("nan")
            return Figures(
                backend=kind,
                bidders=args.bidders,
                size=args.size,
                envelope_size=envelope,
                clients=args.clients,
                setup_s=seeded + world.setup_seconds,
                seal_s=seal_wall,
                seal_cpu_ms=seal_cpu,
                app_bids_s=run.rate(),
                app_mib_s=run.rate() * envelope / 2**20,
                app_p50_ms=run.latency(0.5) * 1000,
                app_p99_ms=run.latency(0.99) * 1000,
                app_wall_s=run.wall,
                app_errors=len(errs),
                ceil_bids_s=ceil.rate(),
                ceil_p50_ms=ceil.latency(0.5) * 1000,
                ceil_p99_ms=ceil.latency(0.99) * 1000,
                ceil_errors=len(errors_of(ceil)),
                app_cpu_ms=run.server_cpu / len(jobs) * 1000,
                ceil_cpu_ms=ceil.server_cpu / len(jobs) * 1000,
                ceil_before_bids_s=before.rate(),
                ceil_after_bids_s=after.rate(),
                load_end=load(),
                ratio=ratio,
                accepted=audit.accepted,
                lost=len(audit.lost) + len(mismatched),
                duplicated=len(audit.duplicated),
                bad_rows=len(audit.bad_rows),
                orphan_files=audit.orphan_files,
                temp_files=audit.temp_files,
            )
        finally:
            for s in servers:
                s.stop()
            try:
                drop()
            except Exception as e:  # report, but do not hide the run's own error
                print(f"warning: could not drop the database: {e}", file=sys.stderr)


def table(figures: list[Figures]) -> str:
    head = (
        "| backend | bids | envelope | clients | bids/s | p50 ms | p99 ms | ceiling bids/s | ceiling p50/p99 ms "
        "| ratio | lost | duplicated |"
    )
    rule = "|" + "---|" * 12
    rows = [
        f"| {f.backend} | {f.accepted}/{f.bidders} | {human(f.envelope_size)} | {f.clients} | {f.app_bids_s:.1f} "
        f"| {f.app_p50_ms:.0f} | {f.app_p99_ms:.0f} | {f.ceil_bids_s:.1f} | {f.ceil_p50_ms:.0f}/{f.ceil_p99_ms:.0f} "
        f"| {f.ratio:.2f} | {f.lost} | {f.duplicated} |"
        for f in figures
    ]
    return "\n".join([head, rule, *rows])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bidders", type=int, help="number of bidders (default 500; --quick: 40)")
    p.add_argument("--size", type=parse_size, help="attachment bytes per bid: 1048576, 100KiB, 1MiB (default 1MiB)")
    p.add_argument("--clients", type=int, help="concurrent submitting clients (default 64; --quick: 8)")
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--quick", action="store_true", help="a smoke run: 40 bidders, 100 KiB, 8 clients")
    p.add_argument("--deadline-minutes", type=float, default=10.0, help="bid deadline this far from the start")
    p.add_argument("--json", type=Path, help="also write the figures to this file")
    args = p.parse_args(argv)
    args.bidders = args.bidders or (40 if args.quick else 500)
    args.size = args.size or (100 * 1024 if args.quick else 1024 * 1024)
    args.clients = args.clients or (8 if args.quick else 64)
    backends = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    figures: list[Figures] = []
    failed = False
    for kind in backends:
        if kind == "postgresql" and (why := w.pg_unavailable()):
            print(f"\n== postgresql: skipped: {why}")
            failed = True
            continue
        try:
            figures.append(run_backend(kind, args))
        except Exception as e:
            print(f"\n{kind}: failed: {type(e).__name__}: {e}", file=sys.stderr)
            failed = True
    if not figures:
        return 1
    print("\n" + table(figures))
    for f in figures:
        verdict = "meets" if f.ratio >= TARGET else "MISSES"
        print(
            f"{f.backend}: {f.ratio:.2f} of the ceiling's throughput ({verdict} the {TARGET} target); "
            f"p50 {f.app_p50_ms / f.ceil_p50_ms:.1f}x, p99 {f.app_p99_ms / f.ceil_p99_ms:.1f}x the ceiling's; "
            f"sealing {f.seal_s:.1f} s ({f.seal_cpu_ms:.0f} ms per bid); "
            f"{'no bid lost or duplicated' if f.clean else 'BIDS LOST OR DUPLICATED'}"
        )
        failed |= not f.clean
    if args.json:
        args.json.write_text(json.dumps([asdict(f) for f in figures], indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
