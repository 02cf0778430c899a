"""Shared pieces of the deadline surge (``bench/deadline_surge.py``) and the crash test
(``tests/bidding/test_crash.py``): a bidding world built through the real services, sealed bids,
the app (or the bare-upload ceiling) as a uvicorn subprocess, concurrent submitters, and the
integrity audit that looks for lost or duplicated bids.

The server uses the real clock, so the tender is created and published in the past (``docs_start``
21 days ago) with a lawful schedule whose bid deadline lands a few minutes from now, the way
``ggzy.demo_tendering`` dates its failed tender.

Not a benchmark by itself: running this file does nothing.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi import Request  # module level: the ceiling's route annotation resolves here

BENCH_DIR = Path(__file__).resolve().parent
DEVICE = {"cpu": "c" * 64, "disk": "d" * 64, "mac": "e" * 64, "host": "f" * 64}
PG_ADMIN = os.environ.get("GGZY_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TENDER_NAME = "松花江南岸（船营段）堤防加固工程施工招标（截止前集中投标）"
RIVER = "松花江南岸（船营段）堤防加固工程"


# --- databases -----------------------------------------------------------------------------------


def pg_url(dbname: str) -> str:
    base, _, _ = PG_ADMIN.rpartition("/")
    return f"{base}/{dbname}"


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def pg_unavailable() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:
        return f"PostgreSQL unreachable ({PG_ADMIN}): {exc.__class__.__name__}"
    return None


def fresh_database(kind: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """A new, empty database URL and the function that drops it."""
    if kind == "sqlite":
        path = tmp / "ggzy.db"
        return f"sqlite:///{path}", lambda: None
    name = f"ggzy_bench_{uuid.uuid4().hex[:10]}"
    pg_admin(f"CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")
    return pg_url(name), lambda: pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def migrate_and_seed(url: str, at: datetime) -> None:
    """Alembic to head, then the demo world (users of every role, the accepted river project)."""
    from ggzy import demo
    from ggzy.common.clock import FixedClock
    from ggzy.db import create_database
    from ggzy.migrate import upgrade

    upgrade(url)
    db = create_database(url)
    try:
        demo.load(db, FixedClock(at))
    finally:
        db.dispose()


# --- the world: a published tender, bidders with keys, tokens and the documents -------------------


@dataclass(frozen=True)
class BidderCred:
    index: int
    username: str
    org_id: int
    credit_code: str
    token: str
    public_hex: str
    private_hex: str


@dataclass
class World:
    url: str
    data_dir: Path
    tender_id: int
    section_id: int
    deadline: datetime
    sealing: dict[str, Any]
    bidders: list[BidderCred] = field(default_factory=list)
    setup_seconds: float = 0.0


def _credit_body(i: int) -> str:
    # 91 (enterprise) + 220204 (船营区) + 9 characters from the USCC alphabet (no I, O, S, V, Z).
    return f"91220204MB{i:07d}"


def build_world(url: str, data_dir: Path, *, bidders: int, deadline: datetime) -> World:
    """Create ``bidders`` bidder organisations (user, API token, registered SM2 key, documents
    obtained) and a construction tender, published through the services, bidding until ``deadline``.

    Everything is dated in the past (the tender's documents were issued 21 days before the deadline)
    so that the server, which uses the real clock, sees a tender open for bids."""
    from sqlalchemy import select

    from ggzy.common import sm2
    from ggzy.common.audit import SYSTEM
    from ggzy.common.calendar import WorkCalendar
    from ggzy.common.clock import local_date
    from ggzy.common.signing import load_or_create
    from ggzy.db import create_database
    from ggzy.identity import keys, security, services
    from ggzy.identity import selectors as isel
    from ggzy.identity.enums import OrgRole, Role
    from ggzy.identity.models import User
    from ggzy.identity.rules import make_uscc
    from ggzy.identity.schemas import OrgCreateIn, UserCreateIn
    from ggzy.registration.models import Project
    from ggzy.tendering import core, participation, rules
    from ggzy.tendering import services as tsvc
    from ggzy.tendering.enums import EvaluationMethod, Method
    from ggzy.tendering.schemas import SectionIn, TenderIn

    started = time.perf_counter()
    deadline = deadline.astimezone(UTC)
    docs_start = deadline - timedelta(days=21)
    db = create_database(url)
    try:
        with db.transaction() as s:
            in_force = rules.in_force(core.rule_rows(s), Method.CONSTRUCTION_OPEN, local_date(docs_start))
            earliest = rules.earliest_schedule(docs_start, in_force, WorkCalendar.load(s))
            docs_end = earliest.get("docs_end", docs_start + timedelta(days=5))
            assert max(earliest.get("bid_deadline", docs_end), docs_end) <= deadline, earliest

            def principal(username: str) -> Any:
                user = s.scalar(select(User).where(User.username == username))
                assert user is not None, username
                return isel.principal_of(user, client_addr="127.0.0.1")

            owner, operator = principal("tenderer"), principal("operator")
            project_id = s.scalar(select(Project.id).where(Project.name == RIVER))
            assert project_id is not None
            data = TenderIn(
                project_id=project_id,
                name=TENDER_NAME,
                method=Method.CONSTRUCTION_OPEN,
                content="截止前集中投标的压力测试用招标项目。",
                sections=[
                    SectionIn(
                        name="第一标段（K0+000～K6+500）",
                        estimate=Decimal("38600000.00"),
                        evaluation_method=EvaluationMethod.COMPREHENSIVE,
                        qualification="水利水电工程施工总承包二级及以上",
                    )
                ],
                docs_start=docs_start,
                docs_end=docs_end,
                question_deadline=deadline - timedelta(days=3),
                bid_deadline=deadline,
            )
            created = docs_start - timedelta(hours=2)
            t = tsvc.tender_create(session=s, now=created, principal=owner, data=data, sandbox=False)
            tsvc.tender_submit(session=s, now=created, principal=owner, tender_id=t.id)
            tsvc.tender_publish(session=s, now=docs_start - timedelta(hours=1), principal=operator, tender_id=t.id)
            tender_id, section_id = t.id, t.sections[0].id

            # One password hash for all (argon2 is deliberately slow; no one signs in with it).
            password_hash = security.hash_password("Ggzy-surge-2026")
            joined = docs_start + timedelta(hours=1)
            creds: list[BidderCred] = []
            for i in range(bidders):
                code = make_uscc(_credit_body(i))
                org = services.org_create(
                    session=s,
                    now=joined,
                    actor=SYSTEM,
                    data=OrgCreateIn(
                        name=f"吉林市压测第{i + 1:04d}建筑工程有限公司",
                        credit_code=code,
                        roles=[OrgRole.BIDDER],
                        region_code="220204",
                        contact_name="联系人",
                        contact_phone="0432-62000000",
                        address="吉林省吉林市船营区",
                    ),
                )
                username = f"surge{i:04d}"
                user = services.user_create(
                    session=s,
                    now=joined,
                    actor=SYSTEM,
                    data=UserCreateIn(
                        username=username,
                        display_name=f"压测投标人 {i + 1}",
                        role=Role.BIDDER,
                        password="unused-Ggzy-2026",
                        organization_id=org.id,
                    ),
                    password_hash=password_hash,
                )
                s.flush()
                p = isel.principal_of(user, client_addr="127.0.0.1")
                _, raw = services.token_create(session=s, now=joined, principal=p, name="surge", days=60)
                public_hex, private_hex = sm2.generate()
                ch = keys.challenge_issue(session=s, now=joined, purpose="register", user_id=user.id)
                keys.key_register(
                    session=s,
                    now=joined,
                    principal=p,
                    public_key=public_hex,
                    nonce=ch.nonce,
                    signature=sm2.sign(private_hex, public_hex, keys.challenge_text("register", ch.nonce)),
                    label="surge",
                )
                participation.document_obtain(session=s, now=joined, principal=p, tender_id=tender_id)
                creds.append(BidderCred(i, username, org.id, code, raw, public_hex, private_hex))
            from ggzy.bidding import submission

            sealing = submission.sealing_info(s, principal(creds[0].username) if creds else owner, section_id)
    finally:
        db.dispose()
    load_or_create(data_dir / "keys")  # the platform key exists before the first request
    return World(
        url=url,
        data_dir=data_dir,
        tender_id=tender_id,
        section_id=section_id,
        deadline=deadline,
        sealing=sealing,
        bidders=creds,
        setup_seconds=time.perf_counter() - started,
    )


# --- sealing --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SealedBid:
    bidder: int
    path: Path
    digest: str
    size: int
    content_key: str
    seconds: float


def _seal_one(args: tuple[int, str, str, str, dict[str, Any], int, str]) -> SealedBid:
    index, credit_code, public_hex, private_hex, sealing, size, out_dir = args
    from ggzy import bidder_tool

    started = time.perf_counter()
    out = Path(out_dir)
    attachment = out / f"tech-{index:05d}.bin"
    attachment.write_bytes(os.urandom(size))
    try:
        sealed = bidder_tool.seal_bid(
            key=bidder_tool.KeyPair(public_hex, private_hex),
            bidder=credit_code,
            sealing=sealing,
            bid={
                "price": f"{19_000_000 + index * 137}.00",
                "duration_days": 540,
                "quality": "合格",
                "project_manager": "王建国",
                "deposit": "已缴纳 400000.00 元",
            },
            attachments=[attachment],
            out=out / f"bid-{index:05d}.ggzy",
            device=DEVICE,
        )
    finally:
        attachment.unlink(missing_ok=True)
    return SealedBid(index, sealed.path, sealed.digest, sealed.size, sealed.content_key, time.perf_counter() - started)


def seal_all(world: World, *, size: int, out_dir: Path, workers: int | None = None) -> tuple[list[SealedBid], float]:
    """Seal one bid per bidder (an attachment of ``size`` random bytes), in parallel on every core.
    Returns the sealed bids in bidder order and the wall time."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [
        (b.index, b.credit_code, b.public_hex, b.private_hex, world.sealing, size, str(out_dir)) for b in world.bidders
    ]
    started = time.perf_counter()
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) < 4:
        sealed = [_seal_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            sealed = list(pool.map(_seal_one, jobs, chunksize=4))
    return sealed, time.perf_counter() - started


# --- servers ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux; NaN elsewhere)."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return float("nan")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, no goodbye."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def _uvicorn(app: str, port: int, env: dict[str, str], log: Path, app_dir: Path | None = None) -> Server:
    # One process, uvicorn's defaults otherwise; no access log for either app (it is the same for both).
    cmd = [sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--log-level", "warning", "--no-access-log", "--timeout-keep-alive", "60"]
    if app_dir is not None:
        cmd += ["--app-dir", str(app_dir)]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(proc, port, log)


def _wait_ready(server: Server, path: str, timeout: float = 60.0) -> None:
    stop = time.monotonic() + timeout
    while time.monotonic() < stop:
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited with {server.proc.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(server.base + path, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"server not ready after {timeout} s:\n{server.log_tail()}")


def app_env(url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GGZY_")}
    env.update(
        GGZY_DATABASE_URL=url,
        GGZY_DATA_DIR=str(data_dir),
        GGZY_CHRONOGRAPH_SECONDS="0",
        GGZY_COOKIE_SECURE="false",
        GGZY_ENV="production",
    )
    return env


def start_app(url: str, data_dir: Path, log: Path, port: int | None = None) -> Server:
    """The real app, ``ggzy.main:create_app``, in one uvicorn process."""
    server = _uvicorn("ggzy.main:create_app", port or free_port(), app_env(url, data_dir), log)
    _wait_ready(server, "/api/v1/platform-key")
    return server


def start_ceiling(upload_dir: Path, log: Path) -> Server:
    """The bare upload endpoint of ``ceiling_app`` below, served the same way."""
    env = dict(os.environ)
    env["SURGE_CEILING_DIR"] = str(upload_dir)
    server = _uvicorn("_surge_world:ceiling_app", free_port(), env, log, app_dir=BENCH_DIR)
    _wait_ready(server, "/ready")
    return server


def ceiling_app() -> Any:
    """The ceiling: the same stack (FastAPI on uvicorn, one process) with an endpoint that only
    streams the request body to a temporary file on the same file system, fsyncs it and answers
    201. No auth, no database, no hashing, no signatures."""
    import tempfile

    from fastapi import FastAPI, Response
    from starlette.concurrency import run_in_threadpool

    upload_dir = Path(os.environ["SURGE_CEILING_DIR"])
    upload_dir.mkdir(parents=True, exist_ok=True)
    app = FastAPI()

    @app.get("/ready")
    def ready() -> dict[str, bool]:
        return {"ok": True}

    @app.post("/upload", status_code=201)
    async def upload(request: Request) -> Response:
        fd, _ = tempfile.mkstemp(dir=upload_dir, prefix="up-")
        f = os.fdopen(fd, "wb")
        size = 0
        async for chunk in request.stream():
            f.write(chunk)
            size += len(chunk)

        def finish() -> None:
            f.flush()
            os.fsync(f.fileno())
            f.close()

        await run_in_threadpool(finish)
        return Response(content=f'{{"size": {size}}}', status_code=201, media_type="application/json")

    return app


# --- the surge: concurrent submitters --------------------------------------------------------------


@dataclass
class Result:
    bidder: int
    status: int  # 0: no HTTP answer (connection refused or dropped)
    latency: float
    body: dict[str, Any] | None
    error: str = ""


@dataclass
class SurgeRun:
    results: list[Result]
    wall: float
    server_cpu: float = float("nan")  # CPU seconds the server used during the run, where known

    @property
    def ok(self) -> list[Result]:
        return [r for r in self.results if r.status in (200, 201)]

    def rate(self) -> float:
        return len(self.ok) / self.wall if self.wall > 0 else 0.0

    def latency(self, q: float) -> float:
        xs = sorted(r.latency for r in self.ok)
        if not xs:
            return float("nan")
        return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))]  # nearest rank


def surge(
    base: str,
    path: str,
    jobs: list[tuple[int, str, Path]],
    *,
    clients: int,
    on_result: Callable[[Result], None] | None = None,
    body: Callable[[int, bytes], Any] | None = None,
    timeout: float = 300.0,
) -> SurgeRun:
    """Submit every job ``(bidder, token, envelope file)`` with ``clients`` threads, each with its
    own keep-alive connection, all released at once. ``body`` may wrap the bytes (a generator that
    stalls, say); ``on_result`` sees each answer as it arrives."""
    queue = list(reversed(jobs))
    lock = threading.Lock()
    results: list[Result] = []
    gate = threading.Barrier(clients + 1, timeout=120)

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=timeout) as http:
            gate.wait()
            while True:
                with lock:
                    if not queue:
                        return
                    bidder, token, file = queue.pop()
                data = file.read_bytes()
                headers = {
                    "authorization": f"Bearer {token}",
                    "content-type": "application/octet-stream",
                    "content-length": str(len(data)),
                }
                content = body(bidder, data) if body else data
                started = time.perf_counter()
                try:
                    r = http.post(path, content=content, headers=headers)
                    try:
                        parsed = r.json()
                    except ValueError:
                        parsed = {"text": r.text[:500]}
                    res = Result(bidder, r.status_code, time.perf_counter() - started, parsed)
                except httpx.HTTPError as e:
                    res = Result(bidder, 0, time.perf_counter() - started, None, f"{type(e).__name__}: {e}")
                with lock:
                    results.append(res)
                if on_result is not None:
                    on_result(res)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    gate.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    return SurgeRun(results, time.perf_counter() - started)


# --- the integrity audit ---------------------------------------------------------------------------


def sm3_file(path: Path) -> str:
    from cryptography.hazmat.primitives import hashes

    h = hashes.Hash(hashes.SM3())
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.finalize().hex()


def stored_files(data_dir: Path) -> Iterator[Path]:
    root = data_dir / "bids"
    if root.exists():
        for sub in root.iterdir():
            if sub.is_dir() and sub.name != "tmp":
                yield from (p for p in sub.iterdir() if p.is_file())


@dataclass
class Audit:
    rows: int
    accepted: int
    accepted_bidders: int
    receipts: int  # receipts the clients were given
    lost: list[str]  # receipts with no matching row, or a row that does not match the receipt
    duplicated: list[str]  # a bidder with two current bids, a seq or digest twice
    bad_rows: list[str]  # a row whose stored receipt, signature or file does not verify
    orphan_files: int  # envelopes on disk without a row (a crash between rename and commit)
    temp_files: int  # partial uploads left in bids/tmp
    lost_bidders: list[int] = field(default_factory=list)  # bidders expected but with no accepted bid

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.bad_rows or self.lost_bidders)


def audit_bids(
    url: str,
    data_dir: Path,
    section_id: int,
    receipts: list[dict[str, Any]],
    *,
    expect_bidders: set[int] | None = None,
) -> Audit:
    """Compare what the clients were told with what the database and the bid store hold.

    ``receipts`` are the ReceiptOut bodies the clients received; ``expect_bidders`` the org ids
    that must each have exactly one accepted bid (None: don't check)."""
    from collections import Counter

    from sqlalchemy import select

    from ggzy.bidder_tool import verify_receipt
    from ggzy.bidding.models import Bid
    from ggzy.common.signing import load_or_create
    from ggzy.db import create_database

    key = load_or_create(data_dir / "keys")
    db = create_database(url)
    try:
        with db.session(write=False) as s:
            rows = list(s.scalars(select(Bid).where(Bid.section_id == section_id)))
            s.expunge_all()
    finally:
        db.dispose()
    lost: list[str] = []
    duplicated: list[str] = []
    bad: list[str] = []
    by_seq = {b.seq: b for b in rows}
    for r in receipts:
        rec = r["receipt"]
        row = by_seq.get(rec["seq"])
        if row is None:
            lost.append(f"receipt seq {rec['seq']}: no row")
        elif row.digest != rec["digest"] or row.receipt != rec or row.receipt_signature != r["signature"]:
            lost.append(f"receipt seq {rec['seq']}: the row says something else")
        elif not verify_receipt(rec, r["signature"], key.public_hex):
            lost.append(f"receipt seq {rec['seq']}: signature does not verify")
    for what, counts in (
        ("seq", Counter(b.seq for b in rows)),
        ("digest", Counter(b.digest for b in rows)),
        ("receipt seq", Counter(r["receipt"]["seq"] for r in receipts)),
    ):
        duplicated += [f"{what} {k} x{n}" for k, n in counts.items() if n > 1]
    accepted = [b for b in rows if b.status == "accepted"]
    per_bidder = Counter(b.bidder_org_id for b in accepted)
    duplicated += [f"org {k}: {n} accepted bids" for k, n in per_bidder.items() if n > 1]
    for b in rows:
        path = data_dir / "bids" / b.digest[:2] / b.digest
        if b.receipt.get("seq") != b.seq or b.receipt.get("digest") != b.digest:
            bad.append(f"row seq {b.seq}: stored receipt names another bid")
        elif not verify_receipt(b.receipt, b.receipt_signature, key.public_hex):
            bad.append(f"row seq {b.seq}: stored receipt signature does not verify")
        if not path.exists():
            bad.append(f"row seq {b.seq}: file missing")
        elif path.stat().st_size != b.size or sm3_file(path) != b.digest:
            bad.append(f"row seq {b.seq}: file does not match its SM3 digest")
    known = {b.digest for b in rows}
    orphans = sum(1 for p in stored_files(data_dir) if p.name not in known)
    tmp_dir = data_dir / "bids" / "tmp"
    temps = sum(1 for _ in tmp_dir.iterdir()) if tmp_dir.exists() else 0
    lost_bidders = sorted(expect_bidders - set(per_bidder)) if expect_bidders is not None else []
    return Audit(
        rows=len(rows),
        accepted=len(accepted),
        accepted_bidders=len(per_bidder),
        receipts=len(receipts),
        lost=lost,
        duplicated=duplicated,
        bad_rows=bad,
        orphan_files=orphans,
        temp_files=temps,
        lost_bidders=lost_bidders,
    )


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def now_utc() -> datetime:
    return datetime.now(UTC)
