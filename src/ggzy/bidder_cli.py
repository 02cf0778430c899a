"""``ggzy bidder``: the bid-preparation tool a bidder runs on its own machine.

The platform's address comes from --server or GGZY_SERVER; the API token from GGZY_TOKEN (a token
made on the platform's “API 令牌” page) or from a certificate login with the key (--cert-login).
Secrets never go on the command line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import typer
from rich.console import Console

from ggzy import bidder_tool as tool

T = TypeVar("T")
OUTCOME_LABELS = {"opened": "解密成功", "revoked": "解密失败，视为撤销", "withdrawn": "解密失败，视为撤回"}
app = typer.Typer(help="投标工具：生成密钥、封装、递交、撤回、开标解密", no_args_is_help=True)
console = Console()

ServerOpt = typer.Option(None, "--server", help="平台地址，默认取 GGZY_SERVER")
KeyOpt = typer.Option(
    ..., "--key", exists=True, dir_okay=False, help="私钥文件（keygen 生成，或 openssl genpkey 的 PEM）"
)
CertOpt = typer.Option(False, "--cert-login", help="用私钥证书登录（不用 GGZY_TOKEN）")


def _client(server: str | None, key: tool.KeyPair | None = None, cert_login: bool = False) -> tool.Client:
    url = server or os.environ.get("GGZY_SERVER")
    if not url:
        raise typer.BadParameter("请用 --server 或环境变量 GGZY_SERVER 指定平台地址")
    client = tool.Client(url, None if cert_login else os.environ.get("GGZY_TOKEN"))
    if cert_login:
        if key is None:
            raise typer.BadParameter("证书登录需要 --key")
        client.cert_login(key)
    return client


def _run(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except tool.ToolError as e:
        console.print(f"[red]平台拒绝（{e.code}）：{e}[/red]")
        raise typer.Exit(2) from e
    except (ValueError, OSError) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e


@app.command()
def keygen(
    out: Path = typer.Option(Path("bidder.key"), "--out", help="私钥文件（权限 0600）"),
    register: bool = typer.Option(False, "--register", help="生成后即向平台登记公钥（需 GGZY_TOKEN）"),
    label: str = typer.Option("", "--label"),
    server: str = ServerOpt,
) -> None:
    """生成 SM2 密钥对；公钥另存为 .pub.pem。"""
    key = _run(lambda: tool.keygen(out))
    console.print(f"已生成密钥 {out}（指纹 {key.fingerprint}），公钥 {out.with_suffix('.pub.pem')}")
    if register:
        reg = _run(lambda: _client(server).register_key(key, label))
        console.print(f"已登记，指纹 {reg['fingerprint']}")


@app.command()
def register(key_file: Path = KeyOpt, label: str = typer.Option("", "--label"), server: str = ServerOpt) -> None:
    """向平台登记公钥（签署挑战码证明持有私钥）。"""
    key = tool.load_key(key_file)
    reg = _run(lambda: _client(server).register_key(key, label))
    console.print(f"已登记，指纹 {reg['fingerprint']}")


@app.command()
def seal(
    section_id: int = typer.Option(..., "--section-id", help="标段编号（平台上的数字 ID）"),
    bid: Path = typer.Option(..., "--bid", exists=True, dir_okay=False, help="bid.json：报价表等"),
    attach: list[Path] = typer.Option([], "--attach", exists=True, dir_okay=False, help="附件，可多次"),
    bidder: str = typer.Option(..., "--bidder", help="本单位统一社会信用代码"),
    out: Path = typer.Option(..., "--out"),
    key_file: Path = KeyOpt,
    server: str = ServerOpt,
    cert_login: bool = CertOpt,
) -> None:
    """封装投标文件：SM4-GCM 加密，内容密钥以 SM2 封装给本单位（及备用解密公钥），并签名。"""
    key = tool.load_key(key_file)

    def go() -> tool.envelope.Sealed:
        client = _client(server, key, cert_login)
        return tool.seal_bid(
            key=key,
            bidder=bidder,
            sealing=client.sealing(section_id),
            bid=json.loads(bid.read_text()),
            attachments=list(attach),
            out=out,
        )

    sealed = _run(go)
    console.print(f"已封装 {out}：{sealed.size} 字节，SM3 {sealed.digest}")


@app.command()
def submit(
    envelope_file: Path = typer.Argument(..., exists=True, dir_okay=False),
    section_id: int = typer.Option(..., "--section-id"),
    key_file: Path | None = typer.Option(None, "--key"),
    server: str = ServerOpt,
    cert_login: bool = CertOpt,
) -> None:
    """递交（或替换）投标文件；回执保存为 <文件>.receipt.json。"""
    key = tool.load_key(key_file) if key_file else None
    out = _run(lambda: _client(server, key, cert_login).submit(section_id, envelope_file))
    path = envelope_file.with_name(envelope_file.name + ".receipt.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    r = out["receipt"]
    console.print(f"已递交：回执号 {r['seq']}，接收时间 {r['received_at']}，SM3 {r['digest']}；回执 {path}")


@app.command()
def withdraw(
    section_id: int = typer.Option(..., "--section-id"),
    key_file: Path | None = typer.Option(None, "--key"),
    server: str = ServerOpt,
    cert_login: bool = CertOpt,
) -> None:
    """撤回本单位在该标段的投标文件（截止前）。"""
    key = tool.load_key(key_file) if key_file else None
    out = _run(lambda: _client(server, key, cert_login).withdraw(section_id))
    path = Path(f"withdraw-{section_id}-{out['receipt']['seq']}.receipt.json")
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2))
    console.print(f"已撤回：回执号 {out['receipt']['seq']}；撤回回执（平台签名）已保存为 {path}")


@app.command("decrypt-key")
def decrypt_key(
    envelope_file: Path = typer.Argument(..., exists=True, dir_okay=False),
    key_file: Path = KeyOpt,
    section_id: int | None = typer.Option(None, "--submit", help="直接向该标段的开标提交内容密钥"),
    server: str = ServerOpt,
    cert_login: bool = CertOpt,
) -> None:
    """开标时：用私钥从投标文件解出内容密钥；加 --submit 则直接提交平台解密。"""
    key = tool.load_key(key_file)
    content_key = _run(lambda: tool.content_key(key, envelope_file))
    if section_id is None:
        typer.echo(content_key)
        return
    out = _run(lambda: _client(server, key, cert_login).decrypt(section_id, content_key))
    outcome = (out.get("mine") or {}).get("outcome")
    console.print(f"已提交解密：{OUTCOME_LABELS.get(str(outcome), out['status_label'])}")


@app.command("unwrap-share")
def unwrap_share(
    section_id: int = typer.Option(..., "--section-id"),
    key_file: Path = KeyOpt,
    submit_share: bool = typer.Option(True, "--submit/--print"),
    server: str = ServerOpt,
    cert_login: bool = CertOpt,
) -> None:
    """备用解密保管单位：在本机解开本单位的份额并提交（截止后）。"""
    key = tool.load_key(key_file)
    client = _run(lambda: _client(server, key, cert_login))
    wrapped = _run(lambda: client.my_share(section_id))
    share = _run(lambda: tool.unwrap_share(key, wrapped["wrapped"]))
    if not submit_share:
        typer.echo(share)
        return
    out = _run(lambda: client.hand_in_share(section_id, share))
    console.print(f"已提交份额：{(out.get('backup') or {}).get('handed_in')} 份已到")


@app.command("verify-receipt")
def verify_receipt(
    receipt_file: Path = typer.Argument(..., exists=True, dir_okay=False),
    platform_key: Path = typer.Option(..., "--platform-key", exists=True, help="平台公钥 PEM（/api/v1/platform-key）"),
) -> None:
    """离线验证回执上的平台签名。"""
    from ggzy.common import sm2

    try:
        data = json.loads(receipt_file.read_text())
        ok = tool.verify_receipt(data["receipt"], data["signature"], sm2.public_from_pem(platform_key.read_text()))
    except (ValueError, KeyError, TypeError) as e:  # SM2Error is a ValueError
        console.print(f"[red]无法验证：回执或平台公钥文件格式不对（{e}）[/red]")
        raise typer.Exit(2) from e
    console.print("回执签名有效" if ok else "[red]回执签名无效[/red]")
    raise typer.Exit(0 if ok else 1)


@app.command()
def sign(text: str = typer.Argument(..., help="要签署的原文，如密钥页显示的挑战原文"), key_file: Path = KeyOpt) -> None:
    """用私钥对一段原文作 SM2 签名（十六进制 DER），用于在网页上登记公钥。"""
    typer.echo(tool.load_key(key_file).sign(text.encode()))
