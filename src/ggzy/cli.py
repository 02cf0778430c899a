"""The ``ggzy`` command: serve, migrate, load demo data, manage users, verify the audit log."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ggzy.bidder_cli import app as bidder_app
from ggzy.config import get_settings
from ggzy.db import Database

app = typer.Typer(help="ggzy 公共资源交易平台命令行", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="数据库", no_args_is_help=True)
users_app = typer.Typer(help="用户", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(bidder_app, name="bidder")
bids_app = typer.Typer(help="投标文件存储（运维）", no_args_is_help=True)
experts_app = typer.Typer(help="专家库（运维）", no_args_is_help=True)
export_app = typer.Typer(help="公开数据导出", no_args_is_help=True)
exchange_app = typer.Typer(help="向上级平台报送数据（数据规范数据集）", no_args_is_help=True)
app.add_typer(exchange_app, name="exchange")
app.add_typer(bids_app, name="bids")
app.add_typer(experts_app, name="experts")
app.add_typer(export_app, name="export")
console = Console()


def _db() -> Database:
    from ggzy.db import create_database

    return create_database(get_settings().database_url)


@app.command()
def serve(
    host: str = typer.Option(None, help="默认取 GGZY_HOST"),
    port: int = typer.Option(None, help="默认取 GGZY_PORT"),
    workers: int = typer.Option(1, min=1, max=16),
) -> None:
    """启动 Web 服务。"""
    import uvicorn

    s = get_settings()
    uvicorn.run(
        "ggzy.main:create_app",
        factory=True,
        host=host or s.host,
        port=port or s.port,
        workers=workers,
        proxy_headers=False,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """执行数据库迁移。"""
    from ggzy.migrate import upgrade

    url = get_settings().database_url
    console.print(f"迁移数据库至 {revision} …")
    upgrade(url, revision)
    _analyze(url)
    console.print("[green]完成[/green]")


def _analyze(url: str) -> None:
    from ggzy.db import create_database

    db = create_database(url)
    try:
        db.analyze()
    finally:
        db.dispose()


@db_app.command("analyze")
def db_analyze() -> None:
    """更新查询统计信息（批量导入专家库等大量数据后执行）。"""
    _analyze(get_settings().database_url)
    console.print("[green]完成[/green]")


@app.command()
def demo() -> None:
    """加载演示数据（可重复执行，只补充缺少的部分）。"""
    from ggzy import demo as demo_data
    from ggzy.common.clock import SystemClock

    db = _db()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
        total = 8 + len(demo_data.PROJECTS)
        task = bar.add_task("演示数据", total=total)

        def step(label: str) -> None:
            bar.update(task, description=f"演示数据：{label}", advance=1)

        demo_data.load(db, SystemClock(), progress=step, settings=get_settings())
    db.analyze()  # fresh statistics for the loaded library (docs/performance.md)
    console.print(f"[green]演示数据已就绪[/green]；演示账号密码：{demo_data.DEMO_PASSWORD}（见 README）")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("新密码：")
    if first != getpass.getpass("再次输入："):
        console.print("[red]两次输入不一致[/red]")
        raise typer.Exit(2)
    return first


@users_app.command("create")
def users_create(
    username: str,
    display_name: str = typer.Option(..., "--name"),
    role: str = typer.Option(...),
    org_credit_code: str = typer.Option(None, "--org", help="所属单位统一社会信用代码"),
    branch: str = typer.Option(None, help="分中心代码，如 220200"),
    password_stdin: bool = typer.Option(False, help="从标准输入读取密码（不在命令行上出现）"),
) -> None:
    """创建用户。密码从终端或标准输入读取，绝不作为参数传入。"""
    from ggzy.common.audit import Actor
    from ggzy.common.clock import SystemClock
    from ggzy.common.errors import DomainError
    from ggzy.identity import selectors, services
    from ggzy.identity.enums import Role
    from ggzy.identity.schemas import UserCreateIn

    try:
        role_enum = Role(role)
    except ValueError:
        console.print(f"[red]未知角色 {role}；可选：{', '.join(r.value for r in Role if r is not Role.PUBLIC)}[/red]")
        raise typer.Exit(2) from None
    password = _read_password(password_stdin)
    db = _db()
    try:
        with db.transaction() as s:
            org = selectors.org_by_credit_code(s, org_credit_code) if org_credit_code else None
            if org_credit_code and org is None:
                raise DomainError(f"单位 {org_credit_code} 不存在")
            data = UserCreateIn(
                username=username,
                display_name=display_name,
                role=role_enum,
                password=password,
                organization_id=org.id if org else None,
                branch_code=branch,
            )
            services.user_create(session=s, now=SystemClock().now(), actor=Actor(None, "命令行", "cli"), data=data)
    except (DomainError, ValidationError) as e:
        console.print(f"[red]{getattr(e, 'message', e)}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]已创建用户 {username}[/green]")


@users_app.command("reset-password")
def users_reset(username: str, password_stdin: bool = typer.Option(False)) -> None:
    """重置密码并解除锁定，同时结束该用户的所有会话。"""
    from ggzy.common.audit import Actor
    from ggzy.common.clock import SystemClock
    from ggzy.common.errors import DomainError
    from ggzy.identity import services

    password = _read_password(password_stdin)
    db = _db()
    try:
        with db.transaction() as s:
            services.user_password_reset(
                session=s,
                now=SystemClock().now(),
                actor=Actor(None, "命令行", "cli"),
                username=username,
                new_password=password,
            )
    except DomainError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]已重置 {username} 的密码[/green]")


@audit_app.command("verify")
def audit_verify() -> None:
    """校验审计哈希链；发现篡改、删除或重排时以非零状态退出并指出第一个问题事件。"""
    from ggzy.common import audit

    db = _db()
    with db.session(write=False) as s:
        total = audit.event_count(s)
        with Progress(TextColumn("校验审计链"), BarColumn(), MofNCompleteColumn(), console=console) as bar:
            task = bar.add_task("verify", total=total)
            result = audit.verify_chain(s, progress=lambda n: bar.update(task, completed=n) if n % 500 == 0 else None)
            bar.update(task, completed=result.checked)
    if result.ok:
        console.print(f"[green]审计链完整：共 {result.checked} 条事件[/green]")
        return
    console.print(f"[red]审计链校验失败：第一个问题事件为第 {result.first_bad_seq} 号 —— {result.reason}[/red]")
    raise typer.Exit(1)


@bids_app.command("orphans")
def bids_orphans(
    older_than: int = typer.Option(60, "--older-than", min=1, help="只列出早于此分钟数的文件（正在上传的不算）"),
    delete: bool = typer.Option(False, "--delete", help="删除列出的文件"),
) -> None:
    """列出（或删除）没有投标记录的投标文件和残留的临时上传（如进程崩溃所留）。它们从不计入投标。"""
    import time

    from sqlalchemy import select

    from ggzy.bidding.models import Bid
    from ggzy.bidding.store import BidStore

    store = BidStore(get_settings().data_dir / "bids")
    with _db().session(write=False) as s:
        referenced = set(s.scalars(select(Bid.digest)))
    cutoff = time.time() - older_than * 60
    found = [p for p in store.orphans(referenced) if p.stat().st_mtime < cutoff]
    for p in found:
        console.print(str(p))
        if delete:
            p.unlink(missing_ok=True)
    console.print(f"{'已删除' if delete else '共'} {len(found)} 个无投标记录的文件")


@experts_app.command("load-specialities")
def experts_load_specialities(path: Path) -> None:
    """从 CSV（表头 code,name,parent）载入或更正专家专业分类（发改法规〔2018〕316号）。"""
    from ggzy.common import audit
    from ggzy.common.clock import SystemClock
    from ggzy.common.errors import DomainError
    from ggzy.experts import specialities

    db = _db()
    try:
        rows = specialities.parse_csv(path.read_text(encoding="utf-8-sig"))
        with db.transaction() as s:
            changed = specialities.upsert(s, now=SystemClock().now(), actor=audit.SYSTEM, rows=rows)
    except DomainError as e:
        console.print(f"[red]{e.message}[/red]")
        raise typer.Exit(2) from None
    console.print(f"[green]完成[/green]：{len(rows)} 行，变更 {changed} 个节点")


@export_app.command("ocds")
def export_ocds(out: Path = typer.Option(..., "--out", help="输出文件（OCDS 发布包 JSON）")) -> None:
    """导出全部已公开交易项目的 OCDS 发布包（流式写出，内存占用有界）。"""
    from ggzy.common.clock import SystemClock
    from ggzy.portal import ocds

    s, db = get_settings(), _db()
    tmp = out.with_name(out.name + ".part")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            n = ocds.export(
                db, f, prefix=s.ocid_prefix, base_url=s.public_base_url, name=s.centre_name, now=SystemClock().now()
            )
    except BaseException:
        tmp.unlink(missing_ok=True)  # a half-written export (gigabytes at scale) is no use to anyone
        raise
    if n == 0:  # a package without releases is not valid OCDS: write nothing
        tmp.unlink()
        console.print("[red]没有已公开的交易项目，未生成文件[/red]")
        raise typer.Exit(1)
    tmp.replace(out)  # a reader never sees half a file
    console.print(f"[green]完成[/green]：{n} 条发布写入 {out}")


@exchange_app.command("run")
def exchange_run() -> None:
    """生成并校验新的数据集记录，报送到期的记录（一轮）。"""
    from ggzy.common.clock import SystemClock
    from ggzy.exchange.runtime import tick

    s = get_settings()
    read, sent = tick(_db(), SystemClock(), s)
    where = s.exchange_upstream_url or "（未配置上级平台地址，记录待报送）"
    console.print(f"[green]完成[/green]：读取变更 {read} 条，报送 {sent} 条 → {where}")


@exchange_app.command("status")
def exchange_status() -> None:
    """各状态的记录数，以及暂缓和失败记录的原因。"""
    from ggzy.exchange import selectors
    from ggzy.exchange.enums import DeliveryStatus

    with _db().session(write=False) as session:
        counts = selectors.counts(session)
        for st in DeliveryStatus:
            console.print(f"{st.label}：{counts.get(st.value, 0)}")
        for d in selectors.deliveries(session, status=DeliveryStatus.HELD.value, limit=20) + selectors.deliveries(
            session, status=DeliveryStatus.FAILED.value, limit=20
        ):
            why = "；".join(p["message"] for p in d.problems) or d.last_error
            console.print(f"  #{d.id} {d.dataset_no} {d.record_key}：{why}")
